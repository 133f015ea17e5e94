#include "bench/sim/expected.hpp"

#include <algorithm>
#include <array>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace mx::sim {
namespace {

int severity(Verdict verdict) {
  static constexpr std::array<int, 4> ranks{0, 1, 3, 2};  // pass, warn, fail, error
  return ranks.at(static_cast<std::size_t>(verdict));
}

struct Finding {
  std::string code;  // "check:code"
  Verdict status;
};

// The checks of one host that are not pass (skipped ones never are findings).
std::vector<Finding> host_findings(const MailHost& host) {
  std::vector<Finding> out;
  if (host.ipv4.empty() && host.fault != SmtpFault::refused) {
    out.push_back({"address:none", Verdict::fail});
    return out;
  }
  switch (host.fault) {
    case SmtpFault::none:
      break;
    case SmtpFault::refused:
      out.push_back({"connect:refused", Verdict::error});
      break;
    case SmtpFault::banner_rejected:
      out.push_back({"smtp:banner-rejected", Verdict::error});
      break;
    case SmtpFault::temporary:
      out.push_back({"smtp:temporary", Verdict::error});
      break;
    case SmtpFault::protocol:
      out.push_back({"smtp:protocol", Verdict::fail});
      break;
    case SmtpFault::tarpit:
      out.push_back({"smtp:timeout", Verdict::error});
      break;
    case SmtpFault::not_advertised:
      out.push_back({"starttls:not-advertised", Verdict::fail});
      break;
    case SmtpFault::starttls_rejected:
      out.push_back({"starttls:rejected", Verdict::fail});
      break;
    case SmtpFault::starttls_temporary:
      out.push_back({"starttls:temporary", Verdict::error});
      break;
    case SmtpFault::handshake_failed:
      out.push_back({"tls:handshake-failed", Verdict::fail});
      break;
    case SmtpFault::outdated:
      out.push_back({"tls:outdated", Verdict::fail});
      break;
    case SmtpFault::untrusted:
      out.push_back({"certificate:untrusted", Verdict::fail});
      break;
    case SmtpFault::expired:
      out.push_back({"certificate:expired", Verdict::fail});
      break;
    case SmtpFault::not_yet_valid:
      out.push_back({"certificate:not-yet-valid", Verdict::fail});
      break;
    case SmtpFault::name_mismatch:
      out.push_back({"certificate:name-mismatch", Verdict::fail});
      break;
  }
  // DANE is judged where a handshake captured a chain; faulty hosts publish no TLSA.
  if (host.dane == Dane::mismatch) {
    out.push_back({"dane:mismatch", Verdict::fail});
  } else if (host.dane == Dane::unauthenticated) {
    out.push_back({"dane:unauthenticated", Verdict::warn});
  }
  return out;
}

std::vector<Finding> mta_sts_findings(const PlannedDomain& domain) {
  const Verdict mismatch = domain.sts_testing ? Verdict::warn : Verdict::fail;
  switch (domain.mta_sts) {
    case MtaSts::none:
      return {{"mta-sts.record:absent", Verdict::warn}};
    case MtaSts::ok:
      return {};
    case MtaSts::record_multiple:
      return {{"mta-sts.record:multiple", Verdict::fail}};
    case MtaSts::record_syntax:
      return {{"mta-sts.record:syntax", Verdict::fail}};
    case MtaSts::http_status:
      return {{"mta-sts.policy:http-status", Verdict::fail}};
    case MtaSts::redirect:
      return {{"mta-sts.policy:redirect", Verdict::fail}};
    case MtaSts::content_type:
      return {{"mta-sts.policy:content-type", Verdict::fail}};
    case MtaSts::too_large:
      return {{"mta-sts.policy:too-large", Verdict::fail}};
    case MtaSts::certificate:
      return {{"mta-sts.policy:certificate", Verdict::fail}};
    case MtaSts::syntax:
      return {{"mta-sts.policy:syntax", Verdict::fail}};
    case MtaSts::fetch_failed:
      return {{"mta-sts.policy:fetch-failed", Verdict::fail}};
    case MtaSts::mode_none:
      return {{"mta-sts.policy:mode-none", Verdict::warn}};
    case MtaSts::mx_mismatch:
      return {{"mta-sts.mx-match:mismatch", mismatch}};
  }
  return {};
}

std::vector<Finding> tlsrpt_findings(Tlsrpt tlsrpt) {
  switch (tlsrpt) {
    case Tlsrpt::none:
      return {{"tlsrpt.record:absent", Verdict::warn}};
    case Tlsrpt::ok:
      return {};
    case Tlsrpt::multiple:
      return {{"tlsrpt.record:multiple", Verdict::fail}};
    case Tlsrpt::syntax:
      return {{"tlsrpt.record:syntax", Verdict::fail}};
  }
  return {};
}

Verdict worst(const std::vector<Finding>& findings) {
  Verdict out = Verdict::pass;
  for (const auto& finding : findings) {
    out = worse(out, finding.status);
  }
  return out;
}

}  // namespace

std::string to_string(Verdict verdict) {
  static constexpr std::array<const char*, 4> names{"pass", "warn", "fail", "error"};
  return names.at(static_cast<std::size_t>(verdict));
}

Verdict worse(Verdict a, Verdict b) {
  return severity(b) > severity(a) ? b : a;
}

Expected expect(const PlannedDomain& domain) {
  std::vector<Finding> domain_level;
  std::vector<Finding> all;
  std::vector<Verdict> hosts;
  switch (domain.shape) {
    case DnsShape::null_mx:
      domain_level.push_back({"mx:null-mx", Verdict::fail});
      break;
    case DnsShape::nxdomain:
      domain_level.push_back({"mx:nxdomain", Verdict::fail});
      break;
    case DnsShape::servfail:
      domain_level.push_back({"mx:dns-error", Verdict::error});
      break;
    case DnsShape::implicit_mx:
      domain_level.push_back({"mx:implicit", Verdict::warn});
      [[fallthrough]];
    case DnsShape::ok:
    case DnsShape::host_no_address: {
      // The domain-level checks after `mx`, and the hosts, are judged only when mx is usable.
      for (auto& finding : mta_sts_findings(domain)) {
        domain_level.push_back(std::move(finding));
      }
      for (auto& finding : tlsrpt_findings(domain.tlsrpt)) {
        domain_level.push_back(std::move(finding));
      }
      for (const auto& host : domain.hosts) {
        auto findings = host_findings(host);
        hosts.push_back(worst(findings));
        all.insert(all.end(), findings.begin(), findings.end());
      }
      break;
    }
  }
  Expected out;
  out.status = worst(domain_level);
  const bool some_host_delivers = std::any_of(hosts.begin(), hosts.end(), [](Verdict v) {
    return v == Verdict::pass || v == Verdict::warn;
  });
  for (const Verdict host : hosts) {
    out.status =
        worse(out.status, host == Verdict::error && some_host_delivers ? Verdict::warn : host);
  }
  all.insert(all.end(), domain_level.begin(), domain_level.end());
  for (const auto& finding : all) {
    out.codes.push_back(finding.code);
  }
  std::sort(out.codes.begin(), out.codes.end());
  out.codes.erase(std::unique(out.codes.begin(), out.codes.end()), out.codes.end());
  return out;
}

std::string expected_line(const PlannedDomain& domain) {
  const Expected expected = expect(domain);
  boost::json::array codes;
  for (const auto& code : expected.codes) {
    codes.emplace_back(code);
  }
  const boost::json::object line{
      {"domain", domain.name}, {"status", to_string(expected.status)}, {"codes", codes}};
  return boost::json::serialize(line);
}

}  // namespace mx::sim
