#include "scanner/engine/ip_limiter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mx::engine {

namespace asio = boost::asio;

asio::awaitable<void> IpLimiter::acquire(asio::ip::address ip) {
  auto& slot = slots_[ip];
  if (slot.active < per_ip_) {
    ++slot.active;
    co_return;
  }
  auto executor = co_await asio::this_coro::executor;
  auto turn = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  slot.waiters.push_back(turn);
  // release() cancels the timer when it hands this waiter its slot.
  auto waited = co_await turn->async_wait(asio::as_tuple(asio::use_awaitable));
  (void)waited;
}

void IpLimiter::release(const asio::ip::address& ip) {
  auto it = slots_.find(ip);
  if (it == slots_.end()) {
    return;
  }
  auto& slot = it->second;
  if (!slot.waiters.empty()) {
    // The slot passes to the first waiter: active stays the same.
    auto next = std::move(slot.waiters.front());
    slot.waiters.pop_front();
    next->cancel();
    return;
  }
  if (--slot.active == 0) {
    slots_.erase(it);
  }
}

unsigned IpLimiter::active(const asio::ip::address& ip) const {
  const auto it = slots_.find(ip);
  return it == slots_.end() ? 0 : it->second.active;
}

}  // namespace mx::engine
