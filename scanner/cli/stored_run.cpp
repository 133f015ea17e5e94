#include "scanner/cli/stored_run.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/trust.hpp"
#include "scanner/cli/version.hpp"
#include "scanner/engine/store_rows.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"

namespace mx::cli {
namespace {

// Counts what the writer has committed, not what the engine has finished: a domain the line
// calls done survives a kill -9 (finished ones still queued for the writer are "in flight").
std::string progress_line(const engine::EngineStats& engine, const store::WriterCounts& stored,
                          double elapsed_s) {
  const double rate = elapsed_s > 0 ? static_cast<double>(stored.written) / elapsed_s : 0.0;
  const auto left = engine.total > stored.written ? engine.total - stored.written : 0;
  const double eta = rate > 0 ? static_cast<double>(left) / rate : 0.0;
  const auto queued = engine.done > stored.written ? engine.done - stored.written : 0;
  // "skipped" only appears with --exclude, so the line reads as before without it.
  const auto skipped =
      stored.skipped > 0 ? fmt::format(" skipped {}", stored.skipped) : std::string();
  return fmt::format(
      "{}/{} domains, {:.0f}/s, ETA {:.0f} s | pass {} warn {} fail {} error {}{} | "
      "{} in flight",
      stored.written, engine.total, rate, eta, stored.pass, stored.warn, stored.fail, stored.error,
      skipped, engine.in_flight + queued);
}

std::vector<store::RunPolicyRow> policy_rows(const StoredRunRequest& request) {
  std::vector<store::RunPolicyRow> rows;
  for (std::size_t i = 0; i < request.policies.size(); ++i) {
    const auto& policy = request.policies[i];
    if (!policy) {
      continue;
    }
    boost::json::array mxs;
    for (const auto& pattern : policy->mxs) {
      mxs.emplace_back(pattern);
    }
    std::optional<std::string> alias;
    if (i < request.policy_aliases.size() && !request.policy_aliases[i].empty()) {
      alias = request.policy_aliases[i];
    }
    rows.push_back({request.domains[i], std::string(list::to_string(policy->mode)),
                    boost::json::serialize(mxs), alias});
  }
  return rows;
}

// `text` without `prefix` (a store message names the file, which the caller's names already).
std::string without_prefix(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) == prefix) {
    text.remove_prefix(prefix.size());
  }
  return std::string(text);
}

// Why --resume starts a new run. When the input's unfinished run differs only in its options,
// the message names the options that differ, so that a changed --timeout does not quietly cost
// the work already stored.
std::string no_resume_message(std::string_view command,
                              const std::optional<store::UnfinishedRun>& unfinished,
                              const std::string& options) {
  if (!unfinished) {
    return fmt::format("mxscan {}: no unfinished run of this input to resume; starting a new run\n",
                       command);
  }
  boost::system::error_code ec;
  const auto before = boost::json::parse(unfinished->options_json, ec);
  const auto now = boost::json::parse(options);
  std::vector<std::string> changes;
  if (!ec && before.is_object() && now.is_object()) {
    const auto text = [](const boost::json::object& object, std::string_view key) {
      const auto* value = object.if_contains(key);
      if (value == nullptr) {
        return std::string("unset");
      }
      if (value->is_double()) {
        return fmt::format("{}", value->get_double());  // 10, not JSON's 1E1
      }
      return boost::json::serialize(*value);
    };
    std::vector<std::string_view> keys;
    for (const auto& [key, value] : before.get_object()) {
      keys.push_back(key);
    }
    for (const auto& [key, value] : now.get_object()) {
      if (!before.get_object().contains(key)) {
        keys.push_back(key);
      }
    }
    for (const auto key : keys) {
      const auto was = text(before.get_object(), key);
      const auto is = text(now.get_object(), key);
      if (was != is) {
        changes.push_back(fmt::format("{} {} (now {})", key, was, is));
      }
    }
  }
  return fmt::format(
      "mxscan {}: run {} of this input is unfinished but was started with other options{}{}; "
      "starting a new run (run the command with run {}'s options and --resume to finish it)\n",
      command, unfinished->id, changes.empty() ? "" : ": ", fmt::join(changes, ", "),
      unfinished->id);
}

}  // namespace

std::string options_json(const ScanOptions& o) {
  boost::json::object out{{"smtp_port", o.smtp_port},
                          {"https_port", o.https_port},
                          {"timeout_s", o.timeout_s},
                          {"greeting_timeout_s", o.greeting_timeout_s.value_or(o.timeout_s)},
                          {"allow_private", o.allow_private},
                          {"ca_file", o.ca_file},
                          {"ehlo", o.ehlo_name()}};
  // Only when set, so that a run recorded before --rate existed resumes with the same options.
  if (o.rate > 0) {
    out["rate"] = o.rate;
  }
  if (o.exclude) {
    // What the file said, not where it was: a changed list is a different run to resume.
    out["exclude"] = {{"sha256", o.exclude_sha256}, {"entries", o.exclude->size()}};
  }
  return boost::json::serialize(out);
}

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

