// `mxscan check` end to end: the real binary against a loopback world of DNS and SMTP servers,
// one domain per behaviour, asserting the status and code of each check the contract defines.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/json_lines.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

using mx::test::by_domain;

namespace json = boost::json;
using namespace std::chrono_literals;
using mx::test::World;
using mx::world::SmtpBehaviour;

// The (status, code) of `check` in a checks array, or ("missing", "").
std::pair<std::string, std::string> find_check(const json::value& checks, const std::string& name) {
  for (const auto& c : checks.as_array()) {
    if (c.at("check").as_string() == name) {
      return {std::string(c.at("status").as_string()), std::string(c.at("code").as_string())};
    }
  }
  return {"missing", ""};
}

// The host-level check of the first MX host.
std::pair<std::string, std::string> host_check(const json::object& domain,
                                               const std::string& name) {
  const auto& mx = domain.at("mx").as_array();
  if (mx.empty()) {
    return {"no-mx", ""};
  }
  return find_check(mx[0].at("checks"), name);
}

}  // namespace

TEST_CASE("mxscan check: each address-level code from a server that shows it", "[loopback]") {
  World world;
  auto& pki = world.pki();

  world.add_domain("ok.test", world.tls_behaviour("mx.ok.test"));
  {
    auto b = world.tls_behaviour("mx.nostarttls.test");
    b.ehlo = mx::world::ehlo_reply({"PIPELINING", "8BITMIME"});
    world.add_domain("nostarttls.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.lower.test");
    b.ehlo = mx::world::ehlo_reply({"PIPELINING", "starttls", "8BITMIME"});
    world.add_domain("lower.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.xstarttls.test");
    b.ehlo = mx::world::ehlo_reply({"XSTARTTLS"});
    world.add_domain("xstarttls.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.busy.test");
    b.starttls = mx::world::smtp_reply(454, {"4.7.0 TLS not available now"});
    world.add_domain("busy.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.refusetls.test");
    b.starttls = mx::world::smtp_reply(554, {"5.7.0 no TLS for you"});
    world.add_domain("refusetls.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.banner5.test");
    b.greeting = mx::world::smtp_reply(554, {"no service"});
    world.add_domain("banner5.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.banner4.test");
    b.greeting = mx::world::smtp_reply(421, {"too busy"});
    b.greeting.close_after = true;
    world.add_domain("banner4.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.ehlo5.test");
    b.ehlo = mx::world::smtp_reply(502, {"5.5.1 EHLO not implemented"});
    world.add_domain("ehlo5.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.ehlo4.test");
    b.ehlo = mx::world::smtp_reply(451, {"4.3.0 try later"});
    world.add_domain("ehlo4.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.tarpit.test");
    b.greeting = mx::world::silent_response();
    world.add_domain("tarpit.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.http.test");
    b.greeting = mx::world::raw_response("HTTP/1.1 400 Bad Request\r\n\r\n");
    world.add_domain("http.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.longline.test");
    b.greeting = mx::world::long_line_response(220, 300 * 1024);
    world.add_domain("longline.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.endless.test");
    b.ehlo = mx::world::endless_response(250);
    world.add_domain("endless.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.close220.test");
    b.starttls.close_after = true;
    world.add_domain("close220.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.garbage.test");
    b.garbage_instead_of_tls = "this is not TLS\r\n";
    world.add_domain("garbage.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.injected.test");
    b.starttls.injected = "250 injected\r\n";
    world.add_domain("injected.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.old.test");
    b.tls->max_version = mx::world::TlsVersion::tls1_1;
    world.add_domain("old.test", b);
  }
  {
    mx::world::LeafSpec spec;
    spec.valid_from = -std::chrono::hours(24 * 30);
    spec.valid_until = -std::chrono::hours(24);
    world.add_domain("expired.test", world.tls_behaviour("mx.expired.test", spec));
  }
  {
    mx::world::LeafSpec spec;
    spec.valid_from = std::chrono::hours(24);
    spec.valid_until = std::chrono::hours(24 * 30);
    world.add_domain("future.test", world.tls_behaviour("mx.future.test", spec));
  }
  {
    mx::world::LeafSpec spec;
    spec.issuer = mx::world::Issuer::self_signed;
    world.add_domain("selfsigned.test", world.tls_behaviour("mx.selfsigned.test", spec));
  }
  {
    mx::world::LeafSpec spec;
    spec.issuer = mx::world::Issuer::unrelated_root;
    world.add_domain("unrelated.test", world.tls_behaviour("mx.unrelated.test", spec));
  }
  {
    // The leaf is served without its intermediate.
    mx::world::LeafSpec spec;
    spec.dns_names = {"mx.nointermediate.test"};
    auto leaf = pki.issue(spec, "noint");
    SmtpBehaviour b;
    b.tls = mx::world::SmtpTls{{leaf.cert_file, leaf.key_file}, {}};
    world.add_domain("nointermediate.test", b);
  }
  {
    mx::world::LeafSpec spec;
    spec.dns_names = {"mx.elsewhere.test"};
    world.add_domain("wrongname.test", world.tls_behaviour("mx.wrongname.test", spec));
  }
  {
    mx::world::LeafSpec spec;
    spec.common_name = "mx.cnonly.test";
    world.add_domain("cnonly.test", world.tls_behaviour("mx.cnonly.test", spec));
  }
  {
    mx::world::LeafSpec spec;
    spec.dns_names = {"*.wild.test"};
    world.add_domain("wild.test", world.tls_behaviour("mx.wild.test", spec));
  }
  {
    mx::world::LeafSpec spec;
    spec.key = mx::world::KeyType::rsa_1024;
    world.add_domain("weak.test", world.tls_behaviour("mx.weak.test", spec));
  }
  {
    auto b = world.tls_behaviour("mx.fragments.test");
    b.write_chunk = 2;
    world.add_domain("fragments.test", b);
  }
  // A multi-tenant host: the certificate is chosen by SNI.
  {
    auto b = world.tls_behaviour("default.tenant.test");
    b.tls->by_sni["mx.tenant.test"] = world.certificate_for("mx.tenant.test");
    world.add_domain("tenant.test", b);
  }
  // An address with no server: connection refused.
  world.zone().add_mx("refused.test", 10, "mx.refused.test");
  world.zone().add_a("mx.refused.test", world.next_address());
  world.start();

  const std::vector<std::string> domains{
      "ok.test",         "nostarttls.test", "lower.test",          "xstarttls.test",
      "busy.test",       "refusetls.test",  "banner5.test",        "banner4.test",
      "ehlo5.test",      "ehlo4.test",      "tarpit.test",         "http.test",
      "longline.test",   "endless.test",    "close220.test",       "garbage.test",
      "injected.test",   "old.test",        "expired.test",        "future.test",
      "selfsigned.test", "unrelated.test",  "nointermediate.test", "wrongname.test",
      "cnonly.test",     "wild.test",       "weak.test",           "fragments.test",
      "tenant.test",     "refused.test"};
  std::vector<std::string> args{"--allow-private"};
  args.insert(args.end(), domains.begin(), domains.end());
  const auto result = world.check(args);
  CAPTURE(result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 1);
  auto results = by_domain(result.out);
  REQUIRE(results.size() == domains.size());

  struct Expect {
    const char* domain;
    const char* check;
    const char* status;
    const char* code;
    const char* domain_status;
  };
  // A domain whose SMTP side is perfect is `warn`: the world publishes no MTA-STS and no TLSRPT
  // record (two `absent` warnings).
  // One world and one run for every row (a GENERATE would start both again per row).
  const std::vector<Expect> expects{
      {"ok.test", "certificate", "pass", "ok", "warn"},
      {"ok.test", "tls", "pass", "ok", "warn"},
      {"nostarttls.test", "starttls", "fail", "not-advertised", "fail"},
      {"lower.test", "starttls", "pass", "ok", "warn"},
      {"xstarttls.test", "starttls", "fail", "not-advertised", "fail"},
      {"busy.test", "starttls", "error", "temporary", "error"},
      {"refusetls.test", "starttls", "fail", "rejected", "fail"},
      {"banner5.test", "smtp", "error", "banner-rejected", "error"},
      {"banner4.test", "smtp", "error", "temporary", "error"},
      {"ehlo5.test", "starttls", "fail", "not-advertised", "fail"},
      {"ehlo4.test", "smtp", "error", "temporary", "error"},
      {"tarpit.test", "smtp", "error", "timeout", "error"},
      {"http.test", "smtp", "fail", "protocol", "fail"},
      {"longline.test", "smtp", "fail", "protocol", "fail"},
      {"endless.test", "smtp", "fail", "protocol", "fail"},
      {"close220.test", "tls", "fail", "handshake-failed", "fail"},
      {"garbage.test", "tls", "fail", "handshake-failed", "fail"},
      {"injected.test", "starttls", "warn", "plaintext-after-starttls", "warn"},
      {"old.test", "tls", "fail", "outdated", "fail"},
      {"expired.test", "certificate", "fail", "expired", "fail"},
      {"future.test", "certificate", "fail", "not-yet-valid", "fail"},
      {"selfsigned.test", "certificate", "fail", "untrusted", "fail"},
      {"unrelated.test", "certificate", "fail", "untrusted", "fail"},
      {"nointermediate.test", "certificate", "fail", "untrusted", "fail"},
      {"wrongname.test", "certificate", "fail", "name-mismatch", "fail"},
      {"cnonly.test", "certificate", "fail", "name-mismatch", "fail"},
      {"wild.test", "certificate", "pass", "ok", "warn"},
      {"weak.test", "certificate", "warn", "weak-key", "warn"},
      {"fragments.test", "certificate", "pass", "ok", "warn"},
      {"tenant.test", "certificate", "pass", "ok", "warn"},
      {"refused.test", "connect", "error", "refused", "error"},
  };
  for (const Expect& expect : expects) {
    CAPTURE(expect.domain, expect.check);
    REQUIRE(results.count(expect.domain) == 1);
    const auto& domain = results.at(expect.domain);
    const auto [status, code] = host_check(domain, expect.check);
    CHECK(status == expect.status);
    CHECK(code == expect.code);
    CHECK(domain.at("status").as_string() == expect.domain_status);
    // The same result appears at address level.
    const auto& address = domain.at("mx").as_array()[0].at("addresses").as_array()[0];
    CHECK(find_check(address.at("checks"), expect.check).second == expect.code);
  }
}

