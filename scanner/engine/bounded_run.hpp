#pragma once
// Runs job(0) .. job(count - 1) on an io_context with at most `limit` in flight, starting the
// next as one finishes, and returns when all are done. Memory does not grow with `count`.

#include <cstddef>
#include <functional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

namespace mx::engine {

// `job` must not be a coroutine lambda with captures: make it a plain lambda that calls a named
// coroutine function with explicit parameters (GCC 12 rules, STYLE.md 3.4).
using IndexedJob = std::function<boost::asio::awaitable<void>(std::size_t)>;

void run_bounded(boost::asio::io_context& io, std::size_t count, std::size_t limit, IndexedJob job);

}  // namespace mx::engine
