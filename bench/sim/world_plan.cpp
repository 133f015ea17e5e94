#include "bench/sim/world_plan.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <variant>

#include <fmt/format.h>

namespace mx::sim {
namespace {

using Rng = std::mt19937_64;

double unit(Rng& rng) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// One way to be misconfigured: a DNS shape, a host fault, an MTA-STS or TLSRPT shape, a DANE
// state. Drawn uniformly, so every failure code shows up.
using Fault = std::variant<DnsShape, SmtpFault, MtaSts, Tlsrpt, Dane>;

const std::vector<Fault>& all_faults() {
  static const std::vector<Fault> faults = [] {
    std::vector<Fault> out;
    for (auto shape : {DnsShape::implicit_mx, DnsShape::null_mx, DnsShape::nxdomain,
                       DnsShape::servfail, DnsShape::host_no_address}) {
      out.emplace_back(shape);
    }
    for (auto f = static_cast<int>(SmtpFault::refused);
         f <= static_cast<int>(SmtpFault::name_mismatch); ++f) {
      out.emplace_back(static_cast<SmtpFault>(f));
    }
    for (auto s = static_cast<int>(MtaSts::record_multiple);
         s <= static_cast<int>(MtaSts::mx_mismatch); ++s) {
      out.emplace_back(static_cast<MtaSts>(s));
    }
    out.emplace_back(Tlsrpt::multiple);
    out.emplace_back(Tlsrpt::syntax);
    out.emplace_back(Dane::mismatch);
    out.emplace_back(Dane::unauthenticated);
    return out;
  }();
  return faults;
}

// The faults that need a host of the domain's own (providers stay healthy).
bool needs_own_host(const Fault& fault) {
  return std::holds_alternative<SmtpFault>(fault) || std::holds_alternative<Dane>(fault) ||
         fault == Fault(DnsShape::host_no_address) || fault == Fault(DnsShape::implicit_mx);
}

bool needs_policy_host(MtaSts sts) {
  switch (sts) {
    case MtaSts::none:
    case MtaSts::record_multiple:
    case MtaSts::record_syntax:
    case MtaSts::fetch_failed:
      return false;
    default:
      return true;
  }
}

MailHost new_host(std::string name, std::uint16_t preference, WorldPlan& plan, Rng& rng) {
  MailHost host;
  host.name = std::move(name);
  host.preference = preference;
  host.ipv4 = pool_address(plan.next_address++);
  host.ipv6 = unit(rng) < plan.mix.ipv6_share;
  host.rsa = unit(rng) < plan.mix.rsa_share;
  host.key_slot = static_cast<std::uint32_t>(rng() % (host.rsa ? rsa_key_slots : ec_key_slots));
  return host;
}

// Greeting delays of --latency wan: median about 100 ms, 5 % at 2 s; tarpits (0.5 %) are faults.
std::uint32_t wan_delay(Rng& rng) {
  const double u = unit(rng);
  if (u < 0.05) {
    return 2000;
  }
  const double drawn = std::exp(std::normal_distribution<double>(std::log(100.0), 0.5)(rng));
  return static_cast<std::uint32_t>(std::clamp(drawn, 10.0, 1500.0));
}

void apply_fault(PlannedDomain& domain, const Fault& fault, WorldPlan& plan) {
  if (const auto* smtp = std::get_if<SmtpFault>(&fault)) {
    MailHost& host = domain.hosts.front();
    host.fault = *smtp;
    host.dane = Dane::none;
    if (*smtp == SmtpFault::refused) {
      host.ipv4.clear();
      host.ipv6 = false;
    }
  } else if (const auto* dane = std::get_if<Dane>(&fault)) {
    domain.hosts.front().dane = *dane;
  } else if (const auto* sts = std::get_if<MtaSts>(&fault)) {
    domain.mta_sts = *sts;
    if (needs_policy_host(*sts) && domain.sts_ip.empty()) {
      domain.sts_ip = pool_address(plan.next_address++);
    }
  } else if (const auto* tlsrpt = std::get_if<Tlsrpt>(&fault)) {
    domain.tlsrpt = *tlsrpt;
  }
}

bool healthy_hosts(const PlannedDomain& domain) {
  return std::all_of(domain.hosts.begin(), domain.hosts.end(), [](const MailHost& h) {
    return h.fault == SmtpFault::none && (h.dane == Dane::none || h.dane == Dane::ok);
  });
}

bool healthy(const PlannedDomain& domain) {
  return domain.shape == DnsShape::ok && healthy_hosts(domain) &&
         (domain.mta_sts == MtaSts::none || domain.mta_sts == MtaSts::ok) &&
         (domain.tlsrpt == Tlsrpt::none || domain.tlsrpt == Tlsrpt::ok);
}

void publish_host(world::Zone& zone, const MailHost& host, const SpkiDigest& digest) {
  if (!host.ipv4.empty()) {
    zone.add_a(host.name, host.ipv4);
    if (host.ipv6) {
      zone.add_aaaa(host.name, "::ffff:" + host.ipv4);
    }
  } else if (host.fault == SmtpFault::refused) {
    zone.add_aaaa(host.name, "::1");  // nothing listens there: connection refused
  } else {
    zone.add_txt(host.name, {"no address by design"});  // the name exists: NODATA for A
  }
  if (host.dane == Dane::none) {
    return;
  }
  auto data = digest(host);
  if (host.dane == Dane::mismatch) {
    data.front() ^= 0xFF;
  }
  const std::string owner = "_25._tcp." + host.name;
  zone.add_tlsa(owner, {3, 1, 1, std::move(data)});
  if (host.dane != Dane::unauthenticated) {
    zone.set_behaviour(owner, {.authenticated = true});
  }
}

// --latency wan: every name answers after 5 to 50 ms; names the zone lacks after 20 ms.
void add_wan_delays(world::Zone& zone, const WorldPlan& plan) {
  Rng rng(plan.seed ^ 0xde1a7ULL);
  const auto delay = [&](const std::string& name) {
    world::Behaviour behaviour = zone.behaviour(name);
    behaviour.delay = std::chrono::milliseconds(5 + rng() % 46);
    zone.set_behaviour(name, behaviour);
  };
  const auto host_names = [&](const MailHost& host) {
    delay(host.name);
    if (host.dane != Dane::none) {
      delay("_25._tcp." + host.name);
    }
  };
  for (const auto& provider : plan.providers) {
    for (const auto& host : provider) {
      host_names(host);
    }
  }
  for (const auto& domain : plan.domains) {
    delay(domain.name);
    if (domain.provider < 0) {
      for (const auto& host : domain.hosts) {
        if (host.name != domain.name) {
          host_names(host);
        }
      }
    }
    delay("_mta-sts." + domain.name);
    delay("mta-sts." + domain.name);
    delay("_smtp._tls." + domain.name);
  }
  world::Behaviour absent;
  absent.delay = std::chrono::milliseconds(20);
  zone.set_default_behaviour(absent);
}

}  // namespace

std::string pool_address(std::uint32_t n) {
  return fmt::format("127.{}.{}.{}", 1 + (n / (254 * 256)) % 254, (n / 254) % 256, 1 + n % 254);
}

WorldPlan plan_world(std::size_t domains, std::uint64_t seed, MixOptions mix) {
  Rng rng(seed);
  // Delays come from their own stream: the same seed gives the same world with or without them.
  Rng wan_rng(seed ^ 0x9e3779b97f4a7c15ULL);

  WorldPlan plan;
  plan.seed = seed;
  plan.mix = mix;
  plan.providers.resize(mix.providers);
  for (std::size_t p = 0; p < mix.providers; ++p) {
    for (int i = 1; i <= 2; ++i) {
      auto host = new_host(fmt::format("mx{}.provider{}.test", i, p),
                           static_cast<std::uint16_t>(10 * i), plan, rng);
      if (mix.wan) {
        host.greeting_delay_ms = wan_delay(wan_rng);
      }
      plan.providers[p].push_back(std::move(host));
    }
  }

  const auto& faults = all_faults();
  plan.domains.reserve(domains);
  for (std::size_t i = 0; i < domains; ++i) {
    PlannedDomain domain;
    domain.name = fmt::format("d{:06}.test", i);
    const bool misconfigured = unit(rng) < mix.misconfigured_share;
    const Fault fault = misconfigured ? faults[rng() % faults.size()] : Fault(DnsShape::ok);
    if (const auto* shape = std::get_if<DnsShape>(&fault)) {
      domain.shape = *shape;
    }
    const bool shared = unit(rng) < mix.shared_share;
    switch (domain.shape) {
      case DnsShape::null_mx:
      case DnsShape::nxdomain:
      case DnsShape::servfail:
        break;
      case DnsShape::implicit_mx:
        domain.hosts.push_back(new_host(domain.name, 0, plan, rng));
        break;
      case DnsShape::host_no_address: {
        auto host = new_host("mx1." + domain.name, 10, plan, rng);
        host.ipv4.clear();
        host.ipv6 = false;
        domain.hosts.push_back(std::move(host));
        break;
      }
      case DnsShape::ok:
        if (shared && !needs_own_host(fault) && !plan.providers.empty()) {
          domain.provider = static_cast<int>(rng() % plan.providers.size());
          domain.hosts = plan.providers[static_cast<std::size_t>(domain.provider)];
        } else {
          const int count = unit(rng) < 0.5 ? 1 : 2;
          for (int h = 1; h <= count; ++h) {
            auto host = new_host(fmt::format("mx{}.{}", h, domain.name),
                                 static_cast<std::uint16_t>(10 * h), plan, rng);
            if (unit(rng) < mix.dane_share) {
              host.dane = Dane::ok;
            }
            domain.hosts.push_back(std::move(host));
          }
        }
        break;
    }
    if (mix.wan && domain.provider < 0) {
      for (auto& host : domain.hosts) {
        if (unit(wan_rng) < 0.005 && host.fault == SmtpFault::none && !host.ipv4.empty()) {
          host.fault = SmtpFault::tarpit;
        }
        host.greeting_delay_ms = wan_delay(wan_rng);
      }
    }
    domain.mta_sts = unit(rng) < mix.mta_sts_share ? MtaSts::ok : MtaSts::none;
    domain.sts_testing = unit(rng) < mix.testing_share;
    domain.sts_id = 20260101 + static_cast<std::uint32_t>(rng() % 300);
    domain.tlsrpt = unit(rng) < mix.tlsrpt_share ? Tlsrpt::ok : Tlsrpt::none;
    if (domain.mta_sts == MtaSts::ok) {
      domain.sts_ip = pool_address(plan.next_address++);
    }
    apply_fault(domain, fault, plan);
    plan.domains.push_back(std::move(domain));
  }
  return plan;
}

std::vector<Mutation> mutate(WorldPlan& plan, std::uint32_t generation) {
  Rng rng(plan.seed * 0x100000001b3ULL + generation);
  std::vector<Mutation> out;
  const std::size_t n = plan.domains.size();
  if (n == 0) {
    return out;
  }
  const std::size_t changes = std::max<std::size_t>(1, n / 200);
  const auto& faults = all_faults();
  std::vector<bool> touched(n, false);
  // Broken: healthy domains get a fault that leaves their DNS shape alone.
  for (std::size_t tries = 0, done = 0; done < changes && tries < 50 * changes; ++tries) {
    const std::size_t i = rng() % n;
    PlannedDomain& domain = plan.domains[i];
    if (touched[i] || !healthy(domain)) {
      continue;
    }
    const Fault fault = faults[rng() % faults.size()];
    if (std::holds_alternative<DnsShape>(fault) ||
        (needs_own_host(fault) && domain.provider >= 0)) {
      continue;
    }
    touched[i] = true;
    ++done;
    const std::string before = describe(domain);
    apply_fault(domain, fault, plan);
    out.push_back({i, fmt::format("broken: {} (was {})", describe(domain), before)});
  }
  // Repaired: misconfigured domains (not their DNS shape) are set right.
  for (std::size_t tries = 0, done = 0; done < changes && tries < 50 * changes; ++tries) {
    const std::size_t i = rng() % n;
    PlannedDomain& domain = plan.domains[i];
    if (touched[i] || healthy(domain) || domain.shape != DnsShape::ok) {
      continue;
    }
    touched[i] = true;
    ++done;
    const std::string before = describe(domain);
    for (auto& host : domain.hosts) {
      if (host.fault == SmtpFault::refused) {
        host.ipv4 = pool_address(plan.next_address++);
      }
      host.fault = SmtpFault::none;
      if (host.dane != Dane::none) {
        host.dane = Dane::ok;
      }
    }
    if (domain.mta_sts != MtaSts::none) {
      domain.mta_sts = MtaSts::ok;
      if (domain.sts_ip.empty()) {
        domain.sts_ip = pool_address(plan.next_address++);
      }
    }
    if (domain.tlsrpt != Tlsrpt::none) {
      domain.tlsrpt = Tlsrpt::ok;
    }
    out.push_back({i, fmt::format("repaired: {}", before)});
  }
  std::sort(out.begin(), out.end(),
            [](const Mutation& a, const Mutation& b) { return a.domain < b.domain; });
  return out;
}

std::string policy_text(const PlannedDomain& domain) {
  if (domain.mta_sts == MtaSts::syntax) {
    return "this is not an MTA-STS policy\n";
  }
  const char* mode =
      domain.mta_sts == MtaSts::mode_none ? "none" : (domain.sts_testing ? "testing" : "enforce");
  std::string out = fmt::format("version: STSv1\r\nmode: {}\r\n", mode);
  if (domain.mta_sts == MtaSts::mx_mismatch) {
    out += "mx: mx.retired-host.test\r\n";
  } else if (domain.provider >= 0) {
    out += fmt::format("mx: *.provider{}.test\r\n", domain.provider);
  } else {
    for (const auto& host : domain.hosts) {
      out += fmt::format("mx: {}\r\n", host.name);
    }
  }
  out += "max_age: 604800\r\n";
  return out;
}

world::Zone make_zone(const WorldPlan& plan, const SpkiDigest& digest) {
  world::Zone zone;
  for (const auto& provider : plan.providers) {
    for (const auto& host : provider) {
      publish_host(zone, host, digest);
    }
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
        break;
      case DnsShape::ok:
      case DnsShape::host_no_address:
        for (const auto& host : domain.hosts) {
          zone.add_mx(domain.name, host.preference, host.name);
        }
        break;
    }
    if (domain.provider < 0) {
      for (const auto& host : domain.hosts) {
        publish_host(zone, host, digest);
      }
    }
    switch (domain.mta_sts) {
      case MtaSts::none:
        break;
      case MtaSts::record_multiple:
        zone.add_txt("_mta-sts." + domain.name, {fmt::format("v=STSv1; id={}", domain.sts_id)});
        zone.add_txt("_mta-sts." + domain.name, {fmt::format("v=STSv1; id={}", domain.sts_id + 1)});
        break;
      case MtaSts::record_syntax:
        zone.add_txt("_mta-sts." + domain.name, {"v=STSv1; id=2026-01-01"});
        break;
      default:
        zone.add_txt("_mta-sts." + domain.name, {fmt::format("v=STSv1; id={}", domain.sts_id)});
        break;
    }
    if (needs_policy_host(domain.mta_sts)) {
      zone.add_a("mta-sts." + domain.name, domain.sts_ip);
    }
    const std::string rua = fmt::format("v=TLSRPTv1; rua=mailto:tlsrpt@{}", domain.name);
    switch (domain.tlsrpt) {
      case Tlsrpt::none:
        break;
      case Tlsrpt::ok:
        zone.add_txt("_smtp._tls." + domain.name, {rua});
        break;
      case Tlsrpt::multiple:
        zone.add_txt("_smtp._tls." + domain.name, {rua});
        zone.add_txt("_smtp._tls." + domain.name, {rua + "-again"});
        break;
      case Tlsrpt::syntax:
        zone.add_txt("_smtp._tls." + domain.name, {"v=TLSRPTv1; rua=ftp://reports.test/"});
        break;
    }
  }
  if (plan.mix.wan) {
    add_wan_delays(zone, plan);
  }
  return zone;
}

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

