#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "reports/run_diff.hpp"
#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"
#include "tests/support/process.hpp"

namespace {

std::filesystem::path fresh_dir() {
  static std::atomic<int> counter{0};
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("mxscan-diff-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct Domain {
  std::string name;
  std::string status;
  std::string starttls;  // "status code" of the host's starttls check; "" for none
  std::string mta_sts = "pass ok";
};

mx::store::CheckRow check(const std::string& subject, const std::string& host,
                          const std::string& name, const std::string& status_code) {
  const auto space = status_code.find(' ');
  return {subject,  host, "", name, status_code.substr(0, space), status_code.substr(space + 1),
          "message"};
}

mx::store::DomainRow domain_row(const Domain& d) {
  mx::store::DomainRow row;
  row.domain = d.name;
  row.status = d.status;
  row.scanned_at = "2026-11-28T00:00:00Z";
  row.result_json = "{}";
  const auto host = "mx1." + d.name;
  row.hosts.push_back({host, 10, d.status});
  row.checks.push_back(check("domain", "", "mx", "pass ok"));
  row.checks.push_back(check("domain", "", "mta_sts", d.mta_sts));
  if (!d.starttls.empty()) {
    row.checks.push_back(check("host", host, "starttls", d.starttls));
  }
  return row;
}

// Stores one complete scan run of `domains` through the real store, as `mxscan scan` does.
std::int64_t store_run(const std::filesystem::path& path, const std::vector<Domain>& domains) {
  std::int64_t run = 0;
  std::vector<std::string> names;
  for (const auto& d : domains) {
    names.push_back(d.name);
  }
  {
    auto db = mx::store::open_for_writing(path);
    const mx::store::RunInfo info{
        "scan",       "{}",  "digest-" + std::to_string(names.size()), std::nullopt, std::nullopt,
        std::nullopt, "test"};
    run = mx::store::create_run(db, info, "2026-11-28T00:00:00Z", names);
  }
  {
    mx::store::Writer writer(path, run);
    for (const auto& d : domains) {
      writer.push(domain_row(d));
    }
    writer.close();
  }
  auto db = mx::store::open_for_writing(path);
  mx::store::finish_run(db, run, "complete", "2026-11-28T00:01:00Z");
  return run;
}

// Night one and night two: b breaks, c is repaired, d changes only a check (same status), e is
// removed, f is added, g's starttls check disappears along with its status change.
std::filesystem::path two_nights(std::int64_t& first, std::int64_t& second) {
  const auto path = fresh_dir() / "scan.db";
  first = store_run(path, {{"a.test", "pass", "pass ok"},
                           {"b.test", "pass", "pass ok"},
                           {"c.test", "fail", "fail not-advertised"},
                           {"d.test", "warn", "warn expires-soon"},
                           {"e.test", "pass", "pass ok"},
                           {"g.test", "fail", "fail not-advertised"}});
  second = store_run(path, {{"a.test", "pass", "pass ok"},
                            {"b.test", "fail", "fail not-advertised", "fail policy-fetch"},
                            {"c.test", "pass", "pass ok"},
                            {"d.test", "warn", "warn expires-soon", "warn testing-mode"},
                            {"f.test", "pass", "pass ok"},
                            {"g.test", "error", ""}});
  return path;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("diff lists status changes with the checks that explain them, added and removed",
          "[unit]") {
  std::int64_t first = 0;
  std::int64_t second = 0;
  const auto path = two_nights(first, second);
  const auto db = mx::store::open_for_reading(path);
  const auto diff = mx::reports::diff_runs(db, first, second);

  CHECK(diff.from.run == first);
  CHECK(diff.from.domains == 6);
  CHECK(diff.from.by_status ==
        std::map<std::string, std::int64_t>{{"fail", 2}, {"pass", 3}, {"warn", 1}});
  CHECK(diff.from.state == "complete");
  CHECK(diff.from.kind == "scan");
  CHECK(diff.to.by_status ==
        std::map<std::string, std::int64_t>{{"error", 1}, {"fail", 1}, {"pass", 3}, {"warn", 1}});

  REQUIRE(diff.changed.size() == 5);
  const auto& b = diff.changed[0];
  CHECK(b.domain == "b.test");
  CHECK(b.before == "pass");
  CHECK(b.after == "fail");
  REQUIRE(b.checks.size() == 2);
  // Domain-level checks come before host-level ones.
  CHECK(b.checks[0].subject == "domain");
  CHECK(b.checks[0].name == "mta_sts");
  CHECK(b.checks[0].before == mx::reports::CheckState{"pass", "ok"});
  CHECK(b.checks[0].after == mx::reports::CheckState{"fail", "policy-fetch"});
  CHECK(b.checks[1].subject == "host");
  CHECK(b.checks[1].host == "mx1.b.test");
  CHECK(b.checks[1].name == "starttls");
  CHECK(b.checks[1].after == mx::reports::CheckState{"fail", "not-advertised"});

  CHECK(diff.changed[1].domain == "c.test");
  CHECK(diff.changed[1].before == "fail");
  CHECK(diff.changed[1].after == "pass");
  REQUIRE(diff.changed[1].checks.size() == 1);
  CHECK(diff.changed[1].checks[0].name == "starttls");

  const auto& e = diff.changed[2];
  CHECK(e.domain == "e.test");
  CHECK(e.before == "pass");
  CHECK_FALSE(e.after.has_value());
  CHECK(e.checks.size() == 3);  // every check of the removed domain, gone
  for (const auto& c : e.checks) {
    CHECK(c.before.has_value());
    CHECK_FALSE(c.after.has_value());
  }

  const auto& f = diff.changed[3];
  CHECK(f.domain == "f.test");
  CHECK_FALSE(f.before.has_value());
  CHECK(f.after == "pass");
  CHECK(f.checks.size() == 3);

  const auto& g = diff.changed[4];
  CHECK(g.domain == "g.test");
  REQUIRE(g.checks.size() == 1);
  CHECK(g.checks[0].name == "starttls");
  CHECK(g.checks[0].before == mx::reports::CheckState{"fail", "not-advertised"});
  CHECK_FALSE(g.checks[0].after.has_value());
}

TEST_CASE("diff of a run with itself changes nothing", "[unit]") {
  std::int64_t first = 0;
  std::int64_t second = 0;
  const auto path = two_nights(first, second);
  const auto db = mx::store::open_for_reading(path);
  const auto diff = mx::reports::diff_runs(db, second, second);
  CHECK(diff.changed.empty());
  CHECK(diff.from.domains == 6);
  CHECK(mx::reports::run_before(db, second) == first);
  CHECK_FALSE(mx::reports::run_before(db, first).has_value());
}

TEST_CASE("diff text shows summaries, then each changed domain and its checks", "[unit]") {
  std::int64_t first = 0;
  std::int64_t second = 0;
  const auto path = two_nights(first, second);
  const auto db = mx::store::open_for_reading(path);
  std::ostringstream out;
  mx::reports::write_diff_text(mx::reports::diff_runs(db, first, second), out);
  const auto text = lines(out.str());
  REQUIRE(text.size() >= 6);
  CHECK(text[0] ==
        "from run " + std::to_string(first) +
            " (scan, complete, 2026-11-28T00:00:00Z): 6 domains: fail 2, pass 3, warn 1");
  CHECK(text[1] == "to   run " + std::to_string(second) +
                       " (scan, complete, 2026-11-28T00:00:00Z): 6 domains: error 1, fail 1, "
                       "pass 3, warn 1");
  CHECK(text[2] == "3 domains changed status, 1 added, 1 removed");
  CHECK(text[3] == "b.test: pass → fail");
  CHECK(text[4] == "  domain: mta_sts pass ok → fail policy-fetch");
  CHECK(text[5] == "  host mx1.b.test: starttls pass ok → fail not-advertised");
  const auto has = [&](const std::string& line) {
    return std::find(text.begin(), text.end(), line) != text.end();
  };
  CHECK(has("e.test: pass → (removed)"));
  CHECK(has("f.test: (added) → pass"));
  CHECK(has("  host mx1.f.test: starttls (none) → pass ok"));
  CHECK(has("g.test: fail → error"));
  CHECK_FALSE(has("a.test: pass → pass"));
  CHECK(out.str().find("d.test") == std::string::npos);
}

TEST_CASE("diff JSON Lines hold one object per changed domain", "[unit]") {
  std::int64_t first = 0;
  std::int64_t second = 0;
  const auto path = two_nights(first, second);
  const auto db = mx::store::open_for_reading(path);
  std::ostringstream out;
  mx::reports::write_diff_jsonl(mx::reports::diff_runs(db, first, second), out);
  const auto text = lines(out.str());
  REQUIRE(text.size() == 5);
  const auto b = boost::json::parse(text[0]).as_object();
  CHECK(b.at("domain") == "b.test");
  CHECK(b.at("before") == "pass");
  CHECK(b.at("after") == "fail");
  const auto& checks = b.at("checks").as_array();
  REQUIRE(checks.size() == 2);
  const auto& starttls = checks[1].as_object();
  CHECK(starttls.at("subject") == "host");
  CHECK(starttls.at("host") == "mx1.b.test");
  CHECK(starttls.at("ip") == "");
  CHECK(starttls.at("name") == "starttls");
  CHECK(starttls.at("before").at("status") == "pass");
  CHECK(starttls.at("after").at("code") == "not-advertised");
  const auto f = boost::json::parse(text[3]).as_object();
  CHECK(f.at("before").is_null());
  CHECK(f.at("after") == "pass");
  const auto e = boost::json::parse(text[2]).as_object();
  CHECK(e.at("after").is_null());
}

TEST_CASE("mxscan diff: default runs are the two newest, exit 0, text and --json", "[unit]") {
  std::int64_t first = 0;
  std::int64_t second = 0;
  const auto path = two_nights(first, second);
  const auto text = mx::test::run_process({MXSCAN_BINARY, "diff", "--db", path.string()});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("from run " + std::to_string(first)) == 0);
  CHECK(text.out.find("b.test: pass → fail") != std::string::npos);

  const auto json = mx::test::run_process({MXSCAN_BINARY, "diff", "--db", path.string(), "--json"});
  CHECK(json.exit_code == 0);
  CHECK(lines(json.out).size() == 5);
  CHECK(json.err.find("to   run " + std::to_string(second)) != std::string::npos);

  // The reverse direction, by explicit runs: b is repaired, f removed, e added.
  const auto reverse =
      mx::test::run_process({MXSCAN_BINARY, "diff", "--db", path.string(), "--from",
                             std::to_string(second), "--to", std::to_string(first)});
  CHECK(reverse.exit_code == 0);
  CHECK(reverse.out.find("b.test: fail → pass") != std::string::npos);
  CHECK(reverse.out.find("f.test: pass → (removed)") != std::string::npos);
  CHECK(reverse.out.find("e.test: (added) → pass") != std::string::npos);
}

TEST_CASE("mxscan diff: exit 2 naming a missing database or run", "[unit]") {
  std::int64_t first = 0;
  std::int64_t second = 0;
  const auto path = two_nights(first, second);

  const auto missing_db = (path.parent_path() / "absent.db").string();
  const auto no_db = mx::test::run_process({MXSCAN_BINARY, "diff", "--db", missing_db});
  CHECK(no_db.exit_code == 2);
  CHECK(no_db.err.find("absent.db") != std::string::npos);
  CHECK(no_db.out.empty());

  const auto no_run =
      mx::test::run_process({MXSCAN_BINARY, "diff", "--db", path.string(), "--from", "99"});
  CHECK(no_run.exit_code == 2);
  CHECK(no_run.err.find("has no run 99") != std::string::npos);
  CHECK(no_run.err.find(path.string()) != std::string::npos);

  const auto no_to =
      mx::test::run_process({MXSCAN_BINARY, "diff", "--db", path.string(), "--to", "42"});
  CHECK(no_to.exit_code == 2);
  CHECK(no_to.err.find("has no run 42") != std::string::npos);

  // One run only: there is nothing before it.
  const auto single = fresh_dir() / "one.db";
  store_run(single, {{"a.test", "pass", "pass ok"}});
  const auto one = mx::test::run_process({MXSCAN_BINARY, "diff", "--db", single.string()});
  CHECK(one.exit_code == 2);
  CHECK(one.err.find("no run before run 1") != std::string::npos);

  // An empty database (created by a scanning command, no run yet).
  const auto empty = fresh_dir() / "empty.db";
  { const auto db = mx::store::open_for_writing(empty); }
  const auto none = mx::test::run_process({MXSCAN_BINARY, "diff", "--db", empty.string()});
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("holds no run") != std::string::npos);

  // Not a database at all.
  const auto junk = fresh_dir() / "junk.db";
  { std::ofstream(junk) << "not sqlite\n"; }
  const auto bad = mx::test::run_process({MXSCAN_BINARY, "diff", "--db", junk.string()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("mxscan diff:") != std::string::npos);
}
