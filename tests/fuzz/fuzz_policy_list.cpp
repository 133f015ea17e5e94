// Fuzzes the policy list reader with arbitrary bytes. Besides not crashing: a refused list has
// problems and nothing half-read, every problem has a path and a reason; a read list survives a
// write and a read unchanged (canonical domains and patterns stay canonical, strings keep their
// bytes through the escaping), and writing it again gives the same bytes. A broken property
// aborts, which libFuzzer and the corpus replay both report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "list/policy_list.hpp"

namespace {

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto read = mx::list::parse_list(bytes);
  require(read.list.has_value() == read.problems.empty());
  for (const auto& problem : read.problems) {
    require(!problem.path.empty() && !problem.reason.empty());
  }
  if (!read.list) {
    return 0;
  }
  for (const auto& [domain, entry] : read.list->policies) {
    require(read.list->find(domain) == &entry);
    require(!entry.policy.mxs.empty());
    require(!entry.alias || read.list->aliases.at(*entry.alias) == entry.policy);
  }
  const std::string written = mx::list::write_list(*read.list);
  const auto again = mx::list::parse_list(written);
  require(again.list.has_value() && *again.list == *read.list);
  require(mx::list::write_list(*again.list) == written);
  return 0;
}
