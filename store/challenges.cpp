#include "store/challenges.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace mx::store {
namespace {

namespace json = boost::json;

constexpr std::string_view kColumns =
    "id, domain, action, mxs, token, created_at, expires_at, verified_at, applied_at, "
    "applied_run, outcome";

std::string mxs_json(const std::vector<std::string>& mxs) {
  json::array array;
  for (const auto& pattern : mxs) {
    array.emplace_back(pattern);
  }
  return json::serialize(array);
}

std::vector<std::string> parse_mxs(const std::string& text) {
  const auto array = json::parse(text);
  std::vector<std::string> out;
  for (const auto& pattern : array.as_array()) {
    out.emplace_back(pattern.as_string());
  }
  return out;
}

std::optional<std::string> optional_text(const Statement& row, int index) {
  if (row.column_is_null(index)) {
    return std::nullopt;
  }
  return row.column_text(index);
}

// A row selected with kColumns.
Challenge read_challenge(const Statement& row) {
  Challenge out;
  out.id = row.column_int(0);
  out.domain = row.column_text(1);
  out.action = row.column_text(2);
  out.mxs = parse_mxs(row.column_text(3));
  out.token = row.column_text(4);
  out.created_at = row.column_text(5);
  out.expires_at = row.column_text(6);
  out.verified_at = optional_text(row, 7);
  out.applied_at = optional_text(row, 8);
  if (!row.column_is_null(9)) {
    out.applied_run = row.column_int(9);
  }
  out.outcome = row.column_text(10);
  return out;
}

std::vector<Challenge> read_all(Statement& query) {
  std::vector<Challenge> out;
  while (query.step()) {
    out.push_back(read_challenge(query));
  }
  return out;
}

}  // namespace

CreatedChallenge create_challenge(Database& db, const ChallengeRequest& request) {
  db.exec("BEGIN IMMEDIATE");
  try {
    CreatedChallenge created;
    auto pending = db.prepare(
        "SELECT id FROM challenges WHERE domain = ?1 AND outcome = 'pending' ORDER BY id");
    pending.bind(1, std::string_view(request.domain));
    while (pending.step()) {
      created.superseded.push_back(pending.column_int(0));
    }
    auto supersede = db.prepare(
        "UPDATE challenges SET outcome = 'superseded' WHERE domain = ?1 AND outcome = 'pending'");
    supersede.bind(1, std::string_view(request.domain));
    supersede.run();
    auto insert = db.prepare(
        "INSERT INTO challenges (domain, action, mxs, token, created_at, expires_at, outcome) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')");
    insert.bind(1, std::string_view(request.domain))
        .bind(2, std::string_view(request.action))
        .bind(3, std::string_view(mxs_json(request.mxs)))
        .bind(4, std::string_view(request.token))
        .bind(5, std::string_view(request.created_at))
        .bind(6, std::string_view(request.expires_at));
    insert.run();
    created.id = db.last_insert_rowid();
    db.exec("COMMIT");
    return created;
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
}

std::optional<Challenge> newest_pending(const Database& db, const std::string& domain) {
  auto query =
      db.prepare(fmt::format("SELECT {} FROM challenges WHERE domain = ?1 AND outcome = 'pending' "
                             "ORDER BY id DESC LIMIT 1",
                             kColumns));
  query.bind(1, std::string_view(domain));
  if (!query.step()) {
    return std::nullopt;
  }
  return read_challenge(query);
}

bool mark_verified(Database& db, std::int64_t id, const std::string& now) {
  auto update = db.prepare(
      "UPDATE challenges SET outcome = 'verified', verified_at = ?1 "
      "WHERE id = ?2 AND outcome = 'pending'");
  update.bind(1, std::string_view(now)).bind(2, id);
  update.run();
  return sqlite3_changes(db.handle()) > 0;
}

bool mark_expired(Database& db, std::int64_t id) {
  auto update =
      db.prepare("UPDATE challenges SET outcome = 'expired' WHERE id = ?1 AND outcome = 'pending'");
  update.bind(1, id);
  update.run();
  return sqlite3_changes(db.handle()) > 0;
}

std::vector<Challenge> list_challenges(const Database& db,
                                       const std::optional<std::string>& domain) {
  auto query = db.prepare(fmt::format(
      "SELECT {} FROM challenges WHERE ?1 IS NULL OR domain = ?1 ORDER BY id", kColumns));
  query.bind(1, domain);
  return read_all(query);
}

std::vector<Challenge> verified_unapplied(const Database& db, const std::string& now) {
  auto query = db.prepare(
      fmt::format("SELECT {} FROM challenges WHERE outcome = 'verified' AND applied_at IS NULL "
                  "AND expires_at > ?1 ORDER BY id",
                  kColumns));
  query.bind(1, std::string_view(now));
  return read_all(query);
}

void mark_applied(Database& db, std::int64_t id, std::int64_t run, const std::string& now) {
  auto update = db.prepare(
      "UPDATE challenges SET outcome = 'applied', applied_at = ?1, applied_run = ?2 "
      "WHERE id = ?3 AND outcome = 'verified'");
  update.bind(1, std::string_view(now)).bind(2, run).bind(3, id);
  update.run();
  if (sqlite3_changes(db.handle()) == 0) {
    throw StoreError(fmt::format("challenge {} is not a verified request", id), SQLITE_CONSTRAINT);
  }
}

}  // namespace mx::store
