// mxsim: a simulated internet of N mail domains on loopback (DNS, SMTP with STARTTLS, MTA-STS
// policy hosts over HTTPS), served until SIGTERM or SIGINT. See `mxsim --help` and README's
// bench section.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "bench/cpu_time.hpp"
#include "bench/sim/expected.hpp"
#include "bench/sim/world_files.hpp"
#include "bench/sim/world_plan.hpp"
#include "bench/sim/world_servers.hpp"
#include "scanner/net/server_address.hpp"
#include "tests/world/dns_server.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr const char* description = R"(mxsim: a simulated internet of mail domains on loopback.

Generates a world of N domains from a seed, writes DIR/domains.txt, policy.json, queue.csv,
root.pem, expected.jsonl and mxscan.args, serves it until SIGTERM or SIGINT (exit 0), and prints
one line on stdout once it serves:
  mxsim ready dns=127.0.0.1:PORT smtp_port=P https_port=P domains=N dir=DIR
Scan it with: mxscan scan --input DIR/domains.txt --db x.db $(cat DIR/mxscan.args)

Leaf certificates are made before the ready line and kept in DIR/pki/leaves.cache (with the CA
and the key pool under DIR/pki): a restart within a week reuses them, a mutated world issues only
the leaves that changed, and a damaged cache is rebuilt. So the first start of a large world
takes a while: on 2 cores, about 45 s for 100,000 domains (116,000 leaves), and about 25 s to
load them again. On exit, stderr gets the CPU time spent until ready and serving.

Every host has its own 127.x.y.z address (some also an IPv4-mapped AAAA); one SMTP and one HTTPS
listener on 0.0.0.0 tell the hosts apart by the address a connection reached.

The next night: `mxsim --mutate DIR` breaks a few domains and repairs a few (generation + 1,
recorded in DIR/world.state), rewrites domains.txt and expected.jsonl, and prints one line per
changed domain: "DOMAIN BEFORE → AFTER REASON". It does not touch a running mxsim: stop it and
start it again with the same options and --dir, and it serves DIR's current generation (the same
root.pem; the ports are new unless given, see mxscan.args). A different --domains, --seed,
--latency or mix starts DIR over at generation 0.)";

struct Options {
  std::size_t domains = 1000;
  std::uint64_t seed = 1;
  std::string dir;
  std::string latency = "none";
  std::string dns = "127.0.0.1";
  std::uint16_t smtp_port = 0;
  std::uint16_t https_port = 0;
  unsigned threads = 1;
  std::string mutate_dir;
  mx::sim::MixOptions mix;
};

int mutate_world(const fs::path& dir) {
  auto state = mx::sim::read_state(dir);
  if (!state) {
    std::cerr << fmt::format("mxsim: {} holds no world (world.state missing or invalid)\n",
                             dir.string());
    return 2;
  }
  const auto before = mx::sim::build_world(*state);
  ++state->generation;
  std::vector<mx::sim::Mutation> changes;
  const auto after = mx::sim::build_world(*state, &changes);
  mx::sim::write_world_files(dir, after, false);
  mx::sim::write_state(dir, *state);
  for (const auto& change : changes) {
    const auto& domain = after.domains.at(change.domain);
    const auto was = mx::sim::expect(before.domains.at(change.domain));
    const auto now = mx::sim::expect(domain);
    std::printf("%s %s → %s %s\n", domain.name.c_str(), to_string(was.status).c_str(),
                to_string(now.status).c_str(), change.reason.c_str());
  }
  std::fflush(stdout);
  return 0;
}

// One SMTP/HTTPS serving thread: its io_context and its listeners (sharing the ports with
// SO_REUSEPORT).
struct Shard {
  asio::io_context io{1};
  std::unique_ptr<mx::world::SmtpServer> smtp;
  std::unique_ptr<mx::world::HttpsServer> https;
};

