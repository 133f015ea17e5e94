// `mxscan scan` streams its input: one shard of a million-line list costs the memory of one shard
// of a thousand-line list, and so does resuming it. The domains do not exist (the loopback DNS
// server answers NXDOMAIN), so the scan itself is quick; mxscan runs as a child process and its
// peak RSS is read by wait4().
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/background_dns.hpp"
#include "tests/support/measured_process.hpp"
#include "tests/support/sanitizers.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

// `lines` distinct names, one a line.
std::filesystem::path write_input(const std::filesystem::path& path, int lines) {
  std::ofstream out(path);
  for (int i = 0; i < lines; ++i) {
    out << fmt::format("host-{:07}.nowhere.test\n", i);
  }
  return path;
}

struct Scan {
  long max_rss_kb = 0;
  std::string err;
  std::int64_t to_scan = 0;  // from the summary line
};

Scan scan(const mx::test::TempDir& dir, const std::string& resolver,
          const std::filesystem::path& input, const std::filesystem::path& db, bool resume) {
  const std::vector<std::string> environment = mx::test::memory_measuring_environment();
  // One thread and four domains in flight: what is compared is the input's memory, not that of
  // the domains in flight, which a shard of a thousand lines (one domain or two) never fills.
  std::vector<std::string> argv{MXSCAN_BINARY, "scan",      "--input",       input.string(),
                                "--db",        db.string(), "--shard",       "0/1000",
                                "--resolver",  resolver,    "--timeout",     "5",
                                "--threads",   "1",         "--concurrency", "4"};
  if (resume) {
    argv.emplace_back("--resume");
  }
  const auto result = mx::test::run_measured(argv, "/dev/null", dir.path() / "err.txt", environment,
                                             std::chrono::minutes(5));
  CAPTURE(result.err);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.exit_code == 1);  // every domain fails its `mx` check: nxdomain
  Scan out{result.max_rss_kb, result.err, 0};
  std::smatch match;
  if (std::regex_search(result.err, match, std::regex(R"(mxscan scan: (\d+) domains to scan)"))) {
    out.to_scan = std::stoll(match[1].str());
  }
  return out;
}

std::int64_t query_int(const std::filesystem::path& db_path, const std::string& sql) {
  const auto db = mx::store::open_for_reading(db_path);
  auto statement = db.prepare(sql);
  statement.step();
  return statement.column_int(0);
}

}  // namespace

TEST_CASE("scan --shard 0/1000 of a million lines takes the memory of a thousand", "[slow]") {
  // Under ASan (a -O0 build with checked memory) half the lines keeps the test within a minute;
  // holding every line would still cost about 90 MB (180 bytes a line before the input streamed).
  const int large = mx::test::kAddressSanitizer ? 500'000 : 1'000'000;
  const int small = 1'000;
  const mx::test::TempDir dir;
  const mx::test::BackgroundDns dns{mx::world::Zone{}};
  const auto large_input = write_input(dir.path() / "large.txt", large);
  const auto small_input = write_input(dir.path() / "small.txt", small);
  const auto large_db = dir.path() / "large.db";

  const auto small_run = scan(dir, dns.resolver(), small_input, dir.path() / "small.db", false);
  const auto large_run = scan(dir, dns.resolver(), large_input, large_db, false);
  CHECK(large_run.err.find(
            fmt::format("({} lines, 0 malformed skipped, 0 duplicates), shard 0/1000", large)) !=
        std::string::npos);
  // About one line in a thousand, all of it stored.
  CHECK(large_run.to_scan > large / 1000 * 8 / 10);
  CHECK(large_run.to_scan < large / 1000 * 12 / 10);
  CHECK(query_int(large_db, "SELECT count(*) FROM domains") == large_run.to_scan);
  const auto ratio =
      static_cast<double>(large_run.max_rss_kb) / static_cast<double>(small_run.max_rss_kb);
  WARN(fmt::format("{} lines, shard 0/1000: peak RSS {} KiB; {} lines: {} KiB (ratio {:.2f})",
                   large, large_run.max_rss_kb, small, small_run.max_rss_kb, ratio));
  CHECK(ratio < 1.2);

  // Half of the run undone, as if killed: --resume reads the whole input again to find the run
  // and finishes it, in the same memory.
  {
    auto db = mx::store::open_for_writing(large_db);
    db.exec("DELETE FROM domains WHERE rowid % 2 = 0");
    db.exec("UPDATE runs SET state = 'interrupted', finished_at = NULL");
  }
  const auto left = large_run.to_scan - query_int(large_db, "SELECT count(*) FROM domains");
  const auto resumed = scan(dir, dns.resolver(), large_input, large_db, true);
  CHECK(resumed.err.find(fmt::format("resuming run 1: {} stored, {} to go",
                                     large_run.to_scan - left, left)) != std::string::npos);
  CHECK(query_int(large_db, "SELECT count(*) FROM domains") == large_run.to_scan);
  CHECK(query_int(large_db, "SELECT count(*) FROM runs") == 1);
  const auto resumed_ratio =
      static_cast<double>(resumed.max_rss_kb) / static_cast<double>(small_run.max_rss_kb);
  WARN(fmt::format("resumed: peak RSS {} KiB (ratio {:.2f})", resumed.max_rss_kb, resumed_ratio));
  CHECK(resumed_ratio < 1.2);
}
