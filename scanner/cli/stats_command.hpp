#pragma once
// `mxscan stats --db FILE [--run ID] [--json|--csv] [--compare RUN]`: aggregates of a stored run
// (store/stats.hpp) as text, JSON or CSV, or two runs side by side. Reads the database only.

#include <cstdint>
#include <string>

#include <CLI/App.hpp>

namespace mx::cli {

struct StatsArgs {
  std::string db;
  std::int64_t run = 0;      // 0: the newest complete run
  std::int64_t compare = 0;  // 0: no comparison
  bool json = false;
  bool csv = false;
  std::size_t top = 20;
};

void add_stats_arguments(CLI::App& app, StatsArgs& args);
int run_stats(const StatsArgs& args);

}  // namespace mx::cli
