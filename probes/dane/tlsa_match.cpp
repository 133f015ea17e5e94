#include "probes/dane/tlsa_match.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

namespace mx::probes::dane {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct CertStackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

using CertPtr = std::unique_ptr<X509, X509Free>;
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Hostile certificates and keys make OpenSSL queue errors that are facts about them, not failures
// of the caller's next SSL call on this thread.
class ErrorQueueMark {
 public:
  ErrorQueueMark() { ERR_set_mark(); }
  ~ErrorQueueMark() { ERR_pop_to_mark(); }
  ErrorQueueMark(const ErrorQueueMark&) = delete;
  ErrorQueueMark& operator=(const ErrorQueueMark&) = delete;
};

// RFC 6698 §2.1 and RFC 7218 acronyms.
constexpr std::uint8_t usage_pkix_ta = 0;
constexpr std::uint8_t usage_pkix_ee = 1;
constexpr std::uint8_t usage_dane_ta = 2;
constexpr std::uint8_t usage_dane_ee = 3;
constexpr std::uint8_t selector_cert = 0;
constexpr std::uint8_t selector_spki = 1;
constexpr std::uint8_t matching_full = 0;
constexpr std::uint8_t matching_sha256 = 1;
constexpr std::uint8_t matching_sha512 = 2;

CertPtr parse(const Der& der) {
  if (der.empty() || der.size() > tls::max_der_size) {
    return nullptr;
  }
  const unsigned char* cursor = der.data();
  CertPtr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  // One certificate exactly, as a TLS stack takes it.
  if (cert && cursor != der.data() + der.size()) {
    return nullptr;
  }
  return cert;
}

std::optional<Der> spki_der(X509* cert) {
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), nullptr);
  if (length <= 0) {
    return std::nullopt;
  }
  Der der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &cursor) != length) {
    return std::nullopt;
  }
  return der;
}

std::optional<Der> digest(Der bytes, std::uint8_t matching_type) {
  const EVP_MD* md = nullptr;
  switch (matching_type) {
    case matching_full:
      return bytes;
    case matching_sha256:
      md = EVP_sha256();
      break;
    case matching_sha512:
      md = EVP_sha512();
      break;
    default:
      return std::nullopt;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &length, md, nullptr) != 1) {
    return std::nullopt;
  }
  return Der(out.begin(), out.begin() + length);
}

// `der` is `cert` as served: selector 0 takes those bytes, not a re-encoding.
std::optional<Der> association(X509* cert, const Der& der, std::uint8_t selector,
                               std::uint8_t matching_type) {
  switch (selector) {
    case selector_cert:
      return digest(der, matching_type);
    case selector_spki: {
      std::optional<Der> spki = spki_der(cert);
      if (!spki) {
        return std::nullopt;
      }
      return digest(std::move(*spki), matching_type);
    }
    default:
      return std::nullopt;
  }
}

// The served certificates, parsed once, with each one's association data computed once per
// selector and matching type that some record asks for.
class ServedChain {
 public:
  explicit ServedChain(const std::vector<Der>& chain)
      : der_(chain.begin(), chain.begin() + static_cast<std::ptrdiff_t>(
                                                std::min(chain.size(), tls::max_chain_length))) {
    certs_.reserve(der_.size());
    for (const Der& der : der_) {
      certs_.push_back(parse(der));
    }
  }

  [[nodiscard]] std::size_t size() const { return certs_.size(); }
  [[nodiscard]] X509* cert(std::size_t index) const { return certs_[index].get(); }
  [[nodiscard]] X509* leaf() const { return certs_.empty() ? nullptr : certs_.front().get(); }

