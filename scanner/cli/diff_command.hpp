#pragma once
// `mxscan diff --db FILE [--from RUN] [--to RUN] [--json]` (an extension of CONTRACT.md): what
// changed between two stored runs, by default the two newest. Reads the database only.

#include <cstdint>
#include <string>

#include <CLI/App.hpp>

namespace mx::cli {

struct DiffArgs {
  std::string db;
  std::int64_t from = 0;  // 0: the run before `to`
  std::int64_t to = 0;    // 0: the newest run
  bool json = false;
};

void add_diff_arguments(CLI::App& app, DiffArgs& args);
// Exit 0 when the diff was printed (whatever it holds); 2 when the database or a run is missing.
int run_diff(const DiffArgs& args);

}  // namespace mx::cli
