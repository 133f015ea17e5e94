// The classes of special-purpose addresses a scan must never contact without --allow-private,
// each with the reason its verdict gives, and the IPv6 forms that carry an IPv4 address
// (IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64, 6to4) classified by that address too:
// 64:ff9b::7f00:1 is refused as loopback reached through a translator, not only as "IPv4-IPv6
// Translation", a block the IANA registry calls globally reachable.

#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "scanner/net/special_addresses.hpp"

namespace {

namespace ip = boost::asio::ip;
using mx::net::classify_special;
using mx::net::describe_special;
using mx::net::embedded_ipv4;
using mx::net::may_connect;
using mx::net::special_block;

std::string prefix_of(const std::optional<mx::net::SpecialBlock>& block) {
  return block ? std::string(block->prefix) : std::string("-");
}

struct ClassRow {
  const char* ip;
  const char* block;           // the address's own most specific block
  const char* embedded;        // the IPv4 address it carries, "-" for none
  const char* embedded_block;  // that address's block, "-" for none or ordinary
  const char* says;            // what describe_special must name
};

}  // namespace

TEST_CASE("every class of special-purpose address is refused without --allow-private and says why",
          "[unit]") {
  const auto row = GENERATE(values<ClassRow>({
      // Loopback.
      {"127.0.0.1", "127.0.0.0/8", "-", "-", "Loopback (127.0.0.0/8, RFC 1122)"},
      {"127.255.255.254", "127.0.0.0/8", "-", "-", "Loopback"},
      {"::1", "::1/128", "-", "-", "Loopback Address (::1/128, RFC 4291)"},
      // "This network": a connection to 0.0.0.0 or :: reaches this very host on Linux.
      {"0.0.0.0", "0.0.0.0/32", "-", "-", "This host on this network"},
      {"0.1.2.3", "0.0.0.0/8", "-", "-", "This network"},
      {"::", "::/128", "-", "-", "Unspecified Address"},
      // Private-Use (RFC 1918) and Shared Address Space (CGNAT).
      {"10.0.0.1", "10.0.0.0/8", "-", "-", "Private-Use (10.0.0.0/8, RFC 1918)"},
      {"172.16.0.1", "172.16.0.0/12", "-", "-", "Private-Use (172.16.0.0/12, RFC 1918)"},
      {"172.31.255.254", "172.16.0.0/12", "-", "-", "Private-Use"},
      {"192.168.0.1", "192.168.0.0/16", "-", "-", "Private-Use (192.168.0.0/16, RFC 1918)"},
      {"100.64.0.1", "100.64.0.0/10", "-", "-", "Shared Address Space (100.64.0.0/10, RFC 6598)"},
      // Link-local, the cloud metadata service included.
      {"169.254.169.254", "169.254.0.0/16", "-", "-", "Link Local (169.254.0.0/16, RFC 3927)"},
      {"169.254.1.1", "169.254.0.0/16", "-", "-", "Link Local"},
      {"fe80::1", "fe80::/10", "-", "-", "Link-Local Unicast (fe80::/10, RFC 4291)"},
      // Unique-local.
      {"fc00::1", "fc00::/7", "-", "-", "Unique-Local (fc00::/7, RFC 4193)"},
      {"fd12:3456:789a::1", "fc00::/7", "-", "-", "Unique-Local"},
      // Documentation and benchmarking.
      {"192.0.2.1", "192.0.2.0/24", "-", "-", "Documentation (TEST-NET-1)"},
      {"198.51.100.1", "198.51.100.0/24", "-", "-", "Documentation (TEST-NET-2)"},
      {"203.0.113.1", "203.0.113.0/24", "-", "-", "Documentation (TEST-NET-3)"},
      {"2001:db8::1", "2001:db8::/32", "-", "-", "Documentation (2001:db8::/32, RFC 3849)"},
      {"3fff::1", "3fff::/20", "-", "-", "Documentation (3fff::/20, RFC 9637)"},
      {"198.18.0.1", "198.18.0.0/15", "-", "-", "Benchmarking"},
      // Multicast, reserved, broadcast.
      {"224.0.0.1", "224.0.0.0/4", "-", "-", "Multicast (224.0.0.0/4, RFC 5771)"},
      {"239.255.255.250", "224.0.0.0/4", "-", "-", "Multicast"},
      {"ff02::1", "ff00::/8", "-", "-", "Multicast (ff00::/8, RFC 4291)"},
      {"240.0.0.1", "240.0.0.0/4", "-", "-", "Reserved"},
      {"255.255.255.255", "255.255.255.255/32", "-", "-", "Limited Broadcast"},
      // IPv4-mapped: on a dual-stack socket, an IPv4 connection to the address it carries.
      {"::ffff:127.0.0.1", "::ffff:0:0/96", "127.0.0.1", "127.0.0.0/8",
       "IPv4-mapped Address (::ffff:0:0/96, RFC 4291) carrying 127.0.0.1, Loopback (127.0.0.0/8, "
       "RFC 1122)"},
      {"::ffff:10.0.0.1", "::ffff:0:0/96", "10.0.0.1", "10.0.0.0/8",
       "IPv4-mapped Address (::ffff:0:0/96, RFC 4291) carrying 10.0.0.1, Private-Use"},
      {"::ffff:169.254.169.254", "::ffff:0:0/96", "169.254.169.254", "169.254.0.0/16",
       "carrying 169.254.169.254, Link Local"},
      {"::ffff:8.8.8.8", "::ffff:0:0/96", "8.8.8.8", "-",
       "IPv4-mapped Address (::ffff:0:0/96, RFC 4291) carrying 8.8.8.8"},
      // NAT64 well-known prefix: the translator connects to the address it carries.
      {"64:ff9b::7f00:1", "64:ff9b::/96", "127.0.0.1", "127.0.0.0/8",
       "IPv4-IPv6 Translation (64:ff9b::/96, RFC 6052) carrying 127.0.0.1, Loopback"},
      {"64:ff9b::a00:1", "64:ff9b::/96", "10.0.0.1", "10.0.0.0/8",
       "IPv4-IPv6 Translation (64:ff9b::/96, RFC 6052) carrying 10.0.0.1, Private-Use"},
      {"64:ff9b::a9fe:a9fe", "64:ff9b::/96", "169.254.169.254", "169.254.0.0/16",
       "carrying 169.254.169.254, Link Local"},
      // Refused whatever it carries: scanning through the network's own translator is scanning
      // from it; and DNS64 synthesises from an A record that the scan probes directly anyway.
      {"64:ff9b::808:808", "64:ff9b::/96", "8.8.8.8", "-",
       "IPv4-IPv6 Translation (64:ff9b::/96, RFC 6052) carrying 8.8.8.8"},
      // NAT64 local-use prefix: where the IPv4 address sits depends on the network's prefix
      // length, so the whole /48 is refused and nothing is claimed about what it carries.
      {"64:ff9b:1::a00:1", "64:ff9b:1::/48", "-", "-", "IPv4-IPv6 Translation (local use)"},
      {"64:ff9b:1:7f00:1::", "64:ff9b:1::/48", "-", "-", "IPv4-IPv6 Translation (local use)"},
      // Deprecated forms, still meaningful to some stacks and translators.
      {"::7f00:1", "::/96", "127.0.0.1", "127.0.0.0/8",
       "IPv4-compatible Address (deprecated) (::/96, RFC 4291) carrying 127.0.0.1, Loopback"},
      {"::a00:1", "::/96", "10.0.0.1", "10.0.0.0/8", "carrying 10.0.0.1, Private-Use"},
      {"::808:808", "::/96", "8.8.8.8", "-", "IPv4-compatible Address (deprecated)"},
      {"::ffff:0:7f00:1", "::ffff:0:0:0/96", "127.0.0.1", "127.0.0.0/8",
       "IPv4-translated Address (deprecated) (::ffff:0:0:0/96, RFC 2765) carrying 127.0.0.1"},
      // 6to4: the relay tunnels to the IPv4 address after the prefix.
      {"2002:7f00:1::1", "2002::/16", "127.0.0.1", "127.0.0.0/8",
       "6to4 (2002::/16, RFC 3056) carrying 127.0.0.1, Loopback"},
      {"2002:a9fe:a9fe::1", "2002::/16", "169.254.169.254", "169.254.0.0/16", "Link Local"},
  }));
  CAPTURE(row.ip);
  const auto address = ip::make_address(row.ip);
  CHECK_FALSE(may_connect(address, false));
  CHECK(may_connect(address, true));

  const auto special = classify_special(address);
  REQUIRE(special.has_value());
  CHECK(prefix_of(special->block) == row.block);
  CHECK(prefix_of(special_block(address)) == row.block);
  CHECK((special->embedded ? special->embedded->to_string() : std::string("-")) == row.embedded);
  CHECK(prefix_of(special->embedded_block) == row.embedded_block);
  CHECK_THAT(describe_special(address), Catch::Contains(row.says));
}

