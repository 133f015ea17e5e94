#pragma once
// "IP[:PORT]" as given to --resolver: IPv4 (192.0.2.1, 192.0.2.1:5353) or IPv6 (2001:db8::1,
// [2001:db8::1], [2001:db8::1]:5353). Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace mx::net {

struct ServerAddress {
  boost::asio::ip::address ip;
  std::uint16_t port = 53;
  // "192.0.2.1:53" or "[2001:db8::1]:53"
  [[nodiscard]] std::string to_string() const;
  bool operator==(const ServerAddress&) const = default;
};

// nullopt when `text` is not IP[:PORT] with a port in 1..65535.
[[nodiscard]] std::optional<ServerAddress> parse_server_address(std::string_view text,
                                                                std::uint16_t default_port = 53);

}  // namespace mx::net
