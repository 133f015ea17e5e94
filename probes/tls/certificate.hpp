#pragma once
// Certificate analysis over a chain captured by a probe: pure (no I/O; the trust store and the
// time are parameters). It says everything a judge needs about the leaf: whether a path to a trust
// anchor exists using only the served intermediates, the validity window, whether the name
// matches as MTA-STS (RFC 8461 §4.2 / RFC 6125) requires, and descriptive facts.
//
// Trust and time are judged apart, so that one finding does not hide another: `trusted` ignores
// validity windows, which `expired`, `not_yet_valid` and `chain_expired` report. Key sizes and
// signature digests are facts, never trust failures (security level 0).
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe. The X509_STORE may be shared read-only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace mx::probes::tls {

using Der = std::vector<std::uint8_t>;

// Bounds on hostile input. A certificate larger than OpenSSL's default limit for a whole served
// chain (SSL_MAX_CERT_LIST_DEFAULT) is not parsed; served certificates past the first
// `max_chain_length` are ignored.
inline constexpr std::size_t max_der_size = 100 * 1024;
inline constexpr std::size_t max_chain_length = 32;

struct CertificateFacts {
  // Descriptive facts of the leaf.
  std::string sha256;   // hex, lower case, of the leaf's DER (even when it does not parse)
  std::string subject;  // RFC 2253 one-line form
  std::string issuer;
  std::vector<std::string> san_dns;  // subjectAltName DNS entries, as written (raw bytes)
  std::string common_name;           // subject CN (the last one, the most specific), UTF-8
  std::string not_before;            // RFC 3339 UTC: "2026-11-28T13:00:00Z"
  std::string not_after;
  std::string key_type;  // OpenSSL's key type name: "EC", "RSA", "ED25519", ...
  int key_bits = 0;
  std::string curve;                // "prime256v1" for EC keys
  std::string signature_algorithm;  // "ecdsa-with-SHA256", "sha256WithRSAEncryption", ...
  bool self_signed = false;         // issued by itself, signature verified with its own key

  // Judgement inputs.
  bool parsed = false;   // the leaf's DER parsed at all
  bool trusted = false;  // a path to an anchor of the store, using only served intermediates
  int verify_error = 0;  // first X509_V_ERR_* of the path check (0 when trusted or not parsed)
  std::string verify_error_text;  // OpenSSL's text for verify_error; empty when 0
  bool expired = false;           // now >= not_after (OpenSSL's comparison)
  bool not_yet_valid = false;     // now < not_before
  bool chain_expired = false;     // an intermediate or the anchor of the path is expired or not yet
                                  // valid at `now`
  bool name_matches = false;      // a SAN DNS-ID covers the host (wildcard: whole left-most label)
  bool cn_only_match = false;     // the leaf has no SAN DNS-ID and its subject CN matches the host
                                  // by the same rules (the RFC 6125 §6.4.4 fallback)
};

// The name to give X509_check_host for `host`, without one trailing dot; nothing when it can
// match no certificate: empty, an IP literal, a leading dot (OpenSSL would match subdomains of any
// depth) or a '*' (wildcards belong to presented names only, RFC 6125 §6.4.3).
[[nodiscard]] std::optional<std::string_view> reference_name(std::string_view host);

// A served chain as the TLS handshake parsed it, leaf first, at most max_chain_length
// certificates, each up-referenced. Analysing it spares parsing the DER a second time, the
// costliest step of an analysis: OpenSSL 3.0 decodes every public key through its decoder
// framework (about 0.25 ms a certificate on the benchmark machine).
class ParsedChain {
 public:
  explicit ParsedChain(STACK_OF(X509) * served);  // nullptr: an empty chain
  ~ParsedChain();
  ParsedChain(const ParsedChain&) = delete;
  ParsedChain& operator=(const ParsedChain&) = delete;

  [[nodiscard]] const std::vector<X509*>& certificates() const noexcept { return certificates_; }

 private:
  std::vector<X509*> certificates_;
};

// `chain`: DER certificates as served, leaf first. `host`: the name to check; one trailing dot is
// ignored, case does not matter, and an IP literal, a name with a leading dot or with a '*' never
// matches.
// `trust`: the anchors (system store or --ca-file); nullptr means no anchor at all. `now`: the
// time to judge validity at. Leaves OpenSSL's error queue of the calling thread as it found it.
// `parsed`, when given, is the handshake's parse of `chain` (read_session gives both); it is
// used when it holds as many certificates as the analysis considers, and `chain` is parsed
// otherwise. The facts are the same either way.
[[nodiscard]] CertificateFacts analyse_chain(const std::vector<Der>& chain, std::string_view host,
                                             X509_STORE* trust,
                                             std::chrono::system_clock::time_point now,
                                             const ParsedChain* parsed = nullptr);

}  // namespace mx::probes::tls
