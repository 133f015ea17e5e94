#pragma once
// Observes one mail domain: MX lookup (null and implicit MX), A, AAAA and TLSA of each mail host,
// and an SMTP/STARTTLS probe of each address (through the shard's endpoint cache); concurrently
// with that, the _mta-sts TXT record with the policy fetch when the record is valid (a budget of
// six step timeouts), and the _smtp._tls TXT record. Facts only.

#include <string>

#include <boost/asio/awaitable.hpp>

#include "probes/domain_observation.hpp"
#include "scanner/engine/scan_env.hpp"

namespace mx::engine {

// At most this many MX hosts, and addresses per host, are probed: a hostile zone must not make
// one domain cost thousands of connections.
inline constexpr std::size_t kMaxHosts = 20;
inline constexpr std::size_t kMaxAddressesPerHost = 10;

// What one domain's mail hosts may cost, in probe budgets (EndpointCache::budget(): the greeting
// and six steps): the time their lookups took, and each probe's own duration (not the time it
// queued behind other domains' probes of its address, so that a verdict does not depend on the
// scan's load). Once it is spent, the hosts left are not looked up and the addresses left are not
// probed; each is recorded as a timeout, so the domain is undetermined (error), not passed.
// Without it, 20 hosts with 10 tarpits each held one domain for 200 probe budgets: hours at the
// default timeouts, and the run with it.
inline constexpr int kHostsBudgetProbes = 2;

// `env` is owned by the shard and outlives the coroutine. `domain` is canonical. `attempt` 2 is
// the retry of an undetermined result: endpoints are probed afresh (once, shared).
boost::asio::awaitable<probes::DomainObservation> observe_domain(ScanEnv& env, std::string domain,
                                                                 int attempt = 1);

// The DNS half of observe_domain, nothing contacted: the MX answer, each mail host's A, AAAA and
// TLSA, the _mta-sts and _smtp._tls TXT records (no policy fetch, no probe), one query after
// another; names on `exclude` (may be null) are not asked, as in a scan. What `mxscan resolve`
// shows. `resolver` must outlive the coroutine.
boost::asio::awaitable<probes::DomainObservation> look_up_domain(
    dns::Resolver& resolver, const targets::ExcludeList* exclude, std::string domain);

}  // namespace mx::engine
