#pragma once
// One SMTP probe per (address, port, SNI name) per scan: every domain whose MX is that host
// shares the outcome, and a domain asking while the probe runs waits for it. 40 domains on one
// provider's MX cost one probe, not 40.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe: one cache per shard, used on its thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "probes/domain_observation.hpp"

namespace mx::engine {

struct ScanEnv;

class EndpointCache {
 public:
  // The observation of host at ip:port, probing it unless another domain already did or is.
  boost::asio::awaitable<probes::AddressObservation> observe(ScanEnv& env, std::string host,
                                                             boost::asio::ip::address ip);
  [[nodiscard]] std::size_t probes_started() const noexcept { return probes_started_; }

 private:
  struct Entry;
  using Key = std::tuple<boost::asio::ip::address, std::uint16_t, std::string>;
  std::map<Key, std::shared_ptr<Entry>> entries_;
  std::size_t probes_started_ = 0;
};

}  // namespace mx::engine