std::string to_string(SmtpFault fault) {
  static constexpr std::array<const char*, 15> names{
      "none",           "refused",           "banner-rejected",    "temporary",        "protocol",
      "not-advertised", "starttls-rejected", "starttls-temporary", "handshake-failed", "outdated",
      "untrusted",      "expired",           "not-yet-valid",      "name-mismatch",    "tarpit"};
  return names.at(static_cast<std::size_t>(fault));
}

std::string to_string(MtaSts sts) {
  static constexpr std::array<const char*, 13> names{
      "none",         "ok",           "record-multiple", "record-syntax", "http-status",
      "redirect",     "content-type", "too-large",       "certificate",   "syntax",
      "fetch-failed", "mode-none",    "mx-mismatch"};
  return names.at(static_cast<std::size_t>(sts));
}

std::string to_string(Tlsrpt tlsrpt) {
  static constexpr std::array<const char*, 4> names{"none", "ok", "multiple", "syntax"};
  return names.at(static_cast<std::size_t>(tlsrpt));
}

std::string to_string(Dane dane) {
  static constexpr std::array<const char*, 4> names{"none", "ok", "mismatch", "unauthenticated"};
  return names.at(static_cast<std::size_t>(dane));
}

std::string describe(const PlannedDomain& domain) {
  std::vector<std::string> parts;
  if (domain.shape != DnsShape::ok) {
    parts.push_back("dns " + to_string(domain.shape));
  }
  for (const auto& host : domain.hosts) {
    if (host.fault != SmtpFault::none) {
      parts.push_back(fmt::format("{} smtp {}", host.name, to_string(host.fault)));
    }
    if (host.dane == Dane::mismatch || host.dane == Dane::unauthenticated) {
      parts.push_back(fmt::format("{} dane {}", host.name, to_string(host.dane)));
    }
  }
  if (domain.mta_sts != MtaSts::none && domain.mta_sts != MtaSts::ok) {
    parts.push_back("mta-sts " + to_string(domain.mta_sts));
  }
  if (domain.tlsrpt == Tlsrpt::multiple || domain.tlsrpt == Tlsrpt::syntax) {
    parts.push_back("tlsrpt " + to_string(domain.tlsrpt));
  }
  if (parts.empty()) {
    return "healthy";
  }
  std::string out = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    out += ", " + parts[i];
  }
  return out;
}

}  // namespace mx::sim
