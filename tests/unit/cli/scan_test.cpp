// `mxscan scan`, `export` and `merge` end to end against a loopback world: stored rows, one probe
// per shared MX, kill -9 and --resume, SIGINT, and shards merged back into one run.
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

using mx::test::World;
using namespace std::chrono_literals;

// `count` domains d<i>.test, each with its own MX host mx.d<i>.test whose server plays
// `behaviour(i)`; the list is written to <world dir>/input.txt.
template <typename Behaviour>
std::string build_world(World& world, int count, Behaviour behaviour) {
  const auto input = (world.dir() / "input.txt").string();
  std::ofstream out(input);
  for (int i = 0; i < count; ++i) {
    const auto domain = "d" + std::to_string(i) + ".test";
    world.add_domain(domain, behaviour(world, i, "mx." + domain));
    out << domain << '\n';
  }
  return input;
}

mx::world::SmtpBehaviour good(World& world, const std::string& host,
                              std::chrono::milliseconds delay = 0ms) {
  auto b = world.tls_behaviour(host);
  b.greeting.delay = delay;
  return b;
}

std::int64_t query_int(const std::string& db_path, const std::string& sql) {
  const auto db = mx::store::open_for_reading(db_path);
  auto statement = db.prepare(sql);
  statement.step();
  return statement.column_int(0);
}

std::string query_text(const std::string& db_path, const std::string& sql) {
  const auto db = mx::store::open_for_reading(db_path);
  auto statement = db.prepare(sql);
  statement.step();
  return statement.column_text(0);
}

// Domains stored so far by a scan running in another process; 0 while the file is not ready.
std::int64_t stored(const std::string& db_path) {
  try {
    return query_int(db_path, "SELECT count(*) FROM domains");
  } catch (const mx::store::StoreError&) {
    return 0;
  }
}

bool wait_for_stored(const std::string& db_path, std::int64_t at_least) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stored(db_path) >= at_least) {
      return true;
    }
    // Polling another process's database: there is nothing to wait on.
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::string export_jsonl(const std::string& db_path) {
  const auto result =
      mx::test::run_process({MXSCAN_BINARY, "export", "--db", db_path, "--format", "jsonl"});
  REQUIRE(result.exit_code == 0);
  return result.out;
}

std::vector<std::string> scan_args(const World& world, const std::string& input,
                                   const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{MXSCAN_BINARY, "scan", "--input", input, "--db", db};
  const auto options = world.world_options();
  argv.insert(argv.end(), options.begin(), options.end());
  argv.emplace_back("--allow-private");
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace

TEST_CASE("mxscan scan stores every domain with its hosts, endpoints and checks", "[loopback]") {
  World world;
  // 200 domains on 20 shared hosts: 14 good, 3 without STARTTLS, 3 with an expired certificate.
  for (int h = 0; h < 20; ++h) {
    const auto host = "mx" + std::to_string(h) + ".provider.test";
    auto b = good(world, host);
    if (h >= 14 && h < 17) {
      b.ehlo = mx::world::ehlo_reply({"PIPELINING"});
    } else if (h >= 17) {
      mx::world::LeafSpec spec;
      spec.dns_names = {host};
      spec.valid_from = -std::chrono::hours(48);
      spec.valid_until = -std::chrono::hours(24);
      b.tls = mx::world::SmtpTls{world.certificate_for(host, spec), {}};
    }
    world.add_server(host, b);
  }
  const auto input = (world.dir() / "input.txt").string();
  {
    std::ofstream out(input);
    out << "# customers\n";
    for (int i = 0; i < 200; ++i) {
      const auto domain = "c" + std::to_string(i) + ".test";
      world.zone().add_mx(domain, 10, "mx" + std::to_string(i % 20) + ".provider.test");
      out << i + 1 << ',' << domain << '\n';
    }
    out << "not a domain\n"
        << "c0.test\n";
  }
  world.start();
  const auto db = (world.dir() / "scan.db").string();

  const auto result = mx::test::run_process(scan_args(world, input, db));
  CAPTURE(result.err);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("input.txt:202: skipped") != std::string::npos);
  CHECK(result.err.find("1 duplicates") != std::string::npos);
  CHECK(result.out.empty());  // results go to the database, logs to stderr
  // One probe per endpoint: 20 hosts, 20 connections, whatever the number of customers.
  CHECK(world.connections() == 20);

  CHECK(query_text(db, "SELECT state FROM runs") == "complete");
  CHECK(query_int(db, "SELECT count(*) FROM domains") == 200);
  // The good ones are warn: the world publishes no MTA-STS and no TLSRPT record (two `absent`).
  CHECK(query_int(db, "SELECT count(*) FROM domains WHERE status = 'warn'") == 140);
  CHECK(query_int(db,
                  "SELECT count(*) FROM checks WHERE subject = 'host' AND name = 'starttls' "
                  "AND code = 'not-advertised'") == 30);
  CHECK(query_int(db,
                  "SELECT count(*) FROM checks WHERE subject = 'address' AND "
                  "name = 'certificate' AND code = 'expired'") == 30);
  CHECK(query_int(db, "SELECT count(*) FROM endpoints") == 20);
  CHECK(query_int(db, "SELECT count(*) FROM certificates") == 17);
  CHECK(query_int(db, "SELECT count(*) FROM mx_hosts") == 200);
  CHECK(query_int(db, "SELECT domains FROM mx_providers WHERE host = 'mx0.provider.test'") == 10);
  CHECK(query_int(db, "SELECT count(*) FROM run_inputs") == 200);

  // The export is the contract's domain objects, sorted by domain.
  const auto jsonl = export_jsonl(db);
  std::istringstream lines(jsonl);
  std::vector<std::string> domains;
  for (std::string line; std::getline(lines, line);) {
    domains.push_back(std::string(boost::json::parse(line).at("domain").as_string()));
  }
  CHECK(domains.size() == 200);
  CHECK(std::is_sorted(domains.begin(), domains.end()));
  const auto csv = mx::test::run_process({MXSCAN_BINARY, "export", "--db", db, "--format", "csv"});
  CHECK(csv.exit_code == 0);
  CHECK(csv.out.find("c14.test,fail,mx14.provider.test,starttls:not-advertised") !=
        std::string::npos);
}

