#pragma once
// The judged form of a domain (CONTRACT.md domain object): statuses and checks at domain, MX host
// and address level, plus the facts a report shows beside them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "judge/status.hpp"
#include "probes/tls/certificate.hpp"

namespace mx::judge {

struct AddressResult {
  boost::asio::ip::address ip;
  Status status = Status::pass;
  std::vector<Check> checks;  // address, connect, smtp, starttls, tls, certificate
  std::string tls_version;    // empty when no handshake completed
  std::string tls_cipher;
  std::optional<probes::tls::CertificateFacts> certificate;
};

struct HostResult {
  std::string host;
  std::uint16_t preference = 0;
  Status status = Status::pass;
  // `address` from DNS, then for each address-level check its worst result over the addresses.
  std::vector<Check> checks;
  std::vector<AddressResult> addresses;
};

struct DomainResult {
  std::string domain;
  Status status = Status::pass;
  std::vector<Check> checks;  // domain level: mx, ...
  std::vector<HostResult> mx;
};

}  // namespace mx::judge
