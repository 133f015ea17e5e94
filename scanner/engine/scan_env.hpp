#pragma once
// What observing a domain needs: the shard's resolver, where endpoint probes come from (the
// shard's cache, or the shard that owns the endpoint), and what the MTA-STS policy fetch uses (the
// shard's TLS client, the trust store SMTP certificates are judged against, its settings). Owned
// by the shard; outlives every coroutine that uses it.

#include <chrono>
#include <cstdint>

#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/dns/resolver.hpp"
#include "scanner/engine/connection_rate.hpp"
#include "scanner/engine/endpoint_cache.hpp"
#include "scanner/targets/exclude_list.hpp"

namespace mx::engine {

struct PolicyFetchSettings {
  std::uint16_t https_port = 443;
  std::chrono::milliseconds step_timeout{10'000};  // the fetch's budget is six of them
  bool allow_private = false;
};

struct ScanEnv {
  dns::Resolver& resolver;
  EndpointSource& endpoints;
  probes::tls::TlsClient& tls;
  const probes::tls::TrustStore& trust;
  PolicyFetchSettings policy_fetch;
  // What a domain's mail hosts may cost (observe_domain.hpp: kHostsBudgetProbes); unbounded
  // unless set.
  std::chrono::milliseconds hosts_budget = std::chrono::milliseconds::max();
  ConnectionRate* rate = nullptr;  // --rate, for the MTA-STS fetch's connection
  // --exclude: names never looked up, addresses never contacted (observe_domain.hpp). Null: none.
  const targets::ExcludeList* exclude = nullptr;
};

}  // namespace mx::engine
