#pragma once
// The scanning engine shared by every command: N shards, each a thread with its own io_context,
// c-ares channel, TLS client and endpoint cache; work crosses shards only by posting. Domains are
// fed from the input as they finish (at most `concurrency` in flight in all), and the endpoint
// caches are bounded, so memory does not grow with the input. An endpoint (address, port, SNI
// name) is probed by the shard that owns it (a stable hash), once while it is cached, for every
// domain that uses it, with at most `per_ip` connections open to one address. A domain judged
// `error` is observed again once after `retry_delay` before it is reported. stop() stops feeding;
// in-flight domains finish, or are abandoned once the grace period ends (they are not reported, so
// a resumed run redoes them).
//
// @par Thread Safety
// run() blocks its caller; stop() and stats() may be called from any thread. The sink is called
// on shard threads, one call at a time per shard: it must be thread-safe across shards.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "judge/result.hpp"
#include "probes/domain_observation.hpp"
#include "probes/smtp/probe.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/dns/resolver.hpp"
#include "scanner/engine/endpoint_cache.hpp"
#include "scanner/targets/exclude_list.hpp"

namespace mx::engine {

struct EngineOptions {
  unsigned threads = 1;
  std::size_t concurrency = 1000;  // domains in flight, over all shards
  unsigned per_ip = 2;
  // New connections per second over all shards (--rate, connection_rate.hpp); 0: no limit.
  double rate = 0;
  // Endpoints cached over all shards, each shard holding its share (see EndpointCache).
  std::size_t endpoint_cache = kDefaultEndpointCacheEntries;
  std::chrono::milliseconds retry_delay{30'000};
  dns::ResolverOptions resolver;
  probes::smtp::ProbeConfig probe;  // host and ip are set per probe
  // The MTA-STS policy fetch takes its step timeout and allow_private from `probe`.
  std::uint16_t https_port = 443;
  const probes::tls::TrustStore* trust = nullptr;
  // Names and networks never looked up or contacted (--exclude); the caller keeps it alive for
  // the whole run. Null: none.
  const targets::ExcludeList* exclude = nullptr;
};

struct DomainOutcome {
  std::size_t index = 0;  // position in run()'s input
  probes::DomainObservation observation;
  judge::DomainResult result;
  int attempts = 1;
};

using Sink = std::function<void(DomainOutcome&&)>;

struct EngineStats {
  std::uint64_t total = 0;
  std::uint64_t done = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t pass = 0;
  std::uint64_t warn = 0;
  std::uint64_t fail = 0;
  std::uint64_t error = 0;
  std::uint64_t skipped = 0;  // excluded (--exclude): nothing of the domain's mail was contacted
};

// What run() does on its caller's thread besides waiting.
struct RunHooks {
  // SIGINT/SIGTERM stop feeding; in-flight domains get `grace` to finish; a second signal
  // abandons them at once. They stay caught until the Engine is destroyed: one arriving after
  // run() returned is ignored, so that the caller commits and records the run undisturbed.
  bool handle_signals = false;
  std::chrono::milliseconds grace{10'000};
  // Called every progress_interval while running (on run()'s caller's thread).
  std::function<void(const EngineStats&)> progress;
  std::chrono::milliseconds progress_interval{1000};
};

class Engine {
 public:
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Observes and judges every domain, calling `sink` with each outcome; returns when all are done
  // or, after stop(), when in-flight work has finished or been abandoned. Returns false when it
  // stopped early. `policies`, when not empty, holds for each domain (same index) the list entry
  // it is judged against, if any.
  bool run(const std::vector<std::string>& domains, const Sink& sink, RunHooks hooks = {},
           std::span<const std::optional<judge::ListPolicy>> policies = {});

  // Stop feeding new domains; abandon in-flight ones after `grace`. Safe from any thread, and
  // from a signal-handling context that only sets flags (it takes no lock).
  void stop(std::chrono::milliseconds grace);

  [[nodiscard]] EngineStats stats() const;

  struct Impl;  // opaque; public only so that the shard coroutines in engine.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// RLIMIT_NOFILE after raising the soft limit to the hard one.
[[nodiscard]] std::size_t raise_open_file_limit();

// Open files a run of `threads` shards needs besides its domains' sockets: those open now (the
// standard streams, anything inherited), each event loop's epoll, eventfd and timerfd, each
// shard's DNS sockets, the signal pipe, the database with its WAL and shared memory, and room.
[[nodiscard]] std::size_t reserved_open_files(unsigned threads);

// Each domain in flight holds up to two sockets: an SMTP connection (to one MX address at a time)
// and the MTA-STS policy fetch, which runs beside it.
inline constexpr std::size_t kOpenFilesPerDomain = 2;

// The largest number of domains in flight, at most `wanted`, that RLIMIT_NOFILE allows after
// raising the soft limit to the hard one: backpressure, so that no socket fails for want of a
// descriptor (which would be recorded as the peer's failure). 0 when not even one domain fits.
[[nodiscard]] std::size_t fit_concurrency(std::size_t wanted, unsigned threads);

}  // namespace mx::engine
