// Fuzzes the TLSRPT TXT record parser with the records of a TXT answer: the input, split at each
// LF, is the answer's records. Besides not crashing, the outcome must agree with the selection
// rule (absent, multiple or one record), a parsed record must hold only mailto: and https: URIs,
// findings must carry the severity their place implies, and a reason must be printable.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "probes/mta_sts/txt_fields.hpp"
#include "probes/tlsrpt/txt_record.hpp"

namespace {

using mx::probes::Severity;
using mx::probes::tlsrpt::Extension;
using mx::probes::tlsrpt::TxtError;
using mx::probes::tlsrpt::TxtFinding;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool is_printable(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '\x20' && c <= '\x7e'; });
}

bool has_scheme(std::string_view uri, std::string_view scheme) {
  return uri.size() > scheme.size() &&
         mx::probes::mta_sts::equals_ignoring_case(uri.substr(0, scheme.size()), scheme);
}

void check(const std::vector<std::string>& records) {
  const auto selected = std::count_if(records.begin(), records.end(), [](const std::string& r) {
    return mx::probes::tlsrpt::is_tlsrpt_record(r);
  });
  const auto parsed = mx::probes::tlsrpt::parse_txt_record(records);
  if (parsed.has_value()) {
    require(selected == 1);
    require(mx::probes::tlsrpt::is_tlsrpt_record(parsed->raw));
    require(!parsed->rua.empty());
    for (const std::string& uri : parsed->rua) {
      require(has_scheme(uri, "mailto:") || has_scheme(uri, "https://"));
      require(std::all_of(uri.begin(), uri.end(), [](char c) { return c > ' ' && c <= '~'; }));
    }
    for (const Extension& extension : parsed->extensions) {
      require(extension.name != "rua");
      require(mx::probes::mta_sts::is_ext_name(extension.name));
      require(mx::probes::mta_sts::is_ext_value(extension.value));
    }
    for (auto it = parsed->findings.begin(); it != parsed->findings.end(); ++it) {
      require(severity(*it) != Severity::invalid);
      require(std::find(it + 1, parsed->findings.end(), *it) == parsed->findings.end());
    }
    const auto again = mx::probes::tlsrpt::parse_tlsrpt_record(parsed->raw);
    require(again.has_value() && *again == *parsed);
    return;
  }
  const auto& failure = parsed.error();
  require(is_printable(failure.reason));
  switch (failure.error) {
    case TxtError::absent:
      require(selected == 0 && failure.records.empty() && !failure.finding.has_value());
      break;
    case TxtError::multiple:
      require(selected >= 2 && failure.records.size() == static_cast<std::size_t>(selected));
      require(!failure.finding.has_value());
      break;
    case TxtError::syntax:
      require(selected == 1 && failure.records.size() == 1);
      require(failure.finding.has_value() && severity(*failure.finding) == Severity::invalid);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  std::vector<std::string> records;
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    records.emplace_back(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  check(records);
  check({std::string(bytes)});
  return 0;
}
