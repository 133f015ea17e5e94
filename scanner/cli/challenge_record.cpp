#include "scanner/cli/challenge_record.hpp"

#include <fmt/format.h>

namespace mx::cli {

std::string challenge_record_name(std::string_view domain) {
  return fmt::format("{}{}", kChallengeRecordPrefix, domain);
}

std::string challenge_record_value(std::string_view action, std::string_view token) {
  return fmt::format("v=STARTTLS-POLICY1; action={}; token={}", action, token);
}

bool challenge_record_matches(std::string_view record, std::string_view expected) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const auto first = record.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) {
    return expected.empty();
  }
  const auto last = record.find_last_not_of(kWhitespace);
  return record.substr(first, last - first + 1) == expected;
}

std::string printable_record(std::string_view record, std::size_t limit) {
  std::string out;
  for (const char c : record.substr(0, limit)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (record.size() > limit) {
    out += "...";
  }
  return out;
}

}  // namespace mx::cli
