#pragma once
// Everything observed about one mail domain in one scan: the DNS answers and, for each address
// of each mail host, what the SMTP/STARTTLS probe saw and what the captured certificate is.
// Facts only; judge/ turns them into checks.

#include <optional>
#include <string>
#include <vector>

#include "probes/smtp/observation.hpp"
#include "probes/tls/certificate.hpp"
#include "scanner/dns/answers.hpp"

namespace mx::probes {

struct AddressObservation {
  smtp::Observation smtp;
  std::optional<tls::CertificateFacts> certificate;  // when a chain was captured
};

struct HostObservation {
  dns::MxRecord mx;  // for an implicit MX: preference 0, host = the domain
  dns::AddressAnswer a;
  dns::AddressAnswer aaaa;
  std::vector<AddressObservation> addresses;  // in the order probed: IPv4 first, then IPv6
};

struct DomainObservation {
  std::string domain;  // canonical: A-labels, lower case, no trailing dot
  dns::MxAnswer mx;
  bool implicit_mx = false;            // MX NODATA: the domain's own addresses serve (RFC 5321 5.1)
  std::vector<HostObservation> hosts;  // by preference; null MX targets excluded
};

}  // namespace mx::probes
