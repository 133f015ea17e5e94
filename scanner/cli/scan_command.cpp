#include "scanner/cli/scan_command.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/trust.hpp"
#include "scanner/cli/version.hpp"
#include "scanner/engine/engine.hpp"
#include "scanner/engine/store_rows.hpp"
#include "scanner/targets/domain_list.hpp"
#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"

namespace mx::cli {
namespace {

// The options that shape results: a resumed run must have been started with the same ones.
std::string options_json(const ScanOptions& o) {
  boost::json::object out{{"smtp_port", o.smtp_port},
                          {"https_port", o.https_port},
                          {"timeout_s", o.timeout_s},
                          {"greeting_timeout_s", o.greeting_timeout_s.value_or(o.timeout_s)},
                          {"allow_private", o.allow_private},
                          {"ca_file", o.ca_file},
                          {"ehlo", o.ehlo_name()}};
  return boost::json::serialize(out);
}

std::string progress_line(const engine::EngineStats& s, double elapsed_s) {
  const double rate = elapsed_s > 0 ? static_cast<double>(s.done) / elapsed_s : 0.0;
  const auto left = s.total > s.done ? s.total - s.done : 0;
  const double eta = rate > 0 ? static_cast<double>(left) / rate : 0.0;
  return fmt::format(
      "{}/{} domains, {:.0f}/s, ETA {:.0f} s | pass {} warn {} fail {} error {} | "
      "{} in flight",
      s.done, s.total, rate, eta, s.pass, s.warn, s.fail, s.error, s.in_flight);
}

// Exit code of the run from what the database holds for it (earlier sessions of a resumed run
// included).
int exit_code_of(const std::string& db_path, std::int64_t run) {
  auto db = store::open_for_reading(db_path);
  auto query = db.prepare("SELECT status, count(*) FROM domains WHERE run_id = ?1 GROUP BY status");
  query.bind(1, run);
  bool fail = false;
  bool error = false;
  while (query.step()) {
    fail = fail || query.column_text(0) == "fail";
    error = error || query.column_text(0) == "error";
  }
  if (fail) {
    return exit_fail;
  }
  return error ? exit_error : exit_pass;
}

}  // namespace

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
  targets::DomainList list;
  if (args.input == "-") {
    list = targets::read_domain_list(std::cin);
  } else {
    std::ifstream in(args.input);
    if (!in) {
      std::cerr << fmt::format("mxscan scan: cannot read {}\n", args.input);
      return exit_usage;
    }
    list = targets::read_domain_list(in);
  }
  const std::string input_name = args.input == "-" ? "<stdin>" : args.input;
  for (const auto& problem : list.problems) {
    std::cerr << fmt::format("{}:{}: skipped: {}: '{}'\n", input_name, problem.line, problem.reason,
                             problem.text);
  }
  std::vector<std::string> domains;
  std::vector<std::int64_t> positions;  // in the whole input, so merged shards keep its order
  for (std::size_t i = 0; i < list.domains.size(); ++i) {
    auto& domain = list.domains[i];
    if (shard.count == 1 || targets::shard_of(domain, shard.count) == shard.index) {
      domains.push_back(std::move(domain));
      positions.push_back(static_cast<std::int64_t>(i));
    }
  }
  std::cerr << fmt::format(
      "mxscan scan: {} domains to scan ({} lines, {} malformed skipped, {} "
      "duplicates){}\n",
      domains.size(), list.lines, list.problems.size(), list.duplicates,
      args.shard.empty() ? "" : ", shard " + args.shard);

  const auto trust = load_trust("scan", options);
  if (!trust) {
    return exit_usage;
  }

  store::RunInfo info;
  info.kind = "scan";
  info.options_json = options_json(options);
  info.input_digest = targets::input_digest(domains);
  if (!args.shard.empty()) {
    info.shard = args.shard;
  }
  info.mxscan_version = kVersion;

  std::int64_t run = 0;
  std::vector<std::string> todo;
  try {
    auto db = store::open_for_writing(args.db);
    std::optional<std::int64_t> resumable;
    if (args.resume) {
      resumable = store::find_resumable_run(db, info);
      if (!resumable) {
        std::cerr << "mxscan scan: no unfinished run of this input and these options to resume; "
                     "starting a new run\n";
      }
    }
    if (resumable) {
      run = *resumable;
      const auto stored = store::stored_domains(db, run);
      for (const auto& domain : domains) {
        if (stored.count(domain) == 0) {
          todo.push_back(domain);
        }
      }
      std::cerr << fmt::format("mxscan scan: resuming run {}: {} stored, {} to go\n", run,
                               domains.size() - todo.size(), todo.size());
    } else {
      run = store::create_run(db, info, engine::utc_now(), domains, positions);
      todo = domains;
    }
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan scan: {}\n", e.what());
    return exit_usage;
  }

  const bool tty = isatty(STDERR_FILENO) == 1;
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  bool complete = false;
  try {
    store::Writer writer(args.db, run);
    engine::Engine engine(options.engine_options(*trust));
    engine::RunHooks hooks;
    hooks.handle_signals = true;
    if (tty) {
      hooks.progress = [&](const engine::EngineStats& stats) {
        std::fprintf(stderr, "\r\033[K%s", progress_line(stats, elapsed()).c_str());
      };
    }
    // A store failure (disk full, ...) stops the scan: nothing more is fed, and close() below
    // reports it. The sink runs on shard threads and must not throw into them.
    std::atomic<bool> store_failed{false};
    complete = engine.run(
        todo,
        [&](engine::DomainOutcome&& outcome) {
          if (store_failed) {
            return;
          }
          try {
            writer.push(engine::to_row(outcome, engine::utc_now()));
          } catch (const store::StoreError&) {
            store_failed = true;
            engine.stop(std::chrono::milliseconds(0));
          }
        },
        hooks);
    writer.close();
    const auto stats = engine.stats();
    std::fprintf(stderr, "%smxscan scan: %s in %.1f s\n", tty ? "\r\033[K" : "",
                 progress_line(stats, elapsed()).c_str(), elapsed());
    auto db = store::open_for_writing(args.db);
    store::finish_run(db, run, complete ? "complete" : "interrupted", engine::utc_now());
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan scan: {}\n", e.what());
    return exit_usage;
  }
  if (!complete) {
    std::cerr << fmt::format(
        "mxscan scan: interrupted; run {} is saved, finish it with the same "
        "command and --resume\n",
        run);
    return 130;
  }
  std::cerr << fmt::format("mxscan scan: run {} complete in {}\n", run, args.db);
  return exit_code_of(args.db, run);
}

}  // namespace mx::cli
