// `mxscan validate` end to end: two nights against two loopback worlds that differ, one list and
// one database, giving exactly the expected categories, urgent marks, streaks, removal
// candidates, report and notices; a malformed list refused before anything is written; and a
// validation killed mid-run finished by --resume.
#include <csignal>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/json_lines.hpp"
#include "tests/support/loopback_world.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using mx::test::World;

enum class Serves { good, no_starttls, silent };

mx::world::SmtpBehaviour behaviour(World& world, const std::string& host, Serves serves) {
  auto b = world.tls_behaviour(host);
  if (serves == Serves::no_starttls) {
    b.ehlo = mx::world::ehlo_reply({"PIPELINING", "SIZE 10240000"});
  } else if (serves == Serves::silent) {
    b.greeting = mx::world::silent_response();
  }
  return b;
}

constexpr const char* kList = R"({
  "timestamp": "2026-12-01T00:00:00Z",
  "expires": "2026-12-15T00:00:00Z",
  "version": "0.1",
  "author": "test maintainers",
  "policy-aliases": {"prov": {"mode": "enforce", "mxs": [".prov.test"]}},
  "policies": {
    "ok.test": {"mode": "enforce", "mxs": ["mx.ok.test"]},
    "brk.test": {"mode": "enforce", "mxs": ["mx.brk.test"]},
    "old.test": {"mode": "testing", "mxs": ["mx.old.test"]},
    "rec.test": {"mode": "testing", "mxs": ["mx.rec.test"]},
    "und.test": {"mode": "testing", "mxs": ["mx.und.test"]},
    "moved.test": {"mode": "enforce", "mxs": ["mx.moved-away.test"]},
    "alias.test": {"policy-alias": "prov"}
  }
})";

// One night: a world whose servers play `serves`, validated with the list into `db`.
mx::test::ProcessResult night(const std::map<std::string, Serves>& serves,
                              const std::filesystem::path& list, const std::filesystem::path& db,
                              const std::vector<std::string>& extra) {
  World world;
  for (const auto& [domain, how] : serves) {
    world.add_domain(domain, behaviour(world, "mx." + domain, how));
  }
  world.zone().add_mx("alias.test", 10, "mx1.prov.test");
  world.add_server("mx1.prov.test", behaviour(world, "mx1.prov.test", Serves::good));
  world.start();
  std::vector<std::string> args{"--list",    list.string(), "--db",
                                db.string(), "--json",      "--allow-private"};
  args.insert(args.end(), extra.begin(), extra.end());
  return world.mxscan("validate", args);
}

