#pragma once
// Certificate analysis over a chain captured by a probe: pure (no I/O; the trust store and the
// time are parameters). It says everything a judge needs about the leaf: whether a path to a trust
// anchor exists using only the served intermediates, the validity window, whether the name
// matches as MTA-STS (RFC 8461 §4.2 / RFC 6125) requires, and descriptive facts.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe. The X509_STORE may be shared read-only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509_vfy.h>

namespace mx::probes::tls {

using Der = std::vector<std::uint8_t>;

struct CertificateFacts {
  // Descriptive facts of the leaf.
  std::string sha256;  // hex, lower case, of the leaf's DER
  std::string subject;  // RFC 2253 one-line form
  std::string issuer;
  std::vector<std::string> san_dns;  // subjectAltName DNS entries, as written
  std::string common_name;           // subject CN, if any
  std::string not_before;            // RFC 3339 UTC
  std::string not_after;
  std::string key_type;  // "EC", "RSA", "Ed25519", ...
  int key_bits = 0;
  std::string curve;                // "prime256v1" for EC keys
  std::string signature_algorithm;  // "ecdsa-with-SHA256", "sha256WithRSAEncryption", ...
  bool self_signed = false;

  // Judgement inputs.
  bool parsed = false;    // the leaf's DER parsed at all
  bool trusted = false;   // a path to an anchor of the store, using only served intermediates
  int verify_error = 0;   // X509_V_ERR_* of the path check (0 when trusted)
  std::string verify_error_text;
  bool expired = false;        // now > not_after
  bool not_yet_valid = false;  // now < not_before
  bool name_matches = false;   // a SAN DNS-ID covers the host (wildcard: whole left-most label)
  bool cn_only_match = false;  // no SAN DNS-ID matches, but the subject CN would (RFC 6125 fallback)
};

// `chain`: DER certificates as served, leaf first. `host`: the name to check, without trailing
// dot. `trust`: the anchors (system store or --ca-file). `now`: the time to judge validity at.
[[nodiscard]] CertificateFacts analyse_chain(const std::vector<Der>& chain, std::string_view host,
                                             X509_STORE* trust,
                                             std::chrono::system_clock::time_point now);

}  // namespace mx::probes::tls
