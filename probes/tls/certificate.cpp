#include "probes/tls/certificate.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <memory>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace mx::probes::tls {
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
struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct OpensslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

using CertPtr = std::unique_ptr<X509, X509Free>;
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackFree>;

// What a hostile certificate makes OpenSSL complain about is data about that certificate, already
// reported in the facts; it must not reach the caller's error queue, where the next SSL call of
// the same thread would read it as its own failure.
class ErrorQueueMark {
 public:
  ErrorQueueMark() { ERR_set_mark(); }
  ~ErrorQueueMark() { ERR_pop_to_mark(); }
  ErrorQueueMark(const ErrorQueueMark&) = delete;
  ErrorQueueMark& operator=(const ErrorQueueMark&) = delete;
};

CertPtr parse(const Der& der) {
  if (der.empty() || der.size() > max_der_size) {
    return nullptr;
  }
  const unsigned char* cursor = der.data();
  CertPtr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  // As a TLS stack does: the bytes must be one certificate exactly, with nothing after it.
  if (cert && cursor != der.data() + der.size()) {
    return nullptr;
  }
  return cert;
}

std::string sha256_hex(const Der& der) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(der.data(), der.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string text;
  text.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    text += digits[digest[i] >> 4];
    text += digits[digest[i] & 0x0f];
  }
  return text;
}

std::string name_text(const X509_NAME* name) {
  const std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

// The long name of a known OID ("sha256WithRSAEncryption"), else its dotted form.
std::string object_text(const ASN1_OBJECT* object) {
  if (object == nullptr) {
    return {};
  }
  const int length = OBJ_obj2txt(nullptr, 0, object, 0);
  if (length <= 0) {
    return {};
  }
  std::string text(static_cast<std::size_t>(length) + 1, '\0');
  OBJ_obj2txt(text.data(), length + 1, object, 0);
  text.resize(static_cast<std::size_t>(length));
  return text;
}

std::vector<std::string> san_dns_names(X509* cert) {
  const std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  std::vector<std::string> dns_names;
  if (!names) {
    return dns_names;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(
        GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), i), &type));
    if (type == GEN_DNS && value != nullptr) {
      dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                             static_cast<std::size_t>(ASN1_STRING_length(value)));
    }
  }
  return dns_names;
}

std::string common_name(const X509_NAME* subject) {
  int last = -1;
  for (int index = -1; (index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)) >= 0;) {
    last = index;
  }
  if (last < 0) {
    return {};
  }
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last)));
  const std::unique_ptr<unsigned char, OpensslFree> owner(utf8);
  if (length < 0 || utf8 == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
}

std::string rfc3339(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return {};
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void describe_key(X509* cert, CertificateFacts& facts) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) {
    // A key OpenSSL cannot decode (unknown algorithm, bad encoding): its algorithm is still a fact.
    ASN1_OBJECT* algorithm = nullptr;
    if (X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(cert)) ==
        1) {
      facts.key_type = object_text(algorithm);
    }
    return;
  }
  if (const char* type = EVP_PKEY_get0_type_name(key); type != nullptr) {
    facts.key_type = type;
  }
  facts.key_bits = std::max(EVP_PKEY_get_bits(key), 0);
  std::array<char, 80> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &length) == 1) {
    facts.curve.assign(group.data(), length);
  }
}

void describe(X509* leaf, CertificateFacts& facts) {
  facts.subject = name_text(X509_get_subject_name(leaf));
  facts.issuer = name_text(X509_get_issuer_name(leaf));
  facts.san_dns = san_dns_names(leaf);
  facts.common_name = common_name(X509_get_subject_name(leaf));
  facts.not_before = rfc3339(X509_get0_notBefore(leaf));
  facts.not_after = rfc3339(X509_get0_notAfter(leaf));
  describe_key(leaf, facts);
  const X509_ALGOR* signature = nullptr;
  X509_get0_signature(nullptr, &signature, leaf);
  if (signature != nullptr) {
    const ASN1_OBJECT* algorithm = nullptr;
    X509_ALGOR_get0(&algorithm, nullptr, nullptr, signature);
    facts.signature_algorithm = object_text(algorithm);
  }
  facts.self_signed = X509_self_signed(leaf, 1) == 1;
}

// Filled by the verify callback through the context's app data.
struct PathState {
  int first_error = X509_V_OK;
  bool chain_expired = false;
};

bool is_time_error(int error) {
  return error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID;
}

// Records and carries on, so that the whole path is examined whatever goes wrong first. Time
// errors are set aside: the leaf's window is judged separately, an issuer's goes to
// chain_expired. Still checking time (rather than X509_V_FLAG_NO_CHECK_TIME) keeps OpenSSL's
// preference for issuers that are valid at `now` when several could complete the path.
int record_path_error(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) {
    return 1;
  }
  auto* state = static_cast<PathState*>(X509_STORE_CTX_get_app_data(ctx));
  const int error = X509_STORE_CTX_get_error(ctx);
  if (is_time_error(error)) {
    if (X509_STORE_CTX_get_error_depth(ctx) > 0) {
      state->chain_expired = true;
    }
  } else if (state->first_error == X509_V_OK) {
    state->first_error = error != X509_V_OK ? error : X509_V_ERR_UNSPECIFIED;
  }
  return 1;
}