TEST_CASE("mxscan check: domain-level mx codes, address codes and the status rules", "[loopback]") {
  World world;
  world.add_domain("ok.test", world.tls_behaviour("mx.ok.test"));
  world.zone().add_mx("nullmx.test", 0, ".");
  world.zone().add_txt("nomailhost.test", {"v=spf1 -all"});
  world.zone().add_mx("servfail.test", 10, "mx.servfail.test");
  world.zone().set_behaviour("servfail.test", {.reply = mx::world::Behaviour::Reply::servfail});
  world.zone().add_mx("silent.test", 10, "mx.silent.test");
  world.zone().set_behaviour("silent.test", {.reply = mx::world::Behaviour::Reply::silent});
  world.zone().add_mx("noaddress.test", 10, "mx.noaddress.test");
  world.zone().add_txt("mx.noaddress.test", {"exists"});
  // Implicit MX: no MX record, the domain's own address serves mail.
  world.add_server("implicit.test", world.tls_behaviour("implicit.test"));
  // Two MX hosts, the second unreachable: mail still gets through.
  world.add_domain("twomx.test", world.tls_behaviour("mx.twomx.test"));
  world.zone().add_mx("twomx.test", 20, "mx2.twomx.test");
  world.zone().add_a("mx2.twomx.test", world.next_address());
  world.start();

  const auto result = world.check({"--allow-private", "--timeout", "1", "ok.test", "nullmx.test",
                                   "nxdomain.test", "nomailhost.test", "servfail.test",
                                   "silent.test", "noaddress.test", "implicit.test", "twomx.test"});
  CAPTURE(result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 1);
  auto results = by_domain(result.out);
  REQUIRE(results.size() == 9);
  auto mx_check = [&](const std::string& domain) {
    return find_check(results.at(domain).at("checks"), "mx");
  };
  CHECK(mx_check("ok.test") == std::pair<std::string, std::string>{"pass", "ok"});
  CHECK(mx_check("nullmx.test") == std::pair<std::string, std::string>{"fail", "null-mx"});
  CHECK(mx_check("nxdomain.test") == std::pair<std::string, std::string>{"fail", "nxdomain"});
  CHECK(mx_check("nomailhost.test") == std::pair<std::string, std::string>{"fail", "no-mail-host"});
  CHECK(mx_check("servfail.test") == std::pair<std::string, std::string>{"error", "dns-error"});
  CHECK(mx_check("silent.test") == std::pair<std::string, std::string>{"error", "timeout"});
  CHECK(mx_check("implicit.test") == std::pair<std::string, std::string>{"warn", "implicit"});
  CHECK(results.at("implicit.test").at("status").as_string() == "warn");
  CHECK(host_check(results.at("noaddress.test"), "address") ==
        std::pair<std::string, std::string>{"fail", "none"});
  CHECK(results.at("noaddress.test").at("status").as_string() == "fail");
  // The unreachable-MX exception.
  const auto& twomx = results.at("twomx.test");
  REQUIRE(twomx.at("mx").as_array().size() == 2);
  CHECK(twomx.at("mx").as_array()[0].at("status").as_string() == "pass");
  CHECK(twomx.at("mx").as_array()[1].at("status").as_string() == "error");
  CHECK(twomx.at("status").as_string() == "warn");
  // Contract fields.
  const auto& ok = results.at("ok.test");
  const auto& address = ok.at("mx").as_array()[0].at("addresses").as_array()[0].as_object();
  CHECK(address.at("tls").at("version").as_string() == "TLSv1.3");
  CHECK(address.at("certificate").at("san").as_array()[0].as_string() == "mx.ok.test");
  CHECK(address.at("certificate").at("sha256").as_string().size() == 64);
  CHECK(ok.at("mta_sts").is_null());
  CHECK(ok.at("tlsrpt").is_null());
  CHECK(ok.at("policy").is_null());
  // No MTA-STS or TLSRPT record in this world: the policy checks follow mx, two `absent` warnings.
  CHECK(find_check(ok.at("checks"), "mta-sts.record") ==
        std::pair<std::string, std::string>{"warn", "absent"});
  CHECK(find_check(ok.at("checks"), "mta-sts.policy") ==
        std::pair<std::string, std::string>{"skipped", "no-record"});
  CHECK(find_check(ok.at("checks"), "tlsrpt.record") ==
        std::pair<std::string, std::string>{"warn", "absent"});
  CHECK(ok.at("status").as_string() == "warn");
  CHECK(find_check(results.at("nullmx.test").at("checks"), "mta-sts.record").first == "missing");
}

