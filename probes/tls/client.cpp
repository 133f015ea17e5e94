#include "probes/tls/client.hpp"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

namespace mx::probes::tls {

namespace {

[[noreturn]] void throw_openssl(const char* what) {
  const unsigned long code = ERR_get_error();
  std::string message = what;
  if (code != 0) {
    message += ": ";
    message += ERR_reason_error_string(code) != nullptr ? ERR_reason_error_string(code) : "unknown";
  }
  ERR_clear_error();
  throw std::runtime_error(message);
}

boost::asio::ssl::context make_observing_context() {
  boost::asio::ssl::context context(boost::asio::ssl::context::tls_client);
  SSL_CTX* ctx = context.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    throw_openssl("cannot offer TLS 1.0 to 1.3");
  }
  // Level 0 lets TLS 1.0/1.1 (MD5+SHA-1 signatures), small keys and SHA-1 chains through, so the
  // handshake records them instead of failing on them.
  if (SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1) {
    throw_openssl("cannot set the cipher list");
  }
  // OpenSSL 3 refuses servers without RFC 5746 secure renegotiation by default; a sending MTA
  // that falls back to plaintext on that is exactly what we must be able to observe.
  SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // libssl verifies the served chain even under SSL_VERIFY_NONE, only to store a result we never
  // read: analyse_chain verifies it against the scan's anchors, with the MX host name.
  SSL_CTX_set_cert_verify_callback(
      ctx, [](X509_STORE_CTX* /*unused*/, void* /*unused*/) { return 1; }, nullptr);
  return context;
}

std::vector<std::uint8_t> to_der(X509* cert) {
  const int size = i2d_X509(cert, nullptr);
  if (size <= 0) {
    return {};
  }
  std::vector<std::uint8_t> der(static_cast<std::size_t>(size));
  unsigned char* cursor = der.data();
  if (i2d_X509(cert, &cursor) != size) {
    return {};
  }
  return der;
}

std::string group_name(SSL* ssl) {
  const int nid = SSL_get_negotiated_group(ssl);
  if (nid == 0 || nid == NID_undef) {
    return {};
  }
  // Groups OpenSSL knows by NID have a stable short name ("X25519", "prime256v1", "ffdhe2048");
  // others (provider groups, TLSEXT_nid_unknown | id) only have their TLS name.
  if ((nid & TLSEXT_nid_unknown) == 0) {
    if (const char* name = OBJ_nid2sn(nid); name != nullptr) {
      return name;
    }
  }
  const char* name = SSL_group_to_name(ssl, nid);
  return name != nullptr ? std::string(name) : std::string();
}

}  // namespace

TlsClient::TlsClient() : context_(make_observing_context()) {}

std::optional<std::string> sni_name(std::string_view host) {
  if (host.ends_with('.')) {
    host.remove_suffix(1);
  }
  if (host.empty()) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  static_cast<void>(boost::asio::ip::make_address(host, ec));
  if (!ec) {
    return std::nullopt;
  }
  return std::string(host);
}

bool set_sni(SSL* ssl, std::string_view host) {
  const std::optional<std::string> name = sni_name(host);
  if (!name) {
    return true;
  }
  return SSL_set_tlsext_host_name(ssl, name->c_str()) == 1;
}

Session read_session(SSL* ssl) {
  Session session;
  session.version = SSL_get_version(ssl);
  session.version_number = SSL_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl); cipher != nullptr) {
    const char* standard = SSL_CIPHER_standard_name(cipher);
    session.cipher = standard != nullptr ? standard : SSL_CIPHER_get_name(cipher);
  }
  session.group = group_name(ssl);
  // On the client side the peer's chain includes its leaf, in the order it was served.
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl); chain != nullptr) {
    const int count = sk_X509_num(chain);
    session.chain.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      session.chain.push_back(to_der(sk_X509_value(chain, i)));
    }
    session.parsed = std::make_shared<const ParsedChain>(chain);
  }
  return session;
}

std::string handshake_failure_text(const boost::system::error_code& ec) {
  if (ec == boost::asio::ssl::error::stream_truncated || ec == boost::asio::error::eof) {
    return "the peer closed the connection during the handshake";
  }
  // The reason strings come from OpenSSL's tables, loaded once per process (idempotent): without
  // them the message is only "asio.ssl error".
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  return ec.message();
}

}  // namespace mx::probes::tls
