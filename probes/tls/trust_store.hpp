#pragma once
// The trust anchors certificates are judged against: the system store by default, or the
// certificates of one PEM file (--ca-file), for SMTP and MTA-STS alike.
//
// @par Thread Safety
// Shared read-only use of store() from several threads is safe once constructed.

#include <filesystem>
#include <memory>

#include <openssl/x509_vfy.h>

namespace mx::probes::tls {

class TrustStore {
 public:
  // The system's default store (OpenSSL's default paths: /etc/ssl/certs on Debian).
  static TrustStore system();
  // Only the certificates in `pem`. Throws std::runtime_error naming the file when it cannot be
  // read or holds no certificate (a usage error for the CLI).
  static TrustStore from_file(const std::filesystem::path& pem);

  [[nodiscard]] X509_STORE* store() const noexcept { return store_.get(); }

 private:
  struct Free {
    void operator()(X509_STORE* s) const { X509_STORE_free(s); }
  };
  explicit TrustStore(X509_STORE* store) : store_(store) {}
  std::unique_ptr<X509_STORE, Free> store_;
};

}  // namespace mx::probes::tls
