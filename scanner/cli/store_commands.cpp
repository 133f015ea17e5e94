#include "scanner/cli/store_commands.hpp"

#include <iostream>

#include <fmt/format.h>

#include "reports/export.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/version.hpp"
#include "scanner/engine/store_rows.hpp"
#include "store/merge.hpp"
#include "store/schema.hpp"

namespace mx::cli {

void add_export_arguments(CLI::App& app, ExportArgs& args) {
  app.add_option("--db", args.db, "database to export from")->required()->check(CLI::ExistingFile);
  app.add_option("--format", args.format, "jsonl: the domain objects; csv: one row per domain")
      ->required()
      ->check(CLI::IsMember({"jsonl", "csv"}));
  app.add_option("--run", args.run, "run to export (default: the newest)")
      ->check(CLI::PositiveNumber);
}

int run_export(const ExportArgs& args) {
  try {
    const auto db = store::open_for_reading(args.db);
    std::int64_t run = args.run;
    if (run == 0) {
      const auto latest = reports::latest_run(db);
      if (!latest) {
        std::cerr << fmt::format("mxscan export: {} holds no run\n", args.db);
        return exit_usage;
      }
      run = *latest;
    } else if (!reports::run_exists(db, run)) {
      std::cerr << fmt::format("mxscan export: {} has no run {}\n", args.db, run);
      return exit_usage;
    }
    const auto count = args.format == "jsonl" ? reports::export_jsonl(db, run, std::cout)
                                              : reports::export_csv(db, run, std::cout);
    std::cout.flush();
    std::cerr << fmt::format("mxscan export: {} domains of run {}\n", count, run);
    return exit_pass;
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan export: {}\n", e.what());
    return exit_usage;
  }
}

void add_merge_arguments(CLI::App& app, MergeArgs& args) {
  app.add_option("--db", args.db, "database to merge into (created if missing)")->required();
  app.add_option("inputs", args.inputs, "shard databases")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("IN.db");
}

int run_merge(const MergeArgs& args) {
  try {
    auto out = store::open_for_writing(args.db);
    std::vector<std::filesystem::path> inputs(args.inputs.begin(), args.inputs.end());
    const auto result = store::merge_runs(out, inputs, engine::utc_now(), kVersion);
    std::cerr << fmt::format("mxscan merge: run {} in {}: {} domains from {} databases{}\n",
                             result.run, args.db, result.domains, inputs.size(),
                             result.complete ? "" : " (some input run was not complete)");
    return exit_pass;
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan merge: {}\n", e.what());
    return exit_usage;
  }
}

}  // namespace mx::cli
