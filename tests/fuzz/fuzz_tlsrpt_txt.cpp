// Fuzzes the TLSRPT TXT record parser with the records of a TXT answer: the input, split at each
// LF, is the answer's records. Besides not crashing, the outcome must agree with the selection
// rule, and a parsed record must hold only mailto: and https: URIs
// (txt_record_properties.hpp has the properties both TXT parsers share).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "probes/mta_sts/txt_fields.hpp"
#include "probes/tlsrpt/txt_record.hpp"
#include "tests/fuzz/txt_record_properties.hpp"

namespace {

namespace tlsrpt = mx::probes::tlsrpt;
using mx::fuzz::require;

bool has_scheme(std::string_view uri, std::string_view scheme) {
  return uri.size() > scheme.size() &&
         mx::probes::mta_sts::equals_ignoring_case(uri.substr(0, scheme.size()), scheme);
}

void check(const std::vector<std::string>& records) {
  const auto selected = static_cast<std::size_t>(
      std::count_if(records.begin(), records.end(),
                    [](const std::string& record) { return tlsrpt::is_tlsrpt_record(record); }));
  const auto parsed = tlsrpt::parse_txt_record(records);
  if (!parsed.has_value()) {
    mx::fuzz::check_failure(parsed.error(), selected);
    return;
  }
  require(selected == 1);
  require(tlsrpt::is_tlsrpt_record(parsed->raw));
  require(!parsed->rua.empty());
  for (const std::string& uri : parsed->rua) {
    require(has_scheme(uri, "mailto:") || has_scheme(uri, "https://"));
    require(std::all_of(uri.begin(), uri.end(), [](char c) { return c > ' ' && c <= '~'; }));
  }
  for (const tlsrpt::Extension& extension : parsed->extensions) {
    require(extension.name != "rua");
    require(mx::probes::mta_sts::is_ext_name(extension.name));
    require(mx::probes::mta_sts::is_ext_value(extension.value));
  }
  mx::fuzz::check_findings(parsed->findings);
  const auto again = tlsrpt::parse_tlsrpt_record(parsed->raw);
  require(again.has_value() && *again == *parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(mx::fuzz::split_records(bytes));
  check({std::string(bytes)});
  return 0;
}
