// --exclude end to end against a loopback world: names the list covers are never asked of the
// DNS server, addresses it covers are never connected to (each server counts its connections),
// and every verdict names the entry; the run records the list; a malformed list is refused.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "publish/digest.hpp"
#include "store/schema.hpp"
#include "tests/support/json_lines.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

using mx::test::World;
namespace json = boost::json;

// The first check named `name` in `checks`.
json::object check_named(const json::array& checks, std::string_view name) {
  for (const auto& check : checks) {
    if (check.as_object().at("check").as_string() == name) {
      return check.as_object();
    }
  }
  return {};
}

bool asked_at_or_below(const std::vector<std::string>& names, const std::string& name) {
  return std::any_of(names.begin(), names.end(), [&](std::string asked) {
    std::transform(asked.begin(), asked.end(), asked.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return asked == name || asked.ends_with("." + name);
  });
}

// A policy list of `policies` (the members of its "policies" object), in the world's directory.
std::filesystem::path write_list(const World& world, const std::string& policies) {
  const auto path = world.dir() / "policy.json";
  std::ofstream(path) << R"({"timestamp": "2026-12-01T00:00:00Z",
    "expires": "2026-12-15T00:00:00Z", "version": "0.1", "author": "test maintainers",
    "policy-aliases": {}, "policies": {)"
                      << policies << "}}";
  return path;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string policy_text(const std::string& host) {
  return "version: STSv1\r\nmode: enforce\r\nmx: " + host + "\r\nmax_age: 86400\r\n";
}

// A world of six domains and the exclude list that covers parts of it:
//   a.excluded-zone.test  below an excluded name: nothing asked
//   byname.test           its MX host's name excluded: the host is never looked up
//   bynet.test            its MX host's address excluded (CIDR): never connected
//   partial.test          two MX hosts, the first's address excluded (bare address)
//   mtasts.test           its MTA-STS policy host's address excluded: no fetch
//   plain.test            nothing excluded
struct ExcludeWorld {
  World world;
  std::string input;
  std::string exclude;
  std::string bynet_ip;
  std::string byname_ip;
  std::string partial1_ip;
  std::string partial2_ip;
  std::string plain_ip;
  mx::world::HttpsServer* policy_server = nullptr;

  std::string add_host(const std::string& host) {
    const auto ip = world.next_address();
    world.zone().add_a(host, ip);
    world.start_smtp(world.tls_behaviour(host), boost::asio::ip::make_address(ip));
    return ip;
  }

  ExcludeWorld() {
    world.add_domain("a.excluded-zone.test", world.tls_behaviour("mx.a.excluded-zone.test"));
    world.zone().add_mx("byname.test", 10, "mx.byname.test");
    byname_ip = add_host("mx.byname.test");
    world.zone().add_mx("bynet.test", 10, "mx.bynet.test");
    bynet_ip = add_host("mx.bynet.test");
    world.zone().add_mx("partial.test", 10, "mx1.partial.test");
    world.zone().add_mx("partial.test", 20, "mx2.partial.test");
    partial1_ip = add_host("mx1.partial.test");
    partial2_ip = add_host("mx2.partial.test");
    world.zone().add_mx("mtasts.test", 10, "mx.mtasts.test");
    add_host("mx.mtasts.test");
    policy_server = &world.add_mta_sts(
        "mtasts.test", "1", mx::world::HttpsResponse::policy(policy_text("mx.mtasts.test")));
    world.zone().add_mx("plain.test", 10, "mx.plain.test");
    plain_ip = add_host("mx.plain.test");
    world.start();

    input = (world.dir() / "input.txt").string();
    std::ofstream(input) << "a.excluded-zone.test\nbyname.test\nbynet.test\npartial.test\n"
                            "mtasts.test\nplain.test\n";
    exclude = (world.dir() / "exclude.conf").string();
    std::ofstream(exclude) << "# opt-outs, zmap's format plus names\n"
                           << "excluded-zone.test\n"
                           << "MX.BYNAME.TEST.   # a host name\n"
                           << bynet_ip << "/32\n"
                           << partial1_ip << "\n"
                           << policy_server->endpoint().address().to_string() << "/32\n"
                           << "192.0.2.0/24  # never met here\n";
  }
};

}  // namespace

TEST_CASE(
    "mxscan check --exclude: excluded names are never asked, excluded addresses never "
    "contacted, each verdict names its entry",
    "[loopback]") {
  ExcludeWorld w;
  const auto check = w.world.mxscan(
      "check", {"--json", "--allow-private", "--exclude", w.exclude, "a.excluded-zone.test",
                "byname.test", "bynet.test", "partial.test", "mtasts.test", "plain.test"});
  INFO(check.err);
  // Skipped domains are neither failures nor errors; the others pass or warn.
  REQUIRE(check.exit_code == 0);
  const auto domains = mx::test::by_domain(check.out);
  REQUIRE(domains.size() == 6);

  const auto names = w.world.names_asked();
  CHECK_FALSE(asked_at_or_below(names, "excluded-zone.test"));
  CHECK_FALSE(asked_at_or_below(names, "mx.byname.test"));
  // The control: what is not excluded is asked.
  CHECK(asked_at_or_below(names, "mx.bynet.test"));
  CHECK(asked_at_or_below(names, "byname.test"));

  CHECK(w.world.connections_to(w.byname_ip) == 0);
  CHECK(w.world.connections_to(w.bynet_ip) == 0);
  CHECK(w.world.connections_to(w.partial1_ip) == 0);
  CHECK(w.policy_server->connections_accepted() == 0);
  CHECK(w.world.connections_to(w.partial2_ip) >= 1);
  CHECK(w.world.connections_to(w.plain_ip) >= 1);

  const auto& zone = domains.at("a.excluded-zone.test");
  CHECK(zone.at("status") == "skipped");
  const auto mx = check_named(zone.at("checks").as_array(), "mx");
  CHECK(mx.at("status") == "skipped");
  CHECK(mx.at("code") == "excluded");
  CHECK(std::string(mx.at("message").as_string()).find("line 2 (excluded-zone.test)") !=
        std::string::npos);

  const auto& byname = domains.at("byname.test");
  CHECK(byname.at("status") == "skipped");
  const auto& byname_host = byname.at("mx").as_array().at(0).as_object();
  const auto byname_address = check_named(byname_host.at("checks").as_array(), "address");
  CHECK(byname_address.at("code") == "excluded");
  CHECK(std::string(byname_address.at("message").as_string()).find("line 3 (mx.byname.test)") !=
        std::string::npos);

  const auto& bynet = domains.at("bynet.test");
  CHECK(bynet.at("status") == "skipped");
  const auto& bynet_host = bynet.at("mx").as_array().at(0).as_object();
  CHECK(bynet_host.at("status") == "skipped");
  const auto bynet_address = check_named(bynet_host.at("checks").as_array(), "address");
  CHECK(bynet_address.at("code") == "excluded");
  CHECK(
      std::string(bynet_address.at("message").as_string()).find("line 4 (" + w.bynet_ip + "/32)") !=
      std::string::npos);

  // One host excluded, the other probed: the domain is judged by the one that was.
  const auto& partial = domains.at("partial.test");
  CHECK(partial.at("status") == "warn");  // no MTA-STS or TLSRPT record
  const auto& partial_hosts = partial.at("mx").as_array();
  REQUIRE(partial_hosts.size() == 2);
  CHECK(partial_hosts.at(0).as_object().at("status") == "skipped");
  CHECK(partial_hosts.at(1).as_object().at("status") == "pass");

  const auto& mtasts = domains.at("mtasts.test");
  const auto policy = check_named(mtasts.at("checks").as_array(), "mta-sts.policy");
  CHECK(policy.at("status") == "skipped");
  CHECK(policy.at("code") == "excluded");
  CHECK(std::string(policy.at("message").as_string()).find("line 6") != std::string::npos);
  CHECK(mtasts.at("status") != "skipped");  // its mail host was probed

  CHECK(domains.at("plain.test").at("status") == "warn");
}

TEST_CASE("mxscan scan --exclude: skipped domains are stored, the run records the list",
          "[loopback]") {
  ExcludeWorld w;
  const auto db = (w.world.dir() / "scan.db").string();
  const auto scan = w.world.mxscan(
      "scan", {"--input", w.input, "--db", db, "--allow-private", "--exclude", w.exclude});
  INFO(scan.err);
  REQUIRE(scan.exit_code == 0);
  CHECK(w.world.connections_to(w.bynet_ip) == 0);

  const auto stored = mx::store::open_for_reading(db);
  auto statuses = stored.prepare("SELECT domain, status FROM domains ORDER BY domain");
  std::vector<std::string> rows;
  while (statuses.step()) {
    rows.push_back(statuses.column_text(0) + " " + statuses.column_text(1));
  }
  CHECK(rows == std::vector<std::string>{"a.excluded-zone.test skipped", "byname.test skipped",
                                         "bynet.test skipped", "mtasts.test warn",
                                         "partial.test warn", "plain.test warn"});

  const auto bytes = read_file(w.exclude);
  auto options = stored.prepare("SELECT options FROM runs");
  REQUIRE(options.step());
  const auto recorded = json::parse(options.column_text(0)).as_object();
  REQUIRE(recorded.contains("exclude"));
  CHECK(recorded.at("exclude").at("sha256").as_string() == mx::publish::sha256_hex(bytes));
  CHECK(recorded.at("exclude").at("entries") == 6);
}

TEST_CASE("mxscan scan --exclude: a malformed list is refused naming its line, nothing written",
          "[loopback]") {
  World world;
  world.add_domain("one.test", world.tls_behaviour("mx.one.test"));
  world.start();
  const auto input = (world.dir() / "input.txt").string();
  std::ofstream(input) << "one.test\n";
  const auto exclude = (world.dir() / "bad.conf").string();
  std::ofstream(exclude) << "10.0.0.0/8\n\n10.0.0.1/8   # host bits set\n";
  const auto db = (world.dir() / "scan.db").string();
  for (const auto* command : {"scan", "validate", "triage"}) {
    INFO(command);
    std::vector<std::string> args{"--input", input, "--db", db, "--exclude", exclude};
    if (std::string_view(command) == "validate") {
      args = {"--db", db, "--exclude", exclude, "--list", input};
    } else if (std::string_view(command) == "triage") {
      args = {"--db", db, "--exclude", exclude, "--list", input, "--queue", input};
    }
    const auto run = world.mxscan(command, args);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(exclude + ":3: host bits set") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(db));
  }
  CHECK(world.connections() == 0);
}