std::string category(const std::map<std::string, boost::json::object>& out,
                     const std::string& domain) {
  return std::string(out.at(domain).at("category").as_string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("validate: two nights give the expected categories, urgent marks and candidates",
          "[cli]") {
  mx::test::TempDir dir;
  const auto list = dir.path() / "policy.json";
  const auto db = dir.path() / "validations.db";
  std::ofstream(list) << kList;

  const auto first = night({{"ok.test", Serves::good},
                            {"brk.test", Serves::good},
                            {"old.test", Serves::no_starttls},
                            {"rec.test", Serves::no_starttls},
                            {"und.test", Serves::good},
                            {"moved.test", Serves::good}},
                           list, db, {"--remove-after", "2"});
  INFO(first.err);
  REQUIRE(first.exit_code == 1);
  auto out = mx::test::by_domain(first.out);
  REQUIRE(out.size() == 7);
  CHECK(category(out, "ok.test") == "passing");
  CHECK(category(out, "brk.test") == "passing");
  CHECK(category(out, "old.test") == "newly-failing");
  CHECK(category(out, "rec.test") == "newly-failing");
  CHECK(category(out, "moved.test") == "newly-failing");
  CHECK(category(out, "alias.test") == "passing");
  CHECK(out.at("moved.test").at("urgent").as_bool());
  CHECK_FALSE(out.at("old.test").at("urgent").as_bool());
  // The entry judged against is in the domain object, the alias resolved.
  CHECK(out.at("alias.test").at("policy").at("mode").as_string() == "enforce");
  CHECK(out.at("alias.test").at("policy").at("mxs").at(0).as_string() == ".prov.test");

  // brk.test was admitted with a contact; the others fall back to postmaster@.
  {
    auto database = mx::store::open_for_writing(db);
    database.exec(
        "INSERT INTO contacts (domain, contact, admitted_at) VALUES "
        "('brk.test', 'hostmaster@brk.test', '2026-01-01T00:00:00Z')");
  }

  const auto notices = dir.path() / "notices";
  const auto report = dir.path() / "report.md";
  const auto second = night({{"ok.test", Serves::good},
                             {"brk.test", Serves::no_starttls},
                             {"old.test", Serves::no_starttls},
                             {"rec.test", Serves::good},
                             {"und.test", Serves::silent},
                             {"moved.test", Serves::good}},
                            list, db,
                            {"--remove-after", "2", "--report", report.string(), "--notify-dir",
                             notices.string(), "--notify-from", "list@maintainers.test"});
  INFO(second.err);
  REQUIRE(second.exit_code == 1);
  out = mx::test::by_domain(second.out);
  REQUIRE(out.size() == 7);
  CHECK(category(out, "ok.test") == "passing");
  CHECK(category(out, "brk.test") == "newly-failing");
  CHECK(out.at("brk.test").at("urgent").as_bool());
  CHECK(category(out, "old.test") == "still-failing");
  CHECK(out.at("old.test").at("failing_streak").as_int64() == 2);
  CHECK_FALSE(out.at("old.test").at("removal_candidate").as_bool());  // testing
  CHECK(category(out, "rec.test") == "recovered");
  CHECK(category(out, "und.test") == "undetermined");
  CHECK(out.at("und.test").at("status").as_string() == "error");
  CHECK(category(out, "moved.test") == "still-failing");
  CHECK(out.at("moved.test").at("removal_candidate").as_bool());
  CHECK(category(out, "alias.test") == "passing");

  // The summary goes to stderr with --json; the Markdown report names the urgent domain and why.
  CHECK(second.err.find("Urgent") != std::string::npos);
  const auto markdown = read_file(report);
  CHECK(markdown.find("brk.test") != std::string::npos);
  CHECK(markdown.find("starttls:not-advertised") != std::string::npos);
  CHECK(markdown.find("Removal candidates") != std::string::npos);
  // Without --exclude, the contract's five categories and no others.
  CHECK(second.err.find("7 entries: 1 newly-failing, 2 still-failing, 1 recovered, 1 "
                        "undetermined, 2 passing; 2 urgent") != std::string::npos);
  CHECK(markdown.find("\n| passing | 2 |\n| **urgent**") != std::string::npos);

  // One notice, for the one newly failing entry, to its recorded contact.
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(notices)) {
    files.push_back(entry.path());
  }
  REQUIRE(files.size() == 1);
  CHECK(files[0].filename().string().find("brk.test") != std::string::npos);
  const auto message = read_file(files[0]);
  CHECK(message.find("To: hostmaster@brk.test\r\n") != std::string::npos);
  CHECK(message.find("From: list@maintainers.test\r\n") != std::string::npos);

  // The history is in the database: two complete validation runs with their categories.
  const auto database = mx::store::open_for_reading(db);
  auto runs = database.prepare(
      "SELECT count(*) FROM runs WHERE kind = 'validate' AND state = 'complete' AND "
      "list_author = 'test maintainers'");
  runs.step();
  CHECK(runs.column_int(0) == 2);
  auto rows = database.prepare("SELECT count(*) FROM validation_results");
  rows.step();
  CHECK(rows.column_int(0) == 14);
}

TEST_CASE("validate: a malformed list is refused naming each problem, nothing written", "[cli]") {
  mx::test::TempDir dir;
  const auto list = dir.path() / "bad.json";
  std::ofstream(list) << R"({"timestamp": "2026-12-01T00:00:00Z",
    "expires": "2026-12-15T00:00:00Z", "version": "0.1", "author": "a",
    "policies": {"x.test": {"mode": "strict", "mxs": ["mx.x.test"]},
                 "y.test": {"policy-alias": "nowhere"}}})";
  const auto db = dir.path() / "never.db";
  const auto result = mx::test::run_process(
      {MXSCAN_BINARY, "validate", "--list", list.string(), "--db", db.string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("x.test") != std::string::npos);
  CHECK(result.err.find("mode") != std::string::npos);
  CHECK(result.err.find("nowhere") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(db));

  const auto html = mx::test::run_process({MXSCAN_BINARY, "validate", "--list", list.string(),
                                           "--db", db.string(), "--report", "r.html"});
  CHECK(html.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("validate: kill -9, then --resume, finishes the same validation and categorises it",
          "[cli]") {
  using namespace std::chrono_literals;
  World world;
  mx::test::TempDir dir;
  const auto list = dir.path() / "policy.json";
  const auto db = dir.path() / "validations.db";
  std::string policies;
  for (int i = 0; i < 60; ++i) {
    const auto domain = "d" + std::to_string(i) + ".test";
    auto b = world.tls_behaviour("mx." + domain);
    b.greeting.delay = 60ms;  // slow enough to be killed mid-run
    world.add_domain(domain, b);
    policies += fmt::format("{}\"{}\": {{\"mode\": \"enforce\", \"mxs\": [\"mx.{}\"]}}",
                            i == 0 ? "" : ",", domain, domain);
  }
  world.start();
  std::ofstream(list) << R"({"timestamp": "2026-12-01T00:00:00Z", "expires": "2026-12-15T00:00:00Z",
    "version": "0.1", "author": "resume test", "policies": {)"
                      << policies << "}}";
  auto argv = [&](std::vector<std::string> extra) {
    std::vector<std::string> out{MXSCAN_BINARY, "validate",  "--list",         list.string(),
                                 "--db",        db.string(), "--allow-private"};
    const auto options = world.world_options();
    out.insert(out.end(), options.begin(), options.end());
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  };
  auto stored = [&] {
    try {
      const auto database = mx::store::open_for_reading(db);
      auto count = database.prepare("SELECT count(*) FROM domains");
      count.step();
      return count.column_int(0);
    } catch (const mx::store::StoreError&) {
      return std::int64_t{0};
    }
  };
  {
    mx::test::ChildProcess validate(argv({"--concurrency", "2", "--threads", "1"}),
                                    dir.path().string());
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (stored() < 5 && std::chrono::steady_clock::now() < deadline) {
      // Polling another process's database: there is nothing to wait on.
      std::this_thread::sleep_for(20ms);
    }
    REQUIRE(stored() >= 5);
    validate.signal(SIGKILL);
    validate.wait(10s);
  }
  CHECK(stored() < 60);

  const auto resumed = mx::test::run_process(argv({"--resume", "--json"}));
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.err.find("resuming run 1") != std::string::npos);
  const auto out = mx::test::by_domain(resumed.out);
  CHECK(out.size() == 60);
  for (const auto& [domain, object] : out) {
    CHECK(object.at("category").as_string() == "passing");
  }
  const auto database = mx::store::open_for_reading(db);
  auto runs = database.prepare("SELECT count(*), min(state) FROM runs");
  runs.step();
  CHECK(runs.column_int(0) == 1);
  CHECK(runs.column_text(1) == "complete");
}
