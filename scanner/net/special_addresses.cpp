#include "scanner/net/special_addresses.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mx::net {
namespace {

// The IANA IPv4 and IPv6 Special-Purpose Address Registries as of 2025, every entry (globally
// reachable ones too: no mail server lives on an anycast PCP, AS112 or AMT address), the
// multicast ranges, which are not unicast destinations at all, and the deprecated IPv6 forms that
// carry an IPv4 address (reserved by the IETF in ::/8, no host's address).
constexpr std::array kBlocks{
    SpecialBlock{"0.0.0.0/8", "This network", "RFC 791"},
    SpecialBlock{"0.0.0.0/32", "This host on this network", "RFC 1122"},
    SpecialBlock{"10.0.0.0/8", "Private-Use", "RFC 1918"},
    SpecialBlock{"100.64.0.0/10", "Shared Address Space", "RFC 6598"},
    SpecialBlock{"127.0.0.0/8", "Loopback", "RFC 1122"},
    SpecialBlock{"169.254.0.0/16", "Link Local", "RFC 3927"},
    SpecialBlock{"172.16.0.0/12", "Private-Use", "RFC 1918"},
    SpecialBlock{"192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"},
    SpecialBlock{"192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"},
    SpecialBlock{"192.0.0.8/32", "IPv4 dummy address", "RFC 7600"},
    SpecialBlock{"192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"},
    SpecialBlock{"192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"},
    SpecialBlock{"192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880"},
    SpecialBlock{"192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880"},
    SpecialBlock{"192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"},
    SpecialBlock{"192.31.196.0/24", "AS112-v4", "RFC 7535"},
    SpecialBlock{"192.52.193.0/24", "AMT", "RFC 7450"},
    SpecialBlock{"192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"},
    SpecialBlock{"192.168.0.0/16", "Private-Use", "RFC 1918"},
    SpecialBlock{"192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"},
    SpecialBlock{"198.18.0.0/15", "Benchmarking", "RFC 2544"},
    SpecialBlock{"198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"},
    SpecialBlock{"203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"},
    SpecialBlock{"224.0.0.0/4", "Multicast", "RFC 5771"},
    SpecialBlock{"240.0.0.0/4", "Reserved", "RFC 1112"},
    SpecialBlock{"255.255.255.255/32", "Limited Broadcast", "RFC 919"},
    SpecialBlock{"::1/128", "Loopback Address", "RFC 4291"},
    SpecialBlock{"::/128", "Unspecified Address", "RFC 4291"},
    SpecialBlock{"::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291"},
    SpecialBlock{"::/96", "IPv4-compatible Address (deprecated)", "RFC 4291"},
    SpecialBlock{"::ffff:0:0:0/96", "IPv4-translated Address (deprecated)", "RFC 2765"},
    SpecialBlock{"64:ff9b::/96", "IPv4-IPv6 Translation", "RFC 6052"},
    SpecialBlock{"64:ff9b:1::/48", "IPv4-IPv6 Translation (local use)", "RFC 8215"},
    SpecialBlock{"100::/64", "Discard-Only Address Block", "RFC 6666"},
    SpecialBlock{"100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"},
    SpecialBlock{"2001::/23", "IETF Protocol Assignments", "RFC 2928"},
    SpecialBlock{"2001::/32", "TEREDO", "RFC 4380"},
    SpecialBlock{"2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"},
    SpecialBlock{"2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"},
    SpecialBlock{"2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"},
    SpecialBlock{"2001:2::/48", "Benchmarking", "RFC 5180"},
    SpecialBlock{"2001:3::/32", "AMT", "RFC 7450"},
    SpecialBlock{"2001:4:112::/48", "AS112-v6", "RFC 7535"},
    SpecialBlock{"2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"},
    SpecialBlock{"2001:20::/28", "ORCHIDv2", "RFC 7343"},
    SpecialBlock{"2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374"},
    SpecialBlock{"2001:db8::/32", "Documentation", "RFC 3849"},
    SpecialBlock{"2002::/16", "6to4", "RFC 3056"},
    SpecialBlock{"2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"},
    SpecialBlock{"3fff::/20", "Documentation", "RFC 9637"},
    SpecialBlock{"5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"},
    SpecialBlock{"fc00::/7", "Unique-Local", "RFC 4193"},
    SpecialBlock{"fe80::/10", "Link-Local Unicast", "RFC 4291"},
    SpecialBlock{"ff00::/8", "Multicast", "RFC 4291"},
};

// A block in comparable form: the address as 16 bytes (IPv4 as its mapped form would be wrong,
// since ::ffff:0:0/96 is a block of its own, so the family is kept apart).
struct Prefix {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};
  unsigned length = 0;
  const SpecialBlock* block = nullptr;
};