  // Whether served certificate `index` has `data` as its association data.
  bool matches(std::size_t index, std::uint8_t selector, std::uint8_t matching_type,
               const std::vector<std::uint8_t>& data) {
    auto [entry, added] = associations_.try_emplace({selector, matching_type});
    if (added) {
      entry->second.reserve(size());
      for (std::size_t i = 0; i < size(); ++i) {
        entry->second.push_back(certs_[i]
                                    ? association(certs_[i].get(), der_[i], selector, matching_type)
                                    : std::nullopt);
      }
    }
    const std::optional<Der>& value = entry->second[index];
    return value && *value == data;
  }

 private:
  std::vector<Der> der_;
  std::vector<CertPtr> certs_;  // nullptr where the DER does not parse
  std::map<std::pair<std::uint8_t, std::uint8_t>, std::vector<std::optional<Der>>> associations_;
};

// Why a record is unusable, or nothing when it is usable.
std::optional<std::string> unusable_reason(const dns::TlsaRecord& record) {
  switch (record.usage) {
    case usage_pkix_ta:
      return "usage 0 (PKIX-TA) unusable for SMTP";
    case usage_pkix_ee:
      return "usage 1 (PKIX-EE) unusable for SMTP";
    case usage_dane_ta:
    case usage_dane_ee:
      break;
    default:
      return fmt::format("usage {} unknown", record.usage);
  }
  if (record.selector != selector_cert && record.selector != selector_spki) {
    return fmt::format("selector {} unknown", record.selector);
  }
  switch (record.matching_type) {
    case matching_full:
      if (record.data.empty()) {
        return std::string("matching type 0 (Full) with no data");
      }
      return std::nullopt;
    case matching_sha256:
      if (record.data.size() != 32) {
        return fmt::format("matching type 1 (SHA2-256) with {} octets of data, not 32",
                           record.data.size());
      }
      return std::nullopt;
    case matching_sha512:
      if (record.data.size() != 64) {
        return fmt::format("matching type 2 (SHA2-512) with {} octets of data, not 64",
                           record.data.size());
      }
      return std::nullopt;
    default:
      return fmt::format("matching type {} unknown", record.matching_type);
  }
}

// RFC 7672 §3.2.3: subjectAltName DNS-IDs only; a wildcard only as the whole left-most label.
bool leaf_names_match(X509* leaf, std::string_view mx_host, std::string_view tlsa_base_domain) {
  constexpr unsigned int flags =
      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  for (const std::string_view host : {mx_host, tlsa_base_domain}) {
    const auto name = tls::reference_name(host);
    if (name && X509_check_host(leaf, name->data(), name->size(), flags, nullptr) == 1) {
      return true;
    }
  }
  return false;
}

// Filled by the verify callback through the context's app data.
struct PathState {
  int first_error = X509_V_OK;  // the first failure other than a validity window
  bool leaf_dates_valid = true;
  bool issuer_dates_valid = true;  // certificates above the leaf, the anchor included
};

// Records and carries on, so that the path is examined whole: a time error must not hide a
// signature error, nor the other way round.
int record_path_error(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) {
    return 1;
  }
  auto* state = static_cast<PathState*>(X509_STORE_CTX_get_app_data(ctx));
  const int error = X509_STORE_CTX_get_error(ctx);
  if (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID) {
    (X509_STORE_CTX_get_error_depth(ctx) == 0 ? state->leaf_dates_valid
                                              : state->issuer_dates_valid) = false;
  } else if (state->first_error == X509_V_OK) {
    state->first_error = error != X509_V_OK ? error : X509_V_ERR_UNSPECIFIED;
  }
  return 1;
}

