#pragma once
// DANE for SMTP (RFC 7672) over a chain captured by a probe: which TLSA records are usable and
// which of them match the served certificates. Pure: no I/O, the time is a parameter, and the
// DNSSEC status of the answer is the judge's business (it comes with the records, in AnswerMeta).
//
// What a record must satisfy to count (RFC 7672 §3.1, RFC 7671 §5):
//  1. It is usable: usage DANE-TA(2) or DANE-EE(3) (PKIX-TA(0) and PKIX-EE(1) are unusable for
//     SMTP, §3.1.3), selector Cert(0) or SPKI(1), matching type Full(0), SHA2-256(1) or
//     SHA2-512(2), and data of the length the matching type implies (32 octets for SHA2-256, 64
//     for SHA2-512, at least one for Full; RFC 6698 §2.1).
//  2. DANE-EE(3): its data matches the leaf. Nothing else: names and validity dates are not
//     checked (§3.1.1).
//  3. DANE-TA(2): its data matches a served certificate above the leaf, or (selector 1, matching
//     type 0 only) it is the public key that signed a served certificate, which lets a server omit
//     the trust anchor certificate (§3.1.2). Then the leaf must chain to that anchor through the
//     served certificates, a subjectAltName DNS-ID of the leaf must match a reference identifier
//     (the MX host name or the TLSA base domain, §3.2.2-3.2.3; a wildcard only as the whole
//     left-most label, for one label), and the certificates of the path must be within their
//     validity at `now` (§3.1.2).
//
// Certificates that do not parse match nothing. Digest algorithm agility (RFC 7671 §9: ignoring
// weaker digests of a usage and selector when a stronger one is published) is not applied: any
// usable record that matches counts.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe. Leaves OpenSSL's error queue of the calling
// thread as it found it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/tls/certificate.hpp"
#include "scanner/dns/answers.hpp"

namespace mx::probes::dane {

using tls::Der;

// What became of one TLSA record.
enum class RecordStatus : std::uint8_t {
  unusable,      // ignored (rule 1); `reason` says why
  no_match,      // usable, but its data matches nothing it may match
  rules_failed,  // DANE-TA: its anchor was found, but the path, the leaf name or the dates fail
  matched,       // matched with every rule of its usage satisfied
};

[[nodiscard]] std::string_view to_string(RecordStatus status);

struct RecordMatch {
  RecordStatus status = RecordStatus::unusable;
  // The served certificate (index into the chain, 0 = the leaf) the record's data matched, or for
  // a bare trust-anchor key (`bare_key`), the served certificate the key signed. For
  // `rules_failed`, the anchor of the last attempt. Empty for `unusable` and `no_match`.
  std::optional<std::size_t> element;
  bool bare_key = false;  // DANE-TA 2 1 0 whose key is served nowhere but signed `element`
  // DANE-TA only, for the anchor in `element`; all false otherwise.
  bool path_valid = false;    // the leaf chains to the anchor (signatures, CA constraints)
  bool name_matches = false;  // a leaf DNS-ID matches the MX host name or the TLSA base domain
  bool dates_valid = false;   // every certificate of the path is within its validity at `now`
  std::string reason;         // for people: "usage 1 (PKIX-EE) unusable for SMTP", ...
};

struct TlsaMatch {
  bool matched = false;            // some record has status `matched`
  std::size_t usable_records = 0;  // records that are not `unusable`
  // Records were given and none is usable: DANE authenticates nothing for this host (RFC 7672
  // §2.2: TLS is still expected, unauthenticated). An empty record set is not `all_unusable`.
  bool all_unusable = false;
  std::vector<RecordMatch> records;  // one per input record, same order
};

// `records`: the TLSA RRset of the MX host. `chain`: DER certificates as served, leaf first;
// only the first tls::max_chain_length are considered. `mx_host`: the MX host name.
// `tlsa_base_domain`: the name the TLSA records were found at once CNAMEs are followed, when it
// differs from `mx_host` (empty otherwise). One trailing dot is ignored and case does not matter
// in both names; an IP literal, an empty name, a leading dot or a '*' match no certificate.
// `now`: the time DANE-TA validity is judged at.
[[nodiscard]] TlsaMatch match_tlsa(const std::vector<dns::TlsaRecord>& records,
                                   const std::vector<Der>& chain, std::string_view mx_host,
                                   std::string_view tlsa_base_domain,
                                   std::chrono::system_clock::time_point now);

// A TLSA record's certificate association data for `cert_der` (RFC 6698 §2.1.2-2.1.3): the whole
// DER certificate (selector 0) or its DER SubjectPublicKeyInfo (selector 1), as is (matching
// type 0) or its SHA2-256 (1) or SHA2-512 (2) digest. Empty when the selector or the matching
// type is not one of these, or `cert_der` is not exactly one certificate.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> association_data(const Der& cert_der,
                                                                        std::uint8_t selector,
                                                                        std::uint8_t matching_type);

}  // namespace mx::probes::dane