Prefix to_prefix(const SpecialBlock& block) {
  const std::string text(block.prefix);
  const auto slash = text.find('/');
  const auto ip = boost::asio::ip::make_address(text.substr(0, slash));  // table is well-formed
  Prefix prefix;
  prefix.length = static_cast<unsigned>(std::stoul(text.substr(slash + 1)));
  prefix.block = &block;
  prefix.v6 = ip.is_v6();
  if (ip.is_v6()) {
    prefix.bytes = ip.to_v6().to_bytes();
  } else {
    const auto v4 = ip.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), prefix.bytes.begin());
  }
  return prefix;
}

const std::vector<Prefix>& prefixes() {
  static const std::vector<Prefix> table = [] {
    std::vector<Prefix> out;
    out.reserve(kBlocks.size());
    for (const auto& block : kBlocks) {
      out.push_back(to_prefix(block));
    }
    return out;
  }();
  return table;
}

bool covers(const Prefix& prefix, const std::array<std::uint8_t, 16>& bytes) {
  const unsigned full = prefix.length / 8;
  for (unsigned i = 0; i < full; ++i) {
    if (bytes[i] != prefix.bytes[i]) {
      return false;
    }
  }
  const unsigned rest = prefix.length % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - rest));
  return (bytes[full] & mask) == (prefix.bytes[full] & mask);
}

}  // namespace

std::span<const SpecialBlock> special_blocks() {
  return kBlocks;
}

std::optional<boost::asio::ip::address_v4> embedded_ipv4(const boost::asio::ip::address_v6& ip) {
  const auto bytes = ip.to_bytes();
  const auto zero = [&bytes](std::size_t from, std::size_t to) {
    return std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(from),
                       bytes.begin() + static_cast<std::ptrdiff_t>(to),
                       [](std::uint8_t b) { return b == 0; });
  };
  const auto v4_at = [&bytes](std::size_t at) {
    return boost::asio::ip::address_v4(boost::asio::ip::address_v4::bytes_type{
        bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]});
  };
  // 64:ff9b::/96, RFC 6052 2.1.
  constexpr std::array<std::uint8_t, 4> nat64{0x00, 0x64, 0xff, 0x9b};
  if (std::equal(nat64.begin(), nat64.end(), bytes.begin()) && zero(4, 12)) {
    return v4_at(12);
  }
  // 2002::/16, RFC 3056 2: the IPv4 address follows the prefix.
  if (bytes[0] == 0x20 && bytes[1] == 0x02) {
    return v4_at(2);
  }
  if (!zero(0, 8)) {
    return std::nullopt;
  }
  if (zero(8, 10) && bytes[10] == 0xff && bytes[11] == 0xff) {  // ::ffff:a.b.c.d
    return v4_at(12);
  }
  if (bytes[8] == 0xff && bytes[9] == 0xff && zero(10, 12)) {  // ::ffff:0:a.b.c.d
    return v4_at(12);
  }
  if (zero(8, 12) && !ip.is_unspecified() && !ip.is_loopback()) {  // ::a.b.c.d
    return v4_at(12);
  }
  return std::nullopt;
}

std::optional<SpecialAddress> classify_special(const boost::asio::ip::address& ip) {
  SpecialAddress out;
  out.block = special_block(ip);
  if (ip.is_v6()) {
    out.embedded = embedded_ipv4(ip.to_v6());
    if (out.embedded) {
      out.embedded_block = special_block(boost::asio::ip::address(*out.embedded));
    }
  }
  if (!out.block && !out.embedded_block) {
    return std::nullopt;
  }
  return out;
}

std::string describe_special(const boost::asio::ip::address& ip) {
  const auto special = classify_special(ip);
  if (!special) {
    return {};
  }
  const auto text = [](const SpecialBlock& block) {
    return std::string(block.name) + " (" + std::string(block.prefix) + ", " +
           std::string(block.source) + ")";
  };
  std::string out;
  if (special->block) {
    out = text(*special->block);
  }
  if (special->embedded) {
    out += out.empty() ? "carrying " : " carrying ";
    out += special->embedded->to_string();
    if (special->embedded_block) {
      out += ", " + text(*special->embedded_block);
    }
  }
  return out;
}

std::optional<SpecialBlock> special_block(const boost::asio::ip::address& ip) {
  std::array<std::uint8_t, 16> bytes{};
  if (ip.is_v6()) {
    bytes = ip.to_v6().to_bytes();
  } else {
    const auto v4 = ip.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
  }
  const Prefix* best = nullptr;
  for (const auto& prefix : prefixes()) {
    if (prefix.v6 == ip.is_v6() && covers(prefix, bytes) &&
        (best == nullptr || prefix.length > best->length)) {
      best = &prefix;
    }
  }
  if (best == nullptr) {
    return std::nullopt;
  }
  return *best->block;
}

bool may_connect(const boost::asio::ip::address& ip, bool allow_private) {
  return allow_private || !classify_special(ip).has_value();
}

}  // namespace mx::net
