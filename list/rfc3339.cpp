#include "list/rfc3339.hpp"

#include <algorithm>

namespace mx::list {
namespace {

std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t count) {
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<Rfc3339DateTime> parse_rfc3339_date_time(std::string_view text) {
  // date-time = YYYY-MM-DD "T" hh:mm:ss [.fraction] ("Z" / ("+" / "-") hh:mm)
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t first = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ++pos;
    }
    if (pos == first) {
      return std::nullopt;
    }
  }
  Rfc3339DateTime out{*year, *month, *day, *hour, *minute, *second, 0, false, {}};
  if (pos > 19) {
    out.fraction = text.substr(20, pos - 20);
    out.fraction.erase(out.fraction.find_last_not_of('0') + 1);
  }
  const std::string_view zone = text.substr(std::min(pos, text.size()));
  if (zone != "Z" && zone != "z") {
    const auto offset_hours = digits(zone, 1, 2);
    const auto offset_minutes = digits(zone, 4, 2);
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !offset_hours ||
        !offset_minutes || *offset_hours > 23 || *offset_minutes > 59) {
      return std::nullopt;
    }
    const int offset = *offset_hours * 60 + *offset_minutes;
    out.offset_minutes = zone[0] == '-' ? -offset : offset;
    out.unknown_offset = zone == "-00:00";
  }
  const std::chrono::year_month_day date{std::chrono::year{out.year},
                                         std::chrono::month{static_cast<unsigned>(out.month)},
                                         std::chrono::day{static_cast<unsigned>(out.day)}};
  if (!date.ok() || out.hour > 23 || out.minute > 59 || out.second > 60) {
    return std::nullopt;
  }
  return out;
}

std::chrono::sys_seconds Rfc3339DateTime::utc() const {
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  return std::chrono::sys_days{date} + std::chrono::hours{hour} +
         std::chrono::minutes{minute - offset_minutes} + std::chrono::seconds{second};
}

bool Rfc3339DateTime::before(const Rfc3339DateTime& other) const {
  const auto mine = utc();
  const auto theirs = other.utc();
  // Without trailing zeros, decimal fractions order as text: "45" < "5".
  return mine != theirs ? mine < theirs : fraction < other.fraction;
}

}  // namespace mx::list
