#include "probes/tls/certificate.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"
#include "tests/world/pki.hpp"

namespace {

using mx::test::TempDir;

using mx::probes::tls::analyse_chain;
using mx::probes::tls::CertificateFacts;
using mx::probes::tls::Der;
using mx::world::Issuer;
using mx::world::KeyType;
using mx::world::Leaf;
using mx::world::LeafSpec;
using mx::world::Pki;
using std::chrono::hours;
using std::chrono::system_clock;

struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

StorePtr load_trust(const std::filesystem::path& file) {
  StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), file.c_str()) != 1) {
    throw std::runtime_error("cannot load " + file.string());
  }
  return store;
}

// One PKI per test process: generating the CA keys is the slow part. The trust store holds the
// root alone, as --ca-file would.
struct World {
  TempDir dir;
  Pki pki{dir.path()};
  StorePtr trust = load_trust(pki.trust_file());
};

World& world() {
  static World instance;
  return instance;
}

Der der_of(X509* cert) {
  const int length = i2d_X509(cert, nullptr);
  if (length <= 0) {
    throw std::runtime_error("i2d_X509");
  }
  Der der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  i2d_X509(cert, &cursor);
  return der;
}

std::string hex(const unsigned char* bytes, unsigned int length) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    text += digits[bytes[i] >> 4];
    text += digits[bytes[i] & 0x0f];
  }
  return text;
}

// What `openssl x509 -fingerprint -sha256` prints, in lower case without colons.
std::string fingerprint(X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  REQUIRE(X509_digest(cert, EVP_sha256(), digest.data(), &length) == 1);
  return hex(digest.data(), length);
}

std::string sha256_of(const Der& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t length = 0;
  REQUIRE(EVP_Q_digest(nullptr, "SHA256", nullptr, bytes.data(), bytes.size(), digest.data(),
                       &length) == 1);
  return hex(digest.data(), static_cast<unsigned int>(length));
}

LeafSpec spec(std::vector<std::string> dns_names, std::string common_name = "") {
  LeafSpec leaf_spec;
  leaf_spec.dns_names = std::move(dns_names);
  leaf_spec.common_name = std::move(common_name);
  return leaf_spec;
}

Leaf issue(const LeafSpec& leaf_spec) {
  return world().pki.issue(leaf_spec, "leaf");
}

// The leaf as a server sends it: followed by the intermediate that issued it.
std::vector<Der> served_chain(const Leaf& leaf) {
  return {der_of(leaf.cert.get()), der_of(world().pki.intermediate())};
}

struct CertStackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

// `chain` as a TLS stack holds it after a handshake, when every element parses; else null.
std::unique_ptr<STACK_OF(X509), CertStackFree> as_stack(const std::vector<Der>& chain) {
  // Whatever d2i_X509 complains about here must not reach the queue a test watches.
  struct ErrorMark {
    ErrorMark() { ERR_set_mark(); }
    ~ErrorMark() { ERR_pop_to_mark(); }
    ErrorMark(const ErrorMark&) = delete;
    ErrorMark& operator=(const ErrorMark&) = delete;
  } const mark;
  std::unique_ptr<STACK_OF(X509), CertStackFree> stack(sk_X509_new_null());
  for (const Der& der : chain) {
    const unsigned char* cursor = der.data();
    X509* cert = d2i_X509(nullptr, &cursor, static_cast<long>(der.size()));
    if (cert == nullptr || cursor != der.data() + der.size() ||
        sk_X509_push(stack.get(), cert) <= 0) {
      X509_free(cert);
      return nullptr;
    }
  }
  return stack;
}

// Every fact of the analysis.
auto all_facts(const CertificateFacts& f) {
  return std::tie(f.sha256, f.subject, f.issuer, f.san_dns, f.common_name, f.not_before,
                  f.not_after, f.key_type, f.key_bits, f.curve, f.signature_algorithm,
                  f.self_signed, f.parsed, f.trusted, f.verify_error, f.verify_error_text,
                  f.expired, f.not_yet_valid, f.chain_expired, f.name_matches, f.cn_only_match);
}

