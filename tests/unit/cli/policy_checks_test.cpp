// `mxscan check` end to end for the domain policies: the real binary against a loopback world
// whose domains publish MTA-STS records and policies (served by HTTPS servers), TLSRPT records and
// TLSA records, one domain per code of `mta-sts.record`, `mta-sts.policy`, `mta-sts.mx-match`,
// `tlsrpt.record` and `dane`. Every domain's MX host is a good STARTTLS server, so only the policy
// checks vary.
#include <chrono>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/json_lines.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

using mx::test::by_domain;

namespace json = boost::json;
using namespace std::chrono_literals;
using mx::test::World;
using mx::world::HttpsResponse;
using StatusCode = std::pair<std::string, std::string>;

// The check named `name` in a checks array, or null.
const json::object* find_check(const json::value& checks, const std::string& name) {
  for (const auto& check : checks.as_array()) {
    if (check.at("check").as_string() == name) {
      return &check.as_object();
    }
  }
  return nullptr;
}

StatusCode status_code(const json::object* check) {
  if (check == nullptr) {
    return {"missing", ""};
  }
  return {std::string(check->at("status").as_string()), std::string(check->at("code").as_string())};
}

// A domain-level check.
StatusCode domain_check(const json::object& domain, const std::string& name) {
  return status_code(find_check(domain.at("checks"), name));
}

// A host-level check of the first MX host.
StatusCode host_check(const json::object& domain, const std::string& name) {
  const auto& mx = domain.at("mx").as_array();
  if (mx.empty()) {
    return {"no-mx", ""};
  }
  return status_code(find_check(mx[0].at("checks"), name));
}

std::string policy_text(const std::string& mode, const std::vector<std::string>& mx) {
  std::string text = "version: STSv1\r\nmode: " + mode + "\r\n";
  for (const auto& pattern : mx) {
    text += "mx: " + pattern + "\r\n";
  }
  return text + "max_age: 86400\r\n";
}

// An enforce policy listing the domain's own MX host, as World::add_domain names it.
HttpsResponse enforce_policy(const std::string& domain) {
  return HttpsResponse::policy(policy_text("enforce", {"mx." + domain}));
}

const std::string policy_id = "20261128";

struct Expect {
  const char* domain;
  const char* check;
  const char* status;
  const char* code;
};

}  // namespace

