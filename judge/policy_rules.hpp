#pragma once
// The domain-level policy checks, in their order after `mx`: mta-sts.record, mta-sts.policy,
// mta-sts.mx-match and tlsrpt.record (CONTRACT.md "Checks and codes", with the added codes
// dns-error, timeout, forbidden, and the skipped codes no-record, no-policy, mode-none and
// excluded). Pure.
//
// A TXT record check: one valid record is `ok` (pass); no record, NXDOMAIN or NODATA is `absent`
// (warn); several records `multiple` and an invalid one `syntax` (fail); a lookup timeout
// `timeout` and any other failed lookup `dns-error` (error).
//
// mta-sts.policy is judged only with an `ok` record (else skipped `no-record`), by the first rule
// of these that applies to the fetch:
//   1. it ended in dns_error, timeout or forbidden: error with that code; excluded (--exclude):
//      skipped, code excluded;
//   2. it ended without a response (no_address, refused, unreachable, closed, tls_failed,
//      http_error, io_error): fail `fetch-failed`;
//   3. the served certificate is not trusted, expired or not yet valid (the leaf or the path), or
//      names no mta-sts.<domain>: fail `certificate`;
//   4. a 3xx: fail `redirect`; any status but 200: fail `http-status`;
//   5. no Content-Type, or not text/plain: fail `content-type`;
//   6. the body beyond 64 KiB: fail `too-large`;
//   7. the body does not parse: fail `syntax`;
//   8. mode none: warn `mode-none`; testing: pass `mode-testing`; enforce: pass `ok`.
//
// mta-sts.mx-match needs a policy that reached rule 8 (else skipped `no-policy`); under mode none
// it is skipped `mode-none`. Every DNS MX host (for an implicit MX, the domain) must match a
// pattern of the policy: `ok`, or `mismatch`, a fail under enforce and a warn under testing.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "judge/result.hpp"
#include "judge/status.hpp"
#include "probes/domain_observation.hpp"
#include "probes/mta_sts/fetch.hpp"
#include "scanner/dns/answers.hpp"

namespace mx::judge {

// `answer`: the TXT answer at _mta-sts.<domain>.
[[nodiscard]] Check judge_mta_sts_record(const dns::TxtAnswer& answer);

// `record`: the mta-sts.record check. `fetch`: the policy fetch, made when the record is `ok`
// (an `ok` record without a fetch is skipped `no-record` too: nothing was fetched).
[[nodiscard]] Check judge_mta_sts_policy(const Check& record,
                                         const std::optional<probes::mta_sts::PolicyFetch>& fetch);

// `policy`: the mta-sts.policy check of `fetch`. `hosts`: the MX host names from DNS.
[[nodiscard]] Check judge_mta_sts_mx_match(const Check& policy,
                                           const std::optional<probes::mta_sts::PolicyFetch>& fetch,
                                           std::span<const std::string> hosts);

// `answer`: the TXT answer at _smtp._tls.<domain>.
[[nodiscard]] Check judge_tlsrpt_record(const dns::TxtAnswer& answer);

// The four checks, in order.
[[nodiscard]] std::vector<Check> judge_policies(const probes::DomainObservation& domain);

// The JSON facts: the selected record, and for MTA-STS the policy when its body parsed.
[[nodiscard]] std::optional<MtaStsFacts> mta_sts_facts(const probes::DomainObservation& domain);
[[nodiscard]] std::optional<TlsrptFacts> tlsrpt_facts(const probes::DomainObservation& domain);

}  // namespace mx::judge
