#pragma once
// One SMTP probe per (address, port, SNI name) per scan: every domain whose MX is that host shares
// the outcome, and a domain asking while the probe runs waits for it. 40 domains on one
// provider's MX cost one probe, not 40. A retry (attempt 2) of an undetermined result probes
// again once, shared in the same way. At most `per_ip` probes run against one address at a time.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe: one cache per shard, used on its thread.

#include <chrono>
#include <cstdint>
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
#include "scanner/engine/ip_limiter.hpp"

namespace mx::engine {

// Where a domain's observation gets the probe of one address from.
class EndpointSource {
 public:
  virtual ~EndpointSource() = default;
  virtual boost::asio::awaitable<probes::AddressObservation> observe(std::string host,
                                                                     boost::asio::ip::address ip,
                                                                     int attempt) = 0;
};

class EndpointCache : public EndpointSource {
 public:
  // `tls` and `trust` outlive the cache. `probe` carries the settings of every probe (port, EHLO
  // name, timeouts, limits, allow_private); host and ip are set per probe.
  EndpointCache(probes::tls::TlsClient& tls, const probes::tls::TrustStore& trust,
                probes::smtp::ProbeConfig probe, unsigned per_ip);
  ~EndpointCache() override;

  boost::asio::awaitable<probes::AddressObservation> observe(std::string host,
                                                             boost::asio::ip::address ip,
                                                             int attempt) override;
  [[nodiscard]] std::uint64_t probes_started() const noexcept { return probes_started_; }

 private:
  struct Entry;
  // A probe ends, at the latest, when its total budget is spent, wherever it is.
  [[nodiscard]] std::chrono::milliseconds budget() const;
  boost::asio::awaitable<void> run_with_budget(probes::smtp::ProbeConfig config,
                                               probes::smtp::Observation& out);

  using Key = std::tuple<boost::asio::ip::address, std::string, int>;
  probes::tls::TlsClient& tls_;
  const probes::tls::TrustStore& trust_;
  probes::smtp::ProbeConfig probe_;
  IpLimiter limiter_;
  std::map<Key, std::shared_ptr<Entry>> entries_;
  std::uint64_t probes_started_ = 0;
};

}  // namespace mx::engine
