#pragma once
// Commands that only read or combine databases: `mxscan export` and `mxscan merge`.

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/App.hpp>

namespace mx::cli {

struct ExportArgs {
  std::string db;
  std::string format;    // "jsonl" or "csv"
  std::string table;     // "": the domain objects (jsonl) or the domains table (csv)
  std::int64_t run = 0;  // 0: the newest complete run
  std::string status;    // "": any
  std::string check;     // "NAME" or "NAME:CODE"; "": any
  std::string out;       // "": standard output
};

struct MergeArgs {
  std::string db;
  std::vector<std::string> inputs;
};

void add_export_arguments(CLI::App& app, ExportArgs& args);
int run_export(const ExportArgs& args);

void add_merge_arguments(CLI::App& app, MergeArgs& args);
int run_merge(const MergeArgs& args);

}  // namespace mx::cli
