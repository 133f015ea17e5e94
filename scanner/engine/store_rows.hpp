#pragma once
// The engine's outcomes as store rows: the judged domain object as JSON, its hosts, addresses and
// checks, and the endpoints (with their certificates) it used.

#include <string>

#include "scanner/engine/engine.hpp"
#include "store/rows.hpp"

namespace mx::engine {

[[nodiscard]] store::DomainRow to_row(const DomainOutcome& outcome, const std::string& scanned_at);

// RFC 3339 UTC, seconds precision: "2026-11-28T13:00:00Z".
[[nodiscard]] std::string utc_now();

}  // namespace mx::engine
