// Judging a typical observation, and the store's batch insert of judged domains through the
// writer (its thread, its batched transactions) into a fresh SQLite file.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>

#include "bench/micro/fixture.hpp"
#include "judge/domain_rules.hpp"
#include "scanner/engine/store_rows.hpp"
#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"

namespace {

constexpr int rows_per_batch = 1000;

}  // namespace

TEST_CASE("judge_domain", "[bench]") {
  const auto observation = mx::bench::typical_observation("example.test");
  REQUIRE(mx::judge::judge_domain(observation).status == mx::judge::Status::pass);
  BENCHMARK("judge_domain, 2 MX hosts, MTA-STS and TLSRPT, all pass") {
    return mx::judge::judge_domain(observation);
  };
}

TEST_CASE("store batch insert", "[bench]") {
  // The rows as the engine makes them, each domain its own, all using the same two endpoints.
  std::vector<mx::store::DomainRow> rows;
  std::vector<std::string> names;
  for (int i = 0; i < rows_per_batch; ++i) {
    mx::engine::DomainOutcome outcome;
    outcome.observation = mx::bench::typical_observation("d" + std::to_string(i) + ".test");
    outcome.result = mx::judge::judge_domain(outcome.observation);
    rows.push_back(mx::engine::to_row(outcome, "2026-11-28T00:00:00Z"));
    names.push_back(outcome.observation.domain);
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("mxscan-bench-store-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int databases = 0;

  BENCHMARK_ADVANCED("writer: 1000 domains into a fresh database, one run each")
  (Catch::Benchmark::Chronometer meter) {
    // Setup, not measured: a fresh file and one run per measured call.
    const auto path = dir / ("scan-" + std::to_string(databases++) + ".db");
    std::vector<std::int64_t> runs;
    {
      auto db = mx::store::open_for_writing(path);
      for (int i = 0; i < meter.runs(); ++i) {
        const mx::store::RunInfo info{"scan",       "{}",         "digest-" + std::to_string(i),
                                      std::nullopt, std::nullopt, std::nullopt,
                                      "bench"};
        runs.push_back(mx::store::create_run(db, info, "2026-11-28T00:00:00Z", names));
      }
    }
    meter.measure([&](int i) {
      mx::store::Writer writer(path, runs[static_cast<std::size_t>(i)]);
      for (const auto& row : rows) {
        writer.push(row);
      }
      writer.close();
      return writer.domains_written();
    });
    std::error_code ignored;
    for (const auto* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path.string() + suffix, ignored);
    }
  };
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
