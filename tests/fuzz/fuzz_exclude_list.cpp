// Fuzzes the exclude-list reader (scanner/targets/exclude_list.hpp): --exclude reads a file from
// outside (an opt-out list someone else maintains). Properties, besides not crashing:
// - a malformed file names a line of the input and a reason;
// - an accepted file has at most one entry a line, and every entry it names (line and normalised
//   text) reads back alone as a list of one entry that matches what the entry's text names.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/ip/address.hpp>

#include "scanner/targets/exclude_list.hpp"

namespace {

using mx::targets::ExcludeList;
using mx::targets::ExcludeProblem;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

std::variant<ExcludeList, ExcludeProblem> parse(std::string_view text) {
  std::istringstream in{std::string(text)};
  return mx::targets::parse_exclude_list(in);
}

// The entry read back alone matches its own first address or its own name.
void check_entry(const mx::targets::ExcludeEntry& entry) {
  const auto alone = parse(entry.text);
  require(std::holds_alternative<ExcludeList>(alone));
  const auto& list = std::get<ExcludeList>(alone);
  require(list.size() == 1);
  const auto slash = entry.text.find('/');
  if (slash == std::string::npos) {
    const auto named = list.match(std::string_view(entry.text));
    require(named.has_value() && named->text == entry.text);
    return;
  }
  const auto network_address = boost::asio::ip::make_address(entry.text.substr(0, slash));
  const auto matched = list.match(network_address);
  require(matched.has_value() && matched->text == entry.text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\n')) + 1;
  const auto parsed = parse(bytes);
  if (const auto* problem = std::get_if<ExcludeProblem>(&parsed)) {
    require(problem->line >= 1 && problem->line <= lines);
    require(!problem->reason.empty());
    return 0;
  }
  const auto& list = std::get<ExcludeList>(parsed);
  require(list.size() <= lines);
  // Probe the list with addresses and names taken from the input's own lines.
  std::istringstream in{std::string(bytes)};
  std::string line;
  while (std::getline(in, line)) {
    const auto name_match = list.match(std::string_view(line));
    if (name_match)
      check_entry(*name_match);
    boost::system::error_code error;
    const auto address = boost::asio::ip::make_address(line.substr(0, line.find('/')), error);
    if (!error) {
      if (const auto matched = list.match(address))
        check_entry(*matched);
    }
  }
  return 0;
}
