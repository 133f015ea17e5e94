#pragma once
// Researcher exports of a stored run: JSON Lines of the CONTRACT.md domain objects, or CSV of one
// row per domain, sorted by domain. Functions of the database only: never the network.

#include <cstdint>
#include <optional>
#include <ostream>

#include "store/db.hpp"

namespace mx::reports {

// The newest run in the database, or nullopt when it holds none.
[[nodiscard]] std::optional<std::int64_t> latest_run(const store::Database& db);
[[nodiscard]] bool run_exists(const store::Database& db, std::int64_t run);

// Returns the number of domains written.
std::size_t export_jsonl(const store::Database& db, std::int64_t run, std::ostream& out);
// Columns: domain, status, mx_hosts (space-separated), failing (check:code, space-separated,
// fail and error at any level), scanned_at, attempts. RFC 4180 quoting.
std::size_t export_csv(const store::Database& db, std::int64_t run, std::ostream& out);

}  // namespace mx::reports