TEST_CASE("mxscan scan: bad input and bad databases exit 2 and change nothing", "[loopback]") {
  World world;
  world.start();
  const auto db = (world.dir() / "scan.db").string();
  const auto missing = mx::test::run_process(scan_args(world, "/nonexistent/list.txt", db));
  CHECK(missing.exit_code == 2);
  CAPTURE(missing.err);
  CHECK(missing.err.find("/nonexistent/list.txt") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(db));

  const auto input = (world.dir() / "input.txt").string();
  std::ofstream(input) << "example.test\n";
  const auto bad_shard = mx::test::run_process(scan_args(world, input, db, {"--shard", "3/3"}));
  CHECK(bad_shard.exit_code == 2);

  // A database another writer holds locked: a clear error once the busy timeout passes.
  {
    auto holder = mx::store::open_for_writing(db);
    holder.exec("BEGIN IMMEDIATE");
    const auto locked = mx::test::run_process(scan_args(world, input, db));
    CHECK(locked.exit_code == 2);
    CHECK(locked.err.find("locked") != std::string::npos);
    holder.exec("ROLLBACK");
  }
  CHECK(query_int(db, "SELECT count(*) FROM runs") == 0);

  // A database of a newer schema is refused untouched.
  {
    mx::store::Database future(db, mx::store::Database::Mode::read_write_create);
    future.exec("PRAGMA user_version = 99");
  }
  const auto newer = mx::test::run_process(scan_args(world, input, db));
  CHECK(newer.exit_code == 2);
  CHECK(newer.err.find("newer") != std::string::npos);
  const auto export_newer =
      mx::test::run_process({MXSCAN_BINARY, "export", "--db", db, "--format", "jsonl"});
  CHECK(export_newer.exit_code == 2);
}

