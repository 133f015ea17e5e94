// mxsim: serves a simulated internet of N mail domains on loopback until SIGTERM or SIGINT.
// Today it serves the world's DNS (MX, A, TLSA, MTA-STS and TLSRPT TXT, and a share of DNS
// misconfigurations); it writes DIR/domains.txt and prints one line when ready:
//   mxsim ready dns=127.0.0.1:PORT domains=N dir=DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "bench/sim/world_plan.hpp"
#include "scanner/net/server_address.hpp"
#include "tests/world/dns_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"mxsim: a simulated internet of mail domains on loopback", "mxsim"};
  std::size_t domains = 1000;
  std::uint64_t seed = 1;
  std::string dir;
  std::string dns = "127.0.0.1";
  app.add_option("--domains", domains, "number of mail domains")->capture_default_str();
  app.add_option("--seed", seed, "seed of the world")->capture_default_str();
  app.add_option("--dir", dir, "directory for domains.txt")->required();
  app.add_option("--dns", dns,
                 "address of the DNS server, IP[:PORT]; without a port, any free port")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto dns_address = mx::net::parse_server_address(dns, 0);
  if (!dns_address) {
    std::cerr << fmt::format("mxsim: --dns '{}' is not IP[:PORT]\n", dns);
    return 2;
  }

  const auto plan = mx::sim::plan_world(domains, seed);
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(std::filesystem::path(dir) / "domains.txt");
    for (const auto& domain : plan.domains) {
      out << domain.name << '\n';
    }
    if (!out) {
      std::cerr << fmt::format("mxsim: cannot write {}/domains.txt\n", dir);
      return 2;
    }
  }

  boost::asio::io_context io(1);
  mx::world::DnsServer server(io, mx::sim::make_zone(plan), dns_address->ip, dns_address->port);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { server.stop(); });

  std::printf("mxsim ready dns=%s domains=%zu dir=%s\n", server.resolver_arg().c_str(),
              plan.domains.size(), dir.c_str());
  std::fflush(stdout);
  io.run();
  return 0;
}
