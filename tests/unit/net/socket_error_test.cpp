// Which socket errors say what about the peer: the classes both the SMTP probe and the HTTPS
// client turn into their endings.
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <catch2/catch.hpp>

#include "scanner/net/socket_error.hpp"

namespace {

namespace asio = boost::asio;
using mx::net::socket_failure;
using mx::net::SocketFailure;

}  // namespace

TEST_CASE("socket_failure: each error in its class, the unknown in `other`", "[unit]") {
  CHECK(socket_failure(boost::beast::error::timeout) == SocketFailure::timeout);
  CHECK(socket_failure(asio::error::timed_out) == SocketFailure::timeout);
  CHECK(socket_failure(asio::error::connection_refused) == SocketFailure::refused);
  CHECK(socket_failure(asio::error::network_unreachable) == SocketFailure::unreachable);
  CHECK(socket_failure(asio::error::host_unreachable) == SocketFailure::unreachable);
  CHECK(socket_failure(asio::error::network_down) == SocketFailure::unreachable);
  CHECK(socket_failure(asio::error::address_family_not_supported) == SocketFailure::unreachable);
  CHECK(socket_failure(make_error_code(boost::system::errc::address_not_available)) ==
        SocketFailure::unreachable);
  CHECK(socket_failure(asio::error::eof) == SocketFailure::closed);
  CHECK(socket_failure(asio::error::connection_reset) == SocketFailure::closed);
  CHECK(socket_failure(asio::error::connection_aborted) == SocketFailure::closed);
  CHECK(socket_failure(asio::error::broken_pipe) == SocketFailure::closed);
  CHECK(socket_failure(asio::ssl::error::stream_truncated) == SocketFailure::closed);
  CHECK(socket_failure(asio::error::operation_aborted) == SocketFailure::other);
  CHECK(socket_failure(asio::error::no_buffer_space) == SocketFailure::other);
}

namespace {

enum class ProbeEnding { timeout, refused, unreachable, closed, io_error };

}  // namespace

TEST_CASE("ending_of: a probe's own ending for each class, none for `other`", "[unit]") {
  using mx::net::ending_of;
  CHECK(ending_of<ProbeEnding>(SocketFailure::timeout) == ProbeEnding::timeout);
  CHECK(ending_of<ProbeEnding>(SocketFailure::refused) == ProbeEnding::refused);
  CHECK(ending_of<ProbeEnding>(SocketFailure::unreachable) == ProbeEnding::unreachable);
  CHECK(ending_of<ProbeEnding>(SocketFailure::closed) == ProbeEnding::closed);
  CHECK_FALSE(ending_of<ProbeEnding>(SocketFailure::other).has_value());
}
