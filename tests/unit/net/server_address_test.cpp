#include <catch2/catch.hpp>

#include "scanner/net/server_address.hpp"

using mx::net::parse_server_address;

TEST_CASE("resolver addresses: IPv4 and IPv6 with or without a port", "[unit]") {
  struct Row {
    const char* text;
    const char* expected;
  };
  const auto row = GENERATE(values<Row>({
      {"192.0.2.1", "192.0.2.1:53"},
      {"192.0.2.1:5353", "192.0.2.1:5353"},
      {"127.0.0.53", "127.0.0.53:53"},
      {"::1", "[::1]:53"},
      {"[::1]", "[::1]:53"},
      {"[::1]:5353", "[::1]:5353"},
      {"2001:db8::1", "[2001:db8::1]:53"},
      {"[2001:db8::1]:65535", "[2001:db8::1]:65535"},
  }));
  CAPTURE(row.text);
  const auto parsed = parse_server_address(row.text);
  REQUIRE(parsed.has_value());
  CHECK(parsed->to_string() == row.expected);
}

TEST_CASE("resolver addresses: rejects what is not IP[:PORT]", "[unit]") {
  const auto text =
      GENERATE(as<std::string>{}, "", "dns.example", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536",
               "192.0.2.1:53x", "192.0.2.256", "[192.0.2.1]:53", "[::1", "[::1]53",
               "[::1]:", "2001:db8::1:53:", ":53", "1.2.3", "192.0.2.1:-1", "[]:53");
  CAPTURE(text);
  CHECK_FALSE(parse_server_address(text).has_value());
}
