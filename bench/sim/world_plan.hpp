#pragma once
// The simulated internet's plan: N mail domains with a realistic mix, drawn from a seed, and the
// DNS zone that publishes it. Deterministic: the same (N, seed) gives the same world.

#include <cstdint>
#include <string>
#include <vector>

#include "tests/world/dns_zone.hpp"

namespace mx::sim {

struct MailHost {
  std::string name;
  std::uint16_t preference = 10;
  std::vector<std::string> ipv4;  // loopback addresses; empty: the host has no address
  bool tlsa = false;              // publishes a DANE-EE TLSA record at _25._tcp.<name>
};

// The DNS shape a domain was given; "ok" domains publish a normal MX set.
enum class DnsShape : std::uint8_t {
  ok,
  implicit_mx,      // no MX; the domain's own A record serves
  null_mx,          // RFC 7505
  nxdomain,         // listed, but the name does not exist
  servfail,         // every query for the domain fails
  host_no_address,  // the MX host has no A/AAAA
};

struct PlannedDomain {
  std::string name;
  DnsShape shape = DnsShape::ok;
  std::vector<MailHost> hosts;
  int provider = -1;  // index of the shared provider, -1 when self-hosted
  bool mta_sts = false;
  bool tlsrpt = false;
};

struct WorldPlan {
  std::uint64_t seed = 0;
  std::vector<std::vector<MailHost>> providers;  // each provider's MX hosts
  std::vector<PlannedDomain> domains;
};

struct MixOptions {
  std::size_t providers = 20;
  double shared_share = 0.5;
  double mta_sts_share = 0.4;
  double tlsrpt_share = 0.2;
  double dane_share = 0.05;
  double dns_anomaly_share = 0.05;  // spread over the non-ok DnsShapes
};

[[nodiscard]] WorldPlan plan_world(std::size_t domains, std::uint64_t seed, MixOptions mix = {});
[[nodiscard]] world::Zone make_zone(const WorldPlan& plan);
[[nodiscard]] std::string to_string(DnsShape shape);

}  // namespace mx::sim
