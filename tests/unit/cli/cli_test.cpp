// End-to-end tests of the mxscan binary: exit codes, usage errors, and `resolve` against the
// loopback world's DNS server.
#include <filesystem>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/background_dns.hpp"
#include "tests/support/process.hpp"

namespace {

using mx::test::BackgroundDns;
using mx::test::run_process;
namespace json = boost::json;

mx::test::ProcessResult mxscan(std::vector<std::string> args) {
  args.insert(args.begin(), MXSCAN_BINARY);
  return run_process(args);
}

mx::world::Zone demo_zone() {
  mx::world::Zone zone;
  zone.add_mx("example.test", 10, "mx1.example.test");
  zone.add_mx("example.test", 20, "mx2.example.test");
  zone.add_a("mx1.example.test", "127.0.0.2");
  zone.add_aaaa("mx1.example.test", "::1");
  zone.add_a("mx2.example.test", "192.0.2.7");
  zone.add_txt("_mta-sts.example.test", {"v=STSv1; id=2026", "1128"});
  zone.add_txt("_smtp._tls.example.test", {"v=TLSRPTv1; rua=mailto:r@example.test"});
  zone.add_a("implicit.test", "127.0.0.3");
  zone.add_mx("nullmx.test", 0, ".");
  zone.add_mx("broken.test", 10, "mx.broken.test");
  zone.set_behaviour("broken.test", {.reply = mx::world::Behaviour::Reply::servfail});
  return zone;
}

std::vector<json::object> json_lines(const std::string& text) {
  std::vector<json::object> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(json::parse(line).as_object());
  }
  return out;
}

}  // namespace

