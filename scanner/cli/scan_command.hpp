#pragma once
// `mxscan scan --input FILE --db FILE [--resume] [--shard K/N] [OPTIONS]`: a bulk scan into
// SQLite. The input is read and checked first (malformed lines are reported with their numbers
// and skipped); the run and its input are recorded before anything is scanned; results are
// committed in batches by the store's writer, so a crash, kill -9 or Ctrl-C loses at most the
// domains in flight, and `--resume` finishes the run without redoing what was committed.

#include <string>

#include <CLI/App.hpp>

#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

struct ScanArgs {
  std::string input;  // "-" is stdin
  std::string db;
  bool resume = false;
  std::string shard;  // "K/N"; empty: the whole input
};

void add_scan_arguments(CLI::App& app, ScanArgs& args);
int run_scan(const ScanOptions& options, const ScanArgs& args);

}  // namespace mx::cli
