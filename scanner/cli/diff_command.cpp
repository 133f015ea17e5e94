#include "scanner/cli/diff_command.hpp"

#include <iostream>

#include <fmt/format.h>

#include "reports/export.hpp"
#include "reports/run_diff.hpp"
#include "scanner/cli/exit_code.hpp"
#include "store/schema.hpp"

namespace mx::cli {

void add_diff_arguments(CLI::App& app, DiffArgs& args) {
  app.add_option("--db", args.db, "database holding the runs")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--from", args.from, "the earlier run (default: the run before --to)")
      ->check(CLI::PositiveNumber);
  app.add_option("--to", args.to, "the later run (default: the newest)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--json", args.json,
               "JSON Lines, one object per changed domain (the run summaries go to stderr)");
}

int run_diff(const DiffArgs& args) {
  try {
    const auto db = store::open_for_reading(args.db);
    for (const auto run : {args.from, args.to}) {
      if (run != 0 && !reports::run_exists(db, run)) {
        std::cerr << fmt::format("mxscan diff: {} has no run {}\n", args.db, run);
        return exit_usage;
      }
    }
    std::int64_t to = args.to;
    if (to == 0) {
      const auto latest = reports::latest_run(db);
      if (!latest) {
        std::cerr << fmt::format("mxscan diff: {} holds no run\n", args.db);
        return exit_usage;
      }
      to = *latest;
    }
    std::int64_t from = args.from;
    if (from == 0) {
      const auto before = reports::run_before(db, to);
      if (!before) {
        std::cerr << fmt::format("mxscan diff: {} holds no run before run {}\n", args.db, to);
        return exit_usage;
      }
      from = *before;
    }
    const auto diff = reports::diff_runs(db, from, to);
    if (args.json) {
      reports::write_diff_jsonl(diff, std::cout);
      std::cerr << "mxscan diff: from " << reports::summary_line(diff.from) << '\n'
                << "mxscan diff: to   " << reports::summary_line(diff.to) << '\n';
    } else {
      reports::write_diff_text(diff, std::cout);
    }
    std::cout.flush();
    return exit_pass;
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan diff: {}\n", e.what());
    return exit_usage;
  }
}

}  // namespace mx::cli
