#include <catch2/catch.hpp>

#include "judge/domain_rules.hpp"

namespace {

using mx::dns::Outcome;
using mx::judge::Check;
using mx::judge::HostResult;
using mx::judge::Status;

HostResult host(Status status) {
  HostResult h;
  h.host = "mx.example.test";
  h.status = status;
  return h;
}

mx::probes::DomainObservation domain_with_mx(Outcome outcome) {
  mx::probes::DomainObservation d;
  d.domain = "example.test";
  d.mx.meta.outcome = outcome;
  return d;
}

}  // namespace

TEST_CASE("status ordering: fail > error > warn > pass, skipped never counts", "[unit]") {
  using mx::judge::worse;
  CHECK(worse(Status::pass, Status::warn) == Status::warn);
  CHECK(worse(Status::warn, Status::error) == Status::error);
  CHECK(worse(Status::error, Status::fail) == Status::fail);
  CHECK(worse(Status::fail, Status::error) == Status::fail);
  CHECK(worse(Status::pass, Status::skipped) == Status::pass);
  CHECK(mx::judge::worst({Check{"a", Status::skipped, "skipped", ""}}) == Status::pass);
  CHECK(mx::judge::worst({Check{"a", Status::warn, "x", ""},
                          Check{"b", Status::skipped, "", ""}}) == Status::warn);
  for (const auto status :
       {Status::pass, Status::warn, Status::fail, Status::error, Status::skipped}) {
    CHECK(mx::judge::parse_status(mx::judge::to_string(status)) == status);
  }
}

TEST_CASE("domain status: worst of checks and hosts, with the unreachable-host exception",
          "[unit]") {
  const std::vector<Check> ok{Check{"mx", Status::pass, "ok", ""}};
  using mx::judge::domain_status;
  CHECK(domain_status(ok, {host(Status::pass), host(Status::pass)}) == Status::pass);
  // An unreachable host beside a working one: mail gets through, so it counts as warn.
  CHECK(domain_status(ok, {host(Status::pass), host(Status::error)}) == Status::warn);
  CHECK(domain_status(ok, {host(Status::warn), host(Status::error)}) == Status::warn);
  // ...but not beside a failing one, nor alone.
  CHECK(domain_status(ok, {host(Status::fail), host(Status::error)}) == Status::fail);
  CHECK(domain_status(ok, {host(Status::error)}) == Status::error);
  CHECK(domain_status(ok, {host(Status::error), host(Status::error)}) == Status::error);
  CHECK(domain_status(ok, {host(Status::pass), host(Status::fail)}) == Status::fail);
  CHECK(domain_status({Check{"mx", Status::error, "timeout", ""}}, {}) == Status::error);
  CHECK(domain_status({Check{"mx", Status::warn, "implicit", ""}}, {host(Status::pass)}) ==
        Status::warn);
}

