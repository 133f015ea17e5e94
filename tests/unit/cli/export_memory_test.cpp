// `mxscan export` streams: exporting a million check rows takes no more memory than exporting ten
// thousand. The databases are synthetic (one transaction of prepared INSERTs), the export runs as
// a child process, and its peak RSS is read by wait4().
#include <chrono>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/measured_process.hpp"
#include "tests/support/sanitizers.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

constexpr int kChecksPerDomain = 10;

// One complete run of `domains` domains with kChecksPerDomain checks each, every text column
// filled as a real scan fills it.
void build_database(const std::filesystem::path& path, int domains) {
  auto db = mx::store::open_for_writing(path);
  db.exec("PRAGMA synchronous = OFF");
  db.exec("BEGIN");
  db.exec(
      "INSERT INTO runs (id, kind, options, input_digest, started_at, finished_at, state, "
      "domains_total, mxscan_version) VALUES (1, 'scan', '{}', 'synthetic', "
      "'2026-11-28T00:00:00Z', '2026-11-28T01:00:00Z', 'complete', 0, 'test')");
  auto domain = db.prepare(
      "INSERT INTO domains (run_id, domain, status, scanned_at, attempts, result) "
      "VALUES (1, ?1, 'warn', '2026-11-28T00:00:00Z', 1, '{}')");
  auto check = db.prepare(
      "INSERT INTO checks (run_id, domain, subject, host, ip, name, status, code, message) "
      "VALUES (1, ?1, 'address', ?2, ?3, ?4, 'fail', 'not-advertised', ?5)");
  for (int i = 0; i < domains; ++i) {
    const auto name = fmt::format("domain-{:07}.example", i);
    const auto host = "mx1." + name;
    const auto ip = fmt::format("198.51.{}.{}", (i / 250) % 250, i % 250);
    domain.bind(1, std::string_view(name));
    domain.run();
    for (int c = 0; c < kChecksPerDomain; ++c) {
      check.bind(1, std::string_view(name))
          .bind(2, std::string_view(host))
          .bind(3, std::string_view(ip))
          .bind(4, std::string_view(fmt::format("check-{}", c)))
          .bind(5, std::string_view(fmt::format(
                       "the EHLO reply of {} does not offer STARTTLS, \"quoted\"", host)));
      check.run();
    }
  }
  db.exec("COMMIT");
}

struct Export {
  long max_rss_kb = 0;
  std::string err;
};

Export export_checks(const mx::test::TempDir& dir, const std::filesystem::path& db,
                     const std::string& format) {
  const std::vector<std::string> environment = mx::test::memory_measuring_environment();
  const auto result = mx::test::run_measured(
      {MXSCAN_BINARY, "export", "--db", db.string(), "--format", format, "--table", "checks"},
      "/dev/null", dir.path() / "err.txt", environment);
  CAPTURE(result.err);
  REQUIRE(result.exit_code == 0);
  return {result.max_rss_kb, result.err};
}

}  // namespace

TEST_CASE("export streams a million check rows in the memory of ten thousand", "[slow]") {
  // Under ASan (a -O0 build with checked memory) a fifth of the rows keeps the test within a
  // minute; the comparison with the small database still shows whether memory grows with rows.
  const int large = mx::test::kAddressSanitizer ? 20'000 : 100'000;
  const int small = 1'000;
  const mx::test::TempDir dir;
  const auto large_db = dir.path() / "large.db";
  const auto small_db = dir.path() / "small.db";
  const auto started = std::chrono::steady_clock::now();
  build_database(large_db, large);
  build_database(small_db, small);
  const auto built = std::chrono::steady_clock::now();

  for (const std::string format : {"csv", "jsonl"}) {
    CAPTURE(format);
    const auto small_run = export_checks(dir, small_db, format);
    const auto large_run = export_checks(dir, large_db, format);
    CHECK(small_run.err.find(fmt::format("{} rows of table checks", small * kChecksPerDomain)) !=
          std::string::npos);
    CHECK(large_run.err.find(fmt::format("{} rows of table checks", large * kChecksPerDomain)) !=
          std::string::npos);
    const auto ratio =
        static_cast<double>(large_run.max_rss_kb) / static_cast<double>(small_run.max_rss_kb);
    WARN(fmt::format("{} checks rows: peak RSS {} KiB; {} rows: {} KiB (ratio {:.2f})",
                     large * kChecksPerDomain, large_run.max_rss_kb, small * kChecksPerDomain,
                     small_run.max_rss_kb, ratio));
    CHECK(ratio < 1.5);
    if (!mx::test::kAddressSanitizer) {
      CHECK(large_run.max_rss_kb < 40 * 1024);
    }
  }
  WARN(fmt::format("databases built in {} ms, exports in {} ms",
                   std::chrono::duration_cast<std::chrono::milliseconds>(built - started).count(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - built)
                       .count()));
}