TEST_CASE(
    "mxscan resolve --exclude: shows what a scan would not ask or contact, and asks nothing "
    "excluded",
    "[loopback]") {
  ExcludeWorld w;
  const auto resolve = w.world.mxscan(
      "resolve",
      {"--json", "--exclude", w.exclude, "a.excluded-zone.test", "byname.test", "bynet.test"});
  INFO(resolve.err);
  REQUIRE(resolve.exit_code == 0);  // nothing asked is nothing undetermined
  const auto names = w.world.names_asked();
  CHECK_FALSE(asked_at_or_below(names, "excluded-zone.test"));
  CHECK_FALSE(asked_at_or_below(names, "mx.byname.test"));
  CHECK(asked_at_or_below(names, "mx.bynet.test"));
  const auto views = mx::test::by_domain(resolve.out);
  REQUIRE(views.size() == 3);
  CHECK(std::string(views.at("a.excluded-zone.test").at("excluded").as_string()).find("line 2") !=
        std::string::npos);
  const auto& byname_host =
      views.at("byname.test").at("mx").at("hosts").as_array().at(0).as_object();
  CHECK(std::string(byname_host.at("excluded").as_string()).find("line 3") != std::string::npos);
  CHECK_FALSE(byname_host.contains("a"));
  const auto& bynet_address = views.at("bynet.test")
                                  .at("mx")
                                  .at("hosts")
                                  .as_array()
                                  .at(0)
                                  .at("a")
                                  .at("addresses")
                                  .as_array()
                                  .at(0)
                                  .as_object();
  CHECK(bynet_address.at("ip").as_string() == w.bynet_ip);
  CHECK(std::string(bynet_address.at("excluded").as_string()).find("line 4") != std::string::npos);
  CHECK(bynet_address.at("allowed") == false);
}

