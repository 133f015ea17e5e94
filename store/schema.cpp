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
