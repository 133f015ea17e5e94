#pragma once
// The IANA special-purpose address registries (IPv4: RFC 6890 and successors; IPv6 likewise),
// plus multicast, as one table. A scan must never connect to these addresses (loopback, private,
// documentation, ...) unless the operator says --allow-private. Pure.

#include <optional>
#include <span>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace mx::net {

struct SpecialBlock {
  std::string_view prefix;  // "127.0.0.0/8"
  std::string_view name;    // the registry's name for the block
  std::string_view source;  // the RFC that reserves it
};

// Every block of both registries; the most specific block wins when they nest.
[[nodiscard]] std::span<const SpecialBlock> special_blocks();

// The most specific special-purpose block holding `ip`, or nullopt for an ordinary address.
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are special in their own right.
[[nodiscard]] std::optional<SpecialBlock> special_block(const boost::asio::ip::address& ip);

// Whether a scan may connect to `ip`: ordinary addresses always, special ones only when allowed.
[[nodiscard]] bool may_connect(const boost::asio::ip::address& ip, bool allow_private);

}  // namespace mx::net
