#include <chrono>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "scanner/net/deadline.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mx::net::Clock;
using mx::net::Deadlines;
using mx::net::with_budget;

namespace {

struct TaskLog {
  bool started = false;
  bool finished = false;
  bool cancelled = false;
};

// Waits `wait` on a timer, recording how it ended.
asio::awaitable<void> wait_for(std::chrono::milliseconds wait, std::shared_ptr<TaskLog> log) {
  log->started = true;
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, wait);
  try {
    co_await timer.async_wait(asio::use_awaitable);
    log->finished = true;
  } catch (const boost::system::system_error&) {
    log->cancelled = true;
    throw;
  }
}

// Ends without suspending.
asio::awaitable<void> at_once(std::shared_ptr<TaskLog> log) {
  log->started = true;
  log->finished = true;
  co_return;
}

struct Outcome {
  int results = 0;
  bool within = false;
};

asio::awaitable<void> run(asio::awaitable<void> task, std::chrono::milliseconds budget,
                          std::shared_ptr<Outcome> outcome) {
  const bool within = co_await with_budget(std::move(task), budget);
  outcome->within = within;
  ++outcome->results;
}

Outcome run_once(asio::awaitable<void> task, std::chrono::milliseconds budget) {
  asio::io_context io;
  auto outcome = std::make_shared<Outcome>();
  asio::co_spawn(io, run(std::move(task), budget, outcome), asio::detached);
  io.run_for(10s);
  return *outcome;
}

}  // namespace

TEST_CASE("with_budget: a task that ends in time is not cancelled", "[unit]") {
  auto log = std::make_shared<TaskLog>();
  const Outcome outcome = run_once(wait_for(1ms, log), 5s);
  CHECK(outcome.results == 1);
  CHECK(outcome.within);
  CHECK(log->finished);
  CHECK_FALSE(log->cancelled);
}

TEST_CASE("with_budget: a task past its budget is cancelled and reported", "[unit]") {
  auto log = std::make_shared<TaskLog>();
  const auto start = Clock::now();
  const Outcome outcome = run_once(wait_for(1h, log), 20ms);
  CHECK(outcome.results == 1);
  CHECK_FALSE(outcome.within);
  CHECK(log->cancelled);
  CHECK_FALSE(log->finished);
  CHECK(Clock::now() - start < 5s);
}

TEST_CASE("with_budget: a task that ends in the turn its budget expires", "[unit]") {
  // A zero budget's timer completes in the same loop turns as a task that never suspends: the
  // handler must find a live signal, and the result is reported exactly once (ASan watches).
  for (int i = 0; i < 50; ++i) {
    auto log = std::make_shared<TaskLog>();
    const Outcome outcome = run_once(at_once(log), 0ms);
    CHECK(outcome.results == 1);
    CHECK(log->finished);
  }
}

TEST_CASE("Deadlines: a step's deadline never passes the budget", "[unit]") {
  const Deadlines long_budget(10ms, 1h, "probe");
  const auto next = long_budget.next_step();
  const auto later = Clock::now();
  CHECK(next <= later + 10ms);
  CHECK(next < long_budget.end());
  CHECK_FALSE(long_budget.budget_spent());
  CHECK(long_budget.timeout_detail() == "the step's deadline passed");

  const Deadlines spent(1h, 0ms, "fetch");
  CHECK(spent.next_step() == spent.end());
  CHECK(spent.budget_spent());
  CHECK(spent.timeout_detail() == "the fetch's budget ran out");
}
