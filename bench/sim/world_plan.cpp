#include "bench/sim/world_plan.hpp"

#include <array>
#include <random>

#include <fmt/format.h>

namespace mx::sim {
namespace {

// Loopback addresses handed out in order, skipping 127.0.0.0/16 (127.0.0.1 and friends are
// commonly used by services on the machine).
class AddressPool {
 public:
  std::string next() {
    const std::uint32_t n = next_++;
    return fmt::format("127.{}.{}.{}", 1 + (n >> 16) % 254, (n >> 8) & 0xFF, 1 + (n & 0xFF) % 254);
  }

 private:
  std::uint32_t next_ = 0;
};

std::vector<std::uint8_t> fake_digest(std::mt19937_64& rng) {
  std::vector<std::uint8_t> digest(32);
  for (auto& byte : digest) {
    byte = static_cast<std::uint8_t>(rng() & 0xFF);
  }
  return digest;
}

void publish_hosts(world::Zone& zone, const std::vector<MailHost>& hosts, std::mt19937_64& rng) {
  for (const auto& host : hosts) {
    for (const auto& ip : host.ipv4) {
      zone.add_a(host.name, ip);
    }
    if (host.ipv4.empty()) {
      zone.add_txt(host.name, {"no address by design"});  // the name exists: NODATA for A
    }
    if (host.tlsa) {
      zone.add_tlsa("_25._tcp." + host.name, {3, 1, 1, fake_digest(rng)});
      zone.set_behaviour("_25._tcp." + host.name, {.authenticated = true});
    }
  }
}

}  // namespace

std::string to_string(DnsShape shape) {
  switch (shape) {
    case DnsShape::ok:
      return "ok";
    case DnsShape::implicit_mx:
      return "implicit-mx";
    case DnsShape::null_mx:
      return "null-mx";
    case DnsShape::nxdomain:
      return "nxdomain";
    case DnsShape::servfail:
      return "servfail";
    case DnsShape::host_no_address:
      return "host-no-address";
  }
  return "?";
}

WorldPlan plan_world(std::size_t domains, std::uint64_t seed, MixOptions mix) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  AddressPool pool;

  WorldPlan plan;
  plan.seed = seed;
  // Shared providers: two MX hosts each, one address each.
  auto& providers = plan.providers;
  providers.resize(mix.providers);
  for (std::size_t p = 0; p < mix.providers; ++p) {
    for (int i = 1; i <= 2; ++i) {
      providers[p].push_back(MailHost{fmt::format("mx{}.provider{}.test", i, p),
                                      static_cast<std::uint16_t>(10 * i),
                                      {pool.next()},
                                      false});
    }
  }

  constexpr std::array kAnomalies{DnsShape::implicit_mx, DnsShape::null_mx, DnsShape::nxdomain,
                                  DnsShape::servfail, DnsShape::host_no_address};
  plan.domains.reserve(domains);
  for (std::size_t i = 0; i < domains; ++i) {
    PlannedDomain domain;
    domain.name = fmt::format("d{:06}.test", i);
    if (unit(rng) < mix.dns_anomaly_share) {
      domain.shape = kAnomalies[rng() % kAnomalies.size()];
    }
    if (unit(rng) < mix.shared_share && !providers.empty()) {
      domain.provider = static_cast<int>(rng() % providers.size());
      domain.hosts = providers[static_cast<std::size_t>(domain.provider)];
    } else {
      const int count = unit(rng) < 0.5 ? 1 : 2;
      for (int h = 1; h <= count; ++h) {
        domain.hosts.push_back(MailHost{fmt::format("mx{}.{}", h, domain.name),
                                        static_cast<std::uint16_t>(10 * h),
                                        {pool.next()},
                                        unit(rng) < mix.dane_share});
      }
    }
    if (domain.shape == DnsShape::host_no_address) {
      // Only a host of its own can lose its address without breaking the provider's customers.
      domain.provider = -1;
      domain.hosts = {MailHost{fmt::format("mx1.{}", domain.name), 10, {}, false}};
    }
    domain.mta_sts = unit(rng) < mix.mta_sts_share;
    domain.tlsrpt = unit(rng) < mix.tlsrpt_share;
    plan.domains.push_back(std::move(domain));
  }
  return plan;
}

world::Zone make_zone(const WorldPlan& plan) {
  world::Zone zone;
  std::mt19937_64 rng(plan.seed ^ 0x5eedU);
  for (const auto& provider : plan.providers) {
    publish_hosts(zone, provider, rng);
  }
  for (const auto& domain : plan.domains) {
    switch (domain.shape) {
      case DnsShape::nxdomain:
        continue;
      case DnsShape::servfail:
        zone.set_behaviour(domain.name, {.reply = world::Behaviour::Reply::servfail});
        zone.add_txt(domain.name, {"servfail by design"});  // the name exists
        continue;
      case DnsShape::null_mx:
        zone.add_mx(domain.name, 0, ".");
        break;
      case DnsShape::implicit_mx:
        zone.add_a(domain.name, domain.hosts.front().ipv4.empty() ? "127.255.255.1"
                                                                  : domain.hosts.front().ipv4[0]);
        break;
      case DnsShape::ok:
      case DnsShape::host_no_address:
        for (const auto& host : domain.hosts) {
          zone.add_mx(domain.name, host.preference, host.name);
        }
        break;
    }
    const bool own_hosts = domain.provider < 0 && (domain.shape == DnsShape::ok ||
                                                   domain.shape == DnsShape::host_no_address);
    if (own_hosts) {
      publish_hosts(zone, domain.hosts, rng);
    }
    if (domain.mta_sts) {
      zone.add_txt("_mta-sts." + domain.name,
                   {fmt::format("v=STSv1; id={}", 20260101 + rng() % 300)});
    }
    if (domain.tlsrpt) {
      zone.add_txt("_smtp._tls." + domain.name,
                   {fmt::format("v=TLSRPTv1; rua=mailto:tlsrpt@{}", domain.name)});
    }
  }
  return zone;
}

}  // namespace mx::sim
