#include "judge/domain_rules.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "judge/dane_rules.hpp"
#include "judge/policy_rules.hpp"
#include "judge/smtp_rules.hpp"

namespace mx::judge {
namespace {

using dns::Outcome;

Check make(std::string name, Status status, std::string code, std::string message) {
  return Check{std::move(name), status, std::move(code), std::move(message)};
}

std::string outcome_text(const dns::AnswerMeta& meta) {
  std::string out(dns::to_string(meta.outcome));
  if (!meta.detail.empty()) {
    out += " (" + meta.detail + ")";
  }
  return out;
}

bool undetermined(Outcome outcome) {
  return outcome == Outcome::servfail || outcome == Outcome::refused || outcome == Outcome::error ||
         outcome == Outcome::timeout;
}

// For each address-level check name, in the order first seen, the worst result over addresses.
std::vector<Check> worst_per_check(const std::vector<AddressResult>& addresses) {
  std::vector<Check> out;
  for (const auto& address : addresses) {
    for (const auto& check : address.checks) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const Check& c) { return c.check == check.check; });
      if (it == out.end()) {
        out.push_back(check);
      } else if (severity(check.status) > severity(it->status)) {
        *it = check;
      }
    }
  }
  return out;
}

bool excluded(const probes::AddressObservation& address) {
  return address.smtp.ending == probes::smtp::Ending::excluded;
}

// A host whose name is on the exclude list: nothing was asked, every check is skipped.
HostResult excluded_host(const probes::HostObservation& host, const ListPolicy* policy) {
  HostResult result;
  result.host = host.mx.host;
  result.preference = host.mx.preference;
  result.status = Status::skipped;
  result.checks.push_back(make(
      "address", Status::skipped, "excluded",
      fmt::format("{} is {}; not looked up", host.mx.host, targets::describe(*host.excluded))));
  for (const auto* name : {"connect", "smtp", "starttls", "tls", "certificate", "dane"}) {
    result.checks.push_back(make(name, Status::skipped, "skipped", "not run: host excluded"));
  }
  if (policy != nullptr) {
    result.checks.push_back(
        make("policy.mx-pattern", Status::skipped, "skipped", "not run: host excluded"));
  }
  return result;
}

// The host-level `address` check when every address of the host is on the exclude list.
Check every_address_excluded(const probes::HostObservation& host) {
  std::string message = fmt::format("every address of {} is excluded", host.mx.host);
  const char* separator = ": ";
  for (const auto& address : host.addresses) {
    message += separator + address.smtp.ip.to_string() + " (" + address.smtp.detail + ")";
    separator = "; ";
  }
  return make("address", Status::skipped, "excluded", message);
}

HostResult judge_host(const probes::HostObservation& host,
                      std::chrono::system_clock::time_point now, const ListPolicy* policy) {
  if (host.excluded) {
    return excluded_host(host, policy);
  }
  HostResult result;
  result.host = host.mx.host;
  result.preference = host.mx.preference;
  for (const auto& address : host.addresses) {
    AddressResult a;
    a.ip = address.smtp.ip;
    a.checks = judge_address(address.smtp, address.certificate);
    if (excluded(address)) {
      a.checks.push_back(make("dane", Status::skipped, "skipped", "not run: address excluded"));
      a.status = Status::skipped;
    } else {
      a.checks.push_back(judge_dane(host, address.smtp, now));
      a.status = worst(a.checks);
    }
    if (address.smtp.tls && address.smtp.tls->version_number != 0) {
      a.tls_version = address.smtp.tls->version;
      a.tls_cipher = address.smtp.tls->cipher;
    }
    a.certificate = address.certificate;
    result.addresses.push_back(std::move(a));
  }
  auto dns_check = judge_host_addresses(host);
  auto per_address = worst_per_check(result.addresses);
  // The host's `address` check: DNS first; when DNS gave addresses, the worst per-address one.
  auto it = std::find_if(per_address.begin(), per_address.end(),
                         [](const Check& c) { return c.check == "address"; });
  if (it != per_address.end()) {
    if (severity(it->status) > severity(dns_check.status)) {
      dns_check = *it;
    }
    per_address.erase(it);
  }
  const bool all_excluded =
      !host.addresses.empty() && std::all_of(host.addresses.begin(), host.addresses.end(),
                                             [](const auto& address) { return excluded(address); });
  if (all_excluded) {
    dns_check = every_address_excluded(host);
  }
  result.checks.push_back(std::move(dns_check));
  for (auto& check : per_address) {
    result.checks.push_back(std::move(check));
  }
  if (policy != nullptr) {
    result.checks.push_back(all_excluded ? make("policy.mx-pattern", Status::skipped, "skipped",
                                                "not run: host excluded")
                                         : judge_mx_pattern(host.mx.host, *policy));
  }
  // Nothing of an excluded host was observed: it is skipped, and its domain does not count it.
  result.status = all_excluded ? Status::skipped : worst(result.checks);
  return result;
}

}  // namespace

