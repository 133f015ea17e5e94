#include <string>

#include <catch2/catch.hpp>

#include "scanner/net/special_addresses.hpp"

namespace {

using mx::net::special_block;

std::string block_of(const std::string& ip) {
  const auto block = special_block(boost::asio::ip::make_address(ip));
  return block ? std::string(block->prefix) : std::string("-");
}

struct Row {
  const char* ip;
  const char* prefix;  // expected most specific block, "-" for an ordinary address
};

}  // namespace

TEST_CASE("special-purpose IPv4 blocks at their edges", "[unit]") {
  const auto row = GENERATE(values<Row>({
      {"0.0.0.0", "0.0.0.0/32"},
      {"0.0.0.1", "0.0.0.0/8"},
      {"0.255.255.255", "0.0.0.0/8"},
      {"1.0.0.0", "-"},
      {"9.255.255.255", "-"},
      {"10.0.0.0", "10.0.0.0/8"},
      {"10.255.255.255", "10.0.0.0/8"},
      {"11.0.0.0", "-"},
      {"100.63.255.255", "-"},
      {"100.64.0.0", "100.64.0.0/10"},
      {"100.127.255.255", "100.64.0.0/10"},
      {"100.128.0.0", "-"},
      {"126.255.255.255", "-"},
      {"127.0.0.0", "127.0.0.0/8"},
      {"127.0.0.1", "127.0.0.0/8"},
      {"127.255.255.255", "127.0.0.0/8"},
      {"128.0.0.0", "-"},
      {"169.253.255.255", "-"},
      {"169.254.0.0", "169.254.0.0/16"},
      {"169.254.255.255", "169.254.0.0/16"},
      {"169.255.0.0", "-"},
      {"172.15.255.255", "-"},
      {"172.16.0.0", "172.16.0.0/12"},
      {"172.31.255.255", "172.16.0.0/12"},
      {"172.32.0.0", "-"},
      {"191.255.255.255", "-"},
      {"192.0.0.0", "192.0.0.0/29"},
      {"192.0.0.7", "192.0.0.0/29"},
      {"192.0.0.8", "192.0.0.8/32"},
      {"192.0.0.9", "192.0.0.9/32"},
      {"192.0.0.10", "192.0.0.10/32"},
      {"192.0.0.11", "192.0.0.0/24"},
      {"192.0.0.170", "192.0.0.170/32"},
      {"192.0.0.171", "192.0.0.171/32"},
      {"192.0.0.255", "192.0.0.0/24"},
      {"192.0.1.0", "-"},
      {"192.0.1.255", "-"},
      {"192.0.2.0", "192.0.2.0/24"},
      {"192.0.2.255", "192.0.2.0/24"},
      {"192.0.3.0", "-"},
      {"192.31.195.255", "-"},
      {"192.31.196.0", "192.31.196.0/24"},
      {"192.31.196.255", "192.31.196.0/24"},
      {"192.31.197.0", "-"},
      {"192.52.192.255", "-"},
      {"192.52.193.0", "192.52.193.0/24"},
      {"192.52.193.255", "192.52.193.0/24"},
      {"192.52.194.0", "-"},
      {"192.88.98.255", "-"},
      {"192.88.99.0", "192.88.99.0/24"},
      {"192.88.99.255", "192.88.99.0/24"},
      {"192.88.100.0", "-"},
      {"192.167.255.255", "-"},
      {"192.168.0.0", "192.168.0.0/16"},
      {"192.168.255.255", "192.168.0.0/16"},
      {"192.169.0.0", "-"},
      {"192.175.47.255", "-"},
      {"192.175.48.0", "192.175.48.0/24"},
      {"192.175.48.255", "192.175.48.0/24"},
      {"192.175.49.0", "-"},
      {"198.17.255.255", "-"},
      {"198.18.0.0", "198.18.0.0/15"},
      {"198.19.255.255", "198.18.0.0/15"},
      {"198.20.0.0", "-"},
      {"198.51.99.255", "-"},
      {"198.51.100.0", "198.51.100.0/24"},
      {"198.51.100.255", "198.51.100.0/24"},
      {"198.51.101.0", "-"},
      {"203.0.112.255", "-"},
      {"203.0.113.0", "203.0.113.0/24"},
      {"203.0.113.255", "203.0.113.0/24"},
      {"203.0.114.0", "-"},
      {"223.255.255.255", "-"},
      {"224.0.0.0", "224.0.0.0/4"},
      {"239.255.255.255", "224.0.0.0/4"},
      {"240.0.0.0", "240.0.0.0/4"},
      {"255.255.255.254", "240.0.0.0/4"},
      {"255.255.255.255", "255.255.255.255/32"},
      // Ordinary unicast addresses of real mail providers' ranges.
      {"8.8.8.8", "-"},
      {"64.233.184.27", "-"},
      {"104.47.0.1", "-"},
  }));
  CAPTURE(row.ip);
  CHECK(block_of(row.ip) == row.prefix);
}

