#pragma once
// What a failed socket operation says about the peer, for every probe that talks to one (the SMTP
// probe and the HTTPS client each map it to their own endings). Pure.

#include <cstdint>
#include <optional>

#include <boost/system/error_code.hpp>

namespace mx::net {

enum class SocketFailure : std::uint8_t {
  timeout,      // a deadline passed (ours, or the kernel's)
  refused,      // connection refused (RST to the SYN)
  unreachable,  // no route, network down, or an address this host cannot use
  closed,       // the peer ended the connection: EOF, reset, a TLS stream cut short
  other,        // anything else: the error's message says what
};

[[nodiscard]] SocketFailure socket_failure(const boost::system::error_code& ec);

// The member of a probe's own Ending enum (one with timeout, refused, unreachable and closed) that
// `failure` is; nullopt for `other`, which each probe tells apart further.
template <typename Ending>
[[nodiscard]] std::optional<Ending> ending_of(SocketFailure failure) {
  switch (failure) {
    case SocketFailure::timeout:
      return Ending::timeout;
    case SocketFailure::refused:
      return Ending::refused;
    case SocketFailure::unreachable:
      return Ending::unreachable;
    case SocketFailure::closed:
      return Ending::closed;
    case SocketFailure::other:
      break;
  }
  return std::nullopt;
}

}  // namespace mx::net
