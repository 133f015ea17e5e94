// Fuzzes the MTA-STS TXT record parser with the records of a TXT answer: the input, split at each
// LF, is the answer's records. Besides not crashing, the outcome must agree with the selection
// rule, and a parsed record must satisfy the grammar it was checked against
// (txt_record_properties.hpp has the properties both TXT parsers share).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "probes/mta_sts/txt_fields.hpp"
#include "probes/mta_sts/txt_record.hpp"
#include "tests/fuzz/txt_record_properties.hpp"

namespace {

namespace sts = mx::probes::mta_sts;
using mx::fuzz::require;

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

void check(const std::vector<std::string>& records) {
  const auto selected = static_cast<std::size_t>(
      std::count_if(records.begin(), records.end(),
                    [](const std::string& record) { return sts::is_sts_record(record); }));
  const auto parsed = sts::parse_txt_record(records);
  if (!parsed.has_value()) {
    mx::fuzz::check_failure(parsed.error(), selected);
    return;
  }
  require(selected == 1);
  require(sts::is_sts_record(parsed->raw));
  require(!parsed->id.empty() && parsed->id.size() <= 32);
  require(std::all_of(parsed->id.begin(), parsed->id.end(), is_alnum));
  for (const sts::Extension& extension : parsed->extensions) {
    require(extension.name != "id");
    require(sts::is_ext_name(extension.name));
    require(sts::is_ext_value(extension.value));
  }
  mx::fuzz::check_findings(parsed->findings);
  const auto again = sts::parse_sts_record(parsed->raw);
  require(again.has_value() && *again == *parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(mx::fuzz::split_records(bytes));
  check({std::string(bytes)});
  return 0;
}