// RFC 7672 §3.1.2: the path from the leaf to served certificate `anchor`, which is the only trust
// anchor, through the served certificates.
PathState check_path(const ServedChain& chain, std::size_t anchor, std::time_t now) {
  PathState no_memory;
  no_memory.first_error = X509_V_ERR_OUT_OF_MEM;
  const std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  const CertStackPtr served(sk_X509_new_null());
  const std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !served || !ctx || X509_STORE_add_cert(store.get(), chain.cert(anchor)) != 1) {
    return no_memory;
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    X509* cert = chain.cert(i);
    if (cert != nullptr && X509_up_ref(cert) == 1) {
      if (sk_X509_push(served.get(), cert) <= 0) {
        X509_free(cert);
        return no_memory;
      }
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain.leaf(), served.get()) != 1) {
    return no_memory;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // The anchor need not be self-signed: an intermediate, or the leaf under a bare key.
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  X509_VERIFY_PARAM_set_time(param, now);
  // Weak keys and digests are the certificate check's findings, not DANE's.
  X509_VERIFY_PARAM_set_auth_level(param, 0);
  PathState state;
  X509_STORE_CTX_set_app_data(ctx.get(), &state);
  X509_STORE_CTX_set_verify_cb(ctx.get(), record_path_error);
  if (X509_verify_cert(ctx.get()) != 1 && state.first_error == X509_V_OK) {
    // A failure the callback never saw (an internal error): still no path.
    const int error = X509_STORE_CTX_get_error(ctx.get());
    state.first_error = error != X509_V_OK ? error : X509_V_ERR_UNSPECIFIED;
  }
  return state;
}

std::string element_name(std::size_t index) {
  return index == 0 ? std::string("the leaf") : fmt::format("chain certificate {}", index);
}

// Where the leaf chains to the record's anchor (the certificate the data matched, or for a bare
// key, the certificate the key signed).
struct Anchor {
  std::size_t element = 0;
  bool bare_key = false;
};

// RFC 7672 §3.1.2 and §3.2.2 for one anchor; fills `match` with the outcome.
void judge_anchor(const ServedChain& chain, Anchor anchor, bool leaf_name_matches, std::time_t now,
                  RecordMatch& match) {
  const PathState path = check_path(chain, anchor.element, now);
  match.element = anchor.element;
  match.bare_key = anchor.bare_key;
  match.path_valid = path.first_error == X509_V_OK;
  match.name_matches = leaf_name_matches;
  match.dates_valid = path.leaf_dates_valid && path.issuer_dates_valid;
  const std::string found = anchor.bare_key
                                ? fmt::format("DANE-TA key signed {}", element_name(anchor.element))
                                : fmt::format("DANE-TA matched {}", element_name(anchor.element));
  if (match.path_valid && match.name_matches && match.dates_valid) {
    match.status = RecordStatus::matched;
    match.reason = found +
                   "; the leaf chains to it, the leaf name matches and every certificate of the "
                   "path is within its validity";
    return;
  }
  std::vector<std::string> failures;
  if (!match.path_valid) {
    failures.push_back(fmt::format("the leaf does not chain to it ({})",
                                   X509_verify_cert_error_string(path.first_error)));
  }
  if (!match.name_matches) {
    failures.emplace_back("the leaf name does not match");
  }
  if (!path.leaf_dates_valid) {
    failures.emplace_back("the leaf is outside its validity");
  }
  if (!path.issuer_dates_valid) {
    failures.emplace_back("a certificate above the leaf is outside its validity");
  }
  match.status = RecordStatus::rules_failed;
  match.reason = fmt::format("{} but {}", found, fmt::join(failures, ", and "));
}

RecordMatch match_dane_ee(ServedChain& chain, const dns::TlsaRecord& record) {
  RecordMatch match;
  match.status = RecordStatus::no_match;
  if (chain.matches(0, record.selector, record.matching_type, record.data)) {
    match.status = RecordStatus::matched;
    match.element = 0;
    match.reason = "DANE-EE matched the leaf";
    return match;
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (chain.matches(i, record.selector, record.matching_type, record.data)) {
      match.reason = fmt::format("DANE-EE data matches {}, not the leaf", element_name(i));
      return match;
    }
  }
  match.reason = "DANE-EE data matches no served certificate";
  return match;
}

