#include "scanner/engine/endpoint_cache.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "scanner/net/deadline.hpp"

namespace mx::engine {

namespace asio = boost::asio;

namespace {

// The protected segment takes at most four fifths of the entries, so that probation always has
// room to hold a new endpoint until the domains that share it ask again, however many shared
// endpoints there are; probation also has whatever room the shared endpoints leave.
std::size_t protected_share(std::size_t capacity) {
  return capacity - std::max<std::size_t>(1, capacity / 5);
}

std::size_t probation_outcomes_share(std::size_t capacity) {
  return std::max(capacity / kProbationOutcomesDivisor,
                  std::min(capacity, kProbationOutcomesFloor));
}

}  // namespace

// A probe's outcome, and a timer that never expires by itself: cancelling it wakes every domain
// waiting for the outcome. `segment` is null while the entry may not be evicted (its probe runs,
// or a domain waits for the outcome).
struct EndpointCache::Entry {
  explicit Entry(const asio::any_io_executor& ex)
      : ready(ex, asio::steady_timer::time_point::max()) {}
  bool done = false;
  unsigned waiters = 0;
  bool asked_again = false;  // before it could rest: it will rest in the protected segment
  SharedAddressObservation result;
  asio::steady_timer ready;
  Entries::iterator self;
  Segment* segment = nullptr;
  Segment::iterator position;
};

EndpointCache::EndpointCache(probes::tls::TlsClient& tls, const probes::tls::TrustStore& trust,
                             probes::smtp::ProbeConfig probe, unsigned per_ip, std::size_t capacity,
                             ConnectionRate* rate)
    : tls_(tls),
      trust_(trust),
      probe_(std::move(probe)),
      limiter_(per_ip),
      rate_(rate),
      capacity_(std::max<std::size_t>(capacity, 1)),
      protected_capacity_(protected_share(capacity_)),
      probation_outcomes_(probation_outcomes_share(capacity_)) {}

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

void EndpointCache::touch(Entry& entry) noexcept {
  if (entry.segment == nullptr) {
    entry.asked_again = true;
    return;
  }
  protected_.splice(protected_.begin(), *entry.segment, entry.position);
  entry.segment = &protected_;
  trim();
}

void EndpointCache::settle_if_idle(Entry& entry) {
  if (!entry.done || entry.waiters != 0 || entry.segment != nullptr) {
    return;
  }
  entry.segment = entry.asked_again ? &protected_ : &probation_;
  entry.segment->push_front(&entry);
  entry.position = entry.segment->begin();
  trim();
}

void EndpointCache::trim() noexcept {
  while (protected_.size() > protected_capacity_) {
    Entry& demoted = *protected_.back();
    probation_.splice(probation_.begin(), protected_, demoted.position);
    demoted.segment = &probation_;
  }
  while (probation_.size() > probation_outcomes_) {
    Entry& aged = *probation_.back();
    keys_.splice(keys_.begin(), probation_, aged.position);
    aged.segment = &keys_;
    aged.result.reset();  // the domains that used it hold their own copies
  }
  while (entries_.size() > capacity_) {
    Segment& victims = !keys_.empty() ? keys_ : !probation_.empty() ? probation_ : protected_;
    if (victims.empty()) {
      break;  // every entry is in flight or awaited
    }
    const auto victim = victims.back()->self;
    victims.pop_back();
    entries_.erase(victim);
  }
}

asio::awaitable<SharedAddressObservation> EndpointCache::observe(std::string host,
                                                                 asio::ip::address ip,
                                                                 int attempt) {
  Key key{ip, host, attempt};
  bool shared = false;  // asked for before, though its outcome was dropped
  if (auto it = entries_.find(key); it != entries_.end() && it->second->segment == &keys_) {
    keys_.erase(it->second->position);
    entries_.erase(it);
    shared = true;
  } else if (it != entries_.end()) {
    // Held here: an eviction while this domain resumes must not free what it returns.
    const std::shared_ptr<Entry> entry = it->second;
    touch(*entry);
    if (!entry->done) {
      ++entry->waiters;
      try {
        while (!entry->done) {
          auto waited = co_await entry->ready.async_wait(asio::as_tuple(asio::use_awaitable));
          (void)waited;  // cancelled when the result is in
        }
      } catch (...) {  // this domain was cancelled; the entry must not stay awaited for ever
        --entry->waiters;
        settle_if_idle(*entry);
        throw;
      }
      // Not in a destructor: the frames a stopping shard abandons are destroyed after the cache.
      --entry->waiters;
      settle_if_idle(*entry);
    }
    co_return entry->result;
  }

  auto executor = co_await asio::this_coro::executor;
  const auto entry = std::make_shared<Entry>(executor);
  entry->asked_again = shared;
  entry->self = entries_.emplace(std::move(key), entry).first;
  ++probes_started_;
  trim();

  auto config = probe_;
  config.host = host;
  config.ip = ip;
  auto observed = std::make_shared<probes::AddressObservation>();
  co_await limiter_.acquire(ip);
  co_await wait_turn(rate_);
  co_await run_with_budget(config, observed->smtp);
  limiter_.release(ip);
  auto& tls = observed->smtp.tls;
  if (tls && !tls->chain.empty()) {
    observed->certificate = probes::tls::analyse_chain(
        tls->chain, host, trust_.store(), std::chrono::system_clock::now(), tls->parsed.get());
  }
  if (tls) {
    tls->parsed.reset();
  }
  entry->result = std::move(observed);
  entry->done = true;
  entry->ready.cancel();
  settle_if_idle(*entry);
  co_return entry->result;
}

}  // namespace mx::engine