TEST_CASE("mxscan scan: kill -9, then --resume, equals an uninterrupted run", "[loopback]") {
  World world;
  const auto input = build_world(
      world, 80, [](World& w, int, const std::string& host) { return good(w, host, 60ms); });
  world.start();
  const auto killed_db = (world.dir() / "killed.db").string();
  const auto clean_db = (world.dir() / "clean.db").string();
  const std::vector<std::string> slow{"--concurrency", "4", "--threads", "2"};

  {
    mx::test::ChildProcess scan(scan_args(world, input, killed_db, slow), world.dir().string());
    REQUIRE(wait_for_stored(killed_db, 10));
    scan.signal(SIGKILL);
    scan.wait(10s);
  }
  const auto before = stored(killed_db);
  CHECK(before < 80);
  CHECK(query_text(killed_db, "SELECT state FROM runs") == "running");

  const auto resumed = mx::test::run_process(scan_args(world, input, killed_db, {"--resume"}));
  CAPTURE(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.err.find("resuming run 1") != std::string::npos);
  CHECK(query_int(killed_db, "SELECT count(*) FROM runs") == 1);
  CHECK(query_text(killed_db, "SELECT state FROM runs") == "complete");
  // Nothing committed was redone: those domains kept their first scan time and attempt.
  CHECK(query_int(killed_db, "SELECT count(*) FROM domains") == 80);

  const auto clean = mx::test::run_process(scan_args(world, input, clean_db));
  CHECK(clean.exit_code == 0);
  CHECK(export_jsonl(killed_db) == export_jsonl(clean_db));
}

TEST_CASE("mxscan scan: SIGINT commits what was done, --resume finishes", "[loopback]") {
  World world;
  const auto input = build_world(
      world, 80, [](World& w, int, const std::string& host) { return good(w, host, 60ms); });
  world.start();
  const auto db = (world.dir() / "scan.db").string();
  int code = 0;
  {
    mx::test::ChildProcess scan(
        scan_args(world, input, db, {"--concurrency", "4", "--threads", "1"}),
        world.dir().string());
    REQUIRE(wait_for_stored(db, 8));
    scan.signal(SIGINT);
    code = scan.wait(30s);
    CAPTURE(scan.err());
  }
  CHECK(code == 130);
  CHECK(query_text(db, "SELECT state FROM runs") == "interrupted");
  const auto saved = stored(db);
  CHECK(saved >= 8);
  CHECK(saved < 80);

  // --resume with other options names what changed and starts a new run; run 1 waits for its own.
  const auto other =
      mx::test::run_process(scan_args(world, input, db, {"--resume", "--timeout", "7"}));
  CAPTURE(other.err);
  CHECK(other.exit_code == 0);
  CHECK(other.err.find("run 1 of this input is unfinished but was started with other options: "
                       "timeout_s 3 (now 7); starting a new run") != std::string::npos);
  CHECK(query_text(db, "SELECT state FROM runs WHERE id = 1") == "interrupted");
  CHECK(query_text(db, "SELECT state FROM runs WHERE id = 2") == "complete");

  const auto resumed = mx::test::run_process(scan_args(world, input, db, {"--resume"}));
  CAPTURE(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.err.find("resuming run 1") != std::string::npos);
  CHECK(query_int(db, "SELECT count(*) FROM domains WHERE run_id = 1") == 80);
  CHECK(query_text(db, "SELECT state FROM runs WHERE id = 1") == "complete");
}

TEST_CASE("mxscan scan --shard K/N, merged, equals the unsharded run", "[loopback]") {
  World world;
  const auto input = build_world(world, 60, [](World& w, int i, const std::string& host) {
    auto b = good(w, host);
    if (i % 7 == 0) {
      b.ehlo = mx::world::ehlo_reply({"PIPELINING"});
    }
    return b;
  });
  world.start();
  const auto whole = (world.dir() / "whole.db").string();
  CHECK(mx::test::run_process(scan_args(world, input, whole)).exit_code == 1);

  std::vector<std::string> merge{MXSCAN_BINARY, "merge", "--db",
                                 (world.dir() / "merged.db").string()};
  std::int64_t sharded = 0;
  for (int k = 0; k < 3; ++k) {
    const auto db = (world.dir() / ("shard" + std::to_string(k) + ".db")).string();
    const auto result =
        mx::test::run_process(scan_args(world, input, db, {"--shard", std::to_string(k) + "/3"}));
    CHECK((result.exit_code == 0 || result.exit_code == 1));
    sharded += stored(db);
    merge.push_back(db);
  }
  CHECK(sharded == 60);
  const auto merged = mx::test::run_process(merge);
  CAPTURE(merged.err);
  REQUIRE(merged.exit_code == 0);
  const auto merged_db = (world.dir() / "merged.db").string();
  CHECK(export_jsonl(merged_db) == export_jsonl(whole));
  CHECK(query_text(merged_db, "SELECT input_digest FROM runs") ==
        query_text(whole, "SELECT input_digest FROM runs"));
  CHECK(query_text(merged_db, "SELECT state FROM runs") == "complete");
}
