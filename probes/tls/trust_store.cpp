#include "probes/tls/trust_store.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace mx::probes::tls {

TrustStore TrustStore::system() {
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr || X509_STORE_set_default_paths(store) != 1) {
    X509_STORE_free(store);
    throw std::runtime_error("cannot load the system trust store");
  }
  return TrustStore(store);
}

TrustStore TrustStore::from_file(const std::filesystem::path& pem) {
  struct FileClose {
    void operator()(BIO* b) const { BIO_free(b); }
  };
  std::unique_ptr<BIO, FileClose> bio(BIO_new_file(pem.c_str(), "r"));
  if (!bio) {
    throw std::runtime_error(fmt::format("cannot read CA file {}", pem.string()));
  }
  TrustStore trust(X509_STORE_new());
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(trust.store(), cert);
    X509_free(cert);
    ++count;
  }
  ERR_clear_error();  // the loop ends on "no start line" at the end of the file
  if (count == 0) {
    throw std::runtime_error(fmt::format("CA file {} holds no PEM certificate", pem.string()));
  }
  return trust;
}

}  // namespace mx::probes::tls
