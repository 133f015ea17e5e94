// `mxscan stats` through the binary: its numbers against direct SQL on the same database, the
// providers grouped by the Public Suffix List, --compare, and exit 2 for what it cannot count.
#include <map>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/csv_reader.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sample_runs.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;

mx::test::ProcessResult mxscan_stats(const std::filesystem::path& db,
                                     std::vector<std::string> args) {
  std::vector<std::string> argv{MXSCAN_BINARY, "stats", "--db", db.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return mx::test::run_process(argv);
}

std::int64_t sql_count(const std::filesystem::path& path, const std::string& sql,
                       std::int64_t run) {
  const auto db = mx::store::open_for_reading(path);
  auto query = db.prepare(sql);
  query.bind(1, run);
  query.step();
  return query.column_int(0);
}

// (status, key) -> count of one tally of `mxscan stats --json`.
std::map<std::pair<std::string, std::string>, std::int64_t> tally(const json::value& stats,
                                                                  const std::string& id) {
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  for (const auto& row : stats.at("tallies").at(id).at("rows").as_array()) {
    const auto status =
        row.at("status").is_null() ? std::string() : json::value_to<std::string>(row.at("status"));
    out[{status, json::value_to<std::string>(row.at("key"))}] = row.at("count").as_int64();
  }
  return out;
}

}  // namespace

TEST_CASE("mxscan stats --json agrees with direct SQL on the same database", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  mx::test::store_sample_run(db, 20, 0);
  const auto run = mx::test::store_sample_run(db, 43, 1);
  mx::test::store_sample_run(db, 5, 2, "running");

  const auto result = mxscan_stats(db, {"--json"});
  CAPTURE(result.err);
  REQUIRE(result.exit_code == 0);
  const auto stats = json::parse(result.out);
  CHECK(stats.at("run").at("id").as_int64() == run);

  for (const auto* status : {"pass", "warn", "fail", "error"}) {
    CAPTURE(status);
    CHECK(tally(stats, "status").at({"", status}) ==
          sql_count(db,
                    fmt::format("SELECT count(*) FROM domains WHERE run_id = ?1 AND status = '{}'",
                                status),
                    run));
  }
  const auto starttls_hosts = tally(stats, "starttls.hosts");
  std::int64_t hosts = 0;
  for (const auto& [key, count] : starttls_hosts) {
    CAPTURE(key.first, key.second);
    CHECK(count == sql_count(db,
                             fmt::format("SELECT count(*) FROM checks WHERE run_id = ?1 AND "
                                         "subject = 'host' AND name = 'starttls' AND "
                                         "status = '{}' AND code = '{}'",
                                         key.first, key.second),
                             run));
    hosts += count;
  }
  CHECK(hosts == sql_count(db, "SELECT count(*) FROM mx_hosts WHERE run_id = ?1", run));
  CHECK(tally(stats, "mta-sts").at({"", "enforce"}) ==
        sql_count(db,
                  "SELECT count(*) FROM mta_sts_policies WHERE run_id = ?1 AND mode = 'enforce'",
                  run));
  CHECK(tally(stats, "tls.versions").at({"", "TLSv1.3"}) ==
        sql_count(db,
                  "SELECT count(*) FROM endpoints WHERE run_id = ?1 AND tls_version = 'TLSv1.3'",
                  run));
  // Google's three host names are one provider (libpsl: registrable domain google.com).
  const auto& google = stats.at("tallies").at("providers").at("rows").at(0);
  CHECK(google.at("key") == "google.com");
  CHECK(google.at("count").as_int64() ==
        sql_count(db,
                  "SELECT count(DISTINCT domain) FROM mx_hosts WHERE run_id = ?1 "
                  "AND host LIKE '%.google.com'",
                  run));
  CHECK(google.at("secondary").as_int64() == 3);
  CHECK(tally(stats, "providers").contains({"", "provider.co.uk"}));
}

TEST_CASE("mxscan stats --compare gives both runs and their differences", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  const auto before = mx::test::store_sample_run(db, 30, 0);
  const auto after = mx::test::store_sample_run(db, 35, 4);

  const auto result = mxscan_stats(db, {"--compare", std::to_string(before), "--json"});
  CAPTURE(result.err);
  REQUIRE(result.exit_code == 0);
  const auto comparison = json::parse(result.out);
  CHECK(comparison.at("from").at("id").as_int64() == before);
  CHECK(comparison.at("to").at("id").as_int64() == after);
  for (const auto& row : comparison.at("tallies").at("status").at("rows").as_array()) {
    const auto status = json::value_to<std::string>(row.at("key"));
    const auto sql =
        fmt::format("SELECT count(*) FROM domains WHERE run_id = ?1 AND status = '{}'", status);
    const auto from = sql_count(db, sql, before);
    const auto to = sql_count(db, sql, after);
    CAPTURE(status);
    CHECK(row.at("from").as_int64() == from);
    CHECK(row.at("to").as_int64() == to);
    CHECK(row.at("delta").as_int64() == to - from);
    CHECK(row.at("delta_points").to_number<double>() ==
          Approx(100.0 * to / 35 - 100.0 * from / 30).margin(0.005));
  }

  const auto text = mxscan_stats(db, {"--compare", std::to_string(before)});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find(fmt::format("change: run {} minus run {}", after, before)) !=
        std::string::npos);
  const auto csv = mxscan_stats(db, {"--compare", std::to_string(before), "--csv"});
  REQUIRE(csv.exit_code == 0);
  const auto records = mx::test::parse_csv(csv.out);
  CHECK(records.front().front().text == "tally");
  CHECK(records.size() > 40);
}

TEST_CASE("mxscan stats as text and CSV", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  const auto run = mx::test::store_sample_run(db, 15, 0);
  const auto text = mxscan_stats(db, {});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.starts_with(fmt::format("run {} (scan, complete", run)));
  CHECK(text.out.find("\nLargest MX providers (12 domains)\n") != std::string::npos);
  const auto csv = mxscan_stats(db, {"--csv"});
  REQUIRE(csv.exit_code == 0);
  const auto records = mx::test::parse_csv(csv.out);
  CHECK(records.front().size() == 10);
  CHECK(records[1][1].text == "status");
  CHECK(records[1][3].text == "pass");
}

TEST_CASE(
    "mxscan stats exits 2 for a missing database, run or comparison; an unfinished run is "
    "read saying so",
    "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  CHECK(mxscan_stats(db, {}).exit_code == 2);  // no such file
  const auto running = mx::test::store_sample_run(db, 4, 0, "running");
  const auto unfinished = mxscan_stats(db, {});
  CHECK(unfinished.exit_code == 0);
  CHECK(unfinished.err.find(fmt::format("run {}, which is running", running)) != std::string::npos);
  CHECK(unfinished.out == mxscan_stats(db, {"--run", std::to_string(running)}).out);
  CHECK(mxscan_stats(db, {"--run", std::to_string(running)}).exit_code == 0);
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--run", "9"},
           {"--run", std::to_string(running), "--compare", "9"},
           {"--run", std::to_string(running), "--json", "--csv"}}) {
    const auto result = mxscan_stats(db, bad);
    CAPTURE(bad, result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
  }
}
