#pragma once
// Runs: creating one with its input, finding an unfinished one to resume, and closing it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mx::store {

struct RunInfo {
  std::string kind;          // "scan", "validate", "triage", "check"
  std::string options_json;  // the options that shape results
  std::string input_digest;  // SHA-256 of the normalised input, hex
  std::optional<std::string> shard;
  std::optional<std::string> list_author;
  std::optional<std::string> list_version;
  std::string mxscan_version;
};

// The list entry a domain of a validate or triage run is judged against (table run_policies).
struct RunPolicyRow {
  std::string domain;
  std::string mode;      // "testing" or "enforce"
  std::string mxs_json;  // JSON array of patterns
  std::optional<std::string> alias;
};

// Creates a run in state 'running' with its input domains (and their list entries), in one
// transaction. `positions`, when given, are the domains' places in the whole input (a shard keeps
// them, so that merged shards have the unsharded run's order); otherwise 0, 1, 2...
[[nodiscard]] std::int64_t create_run(Database& db, const RunInfo& info, const std::string& now,
                                      const std::vector<std::string>& domains,
                                      const std::vector<std::int64_t>& positions = {},
                                      const std::vector<RunPolicyRow>& policies = {});

// A run of the same kind, input digest and shard that is not complete: the newest one with the
// same options when there is one (it can be resumed), else the newest one (--resume names the
// options that changed).
struct UnfinishedRun {
  std::int64_t id = 0;
  std::string options_json;
};
[[nodiscard]] std::optional<UnfinishedRun> find_unfinished_run(const Database& db,
                                                               const RunInfo& info);

// The newest run of the same kind, input digest, shard and options that is not complete.
[[nodiscard]] std::optional<std::int64_t> find_resumable_run(const Database& db,
                                                             const RunInfo& info);

// Which of `domains` are already stored in `run` (same index): a resumed run skips them. One
// indexed lookup each, so that nothing the size of the run is held but the answer.
[[nodiscard]] std::vector<bool> stored_of(const Database& db, std::int64_t run,
                                          const std::vector<std::string>& domains);

// Sets state ('interrupted' or 'complete') and finished_at. Throws StoreError when there is no
// such run (the file was replaced by another database).
void finish_run(Database& db, std::int64_t run, const std::string& state, const std::string& now);

}  // namespace mx::store
