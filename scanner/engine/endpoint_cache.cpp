#include "scanner/engine/endpoint_cache.hpp"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "scanner/engine/scan_env.hpp"

namespace mx::engine {

namespace asio = boost::asio;

// A probe's outcome, and a timer that never expires by itself: cancelling it wakes every domain
// waiting for the outcome.
struct EndpointCache::Entry {
  explicit Entry(const asio::any_io_executor& ex)
      : ready(ex, asio::steady_timer::time_point::max()) {}
  bool done = false;
  probes::AddressObservation result;
  asio::steady_timer ready;
};

asio::awaitable<probes::AddressObservation> EndpointCache::observe(ScanEnv& env, std::string host,
                                                                   asio::ip::address ip) {
  Key key{ip, env.probe.port, host};
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    const std::shared_ptr<Entry> entry = it->second;
    while (!entry->done) {
      auto waited = co_await entry->ready.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)waited;  // cancelled when the result is in
    }
    co_return entry->result;
  }

  auto executor = co_await asio::this_coro::executor;
  const auto entry = std::make_shared<Entry>(executor);
  entries_.emplace(key, entry);
  ++probes_started_;

  auto config = env.probe;
  config.host = host;
  config.ip = ip;
  co_await probes::smtp::probe_smtp(config, env.tls, entry->result.smtp);
  const auto& tls = entry->result.smtp.tls;
  if (tls && !tls->chain.empty()) {
    entry->result.certificate = probes::tls::analyse_chain(tls->chain, host, env.trust.store(),
                                                           std::chrono::system_clock::now());
  }
  entry->done = true;
  entry->ready.cancel();
  co_return entry->result;
}

}  // namespace mx::engine
