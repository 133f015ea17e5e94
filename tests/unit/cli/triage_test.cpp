// `mxscan triage` end to end against a loopback world: a queue covering every decision, suggested
// patterns, the MTA-STS agreement, a promotion after enough clean history (inserted with chosen
// times), verified emergency changes applied by --out, contacts kept, and --out identical across
// two runs.
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/loopback_world.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using mx::test::World;

constexpr const char* kList = R"({
  "timestamp": "2026-11-01T00:00:00Z",
  "expires": "2026-11-15T00:00:00Z",
  "version": "0.1",
  "author": "test maintainers",
  "policy-aliases": {"prov": {"mode": "testing", "mxs": [".prov.test"]}},
  "policies": {
    "listed.test": {"mode": "enforce", "mxs": ["mx.listed.test"]},
    "clean.test": {"mode": "testing", "mxs": ["mx.clean.test"]},
    "young.test": {"mode": "testing", "mxs": ["mx.young.test"]},
    "gone.test": {"mode": "enforce", "mxs": ["mx.gone.test"]},
    "upd.test": {"policy-alias": "prov"}
  }
})";

constexpr const char* kQueue =
    "domain,contact,mxs,mode,submitted_at\n"
    "good.test,alice@good.test,mx.good.test,enforce,2026-11-20T10:00:00Z\n"
    "nopat.test,,,,2026-11-20T10:00:00Z\n"
    "multi.test,ops@multi.test,,testing,2026-11-20T10:00:00Z\n"
    "bad.test,admin@bad.test,mx.bad.test,testing,2026-11-20T10:00:00Z\n"
    "wrongpat.test,admin@wrongpat.test,mx.elsewhere.test,testing,2026-11-20T10:00:00Z\n"
    "slow.test,admin@slow.test,,,2026-11-20T10:00:00Z\n"
    "sts.test,admin@sts.test,mx.sts.test,,2026-11-20T10:00:00Z\n"
    "Listed.Test.,someone@listed.test,,testing,2026-11-20T10:00:00Z\n"
    "not a domain!,someone@example.test,,testing,2026-11-20T10:00:00Z\n"
    "strict.test,postmaster@strict.test,,strict,2026-11-20T10:00:00Z\n";

// The world every triage here scans: the queue's domains as their names say.
void build(World& world) {
  world.add_domain("good.test", world.tls_behaviour("mx.good.test"));
  world.add_domain("nopat.test", world.tls_behaviour("mx.nopat.test"));
  for (const auto* host : {"mx1.multi.test", "mx2.multi.test"}) {
    world.zone().add_mx("multi.test", 10, host);
    world.add_server(host, world.tls_behaviour(host));
  }
  auto no_starttls = world.tls_behaviour("mx.bad.test");
  no_starttls.ehlo = mx::world::ehlo_reply({"PIPELINING"});
  world.add_domain("bad.test", no_starttls);
  world.add_domain("wrongpat.test", world.tls_behaviour("mx.wrongpat.test"));
  auto silent = world.tls_behaviour("mx.slow.test");
  silent.greeting = mx::world::silent_response();
  world.add_domain("slow.test", silent);
  // sts.test's MTA-STS policy (testing) names another host: a warn, and a conflict to report.
  world.add_domain("sts.test", world.tls_behaviour("mx.sts.test"));
  world.add_mta_sts(
      "sts.test", "20261101",
      mx::world::HttpsResponse::policy(
          "version: STSv1\r\nmode: testing\r\nmx: mx.other.test\r\nmax_age: 86400\r\n"));
}

std::vector<boost::json::object> lines_of(const std::string& out) {
  std::vector<boost::json::object> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(boost::json::parse(line).as_object());
  }
  return lines;
}

