#include <atomic>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "store/schema.hpp"

namespace {

std::filesystem::path fresh_path() {
  static std::atomic<int> counter{0};
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("mxscan-store-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir / "scan.db";
}

int user_version(const mx::store::Database& db) {
  auto statement = db.prepare("PRAGMA user_version");
  statement.step();
  return static_cast<int>(statement.column_int(0));
}

}  // namespace

TEST_CASE("a new database gets the whole schema, in WAL mode", "[unit]") {
  const auto path = fresh_path();
  {
    auto db = mx::store::open_for_writing(path);
    CHECK(user_version(db) == mx::store::schema_version());
    auto mode = db.prepare("PRAGMA journal_mode");
    mode.step();
    CHECK(mode.column_text(0) == "wal");
    for (const auto* table : {"runs", "run_inputs", "domains", "mx_hosts", "mx_addresses",
                              "endpoints", "certificates", "checks"}) {
      auto statement = db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = ?1");
      statement.bind(1, std::string_view(table));
      statement.step();
      CAPTURE(table);
      CHECK(statement.column_int(0) == 1);
    }
  }
  // Opening again migrates nothing and loses nothing.
  {
    auto db = mx::store::open_for_writing(path);
    db.exec(
        "INSERT INTO runs (kind, options, input_digest, started_at, state, mxscan_version) "
        "VALUES ('scan', '{}', 'x', '2026-11-28T00:00:00Z', 'running', 'test')");
  }
  {
    auto db = mx::store::open_for_reading(path);
    auto count = db.prepare("SELECT count(*) FROM runs");
    count.step();
    CHECK(count.column_int(0) == 1);
  }
  std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("a database of a newer schema is refused and left untouched", "[unit]") {
  const auto path = fresh_path();
  {
    mx::store::Database db(path, mx::store::Database::Mode::read_write_create);
    db.exec("CREATE TABLE future (x INTEGER); PRAGMA user_version = 999");
  }
  const auto size_before = std::filesystem::file_size(path);
  CHECK_THROWS_WITH(mx::store::open_for_writing(path),
                    Catch::Contains("schema version 999 is newer"));
  CHECK_THROWS_WITH(mx::store::open_for_reading(path),
                    Catch::Contains("schema version 999 is newer"));
  mx::store::Database db(path, mx::store::Database::Mode::read_only);
  CHECK(user_version(db) == 999);
  CHECK(std::filesystem::file_size(path) == size_before);
  std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("a file that is not a database is refused", "[unit]") {
  const auto path = fresh_path();
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("domain\nexample.com\n", f);
    std::fclose(f);
  }
  CHECK_THROWS_AS(mx::store::open_for_writing(path), mx::store::StoreError);
  CHECK_THROWS_WITH(mx::store::open_for_reading(fresh_path()), Catch::Contains("no such database"));
  std::filesystem::remove_all(path.parent_path());
}