TEST_CASE("mx check codes", "[unit]") {
  SECTION("ok") {
    auto d = domain_with_mx(Outcome::data);
    d.mx.records = {{10, "mx.example.test"}};
    d.hosts.resize(1);
    CHECK(mx::judge::judge_mx(d).code == "ok");
  }
  SECTION("null MX") {
    auto d = domain_with_mx(Outcome::data);
    d.mx.records = {{0, ""}};
    const auto check = mx::judge::judge_mx(d);
    CHECK(check.code == "null-mx");
    CHECK(check.status == Status::fail);
  }
  SECTION("a root target with another preference is still no mail host") {
    auto d = domain_with_mx(Outcome::data);
    d.mx.records = {{10, ""}};
    CHECK(mx::judge::judge_mx(d).code == "null-mx");
  }
  SECTION("null MX mixed with real MX") {
    auto d = domain_with_mx(Outcome::data);
    d.mx.records = {{0, ""}, {10, "mx.example.test"}};
    d.hosts.emplace_back().mx = {10, "mx.example.test"};
    const auto check = mx::judge::judge_mx(d);
    CHECK(check.code == "null-mx-mixed");
    CHECK(check.status == Status::warn);
  }
  SECTION("implicit MX") {
    auto d = domain_with_mx(Outcome::nodata);
    d.implicit_mx = true;
    d.hosts.resize(1);
    d.hosts[0].a.meta.outcome = Outcome::data;
    d.hosts[0].a.addresses = {boost::asio::ip::make_address("192.0.2.1")};
    const auto check = mx::judge::judge_mx(d);
    CHECK(check.code == "implicit");
    CHECK(check.status == Status::warn);
  }
  SECTION("no mail host") {
    auto d = domain_with_mx(Outcome::nodata);
    d.implicit_mx = true;
    d.hosts.resize(1);
    d.hosts[0].a.meta.outcome = Outcome::nodata;
    d.hosts[0].aaaa.meta.outcome = Outcome::nodata;
    CHECK(mx::judge::judge_mx(d).code == "no-mail-host");
  }
  SECTION("failures") {
    CHECK(mx::judge::judge_mx(domain_with_mx(Outcome::nxdomain)).code == "nxdomain");
    CHECK(mx::judge::judge_mx(domain_with_mx(Outcome::timeout)).code == "timeout");
    CHECK(mx::judge::judge_mx(domain_with_mx(Outcome::timeout)).status == Status::error);
    CHECK(mx::judge::judge_mx(domain_with_mx(Outcome::servfail)).code == "dns-error");
    CHECK(mx::judge::judge_mx(domain_with_mx(Outcome::refused)).code == "dns-error");
  }
}

TEST_CASE("host address check from A and AAAA", "[unit]") {
  mx::probes::HostObservation h;
  h.mx = {10, "mx.example.test"};
  h.a.meta.outcome = Outcome::nodata;
  h.aaaa.meta.outcome = Outcome::nodata;
  CHECK(mx::judge::judge_host_addresses(h).code == "none");
  h.aaaa.meta.outcome = Outcome::timeout;
  CHECK(mx::judge::judge_host_addresses(h).code == "timeout");
  h.aaaa.meta.outcome = Outcome::servfail;
  CHECK(mx::judge::judge_host_addresses(h).code == "dns-error");
  h.a.meta.outcome = Outcome::data;
  h.a.addresses = {boost::asio::ip::make_address("192.0.2.1")};
  CHECK(mx::judge::judge_host_addresses(h).code == "ok");
}

TEST_CASE("judge_domain: a host's checks are the worst over its addresses", "[unit]") {
  auto d = domain_with_mx(Outcome::data);
  d.mx.records = {{10, "mx.example.test"}};
  auto& h = d.hosts.emplace_back();
  h.mx = {10, "mx.example.test"};
  h.a.meta.outcome = Outcome::data;
  h.a.addresses = {boost::asio::ip::make_address("192.0.2.1"),
                   boost::asio::ip::make_address("192.0.2.2")};
  h.aaaa.meta.outcome = Outcome::nodata;
  for (const auto* ip : {"192.0.2.1", "192.0.2.2"}) {
    auto& a = h.addresses.emplace_back();
    a.smtp.host = "mx.example.test";
    a.smtp.ip = boost::asio::ip::make_address(ip);
  }
  // The first address refuses the connection; the second offers no STARTTLS.
  h.addresses[0].smtp.stage = mx::probes::smtp::Stage::connect;
  h.addresses[0].smtp.ending = mx::probes::smtp::Ending::refused;
  h.addresses[1].smtp.stage = mx::probes::smtp::Stage::ehlo;
  h.addresses[1].smtp.ending = mx::probes::smtp::Ending::no_starttls;

  const auto result = mx::judge::judge_domain(d);
  REQUIRE(result.mx.size() == 1);
  const auto& host_result = result.mx[0];
  REQUIRE(host_result.addresses.size() == 2);
  CHECK(host_result.addresses[0].status == Status::error);
  CHECK(host_result.addresses[1].status == Status::fail);
  auto code_of = [&](const std::string& name) {
    for (const auto& c : host_result.checks) {
      if (c.check == name) {
        return c.code;
      }
    }
    return std::string("missing");
  };
  CHECK(code_of("address") == "ok");
  CHECK(code_of("connect") == "refused");
  CHECK(code_of("starttls") == "not-advertised");
  CHECK(host_result.status == Status::fail);
  CHECK(result.status == Status::fail);
}

