#include "bench/sim/world_plan.hpp"

#include <cstddef>
#include <map>
#include <set>
#include <string>

#include <catch2/catch.hpp>

namespace {

using mx::sim::Dane;
using mx::sim::DnsShape;
using mx::sim::MtaSts;
using mx::sim::plan_world;
using mx::sim::SmtpFault;
using mx::sim::Tlsrpt;
using mx::sim::WorldPlan;

std::string fingerprint(const WorldPlan& plan) {
  std::string out;
  for (const auto& domain : plan.domains) {
    out += domain.name + mx::sim::describe(domain) + mx::sim::to_string(domain.mta_sts) +
           mx::sim::to_string(domain.tlsrpt) + domain.sts_ip + std::to_string(domain.provider);
    for (const auto& host : domain.hosts) {
      out += host.name + host.ipv4 + (host.ipv6 ? "6" : "4") + (host.rsa ? "r" : "e") +
             std::to_string(host.key_slot) + mx::sim::to_string(host.dane);
    }
    out += '\n';
  }
  return out;
}

}  // namespace

TEST_CASE("The same domains and seed plan the same world, another seed another", "[unit]") {
  const auto a = plan_world(2000, 42);
  const auto b = plan_world(2000, 42);
  const auto c = plan_world(2000, 43);
  CHECK(fingerprint(a) == fingerprint(b));
  CHECK(fingerprint(a) != fingerprint(c));
}

TEST_CASE("Latency wan keeps the world and adds delays and a few tarpits", "[unit]") {
  mx::sim::MixOptions wan;
  wan.wan = true;
  const auto plain = plan_world(4000, 5);
  const auto slow = plan_world(4000, 5, wan);
  REQUIRE(plain.domains.size() == slow.domains.size());
  std::size_t tarpits = 0;
  std::size_t delayed = 0;
  std::size_t two_seconds = 0;
  std::size_t hosts = 0;
  for (std::size_t i = 0; i < plain.domains.size(); ++i) {
    CHECK(plain.domains[i].name == slow.domains[i].name);
    CHECK(plain.domains[i].mta_sts == slow.domains[i].mta_sts);
    for (const auto& host : slow.domains[i].hosts) {
      ++hosts;
      tarpits += host.fault == SmtpFault::tarpit ? 1 : 0;
      delayed += host.greeting_delay_ms > 0 ? 1 : 0;
      two_seconds += host.greeting_delay_ms == 2000 ? 1 : 0;
    }
  }
  CHECK(tarpits > 0);
  CHECK(tarpits < hosts / 50);
  CHECK(delayed == hosts);
  CHECK(two_seconds > hosts / 40);
  CHECK(two_seconds < hosts / 10);
}

