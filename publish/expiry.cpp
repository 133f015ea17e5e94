#include "publish/expiry.hpp"

#include <cstddef>
#include <cstdint>

#include "list/rfc3339.hpp"

namespace mx::publish {

std::optional<Instant> expires_at(const list::PolicyList& list) {
  const auto parsed = list::parse_rfc3339_date_time(list.expires);
  if (!parsed) {
    return std::nullopt;
  }
  std::chrono::nanoseconds fraction{0};
  std::int64_t scale = 100'000'000;
  for (std::size_t i = 0; i < parsed->fraction.size() && scale > 0; ++i, scale /= 10) {
    fraction += std::chrono::nanoseconds{(parsed->fraction[i] - '0') * scale};
  }
  return Instant{parsed->utc()} + fraction;
}

bool list_expired(const list::PolicyList& list, std::chrono::system_clock::time_point now) {
  const auto expires = expires_at(list);
  return !expires || *expires <= now;
}

}  // namespace mx::publish
