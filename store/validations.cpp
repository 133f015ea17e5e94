#include "store/validations.hpp"

#include <map>

namespace mx::store {
namespace {

struct Previous {
  std::string status;
  std::int64_t failing_streak = 0;
  std::optional<std::string> failing_since;
};

// The previous validation's view of each domain: its status and, where it was computed, its
// failing streak.
std::map<std::string, Previous> previous_state(const Database& db, std::int64_t run) {
  std::map<std::string, Previous> out;
  auto query = db.prepare(
      "SELECT d.domain, d.status, v.failing_streak, v.failing_since FROM domains d "
      "LEFT JOIN validation_results v ON v.run_id = d.run_id AND v.domain = d.domain "
      "WHERE d.run_id = ?1");
  query.bind(1, run);
  while (query.step()) {
    Previous p;
    p.status = query.column_text(1);
    p.failing_streak = query.column_is_null(2) ? (p.status == "fail" ? 1 : 0) : query.column_int(2);
    if (!query.column_is_null(3)) {
      p.failing_since = query.column_text(3);
    }
    out.emplace(query.column_text(0), std::move(p));
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> previous_validation(const Database& db, std::int64_t run,
                                                const std::string& author) {
  auto query = db.prepare(
      "SELECT id FROM runs WHERE kind = 'validate' AND list_author = ?1 AND state = 'complete' "
      "AND id < ?2 ORDER BY id DESC LIMIT 1");
  query.bind(1, std::string_view(author)).bind(2, run);
  if (!query.step()) {
    return std::nullopt;
  }
  return query.column_int(0);
}

void record_validation(Database& db, std::int64_t run) {
  auto info = db.prepare("SELECT coalesce(list_author, ''), started_at FROM runs WHERE id = ?1");
  info.bind(1, run);
  if (!info.step()) {
    throw StoreError("no run " + std::to_string(run), SQLITE_NOTFOUND);
  }
  const auto author = info.column_text(0);
  const auto started_at = info.column_text(1);
  const auto previous = previous_validation(db, run, author);
  const auto before = previous ? previous_state(db, *previous) : std::map<std::string, Previous>{};

  // Its own transaction, or a part of the caller's (the one that marks the run complete).
  const bool own = sqlite3_get_autocommit(db.handle()) != 0;
  if (own) {
    db.exec("BEGIN IMMEDIATE");
  }
  try {
    auto current = db.prepare(
        "SELECT d.domain, d.status, p.mode FROM domains d "
        "JOIN run_policies p ON p.run_id = d.run_id AND p.domain = d.domain "
        "WHERE d.run_id = ?1");
    current.bind(1, run);
    auto insert = db.prepare(
        "INSERT OR REPLACE INTO validation_results (run_id, domain, category, urgent, "
        "failing_streak, failing_since, previous_run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    while (current.step()) {
      const auto domain = current.column_text(0);
      const auto status = current.column_text(1);
      const bool enforce = current.column_text(2) == "enforce";
      const auto it = before.find(domain);
      // An excluded validation is transparent: it carries the streak it found forward.
      const bool failed_before =
          it != before.end() && (it->second.status == "fail" ||
                                 (it->second.status == "skipped" && it->second.failing_streak > 0));
      std::string category;
      std::int64_t streak = 0;
      std::optional<std::string> since;
      if (status == "fail") {
        category = failed_before ? "still-failing" : "newly-failing";
        streak = failed_before ? it->second.failing_streak + 1 : 1;
        since = failed_before && it->second.failing_since ? it->second.failing_since
                                                          : std::optional(started_at);
      } else if (status == "error") {
        category = "undetermined";
      } else if (status == "skipped") {
        // Wholly excluded (--exclude): not observed, so neither failing nor passing.
        category = "excluded";
        if (failed_before) {
          streak = it->second.failing_streak;
          since = it->second.failing_since;
        }
      } else {
        category = failed_before ? "recovered" : "passing";
      }
      insert.bind(1, run)
          .bind(2, std::string_view(domain))
          .bind(3, std::string_view(category))
          .bind(4, std::int64_t{status == "fail" && enforce ? 1 : 0})
          .bind(5, streak)
          .bind(6, since)
          .bind(7, previous);
      insert.run();
    }
    if (own) {
      db.exec("COMMIT");
    }
  } catch (...) {
    if (own) {
      db.rollback();
    }
    throw;
  }
}

std::vector<ValidationRow> read_validation(const Database& db, std::int64_t run) {
  auto query = db.prepare(
      "SELECT v.domain, d.status, p.mode, p.mxs, v.category, v.urgent, v.failing_streak, "
      "v.failing_since, v.previous_run, d.result FROM validation_results v "
      "JOIN domains d ON d.run_id = v.run_id AND d.domain = v.domain "
      "JOIN run_policies p ON p.run_id = v.run_id AND p.domain = v.domain "
      "JOIN run_inputs i ON i.run_id = v.run_id AND i.domain = v.domain "
      "WHERE v.run_id = ?1 ORDER BY i.position");
  query.bind(1, run);
  std::vector<ValidationRow> out;
  while (query.step()) {
    ValidationRow row;
    row.domain = query.column_text(0);
    row.status = query.column_text(1);
    row.mode = query.column_text(2);
    row.mxs_json = query.column_text(3);
    row.category = query.column_text(4);
    row.urgent = query.column_int(5) != 0;
    row.failing_streak = query.column_int(6);
    if (!query.column_is_null(7)) {
      row.failing_since = query.column_text(7);
    }
    if (!query.column_is_null(8)) {
      row.previous_run = query.column_int(8);
    }
    row.result_json = query.column_text(9);
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<ValidationNight> validation_history(const Database& db, const std::string& author,
                                                std::int64_t run, int limit) {
  auto query = db.prepare(
      "SELECT r.id, r.started_at, v.category, count(*), sum(v.urgent) FROM runs r "
      "JOIN validation_results v ON v.run_id = r.id WHERE r.id IN (SELECT id FROM runs "
      "WHERE kind = 'validate' AND list_author = ?1 AND (state = 'complete' OR id = ?2) "
      "AND id <= ?2 ORDER BY id DESC LIMIT ?3) GROUP BY r.id, v.category ORDER BY r.id");
  query.bind(1, std::string_view(author)).bind(2, run).bind(3, std::int64_t{limit});
  std::vector<ValidationNight> out;
  while (query.step()) {
    const auto id = query.column_int(0);
    if (out.empty() || out.back().run != id) {
      out.push_back({id, query.column_text(1), {}, 0});
    }
    out.back().categories[query.column_text(2)] = query.column_int(3);
    out.back().urgent += query.column_int(4);
  }
  return out;
}

std::vector<PromotionCandidate> promotion_candidates(const Database& db, const std::string& author,
                                                     const std::vector<std::string>& domains,
                                                     const std::string& now, int days,
                                                     int min_validations) {
  // SQLite's date functions read RFC 3339 with a Z or an offset; the result is written in the
  // form started_at has, so that the two compare as text.
  auto cutoff_query = db.prepare("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?1, ?2)");
  const auto modifier = "-" + std::to_string(days) + " days";
  cutoff_query.bind(1, std::string_view(now)).bind(2, std::string_view(modifier));
  if (!cutoff_query.step() || cutoff_query.column_is_null(0)) {
    throw StoreError("'" + now + "' is not an RFC 3339 time", SQLITE_MISMATCH);
  }
  const auto cutoff = cutoff_query.column_text(0);
  auto history = db.prepare(
      "SELECT r.started_at, d.status FROM domains d JOIN runs r ON r.id = d.run_id "
      "WHERE r.kind = 'validate' AND r.list_author = ?1 AND r.state = 'complete' "
      "AND d.domain = ?2 ORDER BY r.id DESC");
  std::vector<PromotionCandidate> out;
  for (const auto& domain : domains) {
    history.bind(1, std::string_view(author)).bind(2, std::string_view(domain));
    PromotionCandidate candidate{domain, 0, ""};
    while (history.step()) {
      const auto status = history.column_text(1);
      if (status != "pass" && status != "warn") {
        break;
      }
      ++candidate.clean_validations;
      candidate.clean_since = history.column_text(0);
    }
    history.reset();
    if (candidate.clean_validations >= min_validations && candidate.clean_since <= cutoff) {
      out.push_back(std::move(candidate));
    }
  }
  return out;
}

}  // namespace mx::store
