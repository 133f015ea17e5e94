// `mxscan report` through the binary: the run and the format it picks, its usage errors, and
// `validate --report FILE` writing the same report as `mxscan report` would, in the format its
// extension names, after two nights against a loopback world.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/loopback_world.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/reports/report_fixture.hpp"

namespace {

mx::test::ProcessResult mxscan(std::vector<std::string> args) {
  args.insert(args.begin(), MXSCAN_BINARY);
  return mx::test::run_process(args);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("report: the newest complete run, in the format asked or the file's", "[cli]") {
  mx::test::TempDir dir;
  const auto db = (dir.path() / "r.db").string();
  const auto nights = mx::test::report::three_nights(db);

  const auto html = mxscan({"report", "--db", db});
  INFO(html.err);
  REQUIRE(html.exit_code == 0);
  CHECK(html.out.starts_with("<!DOCTYPE html>"));
  CHECK(html.out.find(fmt::format("run {} (validate, complete", nights[2])) != std::string::npos);

  const auto json =
      mxscan({"report", "--db", db, "--run", std::to_string(nights[0]), "--format", "json"});
  REQUIRE(json.exit_code == 0);
  CHECK(boost::json::parse(json.out).at("run").at("id").as_int64() == nights[0]);

  const auto md = dir.path() / "r.md";
  const auto written = mxscan({"report", "--db", db, "--out", md.string()});
  REQUIRE(written.exit_code == 0);
  CHECK(written.out.empty());
  CHECK(written.err.find(md.string()) != std::string::npos);
  CHECK(read_file(md).starts_with("# STARTTLS policy list: nightly validation"));

  // --format wins over the extension.
  const auto txt = dir.path() / "r.txt";
  REQUIRE(mxscan({"report", "--db", db, "--format", "json", "--out", txt.string()}).exit_code == 0);
  CHECK(boost::json::parse(read_file(txt)).is_object());
}

TEST_CASE("report: usage errors exit 2 naming the problem, nothing written", "[cli]") {
  mx::test::TempDir dir;
  const auto db = (dir.path() / "r.db").string();
  mx::test::report::three_nights(db);
  const auto out = dir.path() / "never.txt";

  const auto no_run = mxscan({"report", "--db", db, "--run", "99"});
  CHECK(no_run.exit_code == 2);
  CHECK(no_run.err.find("no run 99") != std::string::npos);

  const auto extension = mxscan({"report", "--db", db, "--out", out.string()});
  CHECK(extension.exit_code == 2);
  CHECK(extension.err.find("--format") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));

  const auto format = mxscan({"report", "--db", db, "--format", "pdf"});
  CHECK(format.exit_code == 2);
  CHECK(format.err.find("pdf") != std::string::npos);

  const auto missing = mxscan({"report", "--db", (dir.path() / "none.db").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.out.empty());
}

TEST_CASE("validate --report: HTML, Markdown or JSON by extension, as `mxscan report` writes",
          "[cli]") {
  mx::test::TempDir dir;
  const auto list = dir.path() / "policy.json";
  const auto db = dir.path() / "validations.db";
  std::ofstream(list) << R"({"timestamp": "2026-12-01T00:00:00Z",
    "expires": "2099-12-15T00:00:00Z", "version": "0.1", "author": "report test",
    "policies": {"good.test": {"mode": "enforce", "mxs": ["mx.good.test"]},
                 "plain.test": {"mode": "testing", "mxs": ["mx.plain.test"]}}})";

  // A report of another extension is refused before anything is scanned.
  const auto refused = mxscan({"validate", "--list", list.string(), "--db", db.string(), "--report",
                               (dir.path() / "r.txt").string()});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find(".html") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(db));

  const auto night = [&](const std::filesystem::path& report) {
    mx::test::World world;
    world.add_domain("good.test", world.tls_behaviour("mx.good.test"));
    auto plain = world.tls_behaviour("mx.plain.test");
    plain.ehlo = mx::world::ehlo_reply({"PIPELINING"});
    world.add_domain("plain.test", plain);
    world.start();
    const auto result = world.mxscan("validate", {"--list", list.string(), "--db", db.string(),
                                                  "--allow-private", "--report", report.string()});
    INFO(result.err);
    CHECK(result.exit_code == 1);  // plain.test offers no STARTTLS
    CHECK(result.err.find("report written to " + report.string()) != std::string::npos);
  };
  night(dir.path() / "night1.md");
  const auto markdown = read_file(dir.path() / "night1.md");
  CHECK(markdown.starts_with("# STARTTLS policy list: nightly validation"));
  CHECK(markdown.find("starttls:not-advertised") != std::string::npos);
  CHECK(markdown.find("## Charts") != std::string::npos);

  night(dir.path() / "night2.html");
  const auto html = read_file(dir.path() / "night2.html");
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK(html.find("id=\"trend-still-failing\"") != std::string::npos);
  CHECK(html.find("plain.test") != std::string::npos);
  // What `mxscan report` writes of that run, byte for byte.
  const auto again = mxscan({"report", "--db", db.string(), "--format", "html"});
  REQUIRE(again.exit_code == 0);
  CHECK(again.out == html);

  night(dir.path() / "night3.json");
  const auto json = boost::json::parse(read_file(dir.path() / "night3.json")).as_object();
  CHECK(json.at("validation").at("categories").at("still-failing").as_int64() == 1);
  CHECK(json.at("trend").as_array().size() == 3);
}