TEST_CASE("special-purpose IPv6 blocks at their edges", "[unit]") {
  const auto row = GENERATE(values<Row>({
      {"::", "::/128"},
      {"::1", "::1/128"},
      {"::2", "::/96"},  // IPv4-compatible (deprecated), carrying 0.0.0.2
      {"::fffe:ffff:ffff", "-"},
      {"::ffff:0:0", "::ffff:0:0/96"},
      {"::ffff:127.0.0.1", "::ffff:0:0/96"},
      {"::ffff:8.8.8.8", "::ffff:0:0/96"},
      {"::ffff:ffff:ffff", "::ffff:0:0/96"},
      {"::1:0:0:0", "-"},
      {"64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"64:ff9b::", "64:ff9b::/96"},
      {"64:ff9b::ffff:ffff", "64:ff9b::/96"},
      {"64:ff9b::1:0:0", "-"},
      {"64:ff9b:1::", "64:ff9b:1::/48"},
      {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:1::/48"},
      {"64:ff9b:2::", "-"},
      {"ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"100::", "100::/64"},
      {"100::ffff:ffff:ffff:ffff", "100::/64"},
      {"100:0:0:1::", "100:0:0:1::/64"},
      {"100:0:0:1:ffff:ffff:ffff:ffff", "100:0:0:1::/64"},
      {"100:0:0:2::", "-"},
      {"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"2001::", "2001::/32"},
      {"2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/32"},
      {"2001:1::", "2001::/23"},
      {"2001:1::1", "2001:1::1/128"},
      {"2001:1::2", "2001:1::2/128"},
      {"2001:1::3", "2001:1::3/128"},
      {"2001:1::4", "2001::/23"},
      {"2001:2::", "2001:2::/48"},
      {"2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:2::/48"},
      {"2001:2:1::", "2001::/23"},
      {"2001:3::", "2001:3::/32"},
      {"2001:3:ffff:ffff:ffff:ffff:ffff:ffff", "2001:3::/32"},
      {"2001:4:112::", "2001:4:112::/48"},
      {"2001:4:112:ffff:ffff:ffff:ffff:ffff", "2001:4:112::/48"},
      {"2001:4:113::", "2001::/23"},
      {"2001:10::", "2001:10::/28"},
      {"2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:10::/28"},
      {"2001:20::", "2001:20::/28"},
      {"2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:20::/28"},
      {"2001:30::", "2001:30::/28"},
      {"2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", "2001:30::/28"},
      {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/23"},
      {"2001:200::", "-"},
      {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"2001:db8::", "2001:db8::/32"},
      {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32"},
      {"2001:db9::", "-"},
      {"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"2002::", "2002::/16"},
      {"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2002::/16"},
      {"2003::", "-"},
      {"2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"2620:4f:8000::", "2620:4f:8000::/48"},
      {"2620:4f:8000:ffff:ffff:ffff:ffff:ffff", "2620:4f:8000::/48"},
      {"2620:4f:8001::", "-"},
      {"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"3fff::", "3fff::/20"},
      {"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::/20"},
      {"3fff:1000::", "-"},
      {"5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"5f00::", "5f00::/16"},
      {"5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "5f00::/16"},
      {"5f01::", "-"},
      {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"fc00::", "fc00::/7"},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7"},
      {"fe00::", "-"},
      {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"fe80::", "fe80::/10"},
      {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10"},
      {"fec0::", "-"},
      {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "-"},
      {"ff00::", "ff00::/8"},
      {"ff02::1", "ff00::/8"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::/8"},
      // Ordinary global unicast addresses.
      {"2a00:1450:4001:80b::201a", "-"},
      {"2607:f8b0:4004:c07::1b", "-"},
  }));
  CAPTURE(row.ip);
  CHECK(block_of(row.ip) == row.prefix);
}

TEST_CASE("every block of the table is found for its own network address", "[unit]") {
  for (const auto& block : mx::net::special_blocks()) {
    const std::string prefix(block.prefix);
    const auto network = boost::asio::ip::make_address(prefix.substr(0, prefix.find('/')));
    const auto found = special_block(network);
    CAPTURE(prefix);
    REQUIRE(found.has_value());
    // A nested, more specific block may win, but never a less specific one.
    const auto length = [](std::string_view p) {
      return std::stoi(std::string(p.substr(p.find('/') + 1)));
    };
    CHECK(length(found->prefix) >= length(block.prefix));
    CHECK(!found->name.empty());
    CHECK(!found->source.empty());
  }
}

TEST_CASE("may_connect refuses special-purpose addresses unless allowed", "[unit]") {
  using boost::asio::ip::make_address;
  CHECK_FALSE(mx::net::may_connect(make_address("127.0.0.1"), false));
  CHECK(mx::net::may_connect(make_address("127.0.0.1"), true));
  CHECK_FALSE(mx::net::may_connect(make_address("::1"), false));
  CHECK_FALSE(mx::net::may_connect(make_address("10.1.2.3"), false));
  CHECK(mx::net::may_connect(make_address("64.233.184.27"), false));
  CHECK(mx::net::may_connect(make_address("2a00:1450:4001:80b::201a"), false));
}
