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

// `env` is owned by the shard and outlives the coroutine. `domain` is canonical. `attempt` 2 is
// the retry of an undetermined result: endpoints are probed afresh (once, shared).
boost::asio::awaitable<probes::DomainObservation> observe_domain(ScanEnv& env, std::string domain,
                                                                 int attempt = 1);

}  // namespace mx::engine
