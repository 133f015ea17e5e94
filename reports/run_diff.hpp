#pragma once
// What changed between two stored runs (`mxscan diff`, an extension of CONTRACT.md): each run's
// domains by status, and every domain whose status changed, was added or was removed, with the
// checks that explain it (those whose status or code differ, at domain, host or address level).
// Functions of the database only: they read, never write.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mx::reports {

struct RunSummary {
  std::int64_t run = 0;
  std::string kind;
  std::string state;  // running, interrupted, complete
  std::string started_at;
  std::int64_t domains = 0;
  std::map<std::string, std::int64_t> by_status;  // only statuses that occur
};

// One side of a check change; nullopt on a side means the run has no such check.
struct CheckState {
  std::string status;
  std::string code;
  friend bool operator==(const CheckState&, const CheckState&) = default;
};

struct CheckChange {
  std::string subject;  // "domain", "host" or "address"
  std::string host;     // "" for domain checks
  std::string ip;       // "" for domain and host checks
  std::string name;
  std::optional<CheckState> before;
  std::optional<CheckState> after;
};

struct DomainChange {
  std::string domain;
  std::optional<std::string> before;  // status in the first run; nullopt: added
  std::optional<std::string> after;   // status in the second run; nullopt: removed
  std::vector<CheckChange> checks;    // by subject, host, ip, name
};

struct RunDiff {
  RunSummary from;
  RunSummary to;
  std::vector<DomainChange> changed;  // by domain
};

// The newest run older than `run`, or nullopt.
[[nodiscard]] std::optional<std::int64_t> run_before(const store::Database& db, std::int64_t run);

// Both runs must exist (reports::run_exists). Domains whose status is the same in both runs are
// left out even when some of their checks changed.
[[nodiscard]] RunDiff diff_runs(const store::Database& db, std::int64_t from, std::int64_t to);

// The summaries, then one block per changed domain:
//   example.test: pass → fail
//     host mx1.example.test: starttls pass ok → fail not-advertised
void write_diff_text(const RunDiff& diff, std::ostream& out);
// JSON Lines, one object per changed domain:
//   {"domain":..., "before": "pass"|null, "after": "fail"|null, "checks": [{"subject", "host",
//    "ip", "name", "before": {"status", "code"}|null, "after": {...}|null}]}
void write_diff_jsonl(const RunDiff& diff, std::ostream& out);
// One line: "run 3 (scan, complete, 2026-11-28T00:00:00Z): 3000 domains: pass 2400, fail 600".
[[nodiscard]] std::string summary_line(const RunSummary& summary);

}  // namespace mx::reports