// `certificates`: as served, leaf first (the leaf is certificates[0]); null for one that did not
// parse.
PathState check_path(const std::vector<X509*>& certificates, X509_STORE* trust, std::time_t now) {
  constexpr PathState no_memory{.first_error = X509_V_ERR_OUT_OF_MEM, .chain_expired = false};
  X509* leaf = certificates.front();
  const CertStackPtr served(sk_X509_new_null());
  const std::unique_ptr<X509_STORE, StoreFree> no_anchors(trust == nullptr ? X509_STORE_new()
                                                                           : nullptr);
  X509_STORE* anchors = trust != nullptr ? trust : no_anchors.get();
  const std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!served || anchors == nullptr || !ctx) {
    return no_memory;
  }
  for (std::size_t i = 1; i < certificates.size(); ++i) {
    // An intermediate that does not parse is on no path; the others still may be. The stack
    // holds a reference of its own.
    if (X509* cert = certificates[i]; cert != nullptr && X509_up_ref(cert) == 1) {
      CertPtr reference(cert);
      if (sk_X509_push(served.get(), reference.get()) > 0) {
        static_cast<void>(reference.release());
      }
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), anchors, leaf, served.get()) != 1) {
    return no_memory;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  X509_VERIFY_PARAM_set_time(param, now);
  // Weak keys and digests are facts (key_bits, signature_algorithm), not path failures.
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

bool is_ip_literal(std::string_view host) {
  // No host name has a colon: an IPv6 literal, bracketed or not.
  if (host.find(':') != std::string_view::npos) {
    return true;
  }
  const std::string text(host);
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool host_matches(X509* leaf, std::string_view name, unsigned int subject_rule) {
  // RFC 8461 §4.2 / RFC 6125 §6.4.3: a wildcard only as the whole left-most label, for one label.
  const unsigned int flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | subject_rule;
  return X509_check_host(leaf, name.data(), name.size(), flags, nullptr) == 1;
}

}  // namespace

std::optional<std::string_view> reference_name(std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  if (host.empty() || host.front() == '.' || host.find('*') != std::string_view::npos ||
      is_ip_literal(host)) {
    return std::nullopt;
  }
  return host;
}

ParsedChain::ParsedChain(STACK_OF(X509) * served) {
  const int count = served != nullptr ? sk_X509_num(served) : 0;
  for (int i = 0; i < count && certificates_.size() < max_chain_length; ++i) {
    X509* cert = sk_X509_value(served, i);
    if (cert != nullptr && X509_up_ref(cert) == 1) {
      certificates_.push_back(cert);
    }
  }
}

ParsedChain::~ParsedChain() {
  for (X509* cert : certificates_) {
    X509_free(cert);
  }
}

CertificateFacts analyse_chain(const std::vector<Der>& chain, std::string_view host,
                               X509_STORE* trust, std::chrono::system_clock::time_point now,
                               const ParsedChain* parsed) {
  CertificateFacts facts;
  if (chain.empty()) {
    return facts;
  }
  const ErrorQueueMark mark;
  facts.sha256 = sha256_hex(chain.front());
  const std::size_t count = std::min(chain.size(), max_chain_length);
  std::vector<CertPtr> owned;
  std::vector<X509*> certificates;
  if (parsed != nullptr && parsed->certificates().size() == count) {
    certificates = parsed->certificates();
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      owned.push_back(parse(chain[i]));
      certificates.push_back(owned.back().get());
    }
  }
  X509* const leaf = certificates.front();
  if (leaf == nullptr) {
    return facts;
  }
  facts.parsed = true;
  describe(leaf, facts);

  std::time_t at = std::chrono::system_clock::to_time_t(now);
  facts.expired = X509_cmp_time(X509_get0_notAfter(leaf), &at) < 0;
  facts.not_yet_valid = X509_cmp_time(X509_get0_notBefore(leaf), &at) > 0;

  const PathState path = check_path(certificates, trust, at);
  facts.trusted = path.first_error == X509_V_OK;
  facts.verify_error = path.first_error;
  if (!facts.trusted) {
    facts.verify_error_text = X509_verify_cert_error_string(path.first_error);
  }
  facts.chain_expired = path.chain_expired;

  if (const auto name = reference_name(host)) {
    facts.name_matches = host_matches(leaf, *name, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    facts.cn_only_match = !facts.name_matches && facts.san_dns.empty() &&
                          host_matches(leaf, *name, X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT);
  }
  return facts;
}

}  // namespace mx::probes::tls
