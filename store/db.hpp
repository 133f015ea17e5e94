#pragma once
// Thin RAII over SQLite: a connection and prepared statements with bind/step helpers. Failures
// throw StoreError carrying SQLite's message (a full disk, a locked or corrupt file are
// conditions the caller reports and stops on, not peer behaviour).
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe (one connection per thread).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mx::store {

class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }  // SQLITE_FULL, SQLITE_BUSY, ...

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  // Binds parameters 1..n in order (nullopt binds NULL).
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind_blob(int index, const std::vector<std::uint8_t>& value);
  Statement& bind_null(int index);

  // True while a row is available; false when done. Throws on error.
  bool step();
  // Runs to completion (for statements without rows), then resets for reuse.
  void run();
  void reset();

  [[nodiscard]] std::int64_t column_int(int index) const;
  [[nodiscard]] std::string column_text(int index) const;
  [[nodiscard]] bool column_is_null(int index) const;
  [[nodiscard]] std::vector<std::uint8_t> column_blob(int index) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

class Database {
 public:
  enum class Mode { read_write_create, read_only };
  Database(const std::filesystem::path& path, Mode mode);

  void exec(std::string_view sql);
  // Rolls back the open transaction, if any, after a failure. Never throws, so that the failure
  // is what gets reported: SQLite has often rolled back already (a full disk, an I/O error), and
  // a ROLLBACK then fails with "no transaction is active".
  void rollback() noexcept;
  // True once the file this connection opened was deleted, renamed or replaced: what is written
  // then goes to a file nobody can open again.
  [[nodiscard]] bool file_has_moved() const;
  [[nodiscard]] Statement prepare(std::string_view sql) const;
  [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }
  [[nodiscard]] std::int64_t last_insert_rowid() const;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::filesystem::path path_;
  std::unique_ptr<sqlite3, Close> db_;
};

// Throws StoreError with `what` and SQLite's message when rc is not OK/ROW/DONE.
void check(sqlite3* db, int rc, std::string_view what);

}  // namespace mx::store
