#pragma once
// Two runs' aggregates side by side (`mxscan stats --compare`): for every class of every tally,
// its count and percentage in each run and the change, as a researcher reports a month's change.
// Changes are `to` minus `from`: counts, and percentage points of each run's own total.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/stats.hpp"

namespace mx::store {

struct ComparedRow {
  std::string key;
  std::string status;  // as in TallyRow; from `to` when both runs have the class
  std::int64_t from = 0;
  std::int64_t to = 0;
  double from_percent = 0;
  double to_percent = 0;

  [[nodiscard]] std::int64_t delta() const { return to - from; }
  [[nodiscard]] double delta_points() const { return to_percent - from_percent; }
};

struct ComparedTally {
  std::string_view id;  // as NamedTally
  std::string_view title;
  std::string unit;
  std::int64_t from_total = 0;
  std::int64_t to_total = 0;
  std::vector<ComparedRow> rows;  // `to`'s classes in its order, then those only in `from`
};

struct RunComparison {
  RunOverview from;
  RunOverview to;
  std::vector<ComparedTally> tallies;  // in named_tallies order
};

// Pure: a class missing from one run's rows counts 0 there. For providers and issuers, whose rows
// are only the largest, collect both runs keeping each other's keys (compare_runs does).
[[nodiscard]] RunComparison compare_stats(const RunStats& from, const RunStats& to);

// Collects both runs with the `top` largest providers and issuers of either run, counted in both.
// Throws StoreError when a run does not exist.
[[nodiscard]] RunComparison compare_runs(const Database& db, std::int64_t from, std::int64_t to,
                                         const ProviderOf& provider_of, std::size_t top = 20);

}  // namespace mx::store