TEST_CASE(
    "mxscan validate --exclude: excluded entries are their own category in the summary and the "
    "report, never errors",
    "[loopback]") {
  ExcludeWorld w;
  const auto list = write_list(w.world, R"(
      "a.excluded-zone.test": {"mode": "enforce", "mxs": ["mx.a.excluded-zone.test"]},
      "bynet.test": {"mode": "testing", "mxs": ["mx.bynet.test"]},
      "plain.test": {"mode": "testing", "mxs": ["mx.plain.test"]})");
  const auto db = w.world.dir() / "v.db";
  const auto report = w.world.dir() / "night.md";
  const auto validate =
      w.world.mxscan("validate", {"--list", list.string(), "--db", db.string(), "--allow-private",
                                  "--exclude", w.exclude, "--report", report.string()});
  INFO(validate.out << validate.err);
  REQUIRE(validate.exit_code == 0);  // plain.test warns; the others were not looked at
  CHECK(w.world.connections_to(w.bynet_ip) == 0);
  CHECK(validate.out.find("3 entries: 0 newly-failing, 0 still-failing, 0 recovered, 0 "
                          "undetermined, 1 passing, 2 excluded; 0 urgent") != std::string::npos);
  const auto section = validate.out.find("Excluded (--exclude");
  REQUIRE(section != std::string::npos);
  CHECK(validate.out.find("a.excluded-zone.test", section) != std::string::npos);
  CHECK(validate.out.find("bynet.test", section) != std::string::npos);
  CHECK(validate.out.find("plain.test", section) == std::string::npos);
  // With the entry that excluded each, not every check the exclusion skipped.
  CHECK(validate.out.find("address:excluded (mx.bynet.test)", section) != std::string::npos);
  CHECK(validate.out.find("connect:skipped", section) == std::string::npos);

  const auto markdown = read_file(report);
  CHECK(markdown.find("| excluded | 2 |") != std::string::npos);
  const auto table = markdown.find("## Excluded");
  REQUIRE(table != std::string::npos);
  // Each row names the --exclude entry that skipped it.
  const auto zone = markdown.find("`mx:excluded`: ", table);
  REQUIRE(zone != std::string::npos);
  CHECK(markdown.find("line 2 (excluded-zone.test)", zone) != std::string::npos);
  CHECK(markdown.find("`address:excluded` at mx.bynet.test", table) != std::string::npos);
}