TEST_CASE("mxscan --version and --help exit 0", "[loopback]") {
  const auto version = mxscan({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.find("mxscan 0.1.0") != std::string::npos);
  const auto help = mxscan({"--help"});
  CHECK(help.exit_code == 0);
  for (const auto* command :
       {"check", "scan", "validate", "triage", "export", "report", "resolve", "merge"}) {
    CAPTURE(command);
    CHECK(help.out.find(command) != std::string::npos);
  }
  const auto resolve_help = mxscan({"resolve", "--help"});
  CHECK(resolve_help.exit_code == 0);
  for (const auto* option : {"--resolver", "--ca-file", "--allow-private", "--smtp-port",
                             "--https-port", "--timeout", "--concurrency", "--ehlo", "--json"}) {
    CAPTURE(option);
    CHECK(resolve_help.out.find(option) != std::string::npos);
  }
}

TEST_CASE("the list jobs refuse a missing list or queue with exit 2", "[loopback]") {
  const auto validate = mxscan({"validate", "--list", "/nonexistent/policy.json", "--db", "x.db"});
  CHECK(validate.exit_code == 2);
  CHECK(validate.err.find("/nonexistent/policy.json") != std::string::npos);
  const auto triage = mxscan({"triage", "--queue", "/nonexistent/queue.csv", "--list",
                              "/nonexistent/policy.json", "--db", "x.db"});
  CHECK(triage.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists("x.db"));
}

TEST_CASE("usage errors exit 2 with a message naming the problem", "[loopback]") {
  SECTION("no command") {
    const auto result = mxscan({});
    CHECK(result.exit_code == 2);
  }
  SECTION("unparsable --resolver") {
    const auto bad = GENERATE(as<std::string>{}, "dns.example", "192.0.2.1:0", "[::1", "300.1.1.1");
    const auto result = mxscan({"resolve", "--resolver", bad, "example.com"});
    CAPTURE(bad, result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--resolver") != std::string::npos);
    CHECK(result.err.find(bad) != std::string::npos);
    CHECK(result.out.empty());
  }
  SECTION("malformed domain") {
    const auto result = mxscan({"resolve", "--resolver", "127.0.0.1:9", "exa..mple.com"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("exa..mple.com") != std::string::npos);
    CHECK(result.out.empty());
  }
  SECTION("unknown option") {
    const auto result = mxscan({"resolve", "--no-such-option", "example.com"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("--no-such-option") != std::string::npos);
  }
}

TEST_CASE("mxscan resolve reports what the resolver sees", "[loopback]") {
  BackgroundDns dns(demo_zone());
  const auto result = mxscan({"resolve", "--json", "--resolver", dns.resolver(), "--timeout", "2",
                              "Example.TEST.", "implicit.test", "nullmx.test", "missing.test"});
  CAPTURE(result.err);
  REQUIRE(result.exit_code == 0);
  const auto lines = json_lines(result.out);
  REQUIRE(lines.size() == 4);

  const auto& example = lines[0];
  CHECK(example.at("domain").as_string() == "example.test");
  const auto& mx = example.at("mx").as_object();
  CHECK(mx.at("outcome").as_string() == "data");
  const auto& hosts = mx.at("hosts").as_array();
  REQUIRE(hosts.size() == 2);
  const auto& mx1 = hosts[0].as_object();
  CHECK(mx1.at("host").as_string() == "mx1.example.test");
  CHECK(mx1.at("preference").as_int64() == 10);
  const auto& mx1_a = mx1.at("a").as_object().at("addresses").as_array();
  REQUIRE(mx1_a.size() == 1);
  CHECK(mx1_a[0].at("ip").as_string() == "127.0.0.2");
  CHECK(mx1_a[0].at("special").as_string() == "Loopback");
  CHECK(mx1_a[0].at("allowed").as_bool() == false);
  CHECK(mx1.at("aaaa").as_object().at("addresses").as_array()[0].at("ip").as_string() == "::1");
  CHECK(mx1.at("tlsa").as_object().at("outcome").as_string() == "nxdomain");
  const auto& mx2_a = hosts[1].at("a").as_object().at("addresses").as_array();
  CHECK(mx2_a[0].at("special").as_string() == "Documentation (TEST-NET-1)");
  CHECK(example.at("mta_sts_txt").as_object().at("records").as_array()[0].as_string() ==
        "v=STSv1; id=20261128");
  CHECK(example.at("tlsrpt_txt").as_object().at("outcome").as_string() == "data");

  const auto& implicit = lines[1].at("mx").as_object();
  CHECK(implicit.at("outcome").as_string() == "nodata");
  CHECK(implicit.at("implicit").as_bool());
  REQUIRE(implicit.at("hosts").as_array().size() == 1);
  CHECK(implicit.at("hosts").as_array()[0].at("host").as_string() == "implicit.test");

  const auto& nullmx = lines[2].at("mx").as_object();
  CHECK(nullmx.at("null_mx").as_bool());
  CHECK(nullmx.at("hosts").as_array().empty());

  CHECK(lines[3].at("mx").as_object().at("outcome").as_string() == "nxdomain");
}

TEST_CASE("mxscan resolve: --allow-private, undetermined answers exit 3", "[loopback]") {
  BackgroundDns dns(demo_zone());
  const auto allowed = mxscan(
      {"resolve", "--json", "--allow-private", "--resolver", dns.resolver(), "example.test"});
  REQUIRE(allowed.exit_code == 0);
  const auto lines = json_lines(allowed.out);
  REQUIRE(lines.size() == 1);
  const auto& hosts = lines[0].at("mx").as_object().at("hosts").as_array();
  CHECK(hosts[0].at("a").as_object().at("addresses").as_array()[0].at("allowed").as_bool());

  const auto broken =
      mxscan({"resolve", "--json", "--resolver", dns.resolver(), "example.test", "broken.test"});
  CAPTURE(broken.err);
  CHECK(broken.exit_code == 3);
  const auto broken_lines = json_lines(broken.out);
  REQUIRE(broken_lines.size() == 2);
  CHECK(broken_lines[1].at("mx").as_object().at("outcome").as_string() == "servfail");

  const auto text = mxscan({"resolve", "--resolver", dns.resolver(), "example.test"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("mx1.example.test") != std::string::npos);
  CHECK(text.out.find("refused without --allow-private") != std::string::npos);
}
