#pragma once
// `mxscan report --db FILE [--run ID] [--format html|md|json] [--out FILE] [--remove-after N]
// [--max-rows N]`: a stored run rendered for people (reports/run_report.hpp): one self-contained
// HTML page, Markdown for e-mail, or JSON for other tools. The run defaults to the newest
// complete one; the format to the one --out's extension names, else HTML. Reads the database
// only. Exit 0, or 2 with a message (no such database or run, unknown format).

#include <cstdint>
#include <string>

#include <CLI/App.hpp>

namespace mx::cli {

struct ReportArgs {
  std::string db;
  std::int64_t run = 0;  // 0: the newest complete run
  std::string format;    // "": from --out's extension, else html
  std::string out;       // "": standard output
  int remove_after = 3;
  std::size_t max_rows = 1000;
};

void add_report_arguments(CLI::App& app, ReportArgs& args);
int run_report(const ReportArgs& args);

}  // namespace mx::cli