TEST_CASE("mxscan check: each MTA-STS, TLSRPT and DANE code from a domain that shows it",
          "[loopback]") {
  World world;
  std::vector<std::string> domains;
  // Every domain gets a good MX host; the callers add what it publishes.
  auto add = [&](const std::string& domain) {
    world.add_domain(domain, world.tls_behaviour("mx." + domain));
    domains.push_back(domain);
  };

  // Everything right: MTA-STS enforce matching the MX host, TLSRPT, good SMTP.
  add("good.test");
  world.add_mta_sts("good.test", policy_id, enforce_policy("good.test"));
  world.add_tlsrpt("good.test", "mailto:tlsrpt@good.test");

  // mta-sts.record (and tlsrpt.record absent alongside).
  add("no-records.test");
  add("other-txt.test");
  world.zone().add_txt("_mta-sts.other-txt.test", {"v=spf1 -all"});
  world.zone().add_txt("_smtp._tls.other-txt.test", {"v=spf1 -all"});
  add("multiple.test");
  world.zone().add_txt("_mta-sts.multiple.test", {"v=STSv1; id=1"});
  world.zone().add_txt("_mta-sts.multiple.test", {"v=STSv1; id=2"});
  add("record-syntax.test");
  world.zone().add_txt("_mta-sts.record-syntax.test", {"v=STSv1; id=2019-04-29"});
  add("record-servfail.test");
  world.zone().set_behaviour("_mta-sts.record-servfail.test",
                             {.reply = mx::world::Behaviour::Reply::servfail});

  // mta-sts.policy.
  add("testing.test");
  world.add_mta_sts("testing.test", policy_id,
                    HttpsResponse::policy(policy_text("testing", {"mx.testing.test"})));
  add("none.test");
  world.add_mta_sts("none.test", policy_id, HttpsResponse::policy(policy_text("none", {})));
  add("no-server.test");
  world.add_mta_sts_record("no-server.test", policy_id);
  world.zone().add_a("mta-sts.no-server.test", world.next_https_address());
  add("no-address.test");
  world.add_mta_sts_record("no-address.test", policy_id);
  add("not-found.test");
  world.add_mta_sts("not-found.test", policy_id, HttpsResponse::error(404));
  add("redirect.test");
  const std::string redirect_target = "https://mta-sts.target.test/.well-known/mta-sts.txt";
  world.add_mta_sts("redirect.test", policy_id, HttpsResponse::redirect(301, redirect_target));
  auto& target = world.add_https(
      "mta-sts.target.test",
      {world.certificate_for("mta-sts.target.test"), enforce_policy("redirect.test")});
  add("html.test");
  {
    auto response = enforce_policy("html.test");
    response.content_type = "text/html";
    world.add_mta_sts("html.test", policy_id, response);
  }
  add("no-content-type.test");
  {
    auto response = enforce_policy("no-content-type.test");
    response.content_type.clear();
    world.add_mta_sts("no-content-type.test", policy_id, response);
  }
  add("declared-large.test");
  world.add_mta_sts("declared-large.test", policy_id, HttpsResponse::oversized(100 * 1024));
  add("streamed-large.test");
  world.add_mta_sts("streamed-large.test", policy_id, HttpsResponse::endless());
  add("untrusted.test");
  {
    mx::world::LeafSpec spec;
    spec.dns_names = {"mta-sts.untrusted.test"};
    spec.issuer = mx::world::Issuer::unrelated_root;
    world.add_mta_sts("untrusted.test", policy_id, enforce_policy("untrusted.test"), spec);
  }
  add("wrong-name.test");
  {
    mx::world::LeafSpec spec;
    spec.dns_names = {"mta-sts.elsewhere.test"};
    world.add_mta_sts("wrong-name.test", policy_id, enforce_policy("wrong-name.test"), spec);
  }
  add("expired.test");
  {
    mx::world::LeafSpec spec;
    spec.dns_names = {"mta-sts.expired.test"};
    spec.valid_from = -std::chrono::hours(24 * 30);
    spec.valid_until = -std::chrono::hours(24);
    world.add_mta_sts("expired.test", policy_id, enforce_policy("expired.test"), spec);
  }
  add("policy-syntax.test");
  world.add_mta_sts("policy-syntax.test", policy_id,
                    HttpsResponse::policy(policy_text("sometimes", {"mx.policy-syntax.test"})));

  // mta-sts.mx-match beyond `ok`: patterns that miss the MX host, a wildcard, an implicit MX.
  add("miss-enforce.test");
  world.add_mta_sts("miss-enforce.test", policy_id,
                    HttpsResponse::policy(policy_text("enforce", {"mx.elsewhere.test"})));
  add("miss-testing.test");
  world.add_mta_sts("miss-testing.test", policy_id,
                    HttpsResponse::policy(policy_text("testing", {"mx.elsewhere.test"})));
  add("wildcard.test");
  world.add_mta_sts("wildcard.test", policy_id,
                    HttpsResponse::policy(policy_text("enforce", {"*.wildcard.test"})));
  world.add_server("implicit.test", world.tls_behaviour("implicit.test"));
  domains.emplace_back("implicit.test");
  world.add_mta_sts("implicit.test", policy_id,
                    HttpsResponse::policy(policy_text("enforce", {"implicit.test"})));

  // tlsrpt.record.
  add("tlsrpt-multiple.test");
  world.add_tlsrpt("tlsrpt-multiple.test", "mailto:a@tlsrpt-multiple.test");
  world.add_tlsrpt("tlsrpt-multiple.test", "mailto:b@tlsrpt-multiple.test");
  add("tlsrpt-syntax.test");
  world.zone().add_txt("_smtp._tls.tlsrpt-syntax.test", {"v=TLSRPTv1; rua=ftp://x.test/"});
  add("tlsrpt-servfail.test");
  world.zone().set_behaviour("_smtp._tls.tlsrpt-servfail.test",
                             {.reply = mx::world::Behaviour::Reply::servfail});

  // dane: TLSA at _25._tcp.<MX host>, with and without the AD bit.
  for (const std::string domain : {"dane-ok.test", "dane-mismatch.test", "dane-unauth.test"}) {
    const auto host = "mx." + domain;
    auto behaviour = world.tls_behaviour(host);
    auto tlsa = mx::test::dane_ee_spki_sha256(behaviour.tls->certificate.chain_file);
    if (domain == "dane-mismatch.test") {
      tlsa.data[0] ^= 0xff;
    }
    world.add_domain(domain, behaviour);
    domains.push_back(domain);
    world.add_tlsa(host, tlsa, domain != "dane-unauth.test");
  }
  world.start();

  std::vector<std::string> args{"--allow-private"};
  args.insert(args.end(), domains.begin(), domains.end());
  const auto result = world.check(args);
  CAPTURE(result.err);
  REQUIRE_FALSE(result.timed_out);
  CHECK(result.exit_code == 1);
  const auto results = by_domain(result.out);
  REQUIRE(results.size() == domains.size());

  const std::vector<Expect> domain_level{
      {"good.test", "mta-sts.record", "pass", "ok"},
      {"good.test", "mta-sts.policy", "pass", "ok"},
      {"good.test", "mta-sts.mx-match", "pass", "ok"},
      {"good.test", "tlsrpt.record", "pass", "ok"},
      {"no-records.test", "mta-sts.record", "warn", "absent"},
      {"no-records.test", "mta-sts.policy", "skipped", "no-record"},
      {"no-records.test", "mta-sts.mx-match", "skipped", "no-policy"},
      {"no-records.test", "tlsrpt.record", "warn", "absent"},
      {"other-txt.test", "mta-sts.record", "warn", "absent"},
      {"other-txt.test", "tlsrpt.record", "warn", "absent"},
      {"multiple.test", "mta-sts.record", "fail", "multiple"},
      {"multiple.test", "mta-sts.policy", "skipped", "no-record"},
      {"record-syntax.test", "mta-sts.record", "fail", "syntax"},
      {"record-servfail.test", "mta-sts.record", "error", "dns-error"},
      {"testing.test", "mta-sts.policy", "pass", "mode-testing"},
      {"testing.test", "mta-sts.mx-match", "pass", "ok"},
      {"none.test", "mta-sts.policy", "warn", "mode-none"},
      {"none.test", "mta-sts.mx-match", "skipped", "mode-none"},
      {"no-server.test", "mta-sts.policy", "fail", "fetch-failed"},
      {"no-server.test", "mta-sts.mx-match", "skipped", "no-policy"},
      {"no-address.test", "mta-sts.policy", "fail", "fetch-failed"},
      {"not-found.test", "mta-sts.policy", "fail", "http-status"},
      {"redirect.test", "mta-sts.policy", "fail", "redirect"},
      {"html.test", "mta-sts.policy", "fail", "content-type"},
      {"no-content-type.test", "mta-sts.policy", "fail", "content-type"},
      {"declared-large.test", "mta-sts.policy", "fail", "too-large"},
      {"streamed-large.test", "mta-sts.policy", "fail", "too-large"},
      {"untrusted.test", "mta-sts.policy", "fail", "certificate"},
      {"wrong-name.test", "mta-sts.policy", "fail", "certificate"},
      {"expired.test", "mta-sts.policy", "fail", "certificate"},
      {"policy-syntax.test", "mta-sts.policy", "fail", "syntax"},
      {"policy-syntax.test", "mta-sts.mx-match", "skipped", "no-policy"},
      {"miss-enforce.test", "mta-sts.policy", "pass", "ok"},
      {"miss-enforce.test", "mta-sts.mx-match", "fail", "mismatch"},
      {"miss-testing.test", "mta-sts.mx-match", "warn", "mismatch"},
      {"wildcard.test", "mta-sts.mx-match", "pass", "ok"},
      {"implicit.test", "mta-sts.mx-match", "pass", "ok"},
      {"tlsrpt-multiple.test", "tlsrpt.record", "fail", "multiple"},
      {"tlsrpt-syntax.test", "tlsrpt.record", "fail", "syntax"},
      {"tlsrpt-servfail.test", "tlsrpt.record", "error", "dns-error"},
  };
  for (const auto& expect : domain_level) {
    CAPTURE(expect.domain, expect.check);
    CHECK(domain_check(results.at(expect.domain), expect.check) ==
          StatusCode{expect.status, expect.code});
  }

  const std::vector<Expect> host_level{
      {"good.test", "dane", "skipped", "absent"},
      {"dane-ok.test", "dane", "pass", "ok"},
      {"dane-mismatch.test", "dane", "fail", "mismatch"},
      {"dane-unauth.test", "dane", "warn", "unauthenticated"},
  };
  for (const auto& expect : host_level) {
    CAPTURE(expect.domain, expect.check);
    const auto& domain = results.at(expect.domain);
    CHECK(host_check(domain, expect.check) == StatusCode{expect.status, expect.code});
    // The same result appears at address level.
    const auto& address = domain.at("mx").as_array()[0].at("addresses").as_array()[0];
    CHECK(status_code(find_check(address.at("checks"), expect.check)) ==
          StatusCode{expect.status, expect.code});
  }

  // The order of the domain-level checks.
  {
    std::vector<std::string> names;
    for (const auto& check : results.at("good.test").at("checks").as_array()) {
      names.emplace_back(check.at("check").as_string());
    }
    CHECK(names == std::vector<std::string>{"mx", "mta-sts.record", "mta-sts.policy",
                                            "mta-sts.mx-match", "tlsrpt.record"});
  }

  // Only a domain with every policy right passes; a missing record is a warning.
  CHECK(results.at("good.test").at("status").as_string() == "pass");
  CHECK(results.at("no-records.test").at("status").as_string() == "warn");
  CHECK(results.at("testing.test").at("status").as_string() == "warn");  // no TLSRPT
  CHECK(results.at("miss-enforce.test").at("status").as_string() == "fail");
  CHECK(results.at("dane-mismatch.test").at("status").as_string() == "fail");

  // The redirect is reported with its target and not followed.
  {
    const auto* redirect = find_check(results.at("redirect.test").at("checks"), "mta-sts.policy");
    REQUIRE(redirect != nullptr);
    CHECK(std::string(redirect->at("message").as_string()).find(redirect_target) !=
          std::string::npos);
    CHECK(target.requests().empty());
  }

  // The JSON objects of a domain that publishes both, and null for one that publishes neither.
  {
    const auto& good = results.at("good.test");
    const auto* mta_sts_object = good.at("mta_sts").if_object();
    REQUIRE(mta_sts_object != nullptr);
    const auto& mta_sts = *mta_sts_object;
    CHECK(mta_sts.at("record").as_string() == "v=STSv1; id=" + policy_id);
    CHECK(mta_sts.at("id").as_string() == policy_id);
    const auto* policy_object = mta_sts.at("policy").if_object();
    REQUIRE(policy_object != nullptr);
    const auto& policy = *policy_object;
    CHECK(policy.at("mode").as_string() == "enforce");
    CHECK(policy.at("max_age").to_number<std::int64_t>() == 86400);
    CHECK(policy.at("mx").as_array() == json::array{"mx.good.test"});
    const auto* tlsrpt_object = good.at("tlsrpt").if_object();
    REQUIRE(tlsrpt_object != nullptr);
    const auto& tlsrpt = *tlsrpt_object;
    CHECK(tlsrpt.at("record").as_string() == "v=TLSRPTv1; rua=mailto:tlsrpt@good.test");
    CHECK(tlsrpt.at("rua").as_array() == json::array{"mailto:tlsrpt@good.test"});

    const auto& none = results.at("no-records.test");
    CHECK(none.at("mta_sts").is_null());
    CHECK(none.at("tlsrpt").is_null());
    // A record without a usable policy: the record is there, the policy is null.
    const auto* not_found = results.at("not-found.test").at("mta_sts").if_object();
    REQUIRE(not_found != nullptr);
    CHECK(not_found->at("id").as_string() == policy_id);
    CHECK(not_found->at("policy").is_null());
    CHECK(results.at("multiple.test").at("mta_sts").is_null());
    CHECK(results.at("tlsrpt-syntax.test").at("tlsrpt").is_null());
  }
}

TEST_CASE("mxscan check: an MTA-STS policy host slower than --timeout is a timeout error",
          "[loopback]") {
  World world;
  world.add_domain("slow.test", world.tls_behaviour("mx.slow.test"));
  auto response = enforce_policy("slow.test");
  response.delay = 10s;
  auto& server = world.add_mta_sts("slow.test", policy_id, response);
  world.start();

  const auto started = std::chrono::steady_clock::now();
  const auto result = world.check({"--allow-private", "--timeout", "1", "slow.test"});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CAPTURE(result.err);
  REQUIRE_FALSE(result.timed_out);
  const auto results = by_domain(result.out);
  REQUIRE(results.size() == 1);
  CHECK(domain_check(results.at("slow.test"), "mta-sts.policy") == StatusCode{"error", "timeout"});
  CHECK(domain_check(results.at("slow.test"), "mta-sts.mx-match") ==
        StatusCode{"skipped", "no-policy"});
  CHECK(results.at("slow.test").at("status").as_string() == "error");
  // The request reached the server, and mxscan gave up well before the response.
  CHECK_FALSE(server.requests().empty());
  CHECK(elapsed < 8s);
}
