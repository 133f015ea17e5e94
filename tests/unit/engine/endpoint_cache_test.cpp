// The endpoint cache against the test world's SMTP servers on loopback: one probe per endpoint
// while it is cached, shared with the domains that ask while it runs, and a bounded eviction that
// single-use endpoints do not turn against the shared ones.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/dns/resolver.hpp"
#include "scanner/engine/endpoint_cache.hpp"
#include "scanner/engine/observe_domain.hpp"
#include "scanner/engine/scan_env.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/world/dns_server.hpp"
#include "tests/world/dns_zone.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mx::engine::EndpointCache;
using mx::engine::SharedAddressObservation;
using mx::probes::DomainObservation;
using mx::probes::smtp::Ending;
using mx::test::TempDir;
using mx::world::Leaf;
using mx::world::leaf_named;
using mx::world::Pki;
using mx::world::SmtpBehaviour;
using mx::world::SmtpCertificate;
using mx::world::SmtpServer;
using mx::world::SmtpTls;
using mx::world::Zone;

// One PKI per test process (making CA keys is the slow part).
struct Certificates {
  TempDir dir;
  Pki pki{dir.path()};
  Leaf mx = pki.issue(leaf_named({"mx.test"}), "mx");
  mx::probes::tls::TrustStore trust = mx::probes::tls::TrustStore::from_file(pki.trust_file());
};

Certificates& certificates() {
  static Certificates certs;
  return certs;
}

// A well-behaved server offering STARTTLS, whose greeting comes after `greeting_delay`.
SmtpBehaviour starttls_server(std::chrono::milliseconds greeting_delay) {
  SmtpBehaviour behaviour;
  SmtpTls tls;
  tls.certificate = SmtpCertificate::from(certificates().mx);
  behaviour.tls = std::move(tls);
  behaviour.greeting.delay = greeting_delay;
  return behaviour;
}

const asio::ip::address fast_ip = asio::ip::make_address("127.0.0.1");
const asio::ip::address slow_ip = asio::ip::make_address("127.0.0.2");
// Long enough for the probes of several other endpoints to run while the slow one waits for it.
constexpr auto slow_greeting = 1500ms;

template <typename T>
struct Outcome {
  std::optional<T> value;
  bool threw = false;
};

// Two SMTP servers on one port, a fast one on 127.0.0.1 and one with a slow greeting on
// 127.0.0.2, a DNS server holding `zone` on 127.0.0.1, and a cache of `capacity` entries probing
// them. The TLS client comes before the io_context, the rest after it, the cache last: as in a
// shard, frames a failing test leaves unfinished are destroyed after the cache, with the
// io_context, while the client still exists.
class World {
  mx::probes::tls::TlsClient tls_;

 public:
  asio::io_context io;

 private:
  mx::world::DnsServer dns_;
  mx::dns::Resolver resolver_;

 public:
  SmtpServer fast;
  SmtpServer slow;
  EndpointCache cache;
  mx::engine::ScanEnv env;

  explicit World(std::size_t capacity, const Zone& zone = {})
      : dns_(io, zone, fast_ip),
        resolver_(io,
                  mx::dns::ResolverOptions{.servers = {mx::net::ServerAddress{
                                               dns_.endpoint().address(), dns_.endpoint().port()}},
                                           .timeout = 5s,
                                           .tries = 1}),
        fast(io, starttls_server(0ms), fast_ip),
        slow(io, starttls_server(slow_greeting), slow_ip, fast.port()),
        cache(tls_, certificates().trust, probe_config(fast.port()), 2, capacity),
        env{resolver_, cache, tls_, certificates().trust, {1, 5s, true}} {}

  // Starts `task`; run() returns once every task started has ended.
  template <typename T>
  void spawn(asio::awaitable<T> task, Outcome<T>& out) {
    ++pending_;
    asio::co_spawn(io, std::move(task), [this, &out](const std::exception_ptr& error, T value) {
      out.threw = error != nullptr;
      if (!error) {
        out.value = std::move(value);
      }
      if (--pending_ == 0) {
        io.stop();
      }
    });
  }

  // Runs the tasks started to their end, or until the cap passes.
  void run() { io.run_for(20s); }