std::vector<std::string> strings(const boost::json::value& value) {
  std::vector<std::string> out;
  for (const auto& item : value.as_array()) {
    out.emplace_back(item.as_string());
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A complete validation of the list by "test maintainers" at `when` in which `domain` had
// `status`.
void insert_validation(mx::store::Database& db, const std::string& when, const std::string& domain,
                       const std::string& status) {
  db.exec(fmt::format(
      "INSERT INTO runs (kind, options, input_digest, list_author, list_version, started_at, "
      "finished_at, state, mxscan_version) VALUES ('validate', '{{}}', 'x', 'test maintainers', "
      "'2026-10-01T00:00:00Z', '{0}', '{0}', 'complete', 'test');"
      "INSERT INTO domains (run_id, domain, status, scanned_at, result) VALUES "
      "(last_insert_rowid(), '{1}', '{2}', '{0}', '{{}}');",
      when, domain, status));
}

}  // namespace

TEST_CASE("triage: every decision, suggestions, promotion and emergency changes", "[cli]") {
  mx::test::TempDir dir;
  const auto list = dir.path() / "policy.json";
  const auto queue = dir.path() / "queue.csv";
  const auto db = dir.path() / "lists.db";
  const auto out_file = dir.path() / "new.json";
  std::ofstream(list) << kList;
  std::ofstream(queue) << kQueue;
  {
    auto database = mx::store::open_for_writing(db);
    // clean.test: clean in 5 validations over 40 days; young.test: clean, but only 10 days.
    for (const auto* day : {"2026-10-01", "2026-10-11", "2026-10-21", "2026-10-31", "2026-11-10"}) {
      insert_validation(database, std::string(day) + "T03:00:00Z", "clean.test", "pass");
    }
    for (const auto* day : {"2026-11-01", "2026-11-04", "2026-11-07", "2026-11-10"}) {
      insert_validation(database, std::string(day) + "T03:00:00Z", "young.test", "warn");
    }
    // Verified emergency requests: gone.test leaves, upd.test gets its own patterns; a pending
    // (unverified) one for listed.test must not be applied.
    database.exec(
        "INSERT INTO challenges (domain, action, mxs, token, created_at, expires_at, "
        "verified_at, outcome) VALUES "
        "('gone.test', 'remove', '[]', 't1', '2026-11-09T00:00:00Z', '2026-11-16T00:00:00Z', "
        "'2026-11-09T01:00:00Z', 'verified'),"
        "('upd.test', 'update', '[\"mx.upd.test\"]', 't2', '2026-11-09T00:00:00Z', "
        "'2026-11-16T00:00:00Z', '2026-11-09T01:00:00Z', 'verified'),"
        "('listed.test', 'remove', '[]', 't3', '2026-11-09T00:00:00Z', '2026-11-16T00:00:00Z', "
        "NULL, 'pending')");
  }

  World world;
  build(world);
  world.start();
  const auto result =
      world.mxscan("triage", {"--queue", queue.string(), "--list", list.string(), "--db",
                              db.string(), "--out", out_file.string(), "--json", "--allow-private",
                              "--timestamp", "2026-11-10T12:00:00Z"});
  INFO(result.err);
  // Some submissions fail (bad.test, wrongpat.test): exit 1, as for any run with a fail.
  CHECK(result.exit_code == 1);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() == 13);  // 10 queue lines, 1 promotion, 2 emergency changes

  std::map<std::string, boost::json::object> by;
  for (std::size_t i = 0; i < 10; ++i) {
    by[std::string(lines[i].at("domain").as_string())] = lines[i];
  }
  CHECK(lines[0].at("domain").as_string() == "good.test");  // queue order
  CHECK(by.at("good.test").at("decision").as_string() == "accept");
  CHECK(by.at("nopat.test").at("decision").as_string() == "accept");
  CHECK(strings(by.at("nopat.test").at("suggested_mxs")) ==
        std::vector<std::string>{"mx.nopat.test"});
  CHECK(by.at("multi.test").at("decision").as_string() == "accept");
  CHECK(strings(by.at("multi.test").at("suggested_mxs")) ==
        std::vector<std::string>{".multi.test"});
  CHECK(by.at("bad.test").at("decision").as_string() == "reject");
  CHECK(strings(by.at("bad.test").at("reasons")) ==
        std::vector<std::string>{"starttls:not-advertised"});
  CHECK(by.at("wrongpat.test").at("decision").as_string() == "reject");
  CHECK(strings(by.at("wrongpat.test").at("reasons")) ==
        std::vector<std::string>{"policy.mx-pattern:mismatch"});
  CHECK(strings(by.at("wrongpat.test").at("suggested_mxs")) ==
        std::vector<std::string>{"mx.wrongpat.test"});
  CHECK(by.at("slow.test").at("decision").as_string() == "retry");
  CHECK(strings(by.at("slow.test").at("reasons")) == std::vector<std::string>{"smtp:timeout"});
  CHECK(by.at("sts.test").at("decision").as_string() == "accept");
  CHECK(by.at("sts.test").at("mta_sts").as_string() == "conflict");
  CHECK(by.at("good.test").at("mta_sts").as_string() == "none");
  CHECK(by.at("listed.test").at("decision").as_string() == "listed");
  CHECK(lines[8].at("decision").as_string() == "invalid");
  CHECK(strings(lines[8].at("reasons")) == std::vector<std::string>{"submission:domain"});
  CHECK(by.at("strict.test").at("decision").as_string() == "invalid");
  CHECK(strings(by.at("strict.test").at("reasons")) == std::vector<std::string>{"submission:mode"});
  // Each scanned submission carries its fresh domain object.
  // No MTA-STS or TLSRPT published: warn, which passes.
  CHECK(by.at("good.test").at("result").at("status").as_string() == "warn");
  CHECK(by.at("listed.test").at("result").is_null());

  CHECK(lines[10].at("domain").as_string() == "clean.test");
  CHECK(lines[10].at("decision").as_string() == "promote");
  CHECK(lines[11].at("decision").as_string() == "emergency-remove");
  CHECK(lines[11].at("domain").as_string() == "gone.test");
  CHECK(lines[12].at("decision").as_string() == "emergency-update");

  const auto written = boost::json::parse(read_file(out_file)).as_object();
  const auto& policies = written.at("policies").as_object();
  CHECK(written.at("timestamp").as_string() == "2026-11-10T12:00:00Z");
  CHECK(written.at("expires").as_string() == "2026-11-24T12:00:00Z");
  CHECK(policies.at("good.test").at("mode").as_string() == "testing");  // enforce was asked
  CHECK(strings(policies.at("multi.test").at("mxs")) == std::vector<std::string>{".multi.test"});
  CHECK(policies.at("clean.test").at("mode").as_string() == "enforce");
  CHECK(policies.at("young.test").at("mode").as_string() == "testing");
  CHECK_FALSE(policies.contains("gone.test"));
  CHECK_FALSE(policies.contains("bad.test"));
  CHECK_FALSE(policies.contains("slow.test"));
  CHECK(strings(policies.at("upd.test").at("mxs")) == std::vector<std::string>{"mx.upd.test"});
  CHECK(policies.contains("listed.test"));

  const auto database = mx::store::open_for_reading(db);
  auto contact = database.prepare("SELECT contact FROM contacts WHERE domain = 'good.test'");
  REQUIRE(contact.step());
  CHECK(contact.column_text(0) == "alice@good.test");
  auto fallback = database.prepare("SELECT contact FROM contacts WHERE domain = 'nopat.test'");
  REQUIRE(fallback.step());
  CHECK(fallback.column_text(0) == "postmaster@nopat.test");
  auto decisions = database.prepare("SELECT count(*) FROM submissions");
  decisions.step();
  CHECK(decisions.column_int(0) == 10);
  auto applied = database.prepare(
      "SELECT count(*) FROM challenges WHERE outcome = 'applied' AND applied_run IS NOT NULL");
  applied.step();
  CHECK(applied.column_int(0) == 2);
}

