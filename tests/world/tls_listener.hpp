#pragma once
// TLS plumbing shared by the test world's servers (SmtpServer, HttpsServer): OpenSSL's error
// queue as text, protocol versions, listening sockets, and certificates held in memory. A
// simulated world with more hosts than it could keep certificate files for serves each host an
// identity made when the host is first reached, on a context shared by every host.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace mx::world {

enum class TlsVersion { tls1_0, tls1_1, tls1_2, tls1_3 };

// A certificate chain (leaf first) and its private key, in memory. Copies share the objects.
struct TlsIdentity {
  std::shared_ptr<X509> leaf;
  std::vector<std::shared_ptr<X509>> chain;  // served above the leaf (e.g. the intermediate)
  std::shared_ptr<EVP_PKEY> key;
};

// Shared owners of OpenSSL objects that the caller keeps too (their reference count goes up).
[[nodiscard]] std::shared_ptr<X509> share(X509* cert);
[[nodiscard]] std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key);

// OpenSSL's error queue, emptied, as "error; error; ...".
[[nodiscard]] std::string openssl_errors();
[[nodiscard]] int openssl_version(TlsVersion version);

// A server context at security level 0 with "DEFAULT:@SECLEVEL=0" ciphers (TLS 1.0/1.1, SHA-1
// and weak keys work, as the world serves them on purpose) and the given versions, without a
// certificate: each connection gets one with use_identity. `who` names the server in errors
// (std::runtime_error).
[[nodiscard]] boost::asio::ssl::context make_server_context(TlsVersion min_version,
                                                            TlsVersion max_version,
                                                            std::string_view who);

// Loads a PEM certificate chain and its private key into `context` (made by
// make_server_context) and checks that they match. `who` names the server in errors
// (std::runtime_error).
void load_certificate_files(boost::asio::ssl::context& context,
                            const std::filesystem::path& chain_file,
                            const std::filesystem::path& key_file, std::string_view who);

// The server contexts of a many-host listener, one per version range, made on first use and
// shared by every host with that range. References stay valid for the object's life.
class ServerContexts {
 public:
  explicit ServerContexts(std::string who) : who_(std::move(who)) {}

  [[nodiscard]] boost::asio::ssl::context& get(TlsVersion min_version, TlsVersion max_version) {
    const auto versions = std::make_pair(min_version, max_version);
    auto found = contexts_.find(versions);
    if (found == contexts_.end()) {
      found =
          contexts_.emplace(versions, make_server_context(min_version, max_version, who_)).first;
    }
    return found->second;
  }

 private:
  std::string who_;
  std::map<std::pair<TlsVersion, TlsVersion>, boost::asio::ssl::context> contexts_;
};

// Puts the identity on one connection, before its handshake. Throws std::runtime_error.
void use_identity(SSL* ssl, const TlsIdentity& identity);

// Opens, binds and listens. reuse_port lets several listeners (one per thread) share a port and
// the kernel spread connections over them. Throws boost::system::system_error naming `who`.
void listen(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& wanted,
            bool reuse_port, std::string_view who);

}  // namespace mx::world
