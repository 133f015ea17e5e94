#include "scanner/engine/endpoint_cache.hpp"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

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
  auto executor = co_await asio::this_coro::executor;
  // Shared with the timer's handler: a completion already queued when the probe ends must still
  // find a live signal (emitting on it then does nothing, its slot being cleared).
  const auto cancel = std::make_shared<asio::cancellation_signal>();
  asio::steady_timer budget_timer(executor, budget());
  budget_timer.async_wait([cancel](const boost::system::error_code& ec) {
    if (!ec) {
      cancel->emit(asio::cancellation_type::terminal);
    }
  });
  bool exceeded = false;
  try {
    co_await asio::co_spawn(executor, probes::smtp::probe_smtp(config, tls_, out),
                            asio::bind_cancellation_slot(cancel->slot(), asio::use_awaitable));
  } catch (const boost::system::system_error&) {
    exceeded = true;  // the probe recorded where it was before it ended
  }
  budget_timer.cancel();
  if (exceeded) {
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
  const auto& tls = entry->result.smtp.tls;
  if (tls && !tls->chain.empty()) {
    entry->result.certificate = probes::tls::analyse_chain(tls->chain, host, trust_.store(),
                                                           std::chrono::system_clock::now());
  }
  entry->done = true;
  entry->ready.cancel();
  co_return entry->result;
}

}  // namespace mx::engine
