#pragma once
// One SMTP probe per (address, port, SNI name) while it is cached: every domain whose MX is that
// host shares the outcome, and a domain asking while the probe runs waits for it. 40 domains on
// one provider's MX cost one probe, not 40. A retry (attempt 2) of an undetermined result probes
// again once, shared in the same way. At most `per_ip` probes run against one address at a time.
//
// The cache holds at most `capacity` entries, so that its memory does not grow with the scan (an
// entry is a few KB: replies, TLS facts, the certificate chain). It is a segmented LRU, resistant
// to a stream of single-use endpoints (the self-hosted MX of one domain): a new entry goes to the
// probation segment and is promoted to the protected segment when it is asked for again; the
// least recently used entry of probation is evicted first, so single-use endpoints push out one
// another, not the providers' MX hosts shared by thousands of domains. An entry whose probe runs
// or whose outcome a domain still waits for is never evicted: while every entry is such, the
// cache holds more than `capacity` (at most the probes in flight more). An evicted endpoint that
// is asked for again is probed again.
//
// Most endpoints of a scan are used once, and their outcomes would fill probation with KBs no one
// asks for again. So only the newest probation entries keep their outcome (an eighth of the
// capacity); older ones keep only their key, a few hundred bytes, to recognise a second use:
// that endpoint is probed again and, shared after all, goes to the protected segment. Memory
// then follows the endpoints that are shared, not the endpoints scanned.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe: one cache per shard, used on its thread. The
// observations it returns are immutable and may be read on any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "probes/domain_observation.hpp"
#include "probes/smtp/probe.hpp"
#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/engine/connection_rate.hpp"
#include "scanner/engine/ip_limiter.hpp"

namespace mx::engine {

// The outcome of one endpoint's probe, shared by every domain that uses the endpoint.
using SharedAddressObservation = std::shared_ptr<const probes::AddressObservation>;

// Where a domain's observation gets the probe of one address from.
class EndpointSource {
 public:
  virtual ~EndpointSource() = default;
  virtual boost::asio::awaitable<SharedAddressObservation> observe(std::string host,
                                                                   boost::asio::ip::address ip,
                                                                   int attempt) = 0;
};

// Entries over all shards by default. A world of 10,000 domains probes about 8,500 endpoints, all
// of which stay cached; at internet scale the cache stays near 16,384 entries of a few KB each
// (tens of MB) instead of growing by one entry per self-hosted MX.
inline constexpr std::size_t kDefaultEndpointCacheEntries = 16'384;

// Probation entries that keep their outcome: an eighth of the capacity, and all of a small cache.
// Measured with heaptrack on bench/run's world (45 shared endpoints among 8,500 at 10,000 domains,
// among 34,000 at 40,000): an outcome is about 4.3 KB of live heap, a key alone about 0.3 KB.
inline constexpr std::size_t kProbationOutcomesDivisor = 8;
inline constexpr std::size_t kProbationOutcomesFloor = 16;

class EndpointCache : public EndpointSource {
 public:
  // `tls` and `trust` outlive the cache. `probe` carries the settings of every probe (port, EHLO
  // name, timeouts, limits, allow_private); host and ip are set per probe. A `capacity` of 0 is
  // taken as 1.
  EndpointCache(probes::tls::TlsClient& tls, const probes::tls::TrustStore& trust,
                probes::smtp::ProbeConfig probe, unsigned per_ip,
                std::size_t capacity = kDefaultEndpointCacheEntries,
                ConnectionRate* rate = nullptr);
  ~EndpointCache() override;
  EndpointCache(const EndpointCache&) = delete;
  EndpointCache& operator=(const EndpointCache&) = delete;

  boost::asio::awaitable<SharedAddressObservation> observe(std::string host,
                                                           boost::asio::ip::address ip,
                                                           int attempt) override;
  [[nodiscard]] std::uint64_t probes_started() const noexcept { return probes_started_; }
  // Entries held now, those in flight included.
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  // Entries that hold an outcome or a probe running: the cache's memory.
  [[nodiscard]] std::size_t outcomes() const noexcept { return entries_.size() - keys_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  // A probe ends, at the latest, when its total budget is spent, wherever it is: the greeting
  // timeout and six step timeouts.
  [[nodiscard]] std::chrono::milliseconds budget() const;

 private:
  struct Entry;
  using Key = std::tuple<boost::asio::ip::address, std::string, int>;
  using Entries = std::map<Key, std::shared_ptr<Entry>>;
  using Segment = std::list<Entry*>;  // most recently used first

  boost::asio::awaitable<void> run_with_budget(probes::smtp::ProbeConfig config,
                                               probes::smtp::Observation& out);
  // Asked for again: a resting entry moves to the front of the protected segment.
  void touch(Entry& entry) noexcept;
  // Done and awaited by no one: the entry rests in a segment, and may now be evicted.
  void settle_if_idle(Entry& entry);
  // Keeps the protected segment within its share, probation's outcomes within theirs, then the
  // whole cache within capacity.
  void trim() noexcept;

  probes::tls::TlsClient& tls_;
  const probes::tls::TrustStore& trust_;
  probes::smtp::ProbeConfig probe_;
  IpLimiter limiter_;
  ConnectionRate* rate_;  // the engine's, shared by every shard; null: no limit
  std::size_t capacity_;
  std::size_t protected_capacity_;
  std::size_t probation_outcomes_;
  Entries entries_;
  Segment probation_;  // with their outcome
  Segment keys_;       // probation entries past probation_outcomes_: the outcome dropped
  Segment protected_;
  std::uint64_t probes_started_ = 0;
};

}  // namespace mx::engine