TEST_CASE("The mix has its shares and every fault", "[unit]") {
  const std::size_t n = 20000;
  const auto plan = plan_world(n, 1);
  REQUIRE(plan.domains.size() == n);
  REQUIRE(plan.providers.size() == 20);
  std::size_t shared = 0;
  std::size_t sts = 0;
  std::size_t tlsrpt = 0;
  std::size_t misconfigured = 0;
  std::size_t dane = 0;
  std::size_t own_hosts = 0;
  std::size_t ipv6 = 0;
  std::size_t rsa = 0;
  std::size_t all_hosts = 0;
  std::set<std::string> faults;
  std::set<std::string> addresses;
  for (const auto& domain : plan.domains) {
    shared += domain.provider >= 0 ? 1 : 0;
    sts += domain.mta_sts != MtaSts::none ? 1 : 0;
    tlsrpt += domain.tlsrpt != Tlsrpt::none ? 1 : 0;
    misconfigured += mx::sim::describe(domain) != "healthy" ? 1 : 0;
    if (domain.shape != DnsShape::ok) {
      faults.insert("dns " + mx::sim::to_string(domain.shape));
    }
    if (domain.mta_sts != MtaSts::none && domain.mta_sts != MtaSts::ok) {
      faults.insert("sts " + mx::sim::to_string(domain.mta_sts));
    }
    if (domain.tlsrpt == Tlsrpt::multiple || domain.tlsrpt == Tlsrpt::syntax) {
      faults.insert("tlsrpt " + mx::sim::to_string(domain.tlsrpt));
    }
    if (!domain.sts_ip.empty()) {
      CHECK(addresses.insert(domain.sts_ip).second);
    }
    for (const auto& host : domain.hosts) {
      if (domain.provider < 0 && !host.ipv4.empty()) {
        ++all_hosts;  // distinct hosts: a provider's are copied into each of its domains
        ipv6 += host.ipv6 ? 1 : 0;
        rsa += host.rsa ? 1 : 0;
      }
      if (domain.provider < 0) {
        ++own_hosts;
        dane += host.dane != Dane::none ? 1 : 0;
        if (!host.ipv4.empty()) {
          CHECK(addresses.insert(host.ipv4).second);
          CHECK(host.ipv4.rfind("127.0.", 0) != 0);
        }
      }
      if (host.fault != SmtpFault::none) {
        faults.insert("smtp " + mx::sim::to_string(host.fault));
        CHECK(domain.provider < 0);  // providers stay healthy
      }
      if (host.dane == Dane::mismatch || host.dane == Dane::unauthenticated) {
        faults.insert("dane " + mx::sim::to_string(host.dane));
      }
    }
  }
  const auto share = [n](std::size_t count) { return static_cast<double>(count) / n; };
  CHECK(share(shared) == Approx(0.5).margin(0.05));
  CHECK(share(sts) == Approx(0.4).margin(0.03));
  CHECK(share(tlsrpt) == Approx(0.2).margin(0.03));
  CHECK(share(misconfigured) == Approx(0.1).margin(0.015));
  CHECK(static_cast<double>(dane) / own_hosts == Approx(0.05).margin(0.02));
  CHECK(static_cast<double>(ipv6) / all_hosts == Approx(0.1).margin(0.03));
  CHECK(static_cast<double>(rsa) / all_hosts == Approx(0.2).margin(0.05));
  // 5 DNS shapes, 13 SMTP faults (no tarpit without wan), 11 MTA-STS, 2 TLSRPT, 2 DANE.
  CHECK(faults.size() == 33);
  CHECK(faults.count("smtp tarpit") == 0);
}

TEST_CASE("A mutation breaks some domains and repairs others, the same way each time", "[unit]") {
  auto a = plan_world(3000, 9);
  auto b = plan_world(3000, 9);
  const auto before = a;
  const auto changes = mx::sim::mutate(a, 1);
  const auto again = mx::sim::mutate(b, 1);
  REQUIRE(changes.size() == again.size());
  CHECK(fingerprint(a) == fingerprint(b));
  std::size_t broken = 0;
  std::size_t repaired = 0;
  for (const auto& change : changes) {
    const auto was = mx::sim::describe(before.domains.at(change.domain));
    const auto now = mx::sim::describe(a.domains.at(change.domain));
    CHECK(was != now);
    if (now == "healthy") {
      ++repaired;
    } else {
      CHECK(was == "healthy");
      ++broken;
    }
  }
  CHECK(broken == 15);
  CHECK(repaired == 15);
  const auto second = mx::sim::mutate(a, 2);
  CHECK(!second.empty());
  CHECK(fingerprint(a) != fingerprint(b));
}

TEST_CASE("Pool addresses stay clear of 127.0.x.x and of .0 and .255", "[unit]") {
  std::set<std::string> seen;
  for (std::uint32_t n : {0U, 1U, 253U, 254U, 255U, 64515U, 64516U, 16000000U}) {
    const auto address = mx::sim::pool_address(n);
    CHECK(address.rfind("127.0.", 0) != 0);
    CHECK(address.substr(address.rfind('.')) != ".0");
    CHECK(address.substr(address.rfind('.')) != ".255");
    CHECK(seen.insert(address).second);
  }
  CHECK(mx::sim::pool_address(0) == "127.1.0.1");
}
