#pragma once
// Timeouts and budgets, in one place (STYLE.md: three layers). A step's deadline is
// `step` from when the step starts but never past the budget (Deadlines); a budget charged with
// what each piece of sequential work cost (SpentBudget); a sleep that a race
// (awaitable_operators ||) may lose (sleep_until); and a task run under a total budget that
// cancels it when the budget passes (with_budget). The engine's stop is the third layer
// (scanner/engine). Every function runs on the caller's executor.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace mx::net {

using Clock = std::chrono::steady_clock;

class Deadlines {
 public:
  // `owner` names what the budget belongs to in timeout_detail(): "fetch" gives "the fetch's
  // budget ran out".
  Deadlines(std::chrono::milliseconds step, std::chrono::milliseconds budget,
            std::string_view owner)
      : step_(step), end_(Clock::now() + budget), owner_(owner) {}

  [[nodiscard]] Clock::time_point next_step() const { return std::min(Clock::now() + step_, end_); }
  [[nodiscard]] Clock::time_point end() const { return end_; }
  [[nodiscard]] bool budget_spent() const { return Clock::now() >= end_; }

  // Why a step just ended in a timeout.
  [[nodiscard]] std::string timeout_detail() const {
    return budget_spent() ? "the " + owner_ + "'s budget ran out" : "the step's deadline passed";
  }

 private:
  std::chrono::milliseconds step_;
  Clock::time_point end_;
  std::string owner_;
};

// A budget of time that work done one piece after another is charged with, piece by piece, at
// what each piece cost rather than by the clock (the time spent waiting on a peer, not the time
// queued behind other work of our own). A piece starts only while some of the budget is left, so
// the total ends at most one piece past it.
class SpentBudget {
 public:
  explicit SpentBudget(std::chrono::milliseconds budget) : left_(budget) {}

  [[nodiscard]] bool spent() const { return left_.count() <= 0; }
  void charge(Clock::duration cost) {
    left_ -= std::chrono::duration_cast<std::chrono::milliseconds>(cost);
  }

 private:
  std::chrono::milliseconds left_;
};

// Completes at `deadline`; throws operation_aborted when cancelled first, so that a race it
// loses never counts it as the winner.
inline boost::asio::awaitable<void> sleep_until(Clock::time_point deadline) {
  const boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor, deadline);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

// Runs `task` until it ends; when `budget` passes first, `task` gets terminal cancellation and
// with_budget returns false once it has ended (whatever it recorded before stays recorded).
// True when the task ended by itself within the budget.
inline boost::asio::awaitable<bool> with_budget(boost::asio::awaitable<void> task,
                                                std::chrono::milliseconds budget) {
  namespace asio = boost::asio;
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  // Shared with the timer's handler: a completion already queued when the task ends must still
  // find a live signal (emitting on it then does nothing, its slot being cleared).
  const auto cancel = std::make_shared<asio::cancellation_signal>();
  asio::steady_timer timer(executor, budget);
  timer.async_wait([cancel](const boost::system::error_code& ec) {
    if (!ec) {
      cancel->emit(asio::cancellation_type::terminal);
    }
  });
  bool within = true;
  try {
    co_await asio::co_spawn(executor, std::move(task),
                            asio::bind_cancellation_slot(cancel->slot(), asio::use_awaitable));
  } catch (const boost::system::system_error&) {
    within = false;
  }
  timer.cancel();
  co_return within;
}

}  // namespace mx::net
