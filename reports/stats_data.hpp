#pragma once
// `mxscan stats --json` and `--csv`: the tallies of store/stats.hpp for other programs, every
// class whole and every string escaped for its format (reports/json_string.hpp,
// reports/csv_field.hpp). The layouts are documented in docs/schema.md ("Statistics"). Pure.

#include <ostream>

#include "store/stats.hpp"
#include "store/stats_compare.hpp"

namespace mx::reports {

// One JSON object (and a newline).
void write_stats_json(const store::RunStats& stats, std::ostream& out);
void write_comparison_json(const store::RunComparison& comparison, std::ostream& out);

// Long format, one row per class of each tally, with a header row; CRLF line ends.
void write_stats_csv(const store::RunStats& stats, std::ostream& out);
void write_comparison_csv(const store::RunComparison& comparison, std::ostream& out);

}  // namespace mx::reports
