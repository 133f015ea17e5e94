// The resolver's throughput against the test world's DNS server on loopback. The server runs on a
// thread of its own with a zone of N mail domains (one or two MX hosts each, every host with an A
// record and every third with an AAAA); the main thread looks up every domain's MX, then the A and
// AAAA records of every MX target, keeping C lookups in flight. Every answer is checked against
// the zone. Prints one JSON line; exits 1 when any lookup went wrong.
//
//   bench_dns [--domains N] [--concurrency C] [--timeout-ms T]
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "bench/cpu_time.hpp"
#include "scanner/dns/resolver.hpp"
#include "tests/world/dns_server.hpp"
#include "tests/world/dns_zone.hpp"

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using mx::dns::AddressAnswer;
using mx::dns::MxRecord;
using mx::dns::Outcome;
using mx::dns::Resolver;

struct Settings {
  std::size_t domains = 20000;
  std::size_t concurrency = 1000;
  std::chrono::milliseconds timeout{5000};
};

std::optional<std::size_t> parse_count(std::string_view text) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<Settings> parse_settings(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const auto value = parse_count(argv[i + 1]);
    if (!value) {
      return std::nullopt;
    }
    if (flag == "--domains") {
      settings.domains = *value;
    } else if (flag == "--concurrency") {
      settings.concurrency = *value;
    } else if (flag == "--timeout-ms") {
      settings.timeout = std::chrono::milliseconds{*value};
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0) {
    return std::nullopt;
  }
  return settings;
}

// The zone, and what each lookup must return.
struct Host {
  std::string name;
  asio::ip::address ipv4;
  std::optional<asio::ip::address> ipv6;
};

struct Domain {
  std::string name;
  std::vector<MxRecord> mx;  // sorted, as the resolver returns them
};

struct World {
  mx::world::Zone zone;
  std::vector<Domain> domains;
  std::vector<Host> hosts;
};

World make_world(std::size_t count) {
  World world;
  world.domains.reserve(count);
  for (std::size_t d = 0; d < count; ++d) {
    Domain domain{fmt::format("d{}.bench.test", d), {}};
    const std::size_t mx_hosts = d % 2 == 0 ? 2 : 1;
    for (std::size_t m = 0; m < mx_hosts; ++m) {
      const std::size_t index = world.hosts.size();
      const std::string ipv4 =
          fmt::format("10.{}.{}.{}", index >> 16 & 0xFF, index >> 8 & 0xFF, index & 0xFF);
      Host host{fmt::format("mx{}.{}", m + 1, domain.name), asio::ip::make_address(ipv4),
                std::nullopt};
      world.zone.add_a(host.name, ipv4);
      if (index % 3 == 0) {
        const std::string ipv6 = fmt::format("2001:db8::{:x}", index + 1);
        host.ipv6 = asio::ip::make_address(ipv6);
        world.zone.add_aaaa(host.name, ipv6);
      }
      const auto preference = static_cast<std::uint16_t>(10 * (m + 1));
      world.zone.add_mx(domain.name, preference, host.name);
      domain.mx.push_back(MxRecord{preference, host.name});
      world.hosts.push_back(std::move(host));
    }
    world.domains.push_back(std::move(domain));
  }
  return world;
}

// The lookups of one phase, shared by its workers; owned by run_phase's caller.
struct Phase {
  std::size_t jobs = 0;
  std::size_t next = 0;
  std::size_t lookups = 0;
  std::size_t errors = 0;
  std::string first_error;  // for stderr, so that a failed run says why

  void fail(std::string_view name, const mx::dns::AnswerMeta& meta) {
    if (errors++ == 0) {
      first_error = fmt::format("{}: {} {}", name, mx::dns::to_string(meta.outcome), meta.detail);
    }
  }
};

bool address_matches(const AddressAnswer& answer,
                     const std::optional<asio::ip::address>& expected) {
  if (!expected) {
    return answer.meta.outcome == Outcome::nodata;
  }
  return answer.meta.outcome == Outcome::data && answer.addresses.size() == 1 &&
         answer.addresses.front() == *expected;
}

