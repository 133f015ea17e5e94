#include "scanner/engine/endpoint_cache.hpp"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "scanner/net/deadline.hpp"

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

EndpointCache::EndpointCache(probes::tls::TlsClient& tls, const probes::tls::TrustStore& trust,
                             probes::smtp::ProbeConfig probe, unsigned per_ip)
    : tls_(tls), trust_(trust), probe_(std::move(probe)), limiter_(per_ip) {}

EndpointCache::~EndpointCache() = default;

std::chrono::milliseconds EndpointCache::budget() const {
  // The greeting, then connect, EHLO, STARTTLS, the handshake, EHLO again and QUIT.
  return probe_.greeting_timeout + 6 * probe_.step_timeout;
}

asio::awaitable<void> EndpointCache::run_with_budget(probes::smtp::ProbeConfig config,
                                                     probes::smtp::Observation& out) {
  const bool within =
      co_await net::with_budget(probes::smtp::probe_smtp(config, tls_, out), budget());
  if (!within) {  // the probe recorded where it was before it ended
    out.ending = probes::smtp::Ending::timeout;
    out.detail = "the probe's total budget was exceeded";
  }
}

asio::awaitable<probes::AddressObservation> EndpointCache::observe(std::string host,
                                                                   asio::ip::address ip,
                                                                   int attempt) {
  Key key{ip, host, attempt};
  if (auto it = entries_.find(key); it != entries_.end()) {
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

  auto config = probe_;
  config.host = host;
  config.ip = ip;
  co_await limiter_.acquire(ip);
  co_await run_with_budget(config, entry->result.smtp);
  limiter_.release(ip);
  auto& tls = entry->result.smtp.tls;
  if (tls && !tls->chain.empty()) {
    entry->result.certificate = probes::tls::analyse_chain(
        tls->chain, host, trust_.store(), std::chrono::system_clock::now(), tls->parsed.get());
  }
  if (tls) {
    tls->parsed.reset();
  }
  entry->done = true;
  entry->ready.cancel();
  co_return entry->result;
}

}  // namespace mx::engine