StoredRun run_stored(const ScanOptions& options, StoredRunRequest request) {
  const auto& command = request.command;
  const auto trust = load_trust(command, options);
  if (!trust || !options.check_open_files(command)) {
    return {exit_usage, 0};
  }
  auto& info = request.info;
  info.options_json = options_json(options);
  info.mxscan_version = kVersion;

  std::int64_t run = 0;
  try {
    auto db = store::open_for_writing(request.db);
    std::optional<std::int64_t> resumable;
    if (request.resume) {
      resumable = store::find_resumable_run(db, info);
      if (!resumable) {
        std::cerr << no_resume_message(command, store::find_unfinished_run(db, info),
                                       info.options_json);
      }
    }
    if (resumable) {
      run = *resumable;
      // What is left to scan, kept in place: a second copy of the input would double its memory.
      const auto stored = store::stored_of(db, run, request.domains);
      const auto total = request.domains.size();
      std::size_t kept = 0;
      for (std::size_t i = 0; i < total; ++i) {
        if (stored[i]) {
          continue;
        }
        if (kept != i) {
          request.domains[kept] = std::move(request.domains[i]);
          if (!request.policies.empty()) {
            request.policies[kept] = std::move(request.policies[i]);
          }
        }
        ++kept;
      }
      request.domains.resize(kept);
      if (!request.policies.empty()) {
        request.policies.resize(kept);
      }
      std::cerr << fmt::format("mxscan {}: resuming run {}: {} stored, {} to go\n", command, run,
                               total - kept, kept);
    } else {
      run = store::create_run(db, info, engine::utc_now(), request.domains, request.positions,
                              policy_rows(request));
    }
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan {}: {}\n", command, e.what());
    return {exit_usage, 0};
  }
  // Recorded in run_inputs and run_policies: their memory goes before the scan's comes.
  request.positions = std::vector<std::int64_t>();
  request.policy_aliases = std::vector<std::string>();

  const bool tty = isatty(STDERR_FILENO) == 1;
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  bool complete = false;
  try {
    store::Writer writer(request.db, run);
    engine::Engine engine(options.engine_options(*trust));
    engine::RunHooks hooks;
    hooks.handle_signals = true;
    if (tty) {
      hooks.progress = [&](const engine::EngineStats& stats) {
        std::fprintf(stderr, "\r\033[K%s",
                     progress_line(stats, writer.counts(), elapsed()).c_str());
      };
    }
    // A store failure (disk full, ...) stops the scan: nothing more is fed, and close() below
    // reports it. The sink runs on shard threads and must not throw into them.
    std::atomic<bool> store_failed{false};
    complete = engine.run(
        request.domains,
        [&](engine::DomainOutcome&& outcome) {
          if (store_failed) {
            return;
          }
          if (request.rejudge) {
            request.rejudge(outcome);
          }
          try {
            writer.push(engine::to_row(outcome, engine::utc_now()));
          } catch (const store::StoreError&) {
            store_failed = true;
            engine.stop(std::chrono::milliseconds(0));
          }
        },
        hooks, request.policies);
    writer.close();
    const auto stats = engine.stats();
    std::fprintf(stderr, "%smxscan %s: %s in %.1f s\n", tty ? "\r\033[K" : "", command.c_str(),
                 progress_line(stats, writer.counts(), elapsed()).c_str(), elapsed());
    // Opening creates a missing file: a database deleted since the writer's last commit would
    // come back empty, and the run be reported complete in it.
    if (!std::filesystem::exists(request.db)) {
      throw store::StoreError(
          fmt::format("{}: the database file was deleted during the run", request.db),
          SQLITE_NOTFOUND);
    }
    auto db = store::open_for_writing(request.db);
    if (complete && request.on_complete) {
      db.exec("BEGIN IMMEDIATE");
      try {
        request.on_complete(db, run);
        store::finish_run(db, run, "complete", engine::utc_now());
        db.exec("COMMIT");
      } catch (const store::StoreError&) {
        db.rollback();
        throw;
      } catch (const std::runtime_error& e) {  // what on_complete read did not parse
        db.rollback();
        throw store::StoreError(e.what(), SQLITE_ERROR);
      }
    } else {
      store::finish_run(db, run, complete ? "complete" : "interrupted", engine::utc_now());
    }
  } catch (const store::StoreError& e) {
    // Read-only, full, an I/O error: what was committed stays and the run stays unfinished, so
    // --resume finishes it once the cause is gone. A deleted file took the run with it.
    const bool gone = e.code() == SQLITE_READONLY_DBMOVED || e.code() == SQLITE_NOTFOUND;
    std::cerr << fmt::format(
        "mxscan {}: cannot store the results in {}: {}\nmxscan {}: {}\n", command, request.db,
        without_prefix(e.what(), request.db + ": "), command,
        gone ? fmt::format("run {} went with that file; run the command again to start over", run)
             : fmt::format("run {} keeps what was committed; once the database is usable, "
                           "finish it with the same command and --resume",
                           run));
    return {exit_usage, run};
  }
  if (!complete) {
    std::cerr << fmt::format(
        "mxscan {}: interrupted; run {} is saved, finish it with the same command and --resume\n",
        command, run);
    return {130, run};
  }
  std::cerr << fmt::format("mxscan {}: run {} complete in {}\n", command, run, request.db);
  return {0, run};
}

}  // namespace mx::cli