TEST_CASE("mxscan check: exit codes, special-purpose addresses, one probe per shared MX",
          "[loopback]") {
  World world;
  world.add_domain("ok.test", world.tls_behaviour("mx.ok.test"));
  {
    auto b = world.tls_behaviour("mx.nostarttls.test");
    b.ehlo = mx::world::ehlo_reply({"PIPELINING"});
    world.add_domain("nostarttls.test", b);
  }
  {
    auto b = world.tls_behaviour("mx.banner.test");
    b.greeting = mx::world::smtp_reply(554, {"go away"});
    world.add_domain("banner.test", b);
  }
  // Five domains on one provider's MX host.
  for (int i = 0; i < 5; ++i) {
    world.zone().add_mx("customer" + std::to_string(i) + ".test", 10, "mx.ok.test");
  }
  world.start();

  CHECK(world.check({"--allow-private", "ok.test"}).exit_code == 0);
  CHECK(world.check({"--allow-private", "ok.test", "nostarttls.test"}).exit_code == 1);
  CHECK(world.check({"--allow-private", "ok.test", "banner.test"}).exit_code == 3);
  CHECK(world.check({"--allow-private", "Bad..Name"}).exit_code == 2);

  // Without --allow-private, loopback addresses are refused, not connected to.
  const auto before = world.connections();
  const auto forbidden = world.check({"ok.test"});
  CHECK(forbidden.exit_code == 3);
  CHECK(world.connections() == before);
  const auto results = by_domain(forbidden.out);
  CHECK(host_check(results.at("ok.test"), "address") ==
        std::pair<std::string, std::string>{"error", "forbidden"});

  // Text output names the verdict and the failing check.
  const auto text = world.check({"--allow-private", "nostarttls.test"}, false);
  CHECK(text.exit_code == 1);
  CHECK(text.out.find("nostarttls.test: fail") != std::string::npos);
  CHECK(text.out.find("not-advertised") != std::string::npos);

  const auto shared_before = world.connections();
  const auto shared = world.check({"--allow-private", "customer0.test", "customer1.test",
                                   "customer2.test", "customer3.test", "customer4.test"});
  CHECK(shared.exit_code == 0);
  CHECK(world.connections() - shared_before == 1);
}
