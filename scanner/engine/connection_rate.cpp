#include "scanner/engine/connection_rate.hpp"

#include <algorithm>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mx::engine {

namespace asio = boost::asio;

ConnectionRate::ConnectionRate(double per_second)
    : interval_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(1.0 / per_second))) {}

std::chrono::steady_clock::time_point ConnectionRate::reserve() {
  const auto now = std::chrono::steady_clock::now();
  const std::lock_guard lock(mutex_);
  // A turn not taken in its time is gone: an idle spell earns no burst afterwards.
  const auto turn = std::max(now, next_);
  next_ = turn + interval_;
  return turn;
}

asio::awaitable<void> wait_turn(ConnectionRate* rate) {
  if (rate == nullptr) {
    co_return;
  }
  const auto turn = rate->reserve();
  if (turn <= std::chrono::steady_clock::now()) {
    co_return;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor, turn);
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace mx::engine
