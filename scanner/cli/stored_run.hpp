#pragma once
// A run of the engine recorded in SQLite, as `scan`, `validate` and `triage` make one: the run
// and its input (and the list entries its domains are judged against) are recorded before
// anything is scanned; results are committed in batches by the store's writer, so a crash, kill
// -9 or Ctrl-C loses at most the domains in flight, and `--resume` finishes the unfinished run of
// the same kind, input and options without redoing what was committed.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "judge/list_rules.hpp"
#include "scanner/cli/scan_options.hpp"
#include "scanner/engine/engine.hpp"
#include "store/runs.hpp"

namespace mx::cli {

struct StoredRunRequest {
  std::string command;  // for messages: "scan", "validate", "triage"
  std::string db;
  store::RunInfo info;  // kind, input digest, list author and version; options are filled in
  std::vector<std::string> domains;
  std::vector<std::int64_t> positions;  // in the whole input; empty: 0, 1, 2...
  // Same index as `domains`: the list entry each is judged against (empty: none).
  std::vector<std::optional<judge::ListPolicy>> policies;
  std::vector<std::string> policy_aliases;  // same index: the entry's alias, or ""
  bool resume = false;
  // Called on a shard thread for each outcome before it is stored: a command that judges with
  // what was observed (triage's suggested patterns) may judge again here.
  std::function<void(engine::DomainOutcome&)> rejudge;
  // Called once every domain is stored, inside the transaction that marks the run complete, to
  // record what the command derives from the run (validate's categories, triage's decisions): a
  // run is then never complete without them, whenever the process dies.
  std::function<void(store::Database&, std::int64_t run)> on_complete;
};

struct StoredRun {
  int exit_code = 0;  // 0 when the run completed; else the process exit code to return
  std::int64_t run = 0;
};

// Runs and records. Messages (progress on a terminal, the summary, errors) go to stderr.
[[nodiscard]] StoredRun run_stored(const ScanOptions& options, StoredRunRequest request);

// The options that shape results, as recorded in runs.options: a resumed run must have been
// started with the same ones.
[[nodiscard]] std::string options_json(const ScanOptions& options);

// The contract's exit code of a stored run, from its domains' statuses (earlier sessions of a
// resumed run included): 1 when some is fail, else 3 when some is error, else 0.
[[nodiscard]] int exit_code_of(const std::string& db_path, std::int64_t run);

}  // namespace mx::cli
