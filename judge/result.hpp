#pragma once
// The judged form of a domain (CONTRACT.md domain object): statuses and checks at domain, MX host
// and address level, plus the facts a report shows beside them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "judge/list_rules.hpp"
#include "judge/status.hpp"
#include "probes/tls/certificate.hpp"

namespace mx::judge {

struct AddressResult {
  boost::asio::ip::address ip;
  Status status = Status::pass;
  std::vector<Check> checks;  // address, connect, smtp, starttls, tls, certificate, dane
  std::string tls_version;    // empty when no handshake completed
  std::string tls_cipher;
  std::optional<probes::tls::CertificateFacts> certificate;
};

struct HostResult {
  std::string host;
  std::uint16_t preference = 0;
  Status status = Status::pass;
  // `address` from DNS, then for each address-level check its worst result over the addresses,
  // then `policy.mx-pattern` when the domain was judged against a list entry.
  std::vector<Check> checks;
  std::vector<AddressResult> addresses;
};

// The selected MTA-STS record and, when its body parsed, the policy (CONTRACT.md `mta_sts`).
struct MtaStsPolicyFacts {
  std::string mode;  // "enforce", "testing" or "none"
  std::uint32_t max_age = 0;
  std::vector<std::string> mx;
};

struct MtaStsFacts {
  std::string record;  // as published
  std::string id;
  std::optional<MtaStsPolicyFacts> policy;  // whenever a fetched body parsed, whatever its HTTP
};

// The selected TLSRPT record (CONTRACT.md `tlsrpt`).
struct TlsrptFacts {
  std::string record;  // as published
  std::vector<std::string> rua;
};

struct DomainResult {
  std::string domain;
  Status status = Status::pass;
  // domain level: mx, then (when mx is pass or warn) mta-sts.record, mta-sts.policy,
  // mta-sts.mx-match, tlsrpt.record
  std::vector<Check> checks;
  std::vector<HostResult> mx;
  std::optional<MtaStsFacts> mta_sts;  // when exactly one valid record was published
  std::optional<TlsrptFacts> tlsrpt;   // likewise
  std::optional<ListPolicy> policy;    // the list entry judged against (validate, triage, check)
};

}  // namespace mx::judge