int serve(const Options& options) {
  const auto dns_address = mx::net::parse_server_address(options.dns, 0);
  if (!dns_address) {
    std::cerr << fmt::format("mxsim: --dns '{}' is not IP[:PORT]\n", options.dns);
    return 2;
  }
  const fs::path dir = options.dir;
  fs::create_directories(dir);

  mx::sim::WorldState state{options.domains, options.seed, options.mix, 0};
  const auto kept = mx::sim::read_state(dir);
  const bool resumed = kept && kept->same_world(state);
  if (resumed) {
    state.generation = kept->generation;
  }
  const auto pki = mx::world::Pki::open(dir / "pki");
  fs::copy_file(pki->trust_file(), dir / "root.pem", fs::copy_options::overwrite_existing);
  const mx::sim::KeyPool keys(dir / "pki" / "keys");

  const auto plan = std::make_shared<const mx::sim::WorldPlan>(mx::sim::build_world(state));
  mx::sim::write_world_files(dir, *plan, !resumed);
  mx::sim::write_state(dir, state);
  mx::sim::LeafCacheStats leaves;
  const auto leaf_cache = dir / "pki" / "leaves.cache";
  const auto index =
      std::make_shared<const mx::sim::WorldIndex>(*plan, *pki, keys, leaf_cache, &leaves);
  if (!leaves.discarded.empty()) {
    std::cerr << fmt::format("mxsim: {} ignored: {}\n", leaf_cache.string(), leaves.discarded);
  }
  std::cerr << fmt::format("mxsim: {} leaf certificates: {} from {}, {} issued\n",
                           leaves.reused + leaves.issued, leaves.reused, leaf_cache.string(),
                           leaves.issued);

  std::vector<std::unique_ptr<Shard>> shards;
  std::uint16_t smtp_port = options.smtp_port;
  std::uint16_t https_port = options.https_port;
  const bool reuse_port = options.threads > 1;
  const auto any = asio::ip::address_v4::any();
  for (unsigned t = 0; t < options.threads; ++t) {
    auto shard = std::make_unique<Shard>();
    shard->smtp = std::make_unique<mx::world::SmtpServer>(
        shard->io, std::make_shared<mx::sim::SmtpTable>(index),
        asio::ip::tcp::endpoint(any, smtp_port), reuse_port);
    shard->https = std::make_unique<mx::world::HttpsServer>(
        shard->io, std::make_shared<mx::sim::HttpsTable>(index),
        asio::ip::tcp::endpoint(any, https_port), reuse_port);
    smtp_port = shard->smtp->port();
    https_port = shard->https->port();
    shards.push_back(std::move(shard));
  }
  const auto digest = [&keys](const mx::sim::MailHost& host) {
    return keys.spki_sha256(host.rsa, host.key_slot);
  };
  // DNS has a thread of its own: answers must not wait behind TLS handshakes.
  asio::io_context dns_io(1);
  mx::world::DnsServer dns(dns_io, mx::sim::make_zone(*plan, digest), dns_address->ip,
                           dns_address->port);
  mx::sim::write_mxscan_args(dir, dns.resolver_arg(), smtp_port, https_port);

  asio::signal_set signals(dns_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    dns.stop();
    for (auto& shard : shards) {
      asio::post(shard->io, [&s = *shard] {
        s.smtp->stop();
        s.https->stop();
      });
    }
  });

  std::printf("mxsim ready dns=%s smtp_port=%u https_port=%u domains=%zu dir=%s\n",
              dns.resolver_arg().c_str(), static_cast<unsigned>(smtp_port),
              static_cast<unsigned>(https_port), plan->domains.size(), options.dir.c_str());
  std::fflush(stdout);
  const double startup_cpu = mx::bench::cpu_seconds();
  std::vector<std::thread> threads;
  for (auto& shard : shards) {
    threads.emplace_back([&io = shard->io] { io.run(); });
  }
  dns_io.run();
  for (auto& thread : threads) {
    thread.join();
  }
  const double total_cpu = mx::bench::cpu_seconds();
  std::cerr << fmt::format("mxsim: CPU (user + system) {:.2f} s until ready, {:.2f} s serving\n",
                           startup_cpu, total_cpu - startup_cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{description, "mxsim"};
  Options options;
  auto& mix = options.mix;
  app.add_option("--domains", options.domains, "number of mail domains")->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the world")->capture_default_str();
  app.add_option("--dir", options.dir, "directory of the world's files (kept across restarts)");
  app.add_option("--latency", options.latency,
                 "none, or wan: DNS answers after 5-50 ms, greetings after ~100 ms (5 % after "
                 "2 s, 0.5 % never: tarpits)")
      ->check(CLI::IsMember({"none", "wan"}))
      ->capture_default_str();
  app.add_option("--dns", options.dns,
                 "address of the DNS server, IP[:PORT]; without a port, any free port")
      ->capture_default_str();
  app.add_option("--smtp-port", options.smtp_port, "SMTP port of every host (0: any free port)");
  app.add_option("--https-port", options.https_port,
                 "HTTPS port of every MTA-STS policy host (0: any free port)");
  app.add_option("--threads", options.threads,
                 "SMTP and HTTPS serving threads (DNS has one of its own)")
      ->check(CLI::Range(1U, 64U))
      ->capture_default_str();
  app.add_option("--mutate", options.mutate_dir,
                 "write the next night's world into DIR and print what changed, then exit");
  app.add_option("--providers", mix.providers, "shared providers (2 MX hosts each)")
      ->capture_default_str();
  app.add_option("--shared-share", mix.shared_share, "share of domains on a provider")
      ->capture_default_str();
  app.add_option("--mta-sts-share", mix.mta_sts_share, "share of domains with MTA-STS")
      ->capture_default_str();
  app.add_option("--tlsrpt-share", mix.tlsrpt_share, "share of domains with TLSRPT")
      ->capture_default_str();
  app.add_option("--dane-share", mix.dane_share, "share of self-hosted hosts with DANE")
      ->capture_default_str();
  app.add_option("--misconfigured-share", mix.misconfigured_share,
                 "share of misconfigured domains, spread over every failure code")
      ->capture_default_str();
  app.add_option("--ipv6-share", mix.ipv6_share, "share of hosts with an AAAA record")
      ->capture_default_str();
  app.add_option("--rsa-share", mix.rsa_share, "share of RSA 2048 leaves (else ECDSA P-256)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (!options.mutate_dir.empty()) {
      return mutate_world(options.mutate_dir);
    }
    if (options.dir.empty()) {
      std::cerr << "mxsim: --dir is required (or --mutate DIR)\n";
      return 2;
    }
    options.mix.wan = options.latency == "wan";
    return serve(options);
  } catch (const std::exception& e) {
    std::cerr << "mxsim: " << e.what() << '\n';
    return 2;
  }
}
