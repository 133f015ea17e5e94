#include "store/runs.hpp"

#include <fmt/format.h>

namespace mx::store {

std::int64_t create_run(Database& db, const RunInfo& info, const std::string& now,
                        const std::vector<std::string>& domains,
                        const std::vector<std::int64_t>& positions,
                        const std::vector<RunPolicyRow>& policies) {
  db.exec("BEGIN IMMEDIATE");
  try {
    auto insert = db.prepare(
        "INSERT INTO runs (kind, options, input_digest, shard, list_author, list_version, "
        "started_at, state, domains_total, mxscan_version) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?9)");
    insert.bind(1, std::string_view(info.kind))
        .bind(2, std::string_view(info.options_json))
        .bind(3, std::string_view(info.input_digest))
        .bind(4, info.shard)
        .bind(5, info.list_author)
        .bind(6, info.list_version)
        .bind(7, std::string_view(now))
        .bind(8, static_cast<std::int64_t>(domains.size()))
        .bind(9, std::string_view(info.mxscan_version));
    insert.run();
    const auto run = db.last_insert_rowid();
    auto input =
        db.prepare("INSERT INTO run_inputs (run_id, position, domain) VALUES (?1, ?2, ?3)");
    for (std::size_t i = 0; i < domains.size(); ++i) {
      const auto position = positions.empty() ? static_cast<std::int64_t>(i) : positions.at(i);
      input.bind(1, run).bind(2, position).bind(3, std::string_view(domains[i]));
      input.run();
    }
    auto policy = db.prepare(
        "INSERT INTO run_policies (run_id, domain, mode, mxs, alias) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (const auto& row : policies) {
      policy.bind(1, run)
          .bind(2, std::string_view(row.domain))
          .bind(3, std::string_view(row.mode))
          .bind(4, std::string_view(row.mxs_json))
          .bind(5, row.alias);
      policy.run();
    }
    db.exec("COMMIT");
    return run;
  } catch (...) {
    db.rollback();
    throw;
  }
}

std::optional<UnfinishedRun> find_unfinished_run(const Database& db, const RunInfo& info) {
  auto query = db.prepare(
      "SELECT id, options FROM runs WHERE kind = ?1 AND input_digest = ?2 AND shard IS ?3 "
      "AND state != 'complete' ORDER BY options = ?4 DESC, id DESC LIMIT 1");
  query.bind(1, std::string_view(info.kind))
      .bind(2, std::string_view(info.input_digest))
      .bind(3, info.shard)
      .bind(4, std::string_view(info.options_json));
  if (!query.step()) {
    return std::nullopt;
  }
  return UnfinishedRun{query.column_int(0), query.column_text(1)};
}

std::optional<std::int64_t> find_resumable_run(const Database& db, const RunInfo& info) {
  const auto unfinished = find_unfinished_run(db, info);
  if (!unfinished || unfinished->options_json != info.options_json) {
    return std::nullopt;
  }
  return unfinished->id;
}

std::vector<bool> stored_of(const Database& db, std::int64_t run,
                            const std::vector<std::string>& domains) {
  auto query = db.prepare("SELECT 1 FROM domains WHERE run_id = ?1 AND domain = ?2");
  std::vector<bool> out;
  out.reserve(domains.size());
  for (const auto& domain : domains) {
    query.bind(1, run).bind(2, std::string_view(domain));
    out.push_back(query.step());
    query.reset();
  }
  return out;
}

void finish_run(Database& db, std::int64_t run, const std::string& state, const std::string& now) {
  auto update = db.prepare("UPDATE runs SET state = ?1, finished_at = ?2 WHERE id = ?3");
  update.bind(1, std::string_view(state)).bind(2, std::string_view(now)).bind(3, run);
  update.run();
  if (sqlite3_changes(db.handle()) != 1) {
    throw StoreError(fmt::format("{}: no run {} to mark {} (was the database replaced?)",
                                 db.path().string(), run, state),
                     SQLITE_NOTFOUND);
  }
}

}  // namespace mx::store
