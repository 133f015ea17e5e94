// --rate's turns: one every 1/N seconds over all callers, the first at once, no burst after an
// idle spell. Reads the clock, never sleeps.
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "scanner/engine/connection_rate.hpp"

using mx::engine::ConnectionRate;
using namespace std::chrono_literals;

TEST_CASE("ConnectionRate: turns one interval apart, the first at once", "[unit]") {
  ConnectionRate rate(100.0);  // one every 10 ms
  const auto before = std::chrono::steady_clock::now();
  const auto first = rate.reserve();
  CHECK(first >= before);
  CHECK(first <= std::chrono::steady_clock::now());
  auto previous = first;
  for (int i = 0; i < 50; ++i) {
    const auto turn = rate.reserve();
    CHECK(turn - previous >= 10ms - 1us);  // the interval's rounding to the clock's tick
    previous = turn;
  }
  // 51 turns taken at once span 50 intervals: the 51st is half a second after the first.
  CHECK(previous - first >= 500ms - 50us);
}

TEST_CASE("ConnectionRate: turns reserved from many threads never come closer than the interval",
          "[unit]") {
  ConnectionRate rate(1000.0);  // one every millisecond
  std::vector<std::vector<std::chrono::steady_clock::time_point>> taken(4);
  std::vector<std::thread> threads;
  for (auto& mine : taken) {
    threads.emplace_back([&rate, &mine] {
      for (int i = 0; i < 200; ++i) {
        mine.push_back(rate.reserve());
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::vector<std::chrono::steady_clock::time_point> all;
  for (const auto& mine : taken) {
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) {
    CHECK(all[i] - all[i - 1] >= 1ms - 1us);
  }
}

TEST_CASE("ConnectionRate: an idle spell earns no burst", "[unit]") {
  ConnectionRate rate(1000.0);
  static_cast<void>(rate.reserve());
  // Wait, by the clock, until several intervals have passed unused.
  const auto idle_until = std::chrono::steady_clock::now() + 5ms;
  while (std::chrono::steady_clock::now() < idle_until) {
    std::this_thread::yield();
  }
  const auto now = std::chrono::steady_clock::now();
  const auto a = rate.reserve();
  const auto b = rate.reserve();
  CHECK(a >= now);
  CHECK(b - a >= 1ms - 1us);
}
