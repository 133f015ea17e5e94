#pragma once
// --rate: at most N new connections per second over the whole scan, whatever the shard (on top of
// --per-ip). Turns are handed out one every 1/N seconds, the first at once and never in a burst,
// so any window of T seconds holds at most T*N + 1 of them. A turn is taken just before a
// connection's probe starts its clock: waiting for one spends no step deadline and no budget.
//
// @par Thread Safety
// Shared objects: Safe (every shard takes its turns from the one object).

#include <chrono>
#include <mutex>

#include <boost/asio/awaitable.hpp>

namespace mx::engine {

class ConnectionRate {
 public:
  explicit ConnectionRate(double per_second);

  // The moment the caller's connection may start: the next free turn, reserved for it.
  [[nodiscard]] std::chrono::steady_clock::time_point reserve();

 private:
  std::mutex mutex_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point next_{};
};

// Waits for a turn of `rate`; returns at once when there is no limit (null).
boost::asio::awaitable<void> wait_turn(ConnectionRate* rate);

}  // namespace mx::engine
