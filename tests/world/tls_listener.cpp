#include "tests/world/tls_listener.hpp"

#include <array>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/err.h>
#include <boost/asio/socket_base.hpp>

namespace mx::world {

std::shared_ptr<X509> share(X509* cert) {
  X509_up_ref(cert);
  return {cert, X509_free};
}

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) {
  EVP_PKEY_up_ref(key);
  return {key, EVP_PKEY_free};
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    if (!out.empty()) {
      out += "; ";
    }
    out += text.data();
  }
  return out;
}

int openssl_version(TlsVersion version) {
  switch (version) {
    case TlsVersion::tls1_0:
      return TLS1_VERSION;
    case TlsVersion::tls1_1:
      return TLS1_1_VERSION;
    case TlsVersion::tls1_2:
      return TLS1_2_VERSION;
    case TlsVersion::tls1_3:
      return TLS1_3_VERSION;
  }
  throw std::invalid_argument("unknown TLS version");
}

boost::asio::ssl::context make_server_context(TlsVersion min_version, TlsVersion max_version,
                                              std::string_view who) {
  boost::asio::ssl::context context(boost::asio::ssl::context::tls_server);
  SSL_CTX* native = context.native_handle();
  // Level 0 before anything else: at higher levels OpenSSL refuses weak keys, SHA-1 signatures
  // and TLS 1.0/1.1, which the test world serves on purpose.
  SSL_CTX_set_security_level(native, 0);
  if (SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0") != 1 ||
      SSL_CTX_set_min_proto_version(native, openssl_version(min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(native, openssl_version(max_version)) != 1) {
    throw std::runtime_error(fmt::format("{}: cannot configure TLS: {}", who, openssl_errors()));
  }
  return context;
}

void load_certificate_files(boost::asio::ssl::context& context,
                            const std::filesystem::path& chain_file,
                            const std::filesystem::path& key_file, std::string_view who) {
  SSL_CTX* native = context.native_handle();
  const auto fail = [&](std::string_view what) {
    throw std::runtime_error(
        fmt::format("{}: {} ({}): {}", who, what, chain_file.string(), openssl_errors()));
  };
  if (SSL_CTX_use_certificate_chain_file(native, chain_file.c_str()) != 1) {
    fail("cannot load the certificate chain");
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("cannot load the private key " + key_file.string());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    fail("the private key does not match the certificate");
  }
}

void use_identity(SSL* ssl, const TlsIdentity& identity) {
  STACK_OF(X509)* chain = sk_X509_new_null();
  if (chain == nullptr) {
    throw std::runtime_error("use_identity: out of memory");
  }
  for (const auto& cert : identity.chain) {
    sk_X509_push(chain, cert.get());
  }
  // The stack only borrows the certificates: SSL_use_cert_and_key takes its own references.
  const int used = SSL_use_cert_and_key(ssl, identity.leaf.get(), identity.key.get(), chain, 1);
  sk_X509_free(chain);
  if (used != 1) {
    throw std::runtime_error("use_identity: " + openssl_errors());
  }
}

void listen(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& wanted,
            bool reuse_port, std::string_view who) {
  boost::system::error_code ec;
  acceptor.open(wanted.protocol());
  // Lets a fixed port be reused while old connections linger in TIME_WAIT.
  acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true));
  if (reuse_port) {
    const int on = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec) {
    acceptor.bind(wanted, ec);
  }
  if (ec) {
    acceptor.close();
    throw boost::system::system_error(
        ec, fmt::format("{}: cannot bind {}:{}", who, wanted.address().to_string(), wanted.port()));
  }
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
}

}  // namespace mx::world
