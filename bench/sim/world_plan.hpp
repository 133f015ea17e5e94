#pragma once
// The simulated internet's plan: N mail domains with a realistic mix, drawn from a seed, and the
// DNS zone that publishes it. Deterministic: the same (N, seed, mix) gives the same world, and
// mutate() the same next night. Every fault a server or a zone can show is a value of the plan,
// so the verdict mxscan should reach is computed from the plan alone (expected.hpp).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/world/dns_zone.hpp"

namespace mx::sim {

// The DNS shape a domain was given; "ok" domains publish a normal MX set.
enum class DnsShape : std::uint8_t {
  ok,
  implicit_mx,      // no MX; the domain's own A record serves (its one host is the domain)
  null_mx,          // RFC 7505
  nxdomain,         // listed, but the name does not exist
  servfail,         // every query for the domain fails
  host_no_address,  // the MX host has no A/AAAA
};

// How one mail host misbehaves (CONTRACT.md's address-level codes).
enum class SmtpFault : std::uint8_t {
  none,
  refused,             // its only address (::1) has no listener
  banner_rejected,     // 554 greeting
  temporary,           // 421 greeting
  protocol,            // an HTTP response instead of a greeting
  not_advertised,      // EHLO without STARTTLS
  starttls_rejected,   // 554 to STARTTLS
  starttls_temporary,  // 454 to STARTTLS
  handshake_failed,    // garbage instead of a TLS handshake
  outdated,            // TLS 1.1 at best
  untrusted,           // leaf issued by a root outside root.pem
  expired,
  not_yet_valid,
  name_mismatch,
  tarpit,  // the greeting never comes (--latency wan only)
};

enum class Dane : std::uint8_t {
  none,
  ok,               // TLSA 3 1 1 of the leaf's key, answered with AD
  mismatch,         // TLSA 3 1 1 of another key, with AD
  unauthenticated,  // the right TLSA record, without AD
};

// What a domain publishes for MTA-STS (RFC 8461) and how its policy host answers.
enum class MtaSts : std::uint8_t {
  none,             // no record
  ok,               // record, policy matching every MX host (mode: see sts_testing)
  record_multiple,  // two v=STSv1 records
  record_syntax,    // an invalid id
  http_status,      // 404
  redirect,         // 301
  content_type,     // text/html
  too_large,        // a declared body above 64 KiB
  certificate,      // the policy host's certificate has expired
  syntax,           // a body that is no policy
  fetch_failed,     // mta-sts.<domain> has no address
  mode_none,        // mode: none
  mx_mismatch,      // the policy's mx patterns miss the MX hosts
};

enum class Tlsrpt : std::uint8_t { none, ok, multiple, syntax };

struct MailHost {
  std::string name;
  std::uint16_t preference = 10;
  std::string ipv4;   // loopback address; empty: none (refused hosts have only ::1)
  bool ipv6 = false;  // also an AAAA record, the IPv4-mapped form of ipv4 (::ffff:127.x.y.z)
  SmtpFault fault = SmtpFault::none;
  bool rsa = false;            // RSA 2048 leaf; else ECDSA P-256
  std::uint32_t key_slot = 0;  // which key of the world's key pool the leaf uses
  Dane dane = Dane::none;
  std::uint32_t greeting_delay_ms = 0;  // --latency wan
};

struct PlannedDomain {
  std::string name;
  DnsShape shape = DnsShape::ok;
  std::vector<MailHost> hosts;  // a provider's hosts are copied here
  int provider = -1;            // index of the shared provider, -1 when self-hosted
  MtaSts mta_sts = MtaSts::none;
  bool sts_testing = false;  // the policy's mode is testing (else enforce)
  std::string sts_ip;        // the address of mta-sts.<domain>, when it has one
  Tlsrpt tlsrpt = Tlsrpt::none;
  std::uint32_t sts_id = 0;  // the record's id
};

struct MixOptions {
  std::size_t providers = 20;
  double shared_share = 0.5;
  double mta_sts_share = 0.4;
  double tlsrpt_share = 0.2;
  double dane_share = 0.05;  // of self-hosted hosts
  double misconfigured_share = 0.1;
  double ipv6_share = 0.1;     // of hosts
  double rsa_share = 0.2;      // of leaves
  double testing_share = 0.5;  // of MTA-STS policies
  bool wan = false;            // --latency wan: greeting delays, tarpits, DNS delays
};

struct WorldPlan {
  std::uint64_t seed = 0;
  MixOptions mix;
  std::vector<std::vector<MailHost>> providers;  // each provider's MX hosts
  std::vector<PlannedDomain> domains;
  std::uint32_t next_address = 0;  // the address pool's position, for mutations
};

// The loopback address pool: 127.1.0.1 onwards, never 127.0.x.x (127.0.0.1, 127.0.0.53 and
// friends belong to the machine), never .0 or .255.
[[nodiscard]] std::string pool_address(std::uint32_t n);

// Key pool sizes: leaves share keys (key generation would dominate startup, RSA above all).
inline constexpr std::uint32_t ec_key_slots = 16;
inline constexpr std::uint32_t rsa_key_slots = 4;

[[nodiscard]] WorldPlan plan_world(std::size_t domains, std::uint64_t seed, MixOptions mix = {});

// One change of mutate(): a domain broken or repaired.
struct Mutation {
  std::size_t domain = 0;  // index in plan.domains
  std::string reason;      // "broken: starttls not-advertised", "repaired: ..."
};

// The next night's world: a few healthy domains get a fault, a few misconfigured ones are
// repaired; `generation` (1, 2, ...) seeds the choice.
std::vector<Mutation> mutate(WorldPlan& plan, std::uint32_t generation);

// SHA-256 of the SubjectPublicKeyInfo of a host's leaf key: what its TLSA 3 1 1 record holds.
using SpkiDigest = std::function<std::vector<std::uint8_t>(const MailHost&)>;

// The zone; a wan plan (mix.wan) also delays every name's answers by 5 to 50 ms.
[[nodiscard]] world::Zone make_zone(const WorldPlan& plan, const SpkiDigest& digest);

// The MTA-STS policy text a domain's policy host serves (MtaSts::ok, mode_none, mx_mismatch,
// content_type, certificate, syntax shapes).
[[nodiscard]] std::string policy_text(const PlannedDomain& domain);

[[nodiscard]] std::string to_string(DnsShape shape);
[[nodiscard]] std::string to_string(SmtpFault fault);
[[nodiscard]] std::string to_string(MtaSts sts);
[[nodiscard]] std::string to_string(Tlsrpt tlsrpt);
[[nodiscard]] std::string to_string(Dane dane);

// A one-phrase description of what is wrong with the domain ("healthy" when nothing).
[[nodiscard]] std::string describe(const PlannedDomain& domain);

}  // namespace mx::sim