// The analysis of the DER, checked against the analysis of the same chain as the handshake
// parsed it (mx::probes::tls::ParsedChain): both must give the same facts.
CertificateFacts analyse(const std::vector<Der>& chain, std::string_view host,
                         system_clock::time_point now = system_clock::now()) {
  CertificateFacts facts = analyse_chain(chain, host, world().trust.get(), now);
  if (const auto stack = as_stack(chain); stack && !chain.empty()) {
    const mx::probes::tls::ParsedChain parsed(stack.get());
    const CertificateFacts from_parsed =
        analyse_chain(chain, host, world().trust.get(), now, &parsed);
    CHECK(all_facts(from_parsed) == all_facts(facts));
  }
  return facts;
}

// Seconds since the epoch of an RFC 3339 UTC time as the analysis writes it, or -1.
std::time_t parse_rfc3339(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return in.fail() ? std::time_t{-1} : timegm(&tm);
}

// The one second an ASN1_TIME names: X509_cmp_time says "earlier or equal" at it and "later"
// one second before.
bool names_second(const ASN1_TIME* time, std::time_t second) {
  std::time_t before = second - 1;
  return X509_cmp_time(time, &second) == -1 && X509_cmp_time(time, &before) == 1;
}

enum class Part { leaf, intermediate, root, unrelated_root, garbage };

std::vector<Der> assemble(const Leaf& leaf, const std::vector<Part>& parts) {
  std::vector<Der> chain;
  for (const Part part : parts) {
    switch (part) {
      case Part::leaf:
        chain.push_back(der_of(leaf.cert.get()));
        break;
      case Part::intermediate:
        chain.push_back(der_of(world().pki.intermediate()));
        break;
      case Part::root:
        chain.push_back(der_of(world().pki.root()));
        break;
      case Part::unrelated_root:
        chain.push_back(der_of(world().pki.unrelated_root()));
        break;
      case Part::garbage:
        chain.push_back(Der{0x30, 0x82, 0x01, 0x00, 0xde, 0xad});
        break;
    }
  }
  return chain;
}

}  // namespace

