#pragma once
// The TLS client of the probes: an SSL_CTX profile that observes rather than refuses. It offers
// TLS 1.0 to 1.3 at OpenSSL security level 0 and verifies nothing, so that a handshake completes
// with outdated or misconfigured servers and the probe can record what was negotiated and which
// chain was served; certificate analysis happens later on the captured chain
// (probes/tls/certificate.hpp). See GOTCHAS.md "SMTP dialogue": to tell "outdated TLS" from
// "handshake failed", the client itself must accept TLS 1.0 and 1.1.
//
// One TlsClient is made per shard and shared by every probe of that shard; each connection makes
// its own SSL object from the context, so the profile is reused, never consumed.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Safe once constructed (OpenSSL only reads an SSL_CTX
// while making SSL objects from it); the free functions are pure or read only their arguments.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "probes/tls/certificate.hpp"

namespace mx::probes::tls {

class TlsClient {
 public:
  // Throws std::runtime_error when OpenSSL refuses the profile (a startup error).
  TlsClient();

  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // The context to build a stream from: boost::asio::ssl::stream<...>(next_layer, context()).
  [[nodiscard]] boost::asio::ssl::context& context() noexcept { return context_; }
  [[nodiscard]] SSL_CTX* native_handle() noexcept { return context_.native_handle(); }

 private:
  boost::asio::ssl::context context_;
};

// The name to send as SNI for `host`: the host without its trailing dot, or nullopt when nothing
// may be sent (an empty name, or an IP literal, which RFC 6066 §3 forbids in SNI).
[[nodiscard]] std::optional<std::string> sni_name(std::string_view host);

// Sets SNI on a connection that has not started its handshake; does nothing when sni_name()
// gives nullopt. Returns false only when OpenSSL refuses the name (e.g. longer than 255 octets).
[[nodiscard]] bool set_sni(SSL* ssl, std::string_view host);

// What a completed handshake negotiated, read from the connection.
struct Session {
  std::string version;     // "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1"
  int version_number = 0;  // 0x0304, 0x0303, 0x0302, 0x0301
  std::string cipher;      // the IANA name, "TLS_AES_256_GCM_SHA384" (OpenSSL's when it has none)
  std::string group;       // key exchange group, "X25519", "prime256v1"; empty when none or unknown
  std::vector<std::vector<std::uint8_t>> chain;  // DER, leaf first, exactly as served
  // The handshake's parse of `chain`, for analyse_chain; whoever analyses the chain drops it
  // (it is not a fact, and holding it for a whole scan would cost memory).
  std::shared_ptr<const ParsedChain> parsed;
};

// `ssl` must have completed its handshake.
[[nodiscard]] Session read_session(SSL* ssl);

// A sentence saying why a handshake failed, for the record: OpenSSL's reason ("unsupported
// protocol", "sslv3 alert handshake failure", "wrong version number") for errors of OpenSSL,
// "the peer closed the connection during the handshake" when it hung up, the message otherwise.
[[nodiscard]] std::string handshake_failure_text(const boost::system::error_code& ec);

}  // namespace mx::probes::tls
