#include "bench/sim/world_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include "bench/sim/expected.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path fresh_dir(const std::string& name) {
  const auto dir =
      fs::temp_directory_path() / ("mxsim-test-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("A world's files: domains, expected lines, policy list and queue", "[unit]") {
  const auto dir = fresh_dir("files");
  const mx::sim::WorldState state{3000, 4, {}, 0};
  const auto plan = mx::sim::build_world(state);
  mx::sim::write_world_files(dir, plan, true);

  const auto domains = lines(dir / "domains.txt");
  const auto expected = lines(dir / "expected.jsonl");
  REQUIRE(domains.size() == 3000);
  REQUIRE(expected.size() == 3000);
  std::size_t passing = 0;
  for (std::size_t i = 0; i < domains.size(); ++i) {
    const auto line = json::parse(expected[i]).as_object();
    CHECK(line.at("domain").as_string() == domains[i]);
    const std::string status(line.at("status").as_string());
    CHECK(std::set<std::string>{"pass", "warn", "fail", "error"}.count(status) == 1);
    passing += status == "pass" ? 1 : 0;
    CHECK(line.at("codes").is_array());
  }
  CHECK(passing > 0);

  const auto list = json::parse(slurp(dir / "policy.json")).as_object();
  CHECK(list.at("version").as_string() == "0.1");
  CHECK(list.at("author").is_string());
  CHECK(list.at("timestamp").is_string());
  CHECK(list.at("expires").is_string());
  const auto& aliases = list.at("policy-aliases").as_object();
  const auto& policies = list.at("policies").as_object();
  CHECK(policies.size() > 300);
  std::size_t aliased = 0;
  std::set<std::string> modes;
  const std::set<std::string> names(domains.begin(), domains.end());
  for (const auto& [domain, entry] : policies) {
    CHECK(names.count(std::string(domain)) == 1);
    const auto& policy = entry.as_object();
    if (const auto* alias = policy.if_contains("policy-alias")) {
      ++aliased;
      CHECK(aliases.contains(alias->as_string()));
      continue;
    }
    modes.insert(std::string(policy.at("mode").as_string()));
    CHECK(!policy.at("mxs").as_array().empty());
  }
  CHECK(aliased > 0);
  CHECK(modes == std::set<std::string>{"enforce", "testing"});
  for (const auto& [name, alias] : aliases) {
    CHECK(!alias.as_object().at("mxs").as_array().empty());
  }

  const auto queue = lines(dir / "queue.csv");
  REQUIRE(queue.size() > 10);
  CHECK(queue.front() == "domain,contact,mxs,mode,submitted_at");
  std::size_t listed = 0;
  std::size_t invalid = 0;
  for (std::size_t i = 1; i < queue.size(); ++i) {
    const auto domain = queue[i].substr(0, queue[i].find(','));
    listed += policies.contains(domain) ? 1 : 0;
    invalid += names.count(domain) == 0 ? 1 : 0;
    CHECK(std::count(queue[i].begin(), queue[i].end(), ',') == 4);
  }
  CHECK(listed > 0);
  CHECK(invalid >= 2);
  CHECK(std::any_of(queue.begin(), queue.end(), [](const std::string& line) {
    return line.find(",strict,") != std::string::npos;  // a bad mode
  }));
  fs::remove_all(dir);
}

TEST_CASE("The world state round-trips and a mutated generation is rebuilt the same", "[unit]") {
  const auto dir = fresh_dir("state");
  mx::sim::WorldState state{500, 12, {}, 3};
  state.mix.wan = true;
  state.mix.rsa_share = 0.3;
  mx::sim::write_state(dir, state);
  const auto read = mx::sim::read_state(dir);
  REQUIRE(read);
  CHECK(read->same_world(state));
  CHECK(read->generation == 3);
  auto other = state;
  other.mix.rsa_share = 0.31;
  CHECK(!read->same_world(other));

  std::vector<mx::sim::Mutation> last;
  const auto a = mx::sim::build_world(*read, &last);
  const auto b = mx::sim::build_world(state);
  CHECK(!last.empty());
  for (std::size_t i = 0; i < a.domains.size(); ++i) {
    CHECK(mx::sim::expected_line(a.domains[i]) == mx::sim::expected_line(b.domains[i]));
  }
  std::ofstream(dir / "world.state") << "domains many\n";
  CHECK(!mx::sim::read_state(dir));
  fs::remove_all(dir);
}

TEST_CASE("mxscan.args lists the options for the world, one per line", "[unit]") {
  const auto dir = fresh_dir("args");
  mx::sim::write_mxscan_args(dir, "127.0.0.1:5353", 2525, 4443);
  const auto args = lines(dir / "mxscan.args");
  REQUIRE(args.size() == 9);
  CHECK(args[0] == "--resolver");
  CHECK(args[1] == "127.0.0.1:5353");
  CHECK(args[2] == "--ca-file");
  CHECK(fs::path(args[3]).is_absolute());
  CHECK(fs::path(args[3]).filename() == "root.pem");
  CHECK(args[4] == "--smtp-port");
  CHECK(args[5] == "2525");
  CHECK(args[6] == "--https-port");
  CHECK(args[7] == "4443");
  CHECK(args[8] == "--allow-private");
  fs::remove_all(dir);
}
