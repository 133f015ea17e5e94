#include "scanner/engine/bounded_run.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace mx::engine {
namespace {

struct Feed {
  std::size_t next = 0;
  std::size_t count = 0;
  IndexedJob job;
};

// `feed` lives in run_bounded's frame, which outlives io.run().
boost::asio::awaitable<void> worker(Feed& feed) {
  while (feed.next < feed.count) {
    const std::size_t index = feed.next++;
    co_await feed.job(index);
  }
}

}  // namespace

void run_bounded(boost::asio::io_context& io, std::size_t count, std::size_t limit,
                 IndexedJob job) {
  Feed feed{0, count, std::move(job)};
  const std::size_t workers = std::min(count, std::max<std::size_t>(limit, 1));
  for (std::size_t i = 0; i < workers; ++i) {
    boost::asio::co_spawn(io, worker(feed), boost::asio::detached);
  }
  io.run();
  io.restart();
}

}  // namespace mx::engine
