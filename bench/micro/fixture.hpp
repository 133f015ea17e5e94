#pragma once
// What the micro-benchmarks share: a test PKI with one leaf for the example domain's MX and
// MTA-STS hosts, its served chain and trust store, and a typical observation of a well-run domain.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <openssl/x509_vfy.h>

#include "probes/domain_observation.hpp"
#include "probes/tls/certificate.hpp"
#include "probes/tls/trust_store.hpp"
#include "tests/world/pki.hpp"

namespace mx::bench {

class Fixture {
 public:
  Fixture();
  ~Fixture();  // removes the PKI's directory
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  // Leaf (ECDSA P-256, SAN mx1/mx2/mta-sts.example.test) then the intermediate, as served.
  [[nodiscard]] const std::vector<probes::tls::Der>& chain() const { return chain_; }
  [[nodiscard]] X509_STORE* trust() const { return trust_.store(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<world::Pki> pki_;
  std::vector<probes::tls::Der> chain_;
  probes::tls::TrustStore trust_;  // the root, loaded as --ca-file is
};

// Made once, on first use.
[[nodiscard]] const Fixture& fixture();

// example.test as a well-run domain looks: two MX hosts with one IPv4 address each, STARTTLS and
// TLS 1.3 with a trusted, matching certificate, an enforce MTA-STS policy fetched and parsed, a
// TLSRPT record, no TLSA. `domain` names the domain object (the hosts keep their names).
[[nodiscard]] probes::DomainObservation typical_observation(const std::string& domain);

}  // namespace mx::bench
