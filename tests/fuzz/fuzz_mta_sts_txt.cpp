// Fuzzes the MTA-STS TXT record parser with the records of a TXT answer: the input, split at each
// LF, is the answer's records. Besides not crashing, the outcome must agree with the selection
// rule (absent, multiple or one record), a parsed record must satisfy the grammar it was checked
// against, findings must carry the severity their place implies, and a reason must be printable.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "probes/mta_sts/txt_fields.hpp"
#include "probes/mta_sts/txt_record.hpp"

namespace {

using mx::probes::Severity;
using mx::probes::mta_sts::Extension;
using mx::probes::mta_sts::TxtError;
using mx::probes::mta_sts::TxtFinding;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_printable(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '\x20' && c <= '\x7e'; });
}

void check_findings(const std::vector<TxtFinding>& findings) {
  for (auto it = findings.begin(); it != findings.end(); ++it) {
    require(severity(*it) != Severity::invalid);
    require(std::find(it + 1, findings.end(), *it) == findings.end());
  }
}

void check(const std::vector<std::string>& records) {
  const auto sts = std::count_if(records.begin(), records.end(), [](const std::string& record) {
    return mx::probes::mta_sts::is_sts_record(record);
  });
  const auto parsed = mx::probes::mta_sts::parse_txt_record(records);
  if (parsed.has_value()) {
    require(sts == 1);
    require(mx::probes::mta_sts::is_sts_record(parsed->raw));
    require(!parsed->id.empty() && parsed->id.size() <= 32);
    require(std::all_of(parsed->id.begin(), parsed->id.end(), is_alnum));
    for (const Extension& extension : parsed->extensions) {
      require(extension.name != "id");
      require(mx::probes::mta_sts::is_ext_name(extension.name));
      require(mx::probes::mta_sts::is_ext_value(extension.value));
    }
    check_findings(parsed->findings);
    const auto again = mx::probes::mta_sts::parse_sts_record(parsed->raw);
    require(again.has_value() && *again == *parsed);
    return;
  }
  const auto& failure = parsed.error();
  require(is_printable(failure.reason));
  switch (failure.error) {
    case TxtError::absent:
      require(sts == 0 && failure.records.empty() && !failure.finding.has_value());
      break;
    case TxtError::multiple:
      require(sts >= 2 && failure.records.size() == static_cast<std::size_t>(sts));
      require(!failure.finding.has_value());
      break;
    case TxtError::syntax:
      require(sts == 1 && failure.records.size() == 1);
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