Check judge_mx(const probes::DomainObservation& domain) {
  const auto& mx = domain.mx;
  switch (mx.meta.outcome) {
    case Outcome::data:
      if (mx.null_mx()) {
        return make("mx", Status::fail, "null-mx",
                    "null MX: the domain accepts no mail (RFC 7505)");
      }
      if (domain.hosts.empty()) {
        // Only root targets, but not the exact RFC 7505 form (e.g. a preference other than 0):
        // still nowhere to deliver.
        return make("mx", Status::fail, "null-mx",
                    "every MX target is the root: the domain accepts no mail (RFC 7505 asks for "
                    "a single MX 0 .)");
      }
      if (mx.null_mx_mixed()) {
        return make("mx", Status::warn, "null-mx-mixed",
                    "a null MX is published beside other MX records; the others are checked");
      }
      return make(
          "mx", Status::pass, "ok",
          fmt::format("{} MX host{}", domain.hosts.size(), domain.hosts.size() == 1 ? "" : "s"));
    case Outcome::nodata: {
      const bool has_address =
          !domain.hosts.empty() && (domain.hosts.front().a.meta.outcome == Outcome::data ||
                                    domain.hosts.front().aaaa.meta.outcome == Outcome::data);
      if (has_address) {
        return make("mx", Status::warn, "implicit",
                    "no MX record: the domain's own address serves (RFC 5321 section 5.1)");
      }
      return make("mx", Status::fail, "no-mail-host", "neither an MX record nor an address");
    }
    case Outcome::nxdomain:
      return make("mx", Status::fail, "nxdomain", "the domain does not exist");
    case Outcome::timeout:
      return make("mx", Status::error, "timeout", "no answer to the MX query in time");
    case Outcome::servfail:
    case Outcome::refused:
    case Outcome::error:
      return make("mx", Status::error, "dns-error",
                  fmt::format("MX query failed: {}", outcome_text(mx.meta)));
  }
  return make("mx", Status::error, "dns-error", "unknown outcome");
}

Check judge_host_addresses(const probes::HostObservation& host) {
  const auto count = host.a.addresses.size() + host.aaaa.addresses.size();
  if (count > 0) {
    return make("address", Status::pass, "ok",
                fmt::format("{} address{}", count, count == 1 ? "" : "es"));
  }
  const auto a = host.a.meta.outcome;
  const auto aaaa = host.aaaa.meta.outcome;
  if (a == Outcome::timeout || aaaa == Outcome::timeout) {
    return make(
        "address", Status::error, "timeout",
        fmt::format("A: {}, AAAA: {}", outcome_text(host.a.meta), outcome_text(host.aaaa.meta)));
  }
  if (undetermined(a) || undetermined(aaaa)) {
    return make(
        "address", Status::error, "dns-error",
        fmt::format("A: {}, AAAA: {}", outcome_text(host.a.meta), outcome_text(host.aaaa.meta)));
  }
  return make("address", Status::fail, "none",
              fmt::format("{} has no A or AAAA record", host.mx.host));
}

Status domain_status(const std::vector<Check>& domain_checks,
                     const std::vector<HostResult>& hosts) {
  // The domain itself, or every one of its mail hosts, is excluded: nothing of its mail transport
  // was observed, so no verdict, whatever its MTA-STS and TLSRPT records say.
  const bool mx_skipped = !domain_checks.empty() && domain_checks.front().check == "mx" &&
                          domain_checks.front().status == Status::skipped;
  const bool every_host_skipped =
      !hosts.empty() && std::all_of(hosts.begin(), hosts.end(), [](const HostResult& h) {
        return h.status == Status::skipped;
      });
  if (mx_skipped || every_host_skipped) {
    return Status::skipped;
  }
  const bool some_host_delivers = std::any_of(hosts.begin(), hosts.end(), [](const HostResult& h) {
    return h.status == Status::pass || h.status == Status::warn;
  });
  Status status = worst(domain_checks);
  for (const auto& host : hosts) {
    const Status counted =
        host.status == Status::error && some_host_delivers ? Status::warn : host.status;
    status = worse(status, counted);
  }
  return status;
}

bool worth_retrying(const DomainResult& domain) {
  auto retryable = [](const std::vector<Check>& checks) {
    return std::any_of(checks.begin(), checks.end(), [](const Check& c) {
      return c.status == Status::error && c.code != "forbidden";
    });
  };
  if (domain.status != Status::error) {
    return false;
  }
  if (retryable(domain.checks)) {
    return true;
  }
  return std::any_of(domain.mx.begin(), domain.mx.end(), [&](const HostResult& host) {
    return host.status == Status::error && retryable(host.checks);
  });
}

DomainResult judge_domain(const probes::DomainObservation& domain, const ListPolicy* policy) {
  DomainResult result;
  result.domain = domain.domain;
  if (policy != nullptr) {
    result.policy = *policy;
  }
  if (domain.excluded) {
    result.checks.push_back(make("mx", Status::skipped, "excluded",
                                 fmt::format("{} is {}; nothing was looked up", domain.domain,
                                             targets::describe(*domain.excluded))));
    result.status = Status::skipped;
    return result;
  }
  result.checks.push_back(judge_mx(domain));
  const bool mx_usable =
      result.checks.front().status == Status::pass || result.checks.front().status == Status::warn;
  if (mx_usable) {
    for (auto& check : judge_policies(domain)) {
      result.checks.push_back(std::move(check));
    }
    for (const auto& host : domain.hosts) {
      result.mx.push_back(judge_host(host, domain.observed_at, policy));
    }
  }
  result.mta_sts = mta_sts_facts(domain);
  result.tlsrpt = tlsrpt_facts(domain);
  result.status = domain_status(result.checks, result.mx);
  return result;
}

}  // namespace mx::judge
