// --rate end to end: a scan of a loopback world never opens connections faster than asked, and
// the run records the rate among its options.
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/loopback_world.hpp"

using mx::test::World;

TEST_CASE("mxscan scan --rate: never more new connections a second than asked, recorded in the run",
          "[loopback]") {
  constexpr int kDomains = 30;
  constexpr double kRate = 20.0;
  World world;
  const auto input = (world.dir() / "input.txt").string();
  {
    std::ofstream out(input);
    for (int i = 0; i < kDomains; ++i) {
      const auto domain = "r" + std::to_string(i) + ".test";
      world.add_domain(domain, world.tls_behaviour("mx." + domain));
      out << domain << '\n';
    }
  }
  world.start();
  const auto db = (world.dir() / "scan.db").string();

  const auto started = std::chrono::steady_clock::now();
  const auto scan = world.mxscan("scan", {"--input", input, "--db", db, "--allow-private", "--rate",
                                          "20", "--concurrency", "100"});
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  INFO(scan.err);
  REQUIRE(scan.exit_code == 0);
  const auto connections = world.connections();
  CHECK(connections >= kDomains);  // every MX host probed once

  // Turns come one every 1/N s, the first at once: n connections need (n - 1) / N seconds. A slow
  // machine only makes the scan slower, so this bound holds anywhere (10 % for the clock).
  const double observed = static_cast<double>(connections - 1) / took.count();
  WARN("--rate 20: " << connections << " connections in " << took.count() << " s, " << observed
                     << "/s");
  CHECK(observed <= kRate * 1.1);

  const auto stored = mx::store::open_for_reading(db);
  auto query = stored.prepare("SELECT options FROM runs");
  REQUIRE(query.step());
  const auto options = boost::json::parse(query.column_text(0)).as_object();
  REQUIRE(options.contains("rate"));
  CHECK(options.at("rate").to_number<double>() == kRate);
}

TEST_CASE("mxscan scan: without --rate the run's options carry no rate", "[loopback]") {
  World world;
  const auto input = (world.dir() / "input.txt").string();
  {
    std::ofstream out(input);
    world.add_domain("one.test", world.tls_behaviour("mx.one.test"));
    out << "one.test\n";
  }
  world.start();
  const auto db = (world.dir() / "scan.db").string();
  const auto scan = world.mxscan("scan", {"--input", input, "--db", db, "--allow-private"});
  REQUIRE(scan.exit_code == 0);
  const auto stored = mx::store::open_for_reading(db);
  auto query = stored.prepare("SELECT options FROM runs");
  REQUIRE(query.step());
  // So that a run recorded before --rate existed still resumes with the same options.
  CHECK_FALSE(boost::json::parse(query.column_text(0)).as_object().contains("rate"));
}
