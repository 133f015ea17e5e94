#pragma once
// Everything observed about one mail domain in one scan: the DNS answers, the MTA-STS and TLSRPT
// records and the MTA-STS policy fetch, and for each mail host its TLSA answer and, for each of
// its addresses, what the SMTP/STARTTLS probe saw and what the captured certificate is.
// Facts only; judge/ turns them into checks.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "probes/mta_sts/fetch.hpp"
#include "probes/smtp/observation.hpp"
#include "probes/tls/certificate.hpp"
#include "scanner/dns/answers.hpp"
#include "scanner/targets/exclude_list.hpp"

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
  // TLSA at _25._tcp.<host> (RFC 7672 §2.2: port 25, whatever port was probed), asked with AD.
  dns::TlsaAnswer tlsa;
  // The host name is on the operator's exclude list: nothing above was asked or probed.
  std::optional<targets::ExcludeEntry> excluded;
};

struct DomainObservation {
  std::string domain;  // canonical: A-labels, lower case, no trailing dot
  // The domain is on the operator's exclude list: nothing below was asked or probed.
  std::optional<targets::ExcludeEntry> excluded;
  dns::MxAnswer mx;
  bool implicit_mx = false;            // MX NODATA: the domain's own addresses serve (RFC 5321 5.1)
  std::vector<HostObservation> hosts;  // by preference; null MX targets excluded
  // When the observation started: the time certificates' dates are judged at by DANE.
  std::chrono::system_clock::time_point observed_at;
  dns::TxtAnswer mta_sts_txt;  // _mta-sts.<domain>
  dns::TxtAnswer tlsrpt_txt;   // _smtp._tls.<domain>
  // The policy fetch, made only when mta_sts_txt yields exactly one valid record.
  std::optional<mta_sts::PolicyFetch> policy_fetch;
};

}  // namespace mx::probes