// `resolver`, `world` and `phase` belong to main's frame, which outlives the io_context run.
asio::awaitable<void> mx_worker(Resolver& resolver, const World& world, Phase& phase) {
  while (phase.next < phase.jobs) {
    const Domain& domain = world.domains[phase.next++];
    const auto answer = co_await resolver.mx(domain.name);
    ++phase.lookups;
    if (answer.meta.outcome != Outcome::data || answer.records != domain.mx) {
      phase.fail(domain.name, answer.meta);
    }
  }
}

// `resolver`, `world` and `phase` belong to main's frame, which outlives the io_context run.
asio::awaitable<void> address_worker(Resolver& resolver, const World& world, Phase& phase) {
  while (phase.next < phase.jobs) {
    const std::size_t job = phase.next++;
    const Host& host = world.hosts[job / 2];
    if (job % 2 == 0) {
      const auto answer = co_await resolver.a(host.name);
      ++phase.lookups;
      if (!address_matches(answer, host.ipv4)) {
        phase.fail(host.name, answer.meta);
      }
    } else {
      const auto answer = co_await resolver.aaaa(host.name);
      ++phase.lookups;
      if (!address_matches(answer, host.ipv6)) {
        phase.fail(host.name, answer.meta);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto settings = parse_settings(argc, argv);
  if (!settings) {
    std::fputs("usage: bench_dns [--domains N] [--concurrency C] [--timeout-ms T]\n", stderr);
    return 2;
  }
  World world = make_world(settings->domains);

  asio::io_context server_io(1);
  mx::world::DnsServer server(server_io, world.zone, asio::ip::make_address("127.0.0.1"));
  auto server_work = asio::make_work_guard(server_io);
  std::thread server_thread([&server_io] { server_io.run(); });

  asio::io_context io(1);
  Resolver resolver(io, mx::dns::ResolverOptions{
                            .servers = {{server.endpoint().address(), server.endpoint().port()}},
                            .timeout = settings->timeout,
                        });
  Phase mx_phase;
  mx_phase.jobs = world.domains.size();
  Phase address_phase;
  address_phase.jobs = 2 * world.hosts.size();

  const double cpu_before = mx::bench::cpu_seconds();
  const double client_cpu_before = mx::bench::cpu_seconds(RUSAGE_THREAD);
  const auto started = Clock::now();
  for (std::size_t i = 0; i < settings->concurrency; ++i) {
    asio::co_spawn(io, mx_worker(resolver, world, mx_phase), asio::detached);
  }
  io.run();
  io.restart();
  for (std::size_t i = 0; i < settings->concurrency; ++i) {
    asio::co_spawn(io, address_worker(resolver, world, address_phase), asio::detached);
  }
  io.run();
  const std::chrono::duration<double> wall = Clock::now() - started;
  const double cpu = mx::bench::cpu_seconds() - cpu_before;
  const double client_cpu = mx::bench::cpu_seconds(RUSAGE_THREAD) - client_cpu_before;

  server_work.reset();
  asio::post(server_io, [&server] { server.stop(); });
  server_thread.join();

  const std::size_t lookups = mx_phase.lookups + address_phase.lookups;
  const std::size_t errors =
      mx_phase.errors + address_phase.errors + (mx_phase.jobs + address_phase.jobs - lookups);
  fmt::print(
      "{{\"lookups\":{},\"wall_s\":{:.3f},\"lookups_per_s\":{:.0f},\"cpu_s\":{:.3f},"
      "\"client_cpu_s\":{:.3f},\"errors\":{},\"domains\":{},\"concurrency\":{}}}\n",
      lookups, wall.count(), static_cast<double>(lookups) / wall.count(), cpu, client_cpu, errors,
      settings->domains, settings->concurrency);
  for (const Phase* phase : {&mx_phase, &address_phase}) {
    if (!phase->first_error.empty()) {
      fmt::print(stderr, "first error: {}\n", phase->first_error);
    }
  }
  return errors == 0 ? 0 : 1;
}
