// The Engine across shard threads against loopback servers: every domain reported once, each
// endpoint probed once whichever shard's domain asks, list entries judged per domain, and stop()
// ending a run early without reporting what it abandoned. Run under ThreadSanitizer in CI.

#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include "probes/tls/trust_store.hpp"
#include "scanner/engine/engine.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/world/dns_server.hpp"
#include "tests/world/dns_zone.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mx::judge::ListPolicy;
using mx::judge::Status;

constexpr int kHosts = 6;
constexpr int kDomainsPerHost = 10;

// kHosts MX hosts mx<h>.test on 127.0.4.<h+1>, each serving kDomainsPerHost domains d<h>-<i>.test,
// on servers that greet after `greeting_delay`; DNS and SMTP served by a thread of their own.
class Servers {
 public:
  explicit Servers(std::chrono::milliseconds greeting_delay) {
    mx::world::Zone zone;
    std::vector<std::string> names;
    for (int h = 0; h < kHosts; ++h) {
      const auto host = "mx" + std::to_string(h) + ".test";
      names.push_back(host);
      zone.add_a(host, "127.0.4." + std::to_string(h + 1));
      for (int i = 0; i < kDomainsPerHost; ++i) {
        const auto domain = "d" + std::to_string(h) + "-" + std::to_string(i) + ".test";
        zone.add_mx(domain, 10, host);
        domains.push_back(domain);
      }
    }
    const auto leaf = pki_.issue(mx::world::leaf_named(names), "mx");
    mx::world::SmtpBehaviour behaviour;
    behaviour.tls = mx::world::SmtpTls{mx::world::SmtpCertificate::from(leaf), {}};
    behaviour.greeting.delay = greeting_delay;
    dns_.emplace(io_, zone, asio::ip::make_address("127.0.4.100"));
    std::uint16_t port = 0;
    for (int h = 0; h < kHosts; ++h) {
      smtp_.push_back(std::make_unique<mx::world::SmtpServer>(
          io_, behaviour, asio::ip::make_address("127.0.4." + std::to_string(h + 1)), port));
      port = smtp_.back()->port();
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Servers() {
    work_.reset();
    asio::post(io_, [this] {
      for (auto& server : smtp_) {
        server->stop();
      }
      dns_->stop();
    });
    thread_.join();
  }
  Servers(const Servers&) = delete;
  Servers& operator=(const Servers&) = delete;

  mx::engine::EngineOptions options(unsigned threads, const mx::probes::tls::TrustStore& anchors) {
    mx::engine::EngineOptions o;
    o.threads = threads;
    o.concurrency = 16;
    o.per_ip = 2;
    o.retry_delay = 0ms;
    o.resolver.servers = {
        mx::net::ServerAddress{dns_->endpoint().address(), dns_->endpoint().port()}};
    o.resolver.timeout = 5s;
    o.resolver.tries = 1;
    o.probe.port = smtp_.front()->port();
    o.probe.ehlo_name = "scanner.test";
    o.probe.step_timeout = 5s;
    o.probe.greeting_timeout = 5s;
    o.probe.allow_private = true;
    o.trust = &anchors;
    return o;
  }

  std::uint64_t connections() const {
    std::uint64_t total = 0;
    for (const auto& server : smtp_) {
      total += server->connections_accepted();
    }
    return total;
  }

  std::vector<std::string> domains;

 private:
  mx::test::TempDir dir_;
  mx::world::Pki pki_{dir_.path()};

 public:
  const mx::probes::tls::TrustStore trust =
      mx::probes::tls::TrustStore::from_file(pki_.trust_file());

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::optional<mx::world::DnsServer> dns_;
  std::vector<std::unique_ptr<mx::world::SmtpServer>> smtp_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("Engine: two shard threads report every domain once and probe each endpoint once",
          "[loopback]") {
  Servers servers(0ms);
  // Every other domain is judged against a list entry; those of mx0 with a pattern it misses.
  std::vector<std::optional<ListPolicy>> policies(servers.domains.size());
  for (std::size_t i = 0; i < servers.domains.size(); i += 2) {
    policies[i] =
        ListPolicy{mx::list::Mode::enforce, {i < kDomainsPerHost ? "mx.elsewhere.test" : ".test"}};
  }
  mx::engine::Engine engine(servers.options(2, servers.trust));
  std::mutex mutex;
  std::multiset<std::size_t> reported;
  std::vector<Status> status(servers.domains.size(), Status::skipped);
  const bool complete = engine.run(
      servers.domains,
      [&](mx::engine::DomainOutcome&& outcome) {
        std::lock_guard lock(mutex);
        reported.insert(outcome.index);
        status[outcome.index] = outcome.result.status;
        CHECK(outcome.result.policy == policies[outcome.index]);
      },
      {}, policies);
  CHECK(complete);
  REQUIRE(reported.size() == servers.domains.size());
  CHECK(std::set<std::size_t>(reported.begin(), reported.end()).size() == reported.size());
  // One connection per endpoint, whichever shard owned it and asked first.
  CHECK(servers.connections() == kHosts);
  for (std::size_t i = 0; i < servers.domains.size(); ++i) {
    INFO(servers.domains[i]);
    const bool mismatch = policies[i] && i < kDomainsPerHost;
    // No MTA-STS or TLSRPT published: warn at best.
    CHECK(status[i] == (mismatch ? Status::fail : Status::warn));
  }
  const auto stats = engine.stats();
  CHECK(stats.done == servers.domains.size());
  CHECK(stats.in_flight == 0);
}

TEST_CASE("Engine: stop() from another thread ends the run without reporting abandoned domains",
          "[loopback]") {
  Servers servers(400ms);
  mx::engine::Engine engine(servers.options(2, servers.trust));
  std::mutex mutex;
  std::set<std::size_t> reported;
  std::thread stopper([&] {
    // Stopping from a foreign thread while shards run is the point of the test.
    std::this_thread::sleep_for(100ms);
    engine.stop(0ms);
  });
  const bool complete = engine.run(servers.domains, [&](mx::engine::DomainOutcome&& outcome) {
    std::lock_guard lock(mutex);
    reported.insert(outcome.index);
  });
  stopper.join();
  CHECK_FALSE(complete);
  CHECK(reported.size() < servers.domains.size());
}
