#pragma once
// Domain-level and host-level rules, and the status arithmetic of CONTRACT.md: a host's status is
// the worst of its checks; a domain's is the worst of its own checks and its hosts' statuses,
// except that a host in `error` counts as `warn` when another host of the domain is `pass` or
// `warn` (mail still gets through; the unreachable host is reported, not judged). Pure.

#include "judge/result.hpp"
#include "probes/domain_observation.hpp"

namespace mx::judge {

// The `mx` check from the MX answer (and, for NODATA, whether the domain has addresses).
[[nodiscard]] Check judge_mx(const probes::DomainObservation& domain);

// The host-level `address` check from the host's A and AAAA answers.
[[nodiscard]] Check judge_host_addresses(const probes::HostObservation& host);

[[nodiscard]] Status domain_status(const std::vector<Check>& domain_checks,
                                   const std::vector<HostResult>& hosts);

// Whether observing again may change an `error` verdict: some check is `error` for a reason other
// than a special-purpose address (a configuration matter that a second look cannot change).
[[nodiscard]] bool worth_retrying(const DomainResult& domain);

// The whole domain object. DANE judges certificate dates at domain.observed_at; the MTA-STS and
// TLSRPT checks follow `mx` when it is pass or warn (policy_rules.hpp); the mta_sts and tlsrpt
// facts are filled whenever a record was selected. With a list entry, each MX host is also judged
// by `policy.mx-pattern`.
[[nodiscard]] DomainResult judge_domain(const probes::DomainObservation& domain,
                                        const ListPolicy* policy = nullptr);

}  // namespace mx::judge
