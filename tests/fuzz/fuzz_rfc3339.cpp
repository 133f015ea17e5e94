// Fuzzes the RFC 3339 date-time reader (list/rfc3339.hpp) that the list's timestamp and expires,
// the queue's submitted_at and the notices' Date share: a downloaded list's timestamp decides
// rollback protection and its expires decides whether it is enforced. The input is split at the
// first '|' into two candidate date-times. Properties, besides not crashing:
// - an accepted date-time has every field in range and a day that exists in its month;
// - written back in the canonical form (upper-case T, ".fraction" when there is one, the offset
//   as written), it reads to the same fields;
// - its instant is the UTC reading of its fields minus its offset;
// - `before` is a strict order: never both ways, never a time before itself, and the reverse of
//   the instants' order when they differ.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "list/rfc3339.hpp"

namespace {

using mx::list::Rfc3339DateTime;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool same(const Rfc3339DateTime& a, const Rfc3339DateTime& b) {
  return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour &&
         a.minute == b.minute && a.second == b.second && a.offset_minutes == b.offset_minutes &&
         a.unknown_offset == b.unknown_offset && a.fraction == b.fraction;
}

std::string canonical(const Rfc3339DateTime& t) {
  char text[64];
  const int written = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", t.year,
                                    t.month, t.day, t.hour, t.minute, t.second);
  require(written == 19);
  std::string out(text);
  if (!t.fraction.empty()) {
    out += "." + t.fraction;
  }
  if (t.offset_minutes == 0 && !t.unknown_offset) {
    return out + "Z";
  }
  const int offset = t.offset_minutes < 0 ? -t.offset_minutes : t.offset_minutes;
  std::snprintf(text, sizeof text, "%c%02d:%02d",
                t.offset_minutes < 0 || t.unknown_offset ? '-' : '+', offset / 60, offset % 60);
  return out + text;
}

void check(const Rfc3339DateTime& t) {
  require(t.year >= 0 && t.year <= 9999);
  require(t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31);
  require(t.hour <= 23 && t.minute <= 59 && t.second <= 60);
  require(t.offset_minutes > -24 * 60 && t.offset_minutes < 24 * 60);
  require(!t.unknown_offset || t.offset_minutes == 0);
  require(t.fraction.empty() || t.fraction.back() != '0');
  require(t.fraction.find_first_not_of("0123456789") == std::string::npos);
  const std::chrono::year_month_day date{std::chrono::year{t.year},
                                         std::chrono::month{static_cast<unsigned>(t.month)},
                                         std::chrono::day{static_cast<unsigned>(t.day)}};
  require(date.ok());

  const auto again = mx::list::parse_rfc3339_date_time(canonical(t));
  require(again && same(*again, t));

  const auto local = std::chrono::sys_days{date} + std::chrono::hours{t.hour} +
                     std::chrono::minutes{t.minute} + std::chrono::seconds{t.second};
  require(t.utc() == local - std::chrono::minutes{t.offset_minutes});
  require(!t.before(t));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t bar = bytes.find('|');
  const auto first = mx::list::parse_rfc3339_date_time(bytes.substr(0, bar));
  if (first) {
    check(*first);
  }
  if (bar == std::string_view::npos) {
    return 0;
  }
  const auto second = mx::list::parse_rfc3339_date_time(bytes.substr(bar + 1));
  if (second) {
    check(*second);
  }
  if (first && second) {
    require(!(first->before(*second) && second->before(*first)));
    if (first->utc() != second->utc()) {
      require(first->before(*second) == (first->utc() < second->utc()));
    } else {
      require(first->before(*second) == (first->fraction < second->fraction));
    }
  }
  return 0;
}
