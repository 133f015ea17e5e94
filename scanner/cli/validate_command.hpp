#pragma once
// `mxscan validate --list POLICY.json --db FILE [--json] [--report FILE] [--remove-after N]
// [--notify-dir DIR --notify-from ADDRESS] [--resume] [OPTIONS]`: the nightly validation
// (CONTRACT.md "Nightly validation and triage"). Every entry of the list (aliases resolved) is
// scanned and judged against its entry, the run is recorded as a `validate` run of the list's
// author and timestamp, each entry's category against the previous validation of a list of the
// same author is stored, and the maintainers get a summary (stdout, or stderr with --json), the
// domain objects with their category (--json), `mxscan report`'s report of the run (--report:
// HTML, Markdown or JSON by the file's extension), and for each newly failing entry a message to
// its contact (--notify-dir). Everything is checked before anything is scanned: a malformed list
// or a bad option is exit 2 with nothing written.

#include <string>

#include <CLI/App.hpp>

#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

struct ValidateArgs {
  std::string list;
  std::string db;
  std::string report;
  int remove_after = 3;
  std::string notify_dir;
  std::string notify_from;
  bool resume = false;
};

void add_validate_arguments(CLI::App& app, ValidateArgs& args);
int run_validate(const ScanOptions& options, const ValidateArgs& args);

}  // namespace mx::cli
