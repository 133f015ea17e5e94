#pragma once
// `mxscan stats` for a reader: each tally of store/stats.hpp as an aligned table (class, count,
// percentage of the tally's total), or two runs side by side with the change in counts and in
// percentage points. Text from the database (issuers, codes) is shown with control characters
// and octets that are not UTF-8 as U+FFFD, so that nothing reaches the terminal raw, and long
// classes are cut to 60 characters with "…" (JSON and CSV carry them whole). Pure.

#include <ostream>
#include <string>

#include "store/stats.hpp"
#include "store/stats_compare.hpp"

namespace mx::reports {

// "run 3 (scan, complete, started 2026-11-28T17:36:13Z): 400 domains"
[[nodiscard]] std::string run_heading(const store::RunOverview& run);

void write_stats_text(const store::RunStats& stats, std::ostream& out);
void write_comparison_text(const store::RunComparison& comparison, std::ostream& out);

}  // namespace mx::reports