TEST_CASE("triage: --out is identical across two runs; a malformed queue line is reported",
          "[cli]") {
  mx::test::TempDir dir;
  const auto list = dir.path() / "policy.json";
  const auto queue = dir.path() / "queue.jsonl";
  std::ofstream(list) << kList;
  std::ofstream(queue)
      << R"({"domain": "good.test", "contact": "a@good.test", "mxs": ["mx.good.test"], "mode": "testing", "submitted_at": "2026-11-20T10:00:00Z"})"
      << "\n{not json\n"
      << R"({"domain": "multi.test", "contact": "", "mxs": [], "mode": "", "submitted_at": ""})"
      << "\n";
  World world;
  build(world);
  world.start();
  std::vector<std::string> outputs;
  for (const auto* name : {"a.json", "b.json"}) {
    const auto out_file = dir.path() / name;
    const auto result =
        world.mxscan("triage", {"--queue", queue.string(), "--list", list.string(), "--db",
                                (dir.path() / "t.db").string(), "--out", out_file.string(),
                                "--allow-private", "--timestamp", "2026-11-10T12:00:00Z"});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.find(queue.string() + ":2:") != std::string::npos);
    CHECK(result.out.find("invalid") != std::string::npos);
    outputs.push_back(read_file(out_file));
  }
  CHECK(outputs[0] == outputs[1]);
  CHECK(outputs[0].find("multi.test") != std::string::npos);

  // Not a queue at all: refused, nothing written.
  const auto garbage = dir.path() / "garbage.txt";
  std::ofstream(garbage) << "this is not a queue\n";
  const auto refused =
      mx::test::run_process({MXSCAN_BINARY, "triage", "--queue", garbage.string(), "--list",
                             list.string(), "--db", (dir.path() / "never.db").string()});
  CHECK(refused.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "never.db"));
}
