#include "store/schema.hpp"

#include <fmt/format.h>

#include "store/migrations.hpp"

namespace mx::store {
namespace {

int user_version(const Database& db) {
  auto statement = db.prepare("PRAGMA user_version");
  statement.step();
  return static_cast<int>(statement.column_int(0));
}

void refuse_newer(const Database& db, int version) {
  if (version > schema_version()) {
    throw StoreError(fmt::format("{}: schema version {} is newer than this mxscan's {}; use a "
                                 "newer mxscan",
                                 db.path().string(), version, schema_version()),
                     SQLITE_MISMATCH);
  }
}

std::int64_t schema_cookie(const Database& db) {
  auto statement = db.prepare("PRAGMA schema_version");
  statement.step();
  return statement.column_int(0);
}

// 0003 widens three CHECK constraints by editing their text: a text that did not match would
// leave the old constraint silently in place.
void require_widened(const Database& db) {
  auto statement = db.prepare(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND ("
      "(name = 'domains' AND sql LIKE '%status = ''skipped''%') OR "
      "(name = 'validation_results' AND sql LIKE '%category = ''excluded''%') OR "
      "(name = 'submissions' AND sql LIKE '%decision = ''excluded''%'))");
  statement.step();
  if (statement.column_int(0) != 3) {
    throw StoreError(fmt::format("{}: migration 3 did not widen the status, category and decision "
                                 "constraints",
                                 db.path().string()),
                     SQLITE_SCHEMA);
  }
}

}  // namespace

int schema_version() {
  return static_cast<int>(kMigrations.size());
}

Database open_for_writing(const std::filesystem::path& path) {
  Database db(path, Database::Mode::read_write_create);
  // Reading the header first turns "not a database" into an error before anything is written.
  const int version = user_version(db);
  refuse_newer(db, version);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  for (int next = version; next < schema_version(); ++next) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(kMigrations.at(static_cast<std::size_t>(next)));
      // A migration may edit sqlite_schema in place (0003): moving the cookie makes every
      // connection, this one included, read the schema again.
      db.exec(fmt::format("PRAGMA schema_version = {}", schema_cookie(db) + 1));
      if (next + 1 == 3) {
        require_widened(db);
      }
      db.exec(fmt::format("PRAGMA user_version = {}", next + 1));
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  }
  return db;
}

Database open_for_reading(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw StoreError(fmt::format("{}: no such database", path.string()), SQLITE_CANTOPEN);
  }
  Database db(path, Database::Mode::read_only);
  const int version = user_version(db);
  refuse_newer(db, version);
  if (version < schema_version()) {
    throw StoreError(fmt::format("{}: schema version {} is older than this mxscan's {}; open it "
                                 "once with a scanning command to migrate it",
                                 path.string(), version, schema_version()),
                     SQLITE_MISMATCH);
  }
  return db;
}

}  // namespace mx::store