 private:
  static mx::probes::smtp::ProbeConfig probe_config(std::uint16_t port) {
    mx::probes::smtp::ProbeConfig config;
    config.port = port;
    config.ehlo_name = "scanner.test";
    config.step_timeout = 5s;
    config.greeting_timeout = 5s;
    config.allow_private = true;
    return config;
  }

  int pending_ = 0;
};

struct Ask {
  std::string host;
  asio::ip::address ip;
};

// The outcome of each endpoint, asked for one after the other.
asio::awaitable<std::vector<SharedAddressObservation>> observe_in_order(EndpointCache& cache,
                                                                        std::vector<Ask> asks) {
  std::vector<SharedAddressObservation> out;
  for (auto& ask : asks) {
    auto observed = co_await cache.observe(ask.host, ask.ip, 1);
    out.push_back(std::move(observed));
  }
  co_return out;
}

// `count` single-use endpoints: distinct SNI names on the fast server, numbered from `first`.
std::vector<Ask> single_use(int count, int first = 0) {
  std::vector<Ask> asks;
  for (int i = first; i < first + count; ++i) {
    asks.push_back({"single" + std::to_string(i) + ".test", fast_ip});
  }
  return asks;
}

std::vector<Ask> operator+(std::vector<Ask> first, const std::vector<Ask>& then) {
  first.insert(first.end(), then.begin(), then.end());
  return first;
}

TEST_CASE("Two domains whose MX is one host share one probe of its address", "[loopback]") {
  Zone zone;
  zone.add_mx("a.test", 10, "mx.test");
  zone.add_mx("b.test", 10, "mx.test");
  zone.add_a("mx.test", fast_ip.to_string());
  World world(16, zone);

  Outcome<DomainObservation> a;
  Outcome<DomainObservation> b;
  world.spawn(mx::engine::observe_domain(world.env, "a.test"), a);
  world.spawn(mx::engine::observe_domain(world.env, "b.test"), b);
  world.run();

  REQUIRE(a.value);
  REQUIRE(b.value);
  CHECK(world.cache.probes_started() == 1);
  CHECK(world.fast.connections_accepted() == 1);
  for (const auto* observed : {&*a.value, &*b.value}) {
    REQUIRE(observed->hosts.size() == 1);
    REQUIRE(observed->hosts[0].addresses.size() == 1);
    const auto& address = observed->hosts[0].addresses[0];
    CHECK(address.smtp.ending == Ending::completed);
    CHECK(address.smtp.ip == fast_ip);
    CHECK(address.certificate.has_value());
  }
}

TEST_CASE("An endpoint asked for twice stays cached while more single-use ones than fit go through",
          "[loopback]") {
  constexpr std::size_t capacity = 4;
  World world(capacity);
  const std::vector<Ask> popular = {{"mx.test", fast_ip}, {"mx.test", fast_ip}};

  Outcome<std::vector<SharedAddressObservation>> seen;
  world.spawn(observe_in_order(world.cache, popular + single_use(3 * capacity) + popular), seen);
  world.run();

  REQUIRE(seen.value);
  const auto& results = *seen.value;
  REQUIRE(results.size() == 2 + 3 * capacity + 2);
  CHECK(world.cache.probes_started() == 1 + 3 * capacity);
  CHECK(world.fast.connections_accepted() == 1 + 3 * capacity);
  // The very outcome of the first probe, to every asker.
  CHECK(results[1] == results[0]);
  CHECK(results[results.size() - 2] == results[0]);
  CHECK(results.back() == results[0]);
  CHECK(results[0]->smtp.ending == Ending::completed);
  CHECK(world.cache.size() == capacity);
}

TEST_CASE("An evicted single-use endpoint is probed again when asked for again", "[loopback]") {
  constexpr std::size_t capacity = 2;
  World world(capacity);
  const std::vector<Ask> once = {{"once.test", fast_ip}};

  Outcome<std::vector<SharedAddressObservation>> seen;
  world.spawn(observe_in_order(world.cache, once + single_use(capacity + 1) + once), seen);
  world.run();

  REQUIRE(seen.value);
  const auto& results = *seen.value;
  REQUIRE(results.size() == capacity + 3);
  CHECK(results.back() != results.front());
  CHECK(results.back()->smtp.host == "once.test");
  CHECK(results.back()->smtp.ending == Ending::completed);
  CHECK(world.cache.probes_started() == capacity + 3);
  CHECK(world.fast.connections_accepted() == capacity + 3);
  CHECK(world.cache.size() == capacity);
}

