#pragma once
// The address-level `dane` check (RFC 7672): the MX host's TLSA answer against the chain the SMTP
// probe captured at one address (CONTRACT.md, with the added skipped code no-certificate). Pure.
//
//   - NXDOMAIN or NODATA at _25._tcp.<host>: skipped `absent`.
//   - a lookup timeout: error `timeout`; any other failed lookup: error `dns-error`.
//   - records without the AD bit: warn `unauthenticated` (RFC 7672 §2.2: not used).
//   - authenticated records, no chain captured at this address: skipped `no-certificate`.
//   - authenticated records, none usable: skipped `absent`; one matches: pass `ok`; else fail
//     `mismatch`.

#include <chrono>

#include "judge/status.hpp"
#include "probes/domain_observation.hpp"
#include "probes/smtp/observation.hpp"

namespace mx::judge {

// `host`: its name, A/AAAA answers (whose canonical name, when it differs from the host, is the
// TLSA base domain, RFC 7672 §2.2.2) and TLSA answer. `smtp`: the probe of one of its addresses.
// `now`: the time DANE-TA certificate dates are judged at.
[[nodiscard]] Check judge_dane(const probes::HostObservation& host,
                               const probes::smtp::Observation& smtp,
                               std::chrono::system_clock::time_point now);

}  // namespace mx::judge
