#include "scanner/cli/stats_command.hpp"

#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "list/suggest.hpp"
#include "reports/stats_data.hpp"
#include "reports/stats_text.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/run_choice.hpp"
#include "store/schema.hpp"
#include "store/stats_compare.hpp"

namespace mx::cli {

void add_stats_arguments(CLI::App& app, StatsArgs& args) {
  app.add_option("--db", args.db, "database holding the run")->required()->check(CLI::ExistingFile);
  app.add_option("--run", args.run, "run to count (default: the newest complete run)")
      ->check(CLI::PositiveNumber);
  app.add_option("--compare", args.compare,
                 "an earlier run to put beside it, with the changes (--run minus --compare)")
      ->type_name("RUN")
      ->check(CLI::PositiveNumber);
  auto* json = app.add_flag("--json", args.json, "one JSON object");
  auto* csv = app.add_flag("--csv", args.csv, "CSV, one row per class of each tally");
  json->excludes(csv);
  app.add_option("--top", args.top, "largest providers and issuers shown (20)")
      ->check(CLI::PositiveNumber);
}

int run_stats(const StatsArgs& args) {
  try {
    const auto db = store::open_for_reading(args.db);
    const auto run = choose_run(db, args.run, "stats");
    if (!run) {
      return exit_usage;
    }
    const store::ProviderOf provider_of = [](std::string_view host) {
      return list::registrable_domain(host);
    };
    if (args.compare != 0) {
      const auto from = choose_run(db, args.compare, "stats");
      if (!from) {
        return exit_usage;
      }
      const auto comparison = store::compare_runs(db, *from, *run, provider_of, args.top);
      if (args.json) {
        reports::write_comparison_json(comparison, std::cout);
      } else if (args.csv) {
        reports::write_comparison_csv(comparison, std::cout);
      } else {
        reports::write_comparison_text(comparison, std::cout);
      }
    } else {
      store::StatsOptions options;
      options.top = args.top;
      const auto stats = store::collect_stats(db, *run, provider_of, options);
      if (args.json) {
        reports::write_stats_json(stats, std::cout);
      } else if (args.csv) {
        reports::write_stats_csv(stats, std::cout);
      } else {
        reports::write_stats_text(stats, std::cout);
      }
    }
    std::cout.flush();
    return exit_pass;
  } catch (const std::runtime_error& e) {  // the store's errors
    std::cerr << fmt::format("mxscan stats: {}\n", e.what());
    return exit_usage;
  }
}

}  // namespace mx::cli