TEST_CASE("Old single-use endpoints keep their key, not their outcome; a second use probes again",
          "[loopback]") {
  constexpr std::size_t capacity = 64;  // an eighth: 8 outcomes, raised to the floor of 16
  World world(capacity);
  const std::vector<Ask> shared = {{"shared.test", fast_ip}};

  Outcome<std::vector<SharedAddressObservation>> seen;
  world.spawn(
      observe_in_order(world.cache, shared + single_use(20) + shared + single_use(40, 20) + shared),
      seen);
  world.run();

  REQUIRE(seen.value);
  const auto& results = *seen.value;
  REQUIRE(results.size() == 63);
  // Twenty newer endpoints had aged shared.test's outcome out: its second use probed it again,
  // and that outcome, now protected, served the third use, forty single-use endpoints later.
  CHECK(results[21] != results[0]);
  CHECK(results[21]->smtp.ending == Ending::completed);
  CHECK(results.back() == results[21]);
  CHECK(world.cache.probes_started() == 1 + 20 + 1 + 40);
  CHECK(world.fast.connections_accepted() == 62);
  // 61 keys of endpoints seen, within the capacity; outcomes for the protected one and the
  // newest sixteen of probation only.
  CHECK(world.cache.size() == 61);
  CHECK(world.cache.outcomes() == 1 + mx::engine::kProbationOutcomesFloor);
}

// What the domain asking for single-use endpoints saw while the slow endpoint's probe ran.
struct MeanwhileSeen {
  bool slow_probe_was_running = false;
  std::size_t cached_meanwhile = 0;
  SharedAddressObservation slow;
};

asio::awaitable<MeanwhileSeen> single_use_then_slow(
    EndpointCache& cache, const Outcome<SharedAddressObservation>* first_slow) {
  MeanwhileSeen seen;
  for (auto& ask : single_use(5)) {
    auto observed = co_await cache.observe(ask.host, ask.ip, 1);
    (void)observed;
  }
  seen.slow_probe_was_running = !first_slow->value && !first_slow->threw;
  seen.cached_meanwhile = cache.size();
  auto slow = co_await cache.observe("slow.test", slow_ip, 1);
  seen.slow = std::move(slow);
  co_return seen;
}

TEST_CASE("An endpoint whose probe runs, awaited by another domain, is never evicted",
          "[loopback]") {
  constexpr std::size_t capacity = 2;
  World world(capacity);

  Outcome<SharedAddressObservation> prober;
  Outcome<SharedAddressObservation> waiter;
  Outcome<MeanwhileSeen> meanwhile;
  world.spawn(world.cache.observe("slow.test", slow_ip, 1), prober);
  world.spawn(world.cache.observe("slow.test", slow_ip, 1), waiter);
  world.spawn(single_use_then_slow(world.cache, &prober), meanwhile);
  world.run();

  REQUIRE(prober.value);
  REQUIRE(waiter.value);
  REQUIRE(meanwhile.value);
  // Five single-use endpoints went through a cache of two while slow.test's greeting was held:
  // they pushed out one another, never the entry in flight.
  REQUIRE(meanwhile.value->slow_probe_was_running);
  CHECK(meanwhile.value->cached_meanwhile == capacity);
  CHECK(*waiter.value == *prober.value);
  CHECK(meanwhile.value->slow == *prober.value);
  CHECK((*prober.value)->smtp.ending == Ending::completed);
  CHECK(world.slow.connections_accepted() == 1);
  CHECK(world.cache.probes_started() == 1 + 5);
  CHECK(world.cache.size() == capacity);
}

TEST_CASE("A cache of no entries holds one", "[unit]") {
  mx::probes::tls::TlsClient tls;
  const EndpointCache cache(tls, certificates().trust, {}, 2, 0);
  CHECK(cache.capacity() == 1);
  CHECK(cache.size() == 0);
}

}  // namespace