TEST_CASE("A path to the root exists only through the served intermediates", "[unit]") {
  struct Case {
    const char* name;
    Issuer issuer;
    std::vector<Part> served;
    int error;
  };
  const Case c =
      GENERATE(Case{"leaf and intermediate",
                    Issuer::intermediate,
                    {Part::leaf, Part::intermediate},
                    X509_V_OK},
               Case{"leaf, intermediate and the root itself",
                    Issuer::intermediate,
                    {Part::leaf, Part::intermediate, Part::root},
                    X509_V_OK},
               Case{"intermediate served twice",
                    Issuer::intermediate,
                    {Part::leaf, Part::intermediate, Part::intermediate},
                    X509_V_OK},
               Case{"garbage served before the intermediate",
                    Issuer::intermediate,
                    {Part::leaf, Part::garbage, Part::intermediate},
                    X509_V_OK},
               Case{"leaf issued by the root, alone", Issuer::root, {Part::leaf}, X509_V_OK},
               Case{"intermediate missing",
                    Issuer::intermediate,
                    {Part::leaf},
                    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
               Case{"intermediate replaced by an unrelated root",
                    Issuer::intermediate,
                    {Part::leaf, Part::unrelated_root},
                    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
               Case{"unrelated root, not served",
                    Issuer::unrelated_root,
                    {Part::leaf},
                    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
               Case{"unrelated root, served",
                    Issuer::unrelated_root,
                    {Part::leaf, Part::unrelated_root},
                    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN},
               Case{"self-signed leaf",
                    Issuer::self_signed,
                    {Part::leaf},
                    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT});
  CAPTURE(c.name);

  LeafSpec leaf_spec = spec({"mx.example.test"});
  leaf_spec.issuer = c.issuer;
  const Leaf leaf = issue(leaf_spec);
  const CertificateFacts facts = analyse(assemble(leaf, c.served), "mx.example.test");

  CHECK(facts.parsed);
  CHECK(facts.trusted == (c.error == X509_V_OK));
  CHECK(facts.verify_error == c.error);
  if (c.error == X509_V_OK) {
    CHECK(facts.verify_error_text.empty());
  } else {
    CHECK(facts.verify_error_text == X509_verify_cert_error_string(c.error));
  }
  CHECK(facts.self_signed == (c.issuer == Issuer::self_signed));
  // Trust and names are judged apart: the name matches whatever the path.
  CHECK(facts.name_matches);
  CHECK_FALSE(facts.expired);
  CHECK_FALSE(facts.chain_expired);
}

TEST_CASE("Without a trust store no chain is trusted, but the leaf is still analysed", "[unit]") {
  const Leaf leaf = issue(spec({"mx.example.test"}));
  const std::vector<Der> chain = served_chain(leaf);

  const CertificateFacts facts =
      analyse_chain(chain, "mx.example.test", nullptr, system_clock::now());
  CHECK(facts.parsed);
  CHECK_FALSE(facts.trusted);
  CHECK(facts.verify_error != X509_V_OK);
  CHECK_FALSE(facts.verify_error_text.empty());
  CHECK(facts.name_matches);

  const StorePtr empty(X509_STORE_new());
  REQUIRE(empty);
  const CertificateFacts with_empty_store =
      analyse_chain(chain, "mx.example.test", empty.get(), system_clock::now());
  CHECK_FALSE(with_empty_store.trusted);
  CHECK(with_empty_store.verify_error == facts.verify_error);
}

TEST_CASE("The leaf's validity window is judged apart from trust", "[unit]") {
  struct Case {
    const char* name;
    std::chrono::seconds valid_from;
    std::chrono::seconds valid_until;
    std::chrono::seconds judged_from_now;
    bool expired;
    bool not_yet_valid;
  };
  const Case c = GENERATE(
      Case{"current", -hours(24), hours(24 * 90), hours(0), false, false},
      Case{"expired yesterday", -hours(48), -hours(24), hours(0), true, false},
      Case{"valid from tomorrow", hours(24), hours(24 * 90), hours(0), false, true},
      Case{"current, judged after its end", -hours(24), hours(24), hours(48), true, false},
      Case{"current, judged before its start", -hours(24), hours(24), -hours(48), false, true});
  CAPTURE(c.name);

  LeafSpec leaf_spec = spec({"mx.example.test"});
  leaf_spec.valid_from = c.valid_from;
  leaf_spec.valid_until = c.valid_until;
  const Leaf leaf = issue(leaf_spec);
  const CertificateFacts facts =
      analyse(served_chain(leaf), "mx.example.test", system_clock::now() + c.judged_from_now);

  CHECK(facts.trusted);
  CHECK(facts.verify_error == X509_V_OK);
  CHECK(facts.expired == c.expired);
  CHECK(facts.not_yet_valid == c.not_yet_valid);
  CHECK_FALSE(facts.chain_expired);
}

TEST_CASE("Issuers outside their validity window are reported apart from the leaf", "[unit]") {
  // The test CAs are valid from a year ago to ten years ahead.
  const auto years = [](int count) { return hours(24 * 366 * count); };
  const Leaf leaf = issue(spec({"mx.example.test"}));

  const CertificateFacts later =
      analyse(served_chain(leaf), "mx.example.test", system_clock::now() + years(11));
  CHECK(later.trusted);
  CHECK(later.expired);
  CHECK(later.chain_expired);

  const CertificateFacts earlier =
      analyse(served_chain(leaf), "mx.example.test", system_clock::now() - years(2));
  CHECK(earlier.trusted);
  CHECK(earlier.not_yet_valid);
  CHECK(earlier.chain_expired);
}

TEST_CASE("Names match SAN DNS-IDs only, with wildcards as a whole left-most label", "[unit]") {
  struct Case {
    std::vector<std::string> dns_names;
    std::string common_name;
    std::string host;
    bool name_matches;
    bool cn_only_match;
  };
  const Case c =
      GENERATE(Case{{"mx.example.test"}, "", "mx.example.test", true, false},
               Case{{"mx.example.test"}, "", "MX.Example.TEST", true, false},
               Case{{"MX.EXAMPLE.TEST"}, "", "mx.example.test", true, false},
               Case{{"mx.example.test"}, "", "mx.example.test.", true, false},
               Case{{"mx.example.test"}, "", "other.example.test", false, false},
               Case{{"a.example.test", "mx.example.test"}, "", "mx.example.test", true, false},
               Case{{"*.example.test"}, "", "mx.example.test", true, false},
               Case{{"*.example.test"}, "", "MX.EXAMPLE.TEST.", true, false},
               Case{{"*.example.test"}, "", "a.mx.example.test", false, false},
               Case{{"*.example.test"}, "", "example.test", false, false},
               Case{{"*.example.test"}, "", "*.example.test", false, false},
               Case{{"mx*.example.test"}, "", "mx1.example.test", false, false},
               Case{{"*mx.example.test"}, "", "amx.example.test", false, false},
               Case{{"mx.*.test"}, "", "mx.example.test", false, false},
               Case{{"mx.example.test"}, "", ".example.test", false, false},
               Case{{"mx.example.test"}, "", "", false, false},
               Case{{"mx.example.test"}, "", ".", false, false},
               Case{{"192.0.2.1"}, "", "192.0.2.1", false, false},
               Case{{"2001:db8::1"}, "", "2001:db8::1", false, false},
               // CN-only leaves: the RFC 6125 fallback would accept them, MTA-STS does not.
               Case{{}, "mx.example.test", "mx.example.test", false, true},
               Case{{}, "mx.example.test", "Mx.Example.Test.", false, true},
               Case{{}, "mx.example.test", "other.example.test", false, false},
               Case{{}, "*.example.test", "mx.example.test", false, true},
               Case{{}, "*.example.test", "a.mx.example.test", false, false},
               Case{{}, "*.example.test", "*.example.test", false, false},
               Case{{}, "mx*.example.test", "mx1.example.test", false, false},
               Case{{}, "192.0.2.1", "192.0.2.1", false, false},
               // With any SAN DNS-ID present the CN is never consulted, not even as a fallback.
               Case{{"other.example.test"}, "mx.example.test", "mx.example.test", false, false},
               Case{{"mx.example.test"}, "mx.example.test", "mx.example.test", true, false});
  CAPTURE(c.dns_names, c.common_name, c.host);

  const Leaf leaf = issue(spec(c.dns_names, c.common_name));
  const CertificateFacts facts = analyse(served_chain(leaf), c.host);

  CHECK(facts.trusted);
  CHECK(facts.name_matches == c.name_matches);
  CHECK(facts.cn_only_match == c.cn_only_match);
}

TEST_CASE("Bytes that are not exactly one certificate leave the leaf unparsed", "[unit]") {
  const Leaf leaf = issue(spec({"mx.example.test"}));
  const Der good = der_of(leaf.cert.get());

  Der truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  Der trailing = good;
  trailing.push_back(0x00);
  Der oversized = good;
  oversized.resize(mx::probes::tls::max_der_size + 1, 0x00);
  const std::string text = "-----BEGIN CERTIFICATE-----";

  const Der bytes = GENERATE_COPY(Der{}, Der{0x00}, Der{0x30, 0x03, 0x02, 0x01, 0x00},
                                  Der(text.begin(), text.end()), truncated, trailing, oversized);
  CAPTURE(bytes.size());

  const CertificateFacts facts =
      analyse({bytes, der_of(world().pki.intermediate())}, "mx.example.test");
  CHECK_FALSE(facts.parsed);
  CHECK_FALSE(facts.trusted);
  CHECK(facts.verify_error == X509_V_OK);
  CHECK_FALSE(facts.name_matches);
  CHECK_FALSE(facts.cn_only_match);
  CHECK(facts.subject.empty());
  CHECK(facts.san_dns.empty());
  CHECK(facts.key_type.empty());
  CHECK(facts.not_after.empty());
  // The fingerprint of what was served is still worth reporting.
  CHECK(facts.sha256 == sha256_of(bytes));
}

TEST_CASE("An empty chain gives no facts at all", "[unit]") {
  const CertificateFacts facts = analyse({}, "mx.example.test");
  CHECK_FALSE(facts.parsed);
  CHECK_FALSE(facts.trusted);
  CHECK(facts.verify_error == X509_V_OK);
  CHECK(facts.sha256.empty());
  CHECK_FALSE(facts.name_matches);
}

TEST_CASE("Descriptive facts of the leaf: fingerprint, names and dates", "[unit]") {
  const auto before = std::chrono::floor<std::chrono::seconds>(system_clock::now());
  const Leaf leaf = issue(spec({"mx.example.test", "*.example.test"}, "mx.example.test"));
  const auto after = std::chrono::ceil<std::chrono::seconds>(system_clock::now());
  const CertificateFacts facts = analyse(served_chain(leaf), "mx.example.test");
  X509* cert = leaf.cert.get();

  CHECK(facts.sha256.size() == 64);
  CHECK(facts.sha256 == fingerprint(cert));
  CHECK(facts.subject == "CN=mx.example.test,O=mxscan test world");
  CHECK(facts.issuer == "CN=mxscan test intermediate CA,O=mxscan test world");
  CHECK(facts.san_dns == std::vector<std::string>{"mx.example.test", "*.example.test"});
  CHECK(facts.common_name == "mx.example.test");
  CHECK_FALSE(facts.self_signed);

  const std::regex rfc3339_utc(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");
  CHECK(std::regex_match(facts.not_before, rfc3339_utc));
  CHECK(std::regex_match(facts.not_after, rfc3339_utc));
  const std::time_t not_before = parse_rfc3339(facts.not_before);
  const std::time_t not_after = parse_rfc3339(facts.not_after);
  CHECK(names_second(X509_get0_notBefore(cert), not_before));
  CHECK(names_second(X509_get0_notAfter(cert), not_after));
  // The spec's default window, placed at the time of issue.
  CHECK(not_before >= system_clock::to_time_t(before - hours(24)));
  CHECK(not_before <= system_clock::to_time_t(after - hours(24)));
  CHECK(not_after - not_before == std::chrono::seconds(hours(24 * 91)).count());
}

TEST_CASE("Key facts: type, size and curve, weak keys included", "[unit]") {
  struct Case {
    KeyType key;
    const char* type;
    int bits;
    const char* curve;
  };
  const Case c =
      GENERATE(Case{KeyType::ecdsa_p256, "EC", 256, "prime256v1"},
               Case{KeyType::rsa_2048, "RSA", 2048, ""}, Case{KeyType::rsa_1024, "RSA", 1024, ""});
  CAPTURE(c.type, c.bits);

  LeafSpec leaf_spec = spec({"mx.example.test"});
  leaf_spec.key = c.key;
  const Leaf leaf = issue(leaf_spec);
  const CertificateFacts facts = analyse(served_chain(leaf), "mx.example.test");

  CHECK(facts.key_type == c.type);
  CHECK(facts.key_bits == c.bits);
  CHECK(facts.curve == c.curve);
  // A weak key is a fact for the judge, never a path failure.
  CHECK(facts.trusted);
}

TEST_CASE("Signature algorithm facts, weak digests included", "[unit]") {
  struct Case {
    Issuer issuer;
    KeyType key;
    const char* digest;
    const char* algorithm;
  };
  const Case c =
      GENERATE(Case{Issuer::intermediate, KeyType::ecdsa_p256, "SHA256", "ecdsa-with-SHA256"},
               Case{Issuer::intermediate, KeyType::ecdsa_p256, "SHA384", "ecdsa-with-SHA384"},
               Case{Issuer::intermediate, KeyType::ecdsa_p256, "SHA1", "ecdsa-with-SHA1"},
               Case{Issuer::self_signed, KeyType::rsa_2048, "SHA256", "sha256WithRSAEncryption"},
               Case{Issuer::self_signed, KeyType::rsa_2048, "SHA1", "sha1WithRSAEncryption"});
  CAPTURE(c.algorithm);

  LeafSpec leaf_spec = spec({"mx.example.test"});
  leaf_spec.issuer = c.issuer;
  leaf_spec.key = c.key;
  leaf_spec.signature_digest = c.digest;
  const Leaf leaf = issue(leaf_spec);
  const CertificateFacts facts = analyse(served_chain(leaf), "mx.example.test");

  CHECK(facts.signature_algorithm == c.algorithm);
  CHECK(facts.self_signed == (c.issuer == Issuer::self_signed));
  // A SHA-1 signature from the trusted intermediate still makes a path.
  CHECK(facts.trusted == (c.issuer == Issuer::intermediate));
}

TEST_CASE("The caller's OpenSSL error queue is left as it was", "[unit]") {
  LeafSpec leaf_spec = spec({"mx.example.test"});
  leaf_spec.issuer = Issuer::unrelated_root;
  const Leaf leaf = issue(leaf_spec);
  ERR_clear_error();
  ERR_raise(ERR_LIB_USER, ERR_R_PASSED_INVALID_ARGUMENT);
  const unsigned long marker = ERR_peek_last_error();

  const CertificateFacts untrusted = analyse({der_of(leaf.cert.get())}, "mx.example.test");
  const CertificateFacts garbage = analyse({Der{0x30, 0x01}}, "mx.example.test");

  CHECK_FALSE(untrusted.trusted);
  CHECK_FALSE(garbage.parsed);
  CHECK(ERR_get_error() == marker);
  CHECK(ERR_get_error() == 0);
}
