#include "scanner/net/socket_error.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>

namespace mx::net {

namespace asio = boost::asio;

SocketFailure socket_failure(const boost::system::error_code& ec) {
  if (ec == boost::beast::error::timeout || ec == asio::error::timed_out) {
    return SocketFailure::timeout;
  }
  if (ec == asio::error::connection_refused) {
    return SocketFailure::refused;
  }
  if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable ||
      ec == asio::error::network_down || ec == asio::error::address_family_not_supported ||
      ec == boost::system::errc::address_not_available) {
    return SocketFailure::unreachable;
  }
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
      ec == asio::ssl::error::stream_truncated) {
    return SocketFailure::closed;
  }
  return SocketFailure::other;
}

}  // namespace mx::net
