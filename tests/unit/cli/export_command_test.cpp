// `mxscan export` through the binary: the run it takes by default, --table, the filters, --out
// written whole or not at all, and exit 2 with a message for every problem.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/csv_reader.hpp"
#include "tests/support/measured_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sample_runs.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

mx::test::ProcessResult mxscan_export(const std::filesystem::path& db,
                                      std::vector<std::string> args) {
  std::vector<std::string> argv{MXSCAN_BINARY, "export", "--db", db.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return mx::test::run_process(argv);
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::set<std::string> domains_with(const std::filesystem::path& db_path, const std::string& sql) {
  const auto db = mx::store::open_for_reading(db_path);
  auto query = db.prepare(sql);
  std::set<std::string> out;
  while (query.step()) {
    out.insert(query.column_text(0));
  }
  return out;
}

}  // namespace

TEST_CASE("mxscan export takes the newest complete run unless --run names another", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  mx::test::store_sample_run(db, 5, 0);
  const auto complete = mx::test::store_sample_run(db, 7, 1);
  const auto running = mx::test::store_sample_run(db, 9, 2, "running");

  const auto newest = mxscan_export(db, {"--format", "jsonl"});
  CAPTURE(newest.err);
  CHECK(newest.exit_code == 0);
  CHECK(lines(newest.out) == 7);
  CHECK(newest.err == fmt::format("mxscan export: 7 domains of run {}\n", complete));

  const auto named = mxscan_export(db, {"--format", "csv", "--run", std::to_string(running)});
  CHECK(named.exit_code == 0);
  CHECK(lines(named.out) == 10);  // the header and 9 domains

  const auto missing = mxscan_export(db, {"--format", "csv", "--run", "99"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.empty());
  CHECK(missing.err.find("has no run 99") != std::string::npos);
}

TEST_CASE("mxscan export without a complete run reads the newest, saying so", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  { (void)mx::store::open_for_writing(db); }
  const auto empty = mxscan_export(db, {"--format", "jsonl"});
  CHECK(empty.exit_code == 2);
  CHECK(empty.err.find("holds no run") != std::string::npos);

  const auto run = mx::test::store_sample_run(db, 3, 0, "interrupted");
  const auto interrupted = mxscan_export(db, {"--format", "jsonl", "--table", "checks"});
  CAPTURE(interrupted.err);
  CHECK(interrupted.exit_code == 0);
  CHECK(interrupted.err.find("no complete run") != std::string::npos);
  CHECK(interrupted.err.find(fmt::format("run {}", run)) != std::string::npos);
  CHECK(interrupted.err.find("interrupted") != std::string::npos);
  CHECK(interrupted.out ==
        mxscan_export(db, {"--format", "jsonl", "--table", "checks", "--run", std::to_string(run)})
            .out);
}

TEST_CASE("mxscan export --table and the filters select rows of the kept domains", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  mx::test::store_sample_run(db, 26, 0);

  const auto failing = mxscan_export(
      db, {"--format", "csv", "--table", "checks", "--status", "fail", "--check", "dane"});
  CAPTURE(failing.err);
  REQUIRE(failing.exit_code == 0);
  const auto records = mx::test::parse_csv(failing.out);
  std::set<std::string> exported;
  for (std::size_t i = 1; i < records.size(); ++i) {
    exported.insert(records[i][0].text);
  }
  const auto expected = domains_with(db,
                                     "SELECT domain FROM domains WHERE status = 'fail' AND domain "
                                     "IN (SELECT domain FROM checks WHERE name = 'dane')");
  REQUIRE(!expected.empty());
  CHECK(exported == expected);
  CHECK(failing.err.find(fmt::format("{} rows of table checks", records.size() - 1)) !=
        std::string::npos);

  const auto coded = mxscan_export(
      db, {"--format", "jsonl", "--table", "mx", "--check", "starttls:not-advertised"});
  REQUIRE(coded.exit_code == 0);
  std::set<std::string> mx_domains;
  std::istringstream in(coded.out);
  for (std::string line; std::getline(in, line);) {
    mx_domains.insert(std::string(boost::json::parse(line).at("domain").as_string()));
  }
  CHECK(mx_domains == domains_with(db,
                                   "SELECT domain FROM checks WHERE name = 'starttls' "
                                   "AND code = 'not-advertised'"));

  const auto none = mxscan_export(db, {"--format", "csv", "--table", "mta-sts", "--check", "nope"});
  CHECK(none.exit_code == 0);
  CHECK(none.out == "domain,record_id,mode,max_age,mx,body\r\n");

  for (const auto& bad :
       std::vector<std::vector<std::string>>{{"--format", "csv", "--table", "addresses"},
                                             {"--format", "csv", "--status", "skipped"},
                                             {"--format", "csv", "--check", ":ok"},
                                             {"--format", "csv", "--check", "starttls:"},
                                             {"--format", "xml"}}) {
    const auto result = mxscan_export(db, bad);
    CAPTURE(bad, result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
  }
}

TEST_CASE("mxscan export --out writes the file whole, or leaves it as it was", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  mx::test::store_sample_run(db, 12, 0);
  const auto out = dir.path() / "endpoints.csv";

  const auto to_stdout = mxscan_export(db, {"--format", "csv", "--table", "endpoints"});
  REQUIRE(to_stdout.exit_code == 0);
  const auto to_file =
      mxscan_export(db, {"--format", "csv", "--table", "endpoints", "--out", out.string()});
  CAPTURE(to_file.err);
  REQUIRE(to_file.exit_code == 0);
  CHECK(to_file.out.empty());
  CHECK(read_file(out) == to_stdout.out);
  CHECK(to_file.err.find(" to " + out.string()) != std::string::npos);
  struct stat info {};
  REQUIRE(::stat(out.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777U) == 0644U);

  // A failed export (no such run) does not touch the file; nothing is left beside it.
  const auto failed = mxscan_export(db, {"--format", "jsonl", "--run", "7", "--out", out.string()});
  CHECK(failed.exit_code == 2);
  CHECK(read_file(out) == to_stdout.out);

  // A rename that fails after the rows were written (the target is a directory) leaves no
  // temporary file behind.
  const auto directory = dir.path() / "taken";
  std::filesystem::create_directory(directory);
  const auto refused = mxscan_export(db, {"--format", "csv", "--out", directory.string()});
  CAPTURE(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("rename") != std::string::npos);
  CHECK(std::filesystem::is_directory(directory));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    CHECK_FALSE(entry.path().filename().string().starts_with("."));
  }

  const auto nowhere =
      mxscan_export(db, {"--format", "csv", "--out", (dir.path() / "missing" / "x.csv").string()});
  CHECK(nowhere.exit_code == 2);
  CHECK(nowhere.err.find("missing/x.csv") != std::string::npos);
}

TEST_CASE("mxscan export reports a failed write to standard output with exit 2", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  mx::test::store_sample_run(db, 30, 0);
  const auto full = mx::test::run_measured(
      {MXSCAN_BINARY, "export", "--db", db.string(), "--format", "jsonl", "--table", "checks"},
      "/dev/full", dir.path() / "err.txt");
  CAPTURE(full.err);
  CHECK(full.exit_code == 2);
  CHECK(full.err.find("No space left on device") != std::string::npos);
}

TEST_CASE("mxscan export: peers' markup and separators stay data in CSV and JSON Lines", "[unit]") {
  const mx::test::TempDir dir;
  const auto db = dir.path() / "scan.db";
  mx::test::store_sample_run(db, 8, 0);
  for (const auto* table : {"endpoints", "certificates", "mta-sts", "checks"}) {
    CAPTURE(table);
    const auto jsonl = mxscan_export(db, {"--format", "jsonl", "--table", table});
    REQUIRE(jsonl.exit_code == 0);
    CHECK(jsonl.out.find("<script>") == std::string::npos);
    CHECK(jsonl.out.find("</style>") == std::string::npos);
    std::istringstream in(jsonl.out);
    bool hostile = false;
    for (std::string line; std::getline(in, line);) {
      const auto object = boost::json::parse(line).as_object();
      for (const auto& [key, value] : object) {
        hostile = hostile ||
                  (value.is_string() &&
                   std::string(value.as_string()).find(mx::test::kHostile) != std::string::npos);
      }
    }
    CHECK(hostile);

    const auto csv = mxscan_export(db, {"--format", "csv", "--table", table});
    REQUIRE(csv.exit_code == 0);
    const auto records = mx::test::parse_csv(csv.out);
    bool found = false;
    for (const auto& record : records) {
      for (const auto& field : record) {
        found = found || field.text.find(mx::test::kHostile) != std::string::npos;
      }
      CHECK(record.size() == records.front().size());
    }
    CHECK(found);
  }
}