TEST_CASE(
    "mxscan triage --exclude: excluded submissions are decided 'excluded' with the entry that "
    "excluded them, and stay off the new list",
    "[loopback]") {
  ExcludeWorld w;
  const auto list = write_list(w.world, "");
  const auto queue = w.world.dir() / "queue.csv";
  std::ofstream(queue) << "domain,contact,mxs,mode,submitted_at\n"
                       << "a.excluded-zone.test,a@example.org,mx.a.excluded-zone.test,testing,"
                          "2026-11-30T00:00:00Z\n"
                       << "bynet.test,b@example.org,mx.bynet.test,testing,2026-11-30T00:00:00Z\n"
                       << "plain.test,c@example.org,mx.plain.test,testing,2026-11-30T00:00:00Z\n";
  const auto db = w.world.dir() / "t.db";
  const auto next = w.world.dir() / "next.json";
  const auto triage = w.world.mxscan(
      "triage", {"--queue", queue.string(), "--list", list.string(), "--db", db.string(), "--out",
                 next.string(), "--json", "--allow-private", "--exclude", w.exclude});
  INFO(triage.out << triage.err);
  REQUIRE(triage.exit_code == 0);
  CHECK(w.world.connections_to(w.bynet_ip) == 0);
  const auto decisions = mx::test::by_domain(triage.out);
  REQUIRE(decisions.size() == 3);
  CHECK(decisions.at("a.excluded-zone.test").at("decision") == "excluded");
  CHECK(decisions.at("a.excluded-zone.test").at("reasons") == json::array{"mx:excluded"});
  CHECK(decisions.at("bynet.test").at("decision") == "excluded");
  CHECK(decisions.at("bynet.test").at("reasons") == json::array{"address:excluded"});
  CHECK(decisions.at("plain.test").at("decision") == "accept");
  CHECK(triage.err.find("3 submissions: 1 accept, 0 reject, 0 retry, 0 listed, 0 invalid, 2 "
                        "excluded; ") != std::string::npos);

  const auto written = json::parse(read_file(next));
  const auto& policies = written.at("policies").as_object();
  CHECK(policies.contains("plain.test"));
  CHECK_FALSE(policies.contains("a.excluded-zone.test"));
  CHECK_FALSE(policies.contains("bynet.test"));
}
