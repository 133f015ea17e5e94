#include "scanner/net/server_address.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace mx::net {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::optional<boost::asio::ip::address> parse_ip(std::string_view text) {
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return std::nullopt;
  }
  return ip;
}

}  // namespace

std::string ServerAddress::to_string() const {
  if (ip.is_v6()) {
    return fmt::format("[{}]:{}", ip.to_string(), port);
  }
  return fmt::format("{}:{}", ip.to_string(), port);
}

std::optional<ServerAddress> parse_server_address(std::string_view text,
                                                  std::uint16_t default_port) {
  if (text.starts_with('[')) {
    // "[v6]" or "[v6]:port"
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const auto ip = parse_ip(text.substr(1, close - 1));
    if (!ip || !ip->is_v6()) {
      return std::nullopt;
    }
    const auto rest = text.substr(close + 1);
    if (rest.empty()) {
      return ServerAddress{*ip, default_port};
    }
    if (!rest.starts_with(':')) {
      return std::nullopt;
    }
    const auto port = parse_port(rest.substr(1));
    if (!port) {
      return std::nullopt;
    }
    return ServerAddress{*ip, *port};
  }
  const auto colons = std::count(text.begin(), text.end(), ':');
  if (colons == 1) {
    // "v4:port": a bare IPv6 address has at least two colons.
    const auto colon = text.find(':');
    const auto ip = parse_ip(text.substr(0, colon));
    const auto port = parse_port(text.substr(colon + 1));
    if (!ip || !ip->is_v4() || !port) {
      return std::nullopt;
    }
    return ServerAddress{*ip, *port};
  }
  const auto ip = parse_ip(text);
  if (!ip) {
    return std::nullopt;
  }
  return ServerAddress{*ip, default_port};
}

}  // namespace mx::net
