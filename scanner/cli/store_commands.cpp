#include "scanner/cli/store_commands.hpp"

#include <iostream>

#include <fmt/format.h>

#include "reports/export.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/output_file.hpp"
#include "scanner/cli/run_choice.hpp"
#include "scanner/cli/version.hpp"
#include "scanner/engine/store_rows.hpp"
#include "store/merge.hpp"
#include "store/schema.hpp"

namespace mx::cli {

void add_export_arguments(CLI::App& app, ExportArgs& args) {
  app.add_option("--db", args.db, "database to export from")->required()->check(CLI::ExistingFile);
  app.add_option("--format", args.format,
                 "csv: RFC 4180 with a header row; jsonl: one JSON object per line")
      ->required()
      ->check(CLI::IsMember({"jsonl", "csv"}));
  app.add_option("--table", args.table,
                 "one table of the run (columns: docs/schema.md); default: the domain objects "
                 "(jsonl) or the domains table (csv)")
      ->check(CLI::IsMember({"domains", "mx", "endpoints", "checks", "certificates", "mta-sts"}));
  app.add_option("--run", args.run, "run to export (default: the newest complete run)")
      ->check(CLI::PositiveNumber);
  app.add_option("--status", args.status, "only rows of domains with this status")
      ->check(CLI::IsMember({"pass", "warn", "fail", "error"}));
  app.add_option("--check", args.check,
                 "only rows of domains having this check (with this code), at any level")
      ->type_name("NAME[:CODE]")
      ->check(
          [](const std::string& value) {
            const auto colon = value.find(':');
            return value.empty() || colon == 0 || colon + 1 == value.size()
                       ? std::string("expected NAME or NAME:CODE")
                       : std::string();
          },
          "");
  app.add_option("--out", args.out,
                 "write to this file, which appears whole or not at all (default: stdout)");
}

int run_export(const ExportArgs& args) {
  try {
    const auto db = store::open_for_reading(args.db);
    const auto run = choose_run(db, args.run, "export");
    if (!run) {
      return exit_usage;
    }
    reports::ExportFilter filter;
    if (!args.status.empty()) {
      filter.status = args.status;
    }
    if (!args.check.empty()) {
      const auto colon = args.check.find(':');
      filter.check = args.check.substr(0, colon);
      if (colon != std::string::npos) {
        filter.code = args.check.substr(colon + 1);
      }
    }
    OutputFile output(args.out);
    std::size_t count = 0;
    std::string what = "domains";
    if (args.table.empty() && args.format == "jsonl") {
      count = reports::export_domain_objects(db, *run, filter, output.stream());
    } else {
      const auto table = reports::parse_export_table(args.table.empty() ? "domains" : args.table)
                             .value_or(reports::ExportTable::domains);
      const auto format =
          args.format == "csv" ? reports::ExportFormat::csv : reports::ExportFormat::jsonl;
      count = reports::export_table(db, *run, table, format, filter, output.stream());
      if (!args.table.empty()) {
        what = fmt::format("rows of table {}", args.table);
      }
    }
    output.commit();
    std::cerr << fmt::format("mxscan export: {} {} of run {}{}\n", count, what, *run,
                             args.out.empty() ? "" : " to " + args.out);
    return exit_pass;
  } catch (const std::runtime_error& e) {  // the store's errors, and a failed write
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
