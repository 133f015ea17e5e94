// --endpoint-cache end to end: the real binary against a loopback world, with a cache far smaller
// than the endpoints the domains use.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/json_lines.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

using mx::test::World;

TEST_CASE("mxscan check --endpoint-cache 4: single-use MX hosts leave the shared ones cached",
          "[loopback]") {
  World world;
  for (int h = 0; h < 2; ++h) {
    const auto host = "mx" + std::to_string(h) + ".provider.test";
    world.add_server(host, world.tls_behaviour(host));
  }
  // One domain at a time, a provider's customer then a self-hosted domain: ten endpoints of one
  // use pass through the cache of four while the two providers' hosts are asked for again.
  std::vector<std::string> args{
      "--allow-private", "--endpoint-cache", "4", "--threads", "1", "--concurrency", "1"};
  for (int i = 0; i < 10; ++i) {
    const auto customer = "c" + std::to_string(i) + ".test";
    world.zone().add_mx(customer, 10, "mx" + std::to_string(i % 2) + ".provider.test");
    const auto self_hosted = "s" + std::to_string(i) + ".test";
    world.add_domain(self_hosted, world.tls_behaviour("mx." + self_hosted));
    args.insert(args.end(), {customer, self_hosted});
  }
  world.start();

  const auto result = world.check(args);
  CAPTURE(result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 0);
  const auto results = mx::test::by_domain(result.out);
  CHECK(results.size() == 20);
  for (const auto& [domain, object] : results) {
    CAPTURE(domain);
    CHECK(object.at("mx").as_array()[0].at("status").as_string() == "pass");
  }
  CHECK(world.connections() == 2 + 10);
}

TEST_CASE("mxscan check --endpoint-cache 0 is a usage error", "[loopback]") {
  World world;
  world.start();
  const auto result = world.check({"--endpoint-cache", "0", "example.test"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--endpoint-cache") != std::string::npos);
}

}  // namespace