TEST_CASE("only undetermined results that a second look may change are retried", "[unit]") {
  mx::judge::DomainResult d;
  d.status = Status::error;
  d.checks = {Check{"mx", Status::error, "timeout", ""}};
  CHECK(mx::judge::worth_retrying(d));
  d.checks = {Check{"mx", Status::pass, "ok", ""}};
  auto& h = d.mx.emplace_back(host(Status::error));
  h.checks = {Check{"address", Status::error, "forbidden", ""}};
  CHECK_FALSE(mx::judge::worth_retrying(d));
  h.checks.push_back(Check{"connect", Status::error, "timeout", ""});
  CHECK(mx::judge::worth_retrying(d));
  d.status = Status::fail;
  CHECK_FALSE(mx::judge::worth_retrying(d));
}

namespace {

// A domain of two MX hosts with one address each; the first offers no STARTTLS, the second
// completes the dialogue (no certificate captured, so its certificate check is skipped).
mx::probes::DomainObservation two_hosts() {
  auto d = domain_with_mx(Outcome::data);
  d.mx.records = {{10, "mx1.example.test"}, {20, "mx2.example.test"}};
  for (const auto* name : {"mx1.example.test", "mx2.example.test"}) {
    auto& h = d.hosts.emplace_back();
    h.mx = {static_cast<std::uint16_t>(d.hosts.size() * 10), name};
    h.a.meta.outcome = Outcome::data;
    h.a.addresses = {
        boost::asio::ip::make_address(d.hosts.size() == 1 ? "192.0.2.1" : "192.0.2.2")};
    h.aaaa.meta.outcome = Outcome::nodata;
    h.tlsa.meta.outcome = Outcome::nodata;
    auto& a = h.addresses.emplace_back();
    a.smtp.host = name;
    a.smtp.ip = h.a.addresses.front();
    a.smtp.stage = mx::probes::smtp::Stage::ehlo;
    a.smtp.ending = mx::probes::smtp::Ending::no_starttls;
  }
  return d;
}

void exclude_address(mx::probes::AddressObservation& a) {
  a.smtp.stage = mx::probes::smtp::Stage::not_started;
  a.smtp.ending = mx::probes::smtp::Ending::excluded;
  a.smtp.detail = mx::targets::describe({7, "192.0.2.0/24"});
}

const Check* find_check(const std::vector<Check>& checks, std::string_view name) {
  for (const auto& c : checks) {
    if (c.check == name) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("judge_domain: an excluded domain is skipped, nothing judged", "[unit]") {
  auto d = two_hosts();
  d.excluded = mx::targets::ExcludeEntry{3, "example.test"};
  const auto result = mx::judge::judge_domain(d);
  CHECK(result.status == Status::skipped);
  REQUIRE(result.checks.size() == 1);
  CHECK(result.checks[0].check == "mx");
  CHECK(result.checks[0].status == Status::skipped);
  CHECK(result.checks[0].code == "excluded");
  CHECK(result.checks[0].message.find("line 3 (example.test)") != std::string::npos);
  CHECK(result.mx.empty());
}

TEST_CASE("judge_domain: excluded hosts and addresses are skipped and do not count", "[unit]") {
  SECTION("one host's name excluded: the other decides") {
    auto d = two_hosts();
    d.hosts[0].excluded = mx::targets::ExcludeEntry{5, "mx1.example.test"};
    d.hosts[0].addresses.clear();
    d.hosts[1].addresses[0].smtp.ending = mx::probes::smtp::Ending::completed;
    d.hosts[1].addresses[0].smtp.stage = mx::probes::smtp::Stage::done;
    const auto result = mx::judge::judge_domain(d);
    REQUIRE(result.mx.size() == 2);
    CHECK(result.mx[0].status == Status::skipped);
    const auto* address = find_check(result.mx[0].checks, "address");
    REQUIRE(address != nullptr);
    CHECK(address->status == Status::skipped);
    CHECK(address->code == "excluded");
    CHECK(address->message.find("line 5 (mx1.example.test)") != std::string::npos);
    for (const auto& c : result.mx[0].checks) {
      CHECK(c.status == Status::skipped);
    }
    // The second host completed without a certificate: its certificate check fails, and that,
    // not the excluded host, is the domain's verdict.
    CHECK(result.mx[1].status == Status::fail);
    CHECK(result.status == Status::fail);
  }
  SECTION("every address of every host excluded: the domain is skipped") {
    auto d = two_hosts();
    exclude_address(d.hosts[0].addresses[0]);
    exclude_address(d.hosts[1].addresses[0]);
    const auto result = mx::judge::judge_domain(d);
    for (const auto& h : result.mx) {
      CHECK(h.status == Status::skipped);
      REQUIRE(h.addresses.size() == 1);
      CHECK(h.addresses[0].status == Status::skipped);
      const auto* address = find_check(h.checks, "address");
      REQUIRE(address != nullptr);
      CHECK(address->code == "excluded");
      CHECK(address->message.find("line 7 (192.0.2.0/24)") != std::string::npos);
    }
    CHECK(result.status == Status::skipped);
    CHECK_FALSE(mx::judge::worth_retrying(result));
  }
  SECTION("an excluded address beside a probed one of the same host") {
    auto d = two_hosts();
    auto& h = d.hosts[0];
    h.a.addresses.push_back(boost::asio::ip::make_address("198.51.100.1"));
    auto& second = h.addresses.emplace_back(h.addresses[0]);
    second.smtp.ip = h.a.addresses.back();
    exclude_address(h.addresses[0]);
    const auto result = mx::judge::judge_domain(d);
    CHECK(result.mx[0].addresses[0].status == Status::skipped);
    CHECK(result.mx[0].addresses[1].status == Status::fail);
    const auto* address = find_check(result.mx[0].checks, "address");
    REQUIRE(address != nullptr);
    CHECK(address->code == "ok");
    const auto* starttls = find_check(result.mx[0].checks, "starttls");
    REQUIRE(starttls != nullptr);
    CHECK(starttls->code == "not-advertised");
    CHECK(result.mx[0].status == Status::fail);
  }
  SECTION("an excluded address is not judged by DANE, whatever the TLSA answer") {
    auto d = two_hosts();
    d.hosts[0].tlsa.meta.outcome = Outcome::servfail;
    exclude_address(d.hosts[0].addresses[0]);
    exclude_address(d.hosts[1].addresses[0]);
    const auto result = mx::judge::judge_domain(d);
    const auto* dane = find_check(result.mx[0].addresses[0].checks, "dane");
    REQUIRE(dane != nullptr);
    CHECK(dane->status == Status::skipped);
    CHECK(result.status == Status::skipped);
  }
}

TEST_CASE("domain status: skipped when the mx check or every host is skipped", "[unit]") {
  using mx::judge::domain_status;
  const std::vector<Check> ok{Check{"mx", Status::pass, "ok", ""},
                              Check{"mta-sts.record", Status::warn, "absent", ""}};
  CHECK(domain_status(ok, {host(Status::skipped), host(Status::skipped)}) == Status::skipped);
  CHECK(domain_status(ok, {host(Status::skipped), host(Status::pass)}) == Status::warn);
  // An excluded host is not a host that delivers: an unreachable one beside it stays an error.
  CHECK(domain_status(ok, {host(Status::skipped), host(Status::error)}) == Status::error);
  CHECK(domain_status({Check{"mx", Status::skipped, "excluded", ""}}, {}) == Status::skipped);
  // No hosts at all (NXDOMAIN) is not "every host skipped".
  CHECK(domain_status({Check{"mx", Status::fail, "nxdomain", ""}}, {}) == Status::fail);
}
