#pragma once
// What observing a domain needs: the shard's resolver, and where endpoint probes come from (the
// shard's cache, or the shard that owns the endpoint). Owned by the shard; outlives every
// coroutine that uses it.

#include "scanner/dns/resolver.hpp"
#include "scanner/engine/endpoint_cache.hpp"

namespace mx::engine {

struct ScanEnv {
  dns::Resolver& resolver;
  EndpointSource& endpoints;
};

}  // namespace mx::engine