TEST_CASE("ordinary addresses are not special and carry no IPv4 address", "[unit]") {
  const auto text = GENERATE(as<std::string>{}, "8.8.8.8", "64.233.184.27", "1.1.1.1",
                             "2a00:1450:4001:80b::201a", "2607:f8b0:4004:c07::1b",
                             // Near the translation prefixes without being in them.
                             "64:ff9a::7f00:1", "64:ff9b:2::7f00:1", "2003::7f00:1");
  CAPTURE(text);
  const auto address = ip::make_address(text);
  CHECK(may_connect(address, false));
  CHECK_FALSE(classify_special(address).has_value());
  CHECK(describe_special(address).empty());
  if (address.is_v6()) {
    CHECK_FALSE(embedded_ipv4(address.to_v6()).has_value());
  }
}

TEST_CASE("embedded_ipv4: the IPv4 address each form carries and none elsewhere", "[unit]") {
  struct Row {
    const char* v6;
    const char* v4;  // "-": none
  };
  const auto row = GENERATE(values<Row>({
      {"::ffff:1.2.3.4", "1.2.3.4"},
      {"::ffff:0.0.0.0", "0.0.0.0"},
      {"::ffff:255.255.255.255", "255.255.255.255"},
      {"::1.2.3.4", "1.2.3.4"},
      {"::0.0.0.2", "0.0.0.2"},
      {"::ffff:0:1.2.3.4", "1.2.3.4"},
      {"64:ff9b::1.2.3.4", "1.2.3.4"},
      {"64:ff9b::", "0.0.0.0"},
      {"2002:102:304::", "1.2.3.4"},
      {"2002:102:304:ffff:ffff:ffff:ffff:ffff", "1.2.3.4"},
      // :: and ::1 are the unspecified and loopback addresses, not IPv4-compatible ones.
      {"::", "-"},
      {"::1", "-"},
      // Not quite a form: a bit set where the form has zeros.
      {"0:0:0:1::ffff:102:304", "-"},
      {"::1:ffff:102:304", "-"},
      {"::fffe:102:304", "-"},
      {"::ffff:1:102:304", "-"},
      {"64:ff9b:0:0:1::102:304", "-"},
      {"64:ff9b:1::102:304", "-"},  // local use: the position is the network's choice
      {"2001:db8::102:304", "-"},
      {"fe80::102:304", "-"},
  }));
  CAPTURE(row.v6);
  const auto v4 = embedded_ipv4(ip::make_address_v6(row.v6));
  CHECK((v4 ? v4->to_string() : std::string("-")) == row.v4);
}

