// Fuzzes the EHLO parser twice per input: over the reply the reply parser makes of the bytes, as
// the probe does, and over the raw lines of the input, so that line contents the reply parser
// would refuse (NUL, stray CRs, any length) reach the EHLO parser too. Besides not crashing, the
// result must be consistent: valid upper-case keywords, each once, and helpers that agree.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "probes/smtp/ehlo.hpp"
#include "probes/smtp/reply_parser.hpp"

namespace {

using mx::probes::smtp::EhloCapabilities;
using mx::probes::smtp::EhloError;
using mx::probes::smtp::Extension;
using mx::probes::smtp::Reply;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool is_keyword_octet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  return text;
}

void check(const Reply& reply) {
  const auto parsed = mx::probes::smtp::parse_ehlo(reply);
  if (reply.code != 250) {
    require(parsed.has_error() && parsed.error() == make_error_code(EhloError::not_250));
    return;
  }
  const EhloCapabilities& caps = parsed.value();
  require(caps.domain.find_first_of(" \t") == std::string::npos);
  require(caps.missing_domain() == caps.domain.empty());
  if (!reply.lines.empty()) {
    require(caps.extensions.size() + caps.invalid_lines.size() <= reply.lines.size() - 1);
  }
  for (const Extension& extension : caps.extensions) {
    const std::string& keyword = extension.keyword;
    require(!keyword.empty() && keyword.front() != '-');
    require(std::all_of(keyword.begin(), keyword.end(), is_keyword_octet));
    // First one wins, so find() must land on this very extension, in any case.
    require(caps.find(keyword) == &extension);
    require(caps.find(lower(keyword)) == &extension);
    for (const std::string& param : extension.params) {
      require(!param.empty() && param.find_first_of(" \t") == std::string::npos);
    }
  }
  for (const std::string& duplicate : caps.duplicate_keywords) {
    require(caps.has(duplicate));
  }
  require(caps.starttls() == caps.has("STARTTLS"));
  require(caps.requiretls() == caps.has("requiretls"));
  const Extension* size = caps.find("SIZE");
  require(!caps.size().has_value() || (size != nullptr && !size->params.empty()));
  const Extension* auth = caps.find("AUTH");
  require(caps.auth_mechanisms().size() == (auth == nullptr ? 0 : auth->params.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  const auto parsed = mx::probes::smtp::parse_reply(bytes);
  if (parsed.has_value()) {
    check(*parsed);
  }

  Reply raw{.code = 250, .lines = {}, .violations = {}};
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    raw.lines.emplace_back(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  check(raw);
  raw.code = 550;
  check(raw);
  return 0;
}
