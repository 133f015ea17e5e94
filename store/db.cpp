#include "store/db.hpp"

#include <cstring>

#include <fmt/format.h>

namespace mx::store {
namespace {

// The errno of the file operation that failed last: the connection's, else the database file's,
// else its WAL's (where a commit writes); 0 when none is known.
int last_os_error(sqlite3* db) {
  if (const int error = sqlite3_system_errno(db); error != 0) {
    return error;
  }
  int error = 0;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &error) == SQLITE_OK &&
      error != 0) {
    return error;
  }
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
      wal != nullptr && wal->pMethods != nullptr &&
      wal->pMethods->xFileControl(wal, SQLITE_FCNTL_LAST_ERRNO, &error) == SQLITE_OK) {
    return error;
  }
  return 0;
}

// SQLite's message, with the operating system's reason when the file system refused
// ("disk I/O error (Operation not permitted)"): an I/O error says little without it.
std::string describe(sqlite3* db, int rc, const char* message) {
  std::string out = message != nullptr ? message : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  if (db != nullptr && (primary == SQLITE_IOERR || primary == SQLITE_FULL ||
                        primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY)) {
    if (const int os_error = last_os_error(db); os_error != 0) {
      out += fmt::format(" ({})", std::strerror(os_error));
    }
  }
  return out;
}

}  // namespace

void check(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) {
    return;
  }
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw StoreError(fmt::format("{}: {}", what, describe(db, rc, message)), rc);
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  check(db,
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &raw, nullptr),
        "prepare");
  stmt_.reset(raw);
}

Statement& Statement::bind(int index, std::int64_t value) {
  check(db_, sqlite3_bind_int64(stmt_.get(), index, value), "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check(db_,
        sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT),
        "bind");
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_blob(int index, const std::vector<std::uint8_t>& value) {
  check(db_,
        sqlite3_bind_blob(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT),
        "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  check(db_, sqlite3_bind_null(stmt_.get(), index), "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  check(db_, rc, "step");
  return rc == SQLITE_ROW;
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_.get(), index);
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_.get(), index);
  if (text == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(text),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index))};
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

std::vector<std::uint8_t> Statement::column_blob(int index) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), index));
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index));
  return data == nullptr ? std::vector<std::uint8_t>{}
                         : std::vector<std::uint8_t>(data, data + size);
}

Database::Database(const std::filesystem::path& path, Mode mode) : path_(path) {
  const int flags =
      mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  check(raw, rc, fmt::format("cannot open database {}", path.string()));
  sqlite3_extended_result_codes(raw, 1);
  // Another writer (a second scan on the same file) waits up to this long before SQLITE_BUSY.
  sqlite3_busy_timeout(raw, 5000);
}

void Database::exec(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = describe(db_.get(), rc, error);
    sqlite3_free(error);
    throw StoreError(fmt::format("{}: {}", path_.string(), message), rc);
  }
}

void Database::rollback() noexcept {
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

bool Database::file_has_moved() const {
  int moved = 0;
  const int rc = sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_HAS_MOVED, &moved);
  check(db_.get(), rc, fmt::format("{}: cannot check the file", path_.string()));
  return moved != 0;
}

Statement Database::prepare(std::string_view sql) const {
  return Statement(db_.get(), sql);
}

std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

}  // namespace mx::store
