#include "bench/sim/expected.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using mx::sim::Dane;
using mx::sim::DnsShape;
using mx::sim::expect;
using mx::sim::MailHost;
using mx::sim::MtaSts;
using mx::sim::PlannedDomain;
using mx::sim::SmtpFault;
using mx::sim::Tlsrpt;
using mx::sim::Verdict;
using Codes = std::vector<std::string>;

MailHost host(std::string name, SmtpFault fault = SmtpFault::none) {
  MailHost out;
  out.name = std::move(name);
  out.ipv4 = "127.1.0.1";
  out.fault = fault;
  if (fault == SmtpFault::refused) {
    out.ipv4.clear();
  }
  return out;
}

// A self-hosted domain publishing MTA-STS (enforce, matching) and TLSRPT: the one that passes.
PlannedDomain perfect() {
  PlannedDomain domain;
  domain.name = "d.test";
  domain.hosts = {host("mx1.d.test")};
  domain.mta_sts = MtaSts::ok;
  domain.sts_ip = "127.1.0.2";
  domain.tlsrpt = Tlsrpt::ok;
  return domain;
}

}  // namespace

TEST_CASE("A domain passes only with MTA-STS, a matching policy and TLSRPT", "[unit]") {
  const auto pass = expect(perfect());
  CHECK(pass.status == Verdict::pass);
  CHECK(pass.codes.empty());

  auto bare = perfect();
  bare.mta_sts = MtaSts::none;
  bare.tlsrpt = Tlsrpt::none;
  const auto warn = expect(bare);
  CHECK(warn.status == Verdict::warn);
  CHECK(warn.codes == Codes{"mta-sts.record:absent", "tlsrpt.record:absent"});

  auto testing = perfect();
  testing.sts_testing = true;
  CHECK(expect(testing).status == Verdict::pass);  // mode-testing is a pass
}

TEST_CASE("An error host counts as warn beside a host that delivers", "[unit]") {
  auto two = perfect();
  two.hosts = {host("mx1.d.test", SmtpFault::refused), host("mx2.d.test")};
  const auto both = expect(two);
  CHECK(both.status == Verdict::warn);
  CHECK(both.codes == Codes{"connect:refused"});

  auto one = perfect();
  one.hosts = {host("mx1.d.test", SmtpFault::tarpit)};
  const auto alone = expect(one);
  CHECK(alone.status == Verdict::error);
  CHECK(alone.codes == Codes{"smtp:timeout"});

  auto failing = perfect();
  failing.hosts = {host("mx1.d.test", SmtpFault::refused),
                   host("mx2.d.test", SmtpFault::not_advertised)};
  const auto worst = expect(failing);
  CHECK(worst.status == Verdict::fail);  // no host delivers: the error stays, fail wins
  CHECK(worst.codes == Codes{"connect:refused", "starttls:not-advertised"});
}

TEST_CASE("An unusable MX hides the MTA-STS, TLSRPT and host checks", "[unit]") {
  auto servfail = perfect();
  servfail.shape = DnsShape::servfail;
  servfail.mta_sts = MtaSts::record_syntax;
  const auto error = expect(servfail);
  CHECK(error.status == Verdict::error);
  CHECK(error.codes == Codes{"mx:dns-error"});

  auto null_mx = perfect();
  null_mx.shape = DnsShape::null_mx;
  null_mx.tlsrpt = Tlsrpt::none;
  CHECK(expect(null_mx).codes == Codes{"mx:null-mx"});
  CHECK(expect(null_mx).status == Verdict::fail);

  auto implicit = perfect();
  implicit.shape = DnsShape::implicit_mx;
  CHECK(expect(implicit).status == Verdict::warn);
  CHECK(expect(implicit).codes == Codes{"mx:implicit"});
}

TEST_CASE("MTA-STS, TLSRPT and DANE shapes give their codes and statuses", "[unit]") {
  auto mismatch = perfect();
  mismatch.mta_sts = MtaSts::mx_mismatch;
  CHECK(expect(mismatch).status == Verdict::fail);
  mismatch.sts_testing = true;
  CHECK(expect(mismatch).status == Verdict::warn);
  CHECK(expect(mismatch).codes == Codes{"mta-sts.mx-match:mismatch"});

  auto none = perfect();
  none.mta_sts = MtaSts::mode_none;
  CHECK(expect(none).status == Verdict::warn);
  CHECK(expect(none).codes == Codes{"mta-sts.policy:mode-none"});

  auto redirect = perfect();
  redirect.mta_sts = MtaSts::redirect;
  CHECK(expect(redirect).status == Verdict::fail);
  CHECK(expect(redirect).codes == Codes{"mta-sts.policy:redirect"});

  auto tlsrpt = perfect();
  tlsrpt.tlsrpt = Tlsrpt::multiple;
  CHECK(expect(tlsrpt).codes == Codes{"tlsrpt.record:multiple"});

  auto dane = perfect();
  dane.hosts.front().dane = Dane::unauthenticated;
  CHECK(expect(dane).status == Verdict::warn);
  CHECK(expect(dane).codes == Codes{"dane:unauthenticated"});
  dane.hosts.front().dane = Dane::ok;
  CHECK(expect(dane).status == Verdict::pass);
  dane.hosts.front().dane = Dane::mismatch;
  CHECK(expect(dane).codes == Codes{"dane:mismatch"});

  auto no_address = perfect();
  no_address.shape = DnsShape::host_no_address;
  no_address.hosts.front().ipv4.clear();
  CHECK(expect(no_address).status == Verdict::fail);
  CHECK(expect(no_address).codes == Codes{"address:none"});
}

TEST_CASE("Expected lines are JSON with domain, status and sorted codes", "[unit]") {
  auto domain = perfect();
  domain.mta_sts = MtaSts::none;
  domain.tlsrpt = Tlsrpt::syntax;
  CHECK(
      mx::sim::expected_line(domain) ==
      R"({"domain":"d.test","status":"fail","codes":["mta-sts.record:absent","tlsrpt.record:syntax"]})");
}