// Served certificates, leaf included, whose signature the record's bare public key verifies
// (2 1 0: the trust anchor's key, whose certificate the server need not send).
std::vector<std::size_t> signed_by_key(const ServedChain& chain, const dns::TlsaRecord& record) {
  std::vector<std::size_t> signed_elements;
  if (record.selector != selector_spki || record.matching_type != matching_full) {
    return signed_elements;
  }
  const unsigned char* cursor = record.data.data();
  const PkeyPtr key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(record.data.size())));
  if (!key || cursor != record.data.data() + record.data.size()) {
    return signed_elements;
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (chain.cert(i) != nullptr && X509_verify(chain.cert(i), key.get()) == 1) {
      signed_elements.push_back(i);
    }
  }
  return signed_elements;
}

RecordMatch match_dane_ta(ServedChain& chain, const dns::TlsaRecord& record, bool leaf_name_matches,
                          std::time_t now) {
  // RFC 7672 §3.1.2: a trust anchor is above the leaf; the leaf is DANE-EE's business.
  std::vector<Anchor> anchors;
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (chain.matches(i, record.selector, record.matching_type, record.data)) {
      anchors.push_back(Anchor{.element = i, .bare_key = false});
    }
  }
  for (const std::size_t i : signed_by_key(chain, record)) {
    anchors.push_back(Anchor{.element = i, .bare_key = true});
  }
  RecordMatch match;
  match.status = RecordStatus::no_match;
  for (const Anchor anchor : anchors) {
    match = RecordMatch{};
    judge_anchor(chain, anchor, leaf_name_matches, now, match);
    if (match.status == RecordStatus::matched) {
      break;
    }
  }
  if (anchors.empty()) {
    match.reason = chain.matches(0, record.selector, record.matching_type, record.data)
                       ? "DANE-TA data matches the leaf, which cannot be its own trust anchor"
                       : "DANE-TA data matches no served certificate above the leaf";
  }
  return match;
}

}  // namespace

std::string_view to_string(RecordStatus status) {
  switch (status) {
    case RecordStatus::unusable:
      return "unusable";
    case RecordStatus::no_match:
      return "no-match";
    case RecordStatus::rules_failed:
      return "rules-failed";
    case RecordStatus::matched:
      return "matched";
  }
  return "unknown";
}

TlsaMatch match_tlsa(const std::vector<dns::TlsaRecord>& records, const std::vector<Der>& chain,
                     std::string_view mx_host, std::string_view tlsa_base_domain,
                     std::chrono::system_clock::time_point now) {
  const ErrorQueueMark mark;
  ServedChain served(chain);
  X509* leaf = served.leaf();
  const bool leaf_name_matches =
      leaf != nullptr && leaf_names_match(leaf, mx_host, tlsa_base_domain);
  const std::time_t at = std::chrono::system_clock::to_time_t(now);

  TlsaMatch result;
  result.records.reserve(records.size());
  for (const dns::TlsaRecord& record : records) {
    RecordMatch match;
    if (auto reason = unusable_reason(record)) {
      match.reason = std::move(*reason);
    } else if (leaf == nullptr) {
      match.status = RecordStatus::no_match;
      match.reason = served.size() == 0 ? "no certificate was served" : "the leaf does not parse";
    } else if (record.usage == usage_dane_ee) {
      match = match_dane_ee(served, record);
    } else {
      match = match_dane_ta(served, record, leaf_name_matches, at);
    }
    if (match.status != RecordStatus::unusable) {
      ++result.usable_records;
    }
    result.matched = result.matched || match.status == RecordStatus::matched;
    result.records.push_back(std::move(match));
  }
  result.all_unusable = !records.empty() && result.usable_records == 0;
  return result;
}

std::optional<std::vector<std::uint8_t>> association_data(const Der& cert_der,
                                                          std::uint8_t selector,
                                                          std::uint8_t matching_type) {
  const ErrorQueueMark mark;
  const CertPtr cert = parse(cert_der);
  if (!cert) {
    return std::nullopt;
  }
  return association(cert.get(), cert_der, selector, matching_type);
}

}  // namespace mx::probes::dane
