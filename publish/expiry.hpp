#pragma once
// Whether a list has expired: its `expires` (RFC 3339, list/rfc3339.hpp, with its offset applied,
// so "2020-06-03T10:25:12.710055-07:00" is 17:25:12.710055 UTC) compared with a clock. Pure.

#include <chrono>
#include <optional>

#include "list/policy_list.hpp"

namespace mx::publish {

using Instant = std::chrono::sys_time<std::chrono::nanoseconds>;

// The instant of the list's `expires` (fraction digits past the ninth dropped), or nullopt when it
// is not an RFC 3339 date-time.
[[nodiscard]] std::optional<Instant> expires_at(const list::PolicyList& list);

// Whether `list` has expired at `now`: its `expires` is at or before `now`. A list whose
// `expires` cannot be read counts as expired, so that no code path enforces it.
[[nodiscard]] bool list_expired(const list::PolicyList& list,
                                std::chrono::system_clock::time_point now);

}  // namespace mx::publish