TEST_CASE("an IPv6 form carrying any special-purpose IPv4 address is refused as that address",
          "[unit]") {
  // Every IPv4 block of the table, through every form that carries an IPv4 address: the
  // embedded block is the IPv4 address's own, so the refusal does not hang on the IPv6 block
  // alone (the translation prefix could leave the table; loopback through it must stay refused).
  for (const auto& block : mx::net::special_blocks()) {
    const std::string prefix(block.prefix);
    const auto network = ip::make_address(prefix.substr(0, prefix.find('/')));
    if (!network.is_v4()) {
      continue;
    }
    const auto v4 = network.to_v4();
    const auto bytes = v4.to_bytes();
    const ip::address_v6 mapped = ip::make_address_v6(ip::v4_mapped, v4);
    ip::address_v6::bytes_type nat64{0x00, 0x64, 0xff, 0x9b};
    std::copy(bytes.begin(), bytes.end(), nat64.begin() + 12);
    ip::address_v6::bytes_type compatible{};
    std::copy(bytes.begin(), bytes.end(), compatible.begin() + 12);
    ip::address_v6::bytes_type six_to_four{0x20, 0x02};
    std::copy(bytes.begin(), bytes.end(), six_to_four.begin() + 2);
    const std::vector<ip::address_v6> forms{
        mapped, ip::address_v6(nat64), ip::address_v6(compatible), ip::address_v6(six_to_four)};
    for (const auto& form : forms) {
      if (form.is_unspecified()) {
        continue;  // ::0.0.0.0 is ::, unspecified in its own right
      }
      CAPTURE(prefix, form.to_string());
      const auto special = classify_special(ip::address(form));
      REQUIRE(special.has_value());
      REQUIRE(special->embedded.has_value());
      CHECK(*special->embedded == v4);
      CHECK(prefix_of(special->embedded_block) == prefix_of(special_block(ip::address(v4))));
      CHECK_FALSE(may_connect(ip::address(form), false));
    }
  }
}
