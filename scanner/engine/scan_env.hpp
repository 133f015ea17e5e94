#pragma once
// What one shard's probes share: the resolver, the TLS client profile, the trust anchors and the
// probe settings. Owned by the shard; outlives every coroutine that uses it.

#include "probes/smtp/probe.hpp"
#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/dns/resolver.hpp"
#include "scanner/engine/endpoint_cache.hpp"

namespace mx::engine {

struct ScanEnv {
  dns::Resolver& resolver;
  probes::tls::TlsClient& tls;
  const probes::tls::TrustStore& trust;
  // host, ip and port are set per probe; the rest (ehlo name, timeouts, limits, allow_private,
  // port) applies to every probe.
  probes::smtp::ProbeConfig probe;
  EndpointCache& endpoints;
};

}  // namespace mx::engine
