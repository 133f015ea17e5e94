// The budget of a domain's mail hosts (observe_domain.hpp: kHostsBudgetProbes): a hostile zone of
// many MX hosts, each with many tarpit addresses, costs one domain a few probe budgets, not one
// per address; what the budget left undone is recorded as a timeout and judged undetermined.

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "judge/domain_rules.hpp"
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
using mx::probes::smtp::Ending;
using mx::probes::smtp::Stage;

// Each tarpit costs a probe its greeting deadline; 30 hosts (20 within kMaxHosts) of 12
// addresses (10 within kMaxAddressesPerHost) are 200 of them without the budget: 20 s.
constexpr auto step = 100ms;
constexpr int tarpits = 12;
constexpr int hosts = 30;

mx::probes::smtp::ProbeConfig probe_config(std::uint16_t port) {
  mx::probes::smtp::ProbeConfig config;
  config.port = port;
  config.ehlo_name = "scanner.test";
  config.step_timeout = step;
  config.greeting_timeout = step;
  config.allow_private = true;
  return config;
}

}  // namespace

TEST_CASE("A domain of many MX hosts with tarpit addresses ends within its hosts' budget",
          "[loopback]") {
  const mx::test::TempDir dir;
  const mx::world::Pki pki(dir.path());
  const auto trust = mx::probes::tls::TrustStore::from_file(pki.trust_file());
  mx::probes::tls::TlsClient tls;
  asio::io_context io;

  mx::world::Zone zone;
  std::vector<std::unique_ptr<mx::world::SmtpServer>> servers;
  mx::world::SmtpBehaviour silent;
  silent.greeting = mx::world::silent_response();
  std::uint16_t port = 0;
  for (int i = 0; i < tarpits; ++i) {
    const auto ip = asio::ip::make_address("127.0.6." + std::to_string(i + 1));
    servers.push_back(std::make_unique<mx::world::SmtpServer>(io, silent, ip, port));
    port = servers.back()->port();
  }
  for (int h = 0; h < hosts; ++h) {
    const auto host = "h" + std::to_string(h) + ".farm.test";
    zone.add_mx("farm.test", 10, host);
    for (int i = 0; i < tarpits; ++i) {
      zone.add_a(host, "127.0.6." + std::to_string(i + 1));
    }
  }
  mx::world::DnsServer dns(io, zone, asio::ip::make_address("127.0.0.1"));
  mx::dns::Resolver resolver(
      io, mx::dns::ResolverOptions{
              .servers = {mx::net::ServerAddress{dns.endpoint().address(), dns.endpoint().port()}},
              .timeout = 2s,
              .tries = 1});
  mx::engine::EndpointCache cache(tls, trust, probe_config(port), 2);
  const auto hosts_budget = mx::engine::kHostsBudgetProbes * cache.budget();
  mx::engine::ScanEnv env{resolver, cache, tls, trust, {1, step, true}, hosts_budget};

  std::optional<mx::probes::DomainObservation> observed;
  const auto started = std::chrono::steady_clock::now();
  asio::co_spawn(io, mx::engine::observe_domain(env, "farm.test"),
                 [&](const std::exception_ptr& error, mx::probes::DomainObservation value) {
                   if (!error) {
                     observed = std::move(value);
                   }
                   io.stop();
                 });
  io.run_for(30s);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  REQUIRE(observed);
  // The budget, overrun by at most the last host's lookups and the last probe (loopback DNS
  // answers at once).
  CHECK(elapsed >= hosts_budget);
  CHECK(elapsed < hosts_budget + cache.budget() + 1s);
  const auto probed = static_cast<std::int64_t>(cache.probes_started());
  CHECK(probed >= 1);
  CHECK(probed <= hosts_budget / step + 1);

  REQUIRE(observed->hosts.size() == mx::engine::kMaxHosts);
  int not_probed = 0;
  int timed_out = 0;
  for (const auto& host : observed->hosts) {
    if (host.a.meta.outcome == mx::dns::Outcome::timeout) {
      // Not looked up at all: the budget was gone before this host's turn.
      CHECK(host.a.meta.detail.find("budget") != std::string::npos);
      CHECK(host.addresses.empty());
      continue;
    }
    CHECK(host.addresses.size() == mx::engine::kMaxAddressesPerHost);
    for (const auto& address : host.addresses) {
      CHECK(address.smtp.ending == Ending::timeout);
      if (address.smtp.stage == Stage::not_started) {
        CHECK(address.smtp.detail.find("budget") != std::string::npos);
        ++not_probed;
      } else {
        CHECK(address.smtp.stage == Stage::greeting);
        ++timed_out;
      }
    }
  }
  CHECK(timed_out == probed);
  CHECK(not_probed > 0);
  CHECK(observed->hosts.back().a.meta.outcome == mx::dns::Outcome::timeout);

  // Undetermined, never passed: an address left unprobed is a connect timeout that says why.
  const auto result = mx::judge::judge_domain(*observed, nullptr);
  CHECK(result.status == mx::judge::Status::error);
  bool said_why = false;
  for (const auto& host : result.mx) {
    for (const auto& address : host.addresses) {
      for (const auto& check : address.checks) {
        if (check.check == "connect" && check.code == "timeout" &&
            check.message.find("not probed") != std::string::npos) {
          said_why = true;
          CHECK(check.status == mx::judge::Status::error);
        }
      }
    }
  }
  CHECK(said_why);
  CHECK(mx::judge::worth_retrying(result));
}
