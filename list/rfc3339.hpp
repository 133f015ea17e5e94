#pragma once
// RFC 3339 date-times as the list, the queue and the notices read them. Pure.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mx::list {

// An RFC 3339 date-time (§5.6: "2026-11-28T13:00:00Z", "2026-11-28t13:00:00.5+01:00"), as
// written: the fields are the local time at `offset_minutes` east of UTC. `unknown_offset` marks
// "-00:00" (UTC, local offset unknown; RFC 5322's "-0000"). Shared by the list's `timestamp` and
// `expires`, the queue's `submitted_at` and the notices' Date header, which must agree on what a
// date is.
struct Rfc3339DateTime {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;  // 60 for a leap second
  int offset_minutes = 0;
  bool unknown_offset = false;
  std::string fraction;  // the digits after the point, without trailing zeros

  // The instant: seconds since the epoch in UTC (a leap second counts as the next second's
  // start), and `fraction` beyond them.
  [[nodiscard]] std::chrono::sys_seconds utc() const;
  // Orders instants, whatever offset each was written at.
  [[nodiscard]] bool before(const Rfc3339DateTime& other) const;
};

// The date-time `text` spells, or nullopt when it is not an RFC 3339 date-time (fields in range,
// the day existing in its month, "T" and "Z" in either case, an optional fraction of a second).
[[nodiscard]] std::optional<Rfc3339DateTime> parse_rfc3339_date_time(std::string_view text);

}  // namespace mx::list
