#include "scanner/cli/scan_command.hpp"

#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/stored_run.hpp"
#include "scanner/targets/domain_list.hpp"

namespace mx::cli {

void add_scan_arguments(CLI::App& app, ScanArgs& args) {
  app.add_option("--input", args.input,
                 "domain list: one a line, '#' comments, rank,domain CSV; "
                 "'-' is stdin")
      ->required();
  app.add_option("--db", args.db, "SQLite database to record the run in (created if missing)")
      ->required();
  app.add_flag("--resume", args.resume,
               "finish the unfinished run of the same input and options in --db");
  app.add_option(
      "--shard", args.shard,
      "scan only shard K of N (K = 0..N-1) of the input, by a stable hash of each domain");
}

int run_scan(const ScanOptions& options, const ScanArgs& args) {
  targets::Shard shard;
  if (!args.shard.empty() && !targets::parse_shard(args.shard, shard)) {
    std::cerr << fmt::format("mxscan scan: --shard '{}' is not K/N with 0 <= K < N\n", args.shard);
    return exit_usage;
  }
  const std::string input_name = args.input == "-" ? "<stdin>" : args.input;
  const auto report = [&](const targets::LineProblem& problem) {
    std::cerr << fmt::format("{}:{}: skipped: {}: '{}'\n", input_name, problem.line, problem.reason,
                             problem.text);
  };
  targets::DomainList list;
  if (args.input == "-") {
    list = targets::read_domain_list(std::cin, shard, report);
  } else {
    std::ifstream in(args.input);
    if (!in) {
      std::cerr << fmt::format("mxscan scan: cannot read {}\n", args.input);
      return exit_usage;
    }
    list = targets::read_domain_list(in, shard, report);
  }
  std::cerr << fmt::format(
      "mxscan scan: {} domains to scan ({} lines, {} malformed skipped, {} "
      "duplicates){}\n",
      list.domains.size(), list.lines, list.problems, list.duplicates,
      args.shard.empty() ? "" : ", shard " + args.shard);

  StoredRunRequest request;
  request.command = "scan";
  request.db = args.db;
  request.info.kind = "scan";
  request.info.input_digest = std::move(list.digest);
  if (!args.shard.empty()) {
    request.info.shard = args.shard;
  }
  request.domains = std::move(list.domains);
  request.positions = std::move(list.positions);
  request.resume = args.resume;
  const auto stored = run_stored(options, std::move(request));
  if (stored.exit_code != 0) {
    return stored.exit_code;
  }
  return exit_code_of(args.db, stored.run);
}

}  // namespace mx::cli
