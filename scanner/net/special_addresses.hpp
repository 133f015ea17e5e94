#pragma once
// The IANA special-purpose address registries (IPv4: RFC 6890 and successors; IPv6 likewise),
// plus multicast and the two deprecated IPv6 forms that carry an IPv4 address (IPv4-compatible
// ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d), as one table. A scan must never connect to these
// addresses (loopback, private, documentation, ...) unless the operator says --allow-private.
//
// An IPv6 address can stand for an IPv4 one: an IPv4-mapped address is an IPv4 connection on a
// dual-stack socket, a NAT64 address (RFC 6052) is translated to the IPv4 address it carries, and
// so on. Such an address is refused when its own block is special (all of those forms are) and,
// whatever the table says of that block, when the IPv4 address it carries is: 64:ff9b::7f00:1
// reaches 127.0.0.1 through the translator, however "globally reachable" the IANA registry calls
// 64:ff9b::/96. Pure.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

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

// The IPv4 address that `ip` delivers to by its form, where it has one of these forms:
//   - IPv4-mapped ::ffff:a.b.c.d (RFC 4291 2.5.5.2), an IPv4 peer on a dual-stack socket;
//   - IPv4-compatible ::a.b.c.d (RFC 4291 2.5.5.1, deprecated; :: and ::1 excepted);
//   - IPv4-translated ::ffff:0:a.b.c.d (RFC 2765 SIIT, since replaced);
//   - the NAT64 well-known prefix 64:ff9b::a.b.c.d (RFC 6052 2.1);
//   - 6to4 2002:AABB:CCDD::/48 (RFC 3056 2), whose relay tunnels to AA.BB.CC.DD.
// The NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215) is left out: where its IPv4 address sits
// depends on the prefix length each network chooses, so it is refused as a whole instead.
[[nodiscard]] std::optional<boost::asio::ip::address_v4> embedded_ipv4(
    const boost::asio::ip::address_v6& ip);

// Why an address is special-purpose.
struct SpecialAddress {
  std::optional<SpecialBlock> block;                    // the most specific block holding it
  std::optional<boost::asio::ip::address_v4> embedded;  // the IPv4 address it carries, if any
  std::optional<SpecialBlock> embedded_block;           // that address's block, when special
};

// `ip`'s classification when `ip` is in a special-purpose block or carries a special-purpose IPv4
// address (embedded_ipv4); nullopt for an ordinary address.
[[nodiscard]] std::optional<SpecialAddress> classify_special(const boost::asio::ip::address& ip);

// For messages: "Loopback (127.0.0.0/8, RFC 1122)", or for an address carrying an IPv4 one
// "IPv4-IPv6 Translation (64:ff9b::/96, RFC 6052) carrying 10.0.0.1, Private-Use (10.0.0.0/8,
// RFC 1918)"; empty for an ordinary address.
[[nodiscard]] std::string describe_special(const boost::asio::ip::address& ip);

// Whether a scan may connect to `ip`: ordinary addresses always, special ones (classify_special)
// only when allowed.
[[nodiscard]] bool may_connect(const boost::asio::ip::address& ip, bool allow_private);

}  // namespace mx::net
