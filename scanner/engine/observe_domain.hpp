#pragma once
// Observes one mail domain: MX lookup (null and implicit MX), A and AAAA of each mail host, and an
// SMTP/STARTTLS probe of each address (through the shard's endpoint cache). Facts only.

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
