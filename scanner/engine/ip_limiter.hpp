#pragma once
// At most N connections open to any one address at a time (--per-ip): operators block scanners
// that burst connections at their servers. A probe waits for a slot; slots pass first come, first
// served.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe: one limiter per shard, used on its thread.

#include <deque>
#include <map>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

namespace mx::engine {

class IpLimiter {
 public:
  explicit IpLimiter(unsigned per_ip) : per_ip_(per_ip == 0 ? 1 : per_ip) {}

  // Completes once a slot for `ip` is held; release() gives it back.
  boost::asio::awaitable<void> acquire(boost::asio::ip::address ip);
  void release(const boost::asio::ip::address& ip);

  [[nodiscard]] unsigned active(const boost::asio::ip::address& ip) const;

 private:
  struct Slot {
    unsigned active = 0;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters;
  };
  unsigned per_ip_;
  std::map<boost::asio::ip::address, Slot> slots_;
};

}  // namespace mx::engine
