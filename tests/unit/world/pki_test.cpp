#include "tests/world/pki.hpp"
#include "tests/support/temp_dir.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <catch2/catch.hpp>

namespace {

using mx::test::TempDir;

using mx::world::CertPtr;
using mx::world::Issuer;
using mx::world::KeyPtr;
using mx::world::KeyType;
using mx::world::Leaf;
using mx::world::LeafSpec;
using mx::world::Pki;
using std::chrono::hours;

struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct CertStackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

std::vector<CertPtr> load_certs(const std::filesystem::path& file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) {
    throw std::runtime_error("cannot open " + file.string());
  }
  std::vector<CertPtr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  // The read that ends the loop leaves "no start line" behind.
  ERR_clear_error();
  return certs;
}

KeyPtr load_key(const std::filesystem::path& file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) {
    throw std::runtime_error("cannot open " + file.string());
  }
  return KeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// X509_V_OK or the verification error of `leaf` against the trust file, with the intermediate
// file as untrusted chain material. auth_level < 0 keeps OpenSSL's default (no level checks).
int verify(const Pki& pki, X509* leaf, int auth_level = -1) {
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  if (!store || X509_STORE_load_file(store.get(), pki.trust_file().c_str()) != 1) {
    throw std::runtime_error("cannot load the trust file");
  }
  std::unique_ptr<STACK_OF(X509), CertStackFree> untrusted(sk_X509_new_null());
  for (CertPtr& cert : load_certs(pki.intermediate_file())) {
    if (sk_X509_push(untrusted.get(), cert.get()) == 0) {
      throw std::runtime_error("sk_X509_push");
    }
    cert.release();
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    throw std::runtime_error("X509_STORE_CTX_init");
  }
  if (auth_level >= 0) {
    X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx.get()), auth_level);
  }
  const int verified = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return verified == 1 ? X509_V_OK : error;
}

bool has_critical_extension(X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

bool has_extension(X509* cert, int nid) {
  return X509_get_ext_by_NID(cert, nid, -1) >= 0;
}

bool same_key_id(const ASN1_OCTET_STRING* a, const ASN1_OCTET_STRING* b) {
  return a != nullptr && b != nullptr && ASN1_OCTET_STRING_cmp(a, b) == 0;
}

int serial_bits(X509* cert) {
  std::unique_ptr<BIGNUM, BnFree> serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  return serial ? BN_num_bits(serial.get()) : -1;
}

// Seconds from `from` to `to`; a null ASN1_TIME is now.
long long seconds_between(const ASN1_TIME* from, const ASN1_TIME* to) {
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, from, to) != 1) {
    throw std::runtime_error("ASN1_TIME_diff");
  }
  return static_cast<long long>(days) * 86400 + seconds;
}

int check_host(X509* cert, const std::string& name, unsigned int flags) {
  return X509_check_host(cert, name.data(), name.size(), flags, nullptr);
}

LeafSpec spec_for(Issuer issuer) {
  LeafSpec spec;
  spec.dns_names = {"mx.example.test"};
  spec.issuer = issuer;
  return spec;
}

struct HandshakeResult {
  bool finished = false;
  boost::system::error_code server;
  boost::system::error_code client;
  int peer_chain_length = 0;  // as the client received it
};

// A TLS server configured only from the leaf's chain and key files, and a client that trusts only
// the trust file and checks `host`, over a loopback TCP connection.
HandshakeResult handshake(const Pki& pki, const Leaf& leaf, const std::string& host) {
  namespace asio = boost::asio;
  namespace ssl = boost::asio::ssl;
  using tcp = boost::asio::ip::tcp;

  ssl::context server_tls(ssl::context::tls_server);
  server_tls.use_certificate_chain_file(leaf.chain_file.string());
  server_tls.use_private_key_file(leaf.key_file.string(), ssl::context::pem);
  ssl::context client_tls(ssl::context::tls_client);
  client_tls.load_verify_file(pki.trust_file().string());
  client_tls.set_verify_mode(ssl::verify_peer);
  client_tls.set_verify_callback(ssl::host_name_verification(host));

  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  ssl::stream<tcp::socket> server(io, server_tls);
  ssl::stream<tcp::socket> client(io, client_tls);
  SSL_set_tlsext_host_name(client.native_handle(), host.c_str());

  HandshakeResult result;
  int completed = 0;
  acceptor.async_accept(server.next_layer(), [&](boost::system::error_code accepted) {
    if (accepted) {
      result.server = accepted;
      return;
    }
    server.async_handshake(ssl::stream_base::server, [&](boost::system::error_code shaken) {
      result.server = shaken;
      ++completed;
    });
  });
  client.next_layer().async_connect(
      acceptor.local_endpoint(), [&](boost::system::error_code connected) {
        if (connected) {
          result.client = connected;
          return;
        }
        client.async_handshake(ssl::stream_base::client, [&](boost::system::error_code shaken) {
          result.client = shaken;
          if (!shaken) {
            const STACK_OF(X509)* chain = SSL_get_peer_cert_chain(client.native_handle());
            result.peer_chain_length = chain != nullptr ? sk_X509_num(chain) : -1;
          }
          ++completed;
        });
      });
  io.run_for(std::chrono::seconds(30));
  result.finished = completed == 2;
  return result;
}

}  // namespace

TEST_CASE("Pki writes a self-signed root, an intermediate under it and an unrelated root",
          "[unit]") {
  const TempDir tmp;
  const Pki pki(tmp.path() / "pki");

  CHECK(pki.dir() == tmp.path() / "pki");
  const auto trust = load_certs(pki.trust_file());
  const auto intermediate = load_certs(pki.intermediate_file());
  const auto unrelated = load_certs(pki.unrelated_root_file());
  REQUIRE(trust.size() == 1);
  REQUIRE(intermediate.size() == 1);
  REQUIRE(unrelated.size() == 1);
  CHECK(X509_cmp(trust[0].get(), pki.root()) == 0);
  CHECK(X509_cmp(intermediate[0].get(), pki.intermediate()) == 0);
  CHECK(X509_cmp(unrelated[0].get(), pki.unrelated_root()) == 0);

  for (X509* root : {pki.root(), pki.unrelated_root()}) {
    CHECK(X509_check_issued(root, root) == X509_V_OK);
    CHECK(X509_verify(root, X509_get0_pubkey(root)) == 1);
    CHECK((X509_get_extension_flags(root) & EXFLAG_SS) != 0);
    CHECK(X509_check_ca(root) == 1);
    CHECK(has_critical_extension(root, NID_basic_constraints));
    CHECK(has_critical_extension(root, NID_key_usage));
    CHECK(X509_get_key_usage(root) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    CHECK(X509_get0_subject_key_id(root) != nullptr);
    CHECK(serial_bits(root) == 128);
  }

  X509* inter = pki.intermediate();
  CHECK(X509_check_issued(pki.root(), inter) == X509_V_OK);
  CHECK(X509_verify(inter, X509_get0_pubkey(pki.root())) == 1);
  CHECK(X509_check_issued(pki.unrelated_root(), inter) != X509_V_OK);
  CHECK(X509_check_ca(inter) == 1);
  CHECK(has_critical_extension(inter, NID_basic_constraints));
  CHECK(X509_get_pathlen(inter) == 0);
  CHECK(X509_get_key_usage(inter) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_get0_subject_key_id(inter) != nullptr);
  CHECK(same_key_id(X509_get0_authority_key_id(inter), X509_get0_subject_key_id(pki.root())));

  CHECK(X509_cmp(pki.root(), pki.unrelated_root()) != 0);
  CHECK(X509_NAME_cmp(X509_get_subject_name(pki.root()),
                      X509_get_subject_name(pki.unrelated_root())) != 0);
  CHECK(verify(pki, pki.unrelated_root()) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  CHECK(verify(pki, pki.intermediate()) == X509_V_OK);
}

TEST_CASE("Two Pkis have distinct roots, so one's leaves are untrusted by the other", "[unit]") {
  const TempDir tmp;
  Pki first(tmp.path() / "first");
  const Pki second(tmp.path() / "second");
  const Leaf leaf = first.issue(spec_for(Issuer::intermediate), "mx");

  CHECK(X509_cmp(first.root(), second.root()) != 0);
  CHECK(verify(first, leaf.cert.get()) == X509_V_OK);
  CHECK(verify(second, leaf.cert.get()) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_CASE("Leaves verify against the trust file only when issued under the root", "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());

  const Leaf via_intermediate = pki.issue(spec_for(Issuer::intermediate), "via-intermediate");
  const Leaf via_root = pki.issue(spec_for(Issuer::root), "via-root");
  const Leaf via_unrelated = pki.issue(spec_for(Issuer::unrelated_root), "via-unrelated");
  const Leaf self_signed = pki.issue(spec_for(Issuer::self_signed), "self-signed");

  CHECK(verify(pki, via_intermediate.cert.get()) == X509_V_OK);
  CHECK(verify(pki, via_root.cert.get()) == X509_V_OK);
  CHECK(verify(pki, via_unrelated.cert.get()) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(verify(pki, self_signed.cert.get()) == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);

  CHECK(X509_check_issued(pki.intermediate(), via_intermediate.cert.get()) == X509_V_OK);
  CHECK(X509_check_issued(pki.root(), via_root.cert.get()) == X509_V_OK);
  CHECK(X509_check_issued(pki.unrelated_root(), via_unrelated.cert.get()) == X509_V_OK);
  X509* self = self_signed.cert.get();
  CHECK(X509_NAME_cmp(X509_get_subject_name(self), X509_get_issuer_name(self)) == 0);
  CHECK(X509_verify(self, X509_get0_pubkey(self)) == 1);
}

TEST_CASE("Expired and not-yet-valid leaves fail on their validity window alone", "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());

  LeafSpec expired = spec_for(Issuer::intermediate);
  expired.valid_from = -hours(48);
  expired.valid_until = -hours(1);
  LeafSpec not_yet_valid = spec_for(Issuer::intermediate);
  not_yet_valid.valid_from = hours(1);
  not_yet_valid.valid_until = hours(48);

  const Leaf old = pki.issue(expired, "expired");
  const Leaf future = pki.issue(not_yet_valid, "not-yet-valid");

  CHECK(verify(pki, old.cert.get()) == X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(verify(pki, future.cert.get()) == X509_V_ERR_CERT_NOT_YET_VALID);

  // The window is exactly the one asked for, placed around the time of issue.
  for (const auto& [leaf, spec] :
       {std::pair<const Leaf&, const LeafSpec&>{old, expired}, {future, not_yet_valid}}) {
    const ASN1_TIME* not_before = X509_get0_notBefore(leaf.cert.get());
    const ASN1_TIME* not_after = X509_get0_notAfter(leaf.cert.get());
    CHECK(seconds_between(not_before, not_after) == (spec.valid_until - spec.valid_from).count());
    const long long from_now = seconds_between(nullptr, not_before);
    CHECK(from_now <= spec.valid_from.count());
    CHECK(from_now >= spec.valid_from.count() - 60);
  }
}

TEST_CASE("Leaf names: SAN DNS entries and wildcards, optional CN, no SAN on a CN-only leaf",
          "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());
  const unsigned int strict = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  const unsigned int san_only = strict | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;

  SECTION("SAN entries, a wildcard among them, and a CN") {
    LeafSpec spec;
    spec.dns_names = {"mx1.example.test", "*.mail.example.test"};
    spec.common_name = "mx1.example.test";
    const Leaf leaf = pki.issue(spec, "named");
    X509* cert = leaf.cert.get();

    CHECK(has_extension(cert, NID_subject_alt_name));
    CHECK_FALSE(has_critical_extension(cert, NID_subject_alt_name));
    CHECK(check_host(cert, "mx1.example.test", san_only) == 1);
    CHECK(check_host(cert, "MX1.Example.Test", san_only) == 1);
    CHECK(check_host(cert, "a.mail.example.test", san_only) == 1);
    CHECK(check_host(cert, "a.b.mail.example.test", san_only) == 0);
    CHECK(check_host(cert, "mail.example.test", san_only) == 0);
    CHECK(check_host(cert, "mx2.example.test", san_only) == 0);
    std::array<char, 256> cn{};
    REQUIRE(X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn.data(),
                                      static_cast<int>(cn.size())) > 0);
    CHECK(std::string(cn.data()) == "mx1.example.test");
  }

  SECTION("SAN entries without a CN") {
    LeafSpec spec;
    spec.dns_names = {"mx.example.test"};
    const Leaf leaf = pki.issue(spec, "no-cn");
    X509* cert = leaf.cert.get();

    CHECK(X509_NAME_get_index_by_NID(X509_get_subject_name(cert), NID_commonName, -1) == -1);
    CHECK(check_host(cert, "mx.example.test", san_only) == 1);
    CHECK(verify(pki, cert) == X509_V_OK);
  }

  SECTION("CN only: no subjectAltName extension, so only a CN fallback matches") {
    LeafSpec spec;
    spec.common_name = "legacy.example.test";
    const Leaf leaf = pki.issue(spec, "cn-only");
    X509* cert = leaf.cert.get();

    CHECK_FALSE(has_extension(cert, NID_subject_alt_name));
    CHECK(check_host(cert, "legacy.example.test", san_only) == 0);
    CHECK(check_host(cert, "legacy.example.test", strict) == 1);
    CHECK(verify(pki, cert) == X509_V_OK);
  }
}

TEST_CASE("Leaf keys have the requested type and size and belong to the certificate", "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());

  struct Case {
    KeyType key;
    int base_id;
    int bits;
    int key_usage;
  };
  const Case c = GENERATE(values<Case>(
      {{KeyType::ecdsa_p256, EVP_PKEY_EC, 256, KU_DIGITAL_SIGNATURE},
       {KeyType::rsa_2048, EVP_PKEY_RSA, 2048, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT},
       {KeyType::rsa_1024, EVP_PKEY_RSA, 1024, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT}}));
  LeafSpec spec = spec_for(Issuer::intermediate);
  spec.key = c.key;
  const Leaf leaf = pki.issue(spec, "leaf");
  INFO("key bits " << c.bits);

  CHECK(EVP_PKEY_get_base_id(leaf.key.get()) == c.base_id);
  CHECK(EVP_PKEY_get_bits(leaf.key.get()) == c.bits);
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(leaf.cert.get()), leaf.key.get()) == 1);
  CHECK(X509_check_private_key(leaf.cert.get(), leaf.key.get()) == 1);
  CHECK(X509_get_key_usage(leaf.cert.get()) == static_cast<std::uint32_t>(c.key_usage));
  CHECK(verify(pki, leaf.cert.get()) == X509_V_OK);
  if (c.key == KeyType::ecdsa_p256) {
    std::array<char, 64> group{};
    REQUIRE(EVP_PKEY_get_group_name(leaf.key.get(), group.data(), group.size(), nullptr) == 1);
    CHECK(std::string(group.data()) == "prime256v1");
  }
  if (c.key == KeyType::rsa_1024) {
    // Level 2 wants 112-bit security: what the scanner's analysis must flag as a weak key.
    CHECK(verify(pki, leaf.cert.get(), 2) == X509_V_ERR_EE_KEY_TOO_SMALL);
  }
}

TEST_CASE("Leaves are server certificates with CA:FALSE, serverAuth, AKI, SKI, random serials",
          "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());

  const Leaf via_intermediate = pki.issue(spec_for(Issuer::intermediate), "a");
  const Leaf via_root = pki.issue(spec_for(Issuer::root), "b");
  const Leaf self_signed = pki.issue(spec_for(Issuer::self_signed), "c");

  for (const Leaf* leaf : {&via_intermediate, &via_root, &self_signed}) {
    X509* cert = leaf->cert.get();
    CHECK(X509_get_version(cert) == X509_VERSION_3);
    CHECK(has_critical_extension(cert, NID_basic_constraints));
    CHECK(X509_check_ca(cert) == 0);
    CHECK(has_critical_extension(cert, NID_key_usage));
    CHECK((X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) != 0);
    CHECK(X509_get_extended_key_usage(cert) == XKU_SSL_SERVER);
    CHECK(X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0) == 1);
    CHECK(X509_get0_subject_key_id(cert) != nullptr);
    CHECK(serial_bits(cert) == 128);
  }
  CHECK(same_key_id(X509_get0_authority_key_id(via_intermediate.cert.get()),
                    X509_get0_subject_key_id(pki.intermediate())));
  CHECK(same_key_id(X509_get0_authority_key_id(via_root.cert.get()),
                    X509_get0_subject_key_id(pki.root())));
  CHECK(same_key_id(X509_get0_authority_key_id(self_signed.cert.get()),
                    X509_get0_subject_key_id(self_signed.cert.get())));
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(via_intermediate.cert.get()),
                         X509_get0_serialNumber(via_root.cert.get())) != 0);
}

TEST_CASE("The signature digest is selectable, and SHA1 is refused at security level 2", "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());

  LeafSpec spec = spec_for(Issuer::intermediate);
  const Leaf sha256 = pki.issue(spec, "sha256");
  spec.signature_digest = "SHA1";
  const Leaf sha1 = pki.issue(spec, "sha1");
  spec.key = KeyType::rsa_2048;
  spec.issuer = Issuer::self_signed;
  const Leaf rsa_sha1 = pki.issue(spec, "rsa-sha1");

  CHECK(X509_get_signature_nid(sha256.cert.get()) == NID_ecdsa_with_SHA256);
  CHECK(X509_get_signature_nid(sha1.cert.get()) == NID_ecdsa_with_SHA1);
  CHECK(X509_get_signature_nid(rsa_sha1.cert.get()) == NID_sha1WithRSAEncryption);
  CHECK(verify(pki, sha1.cert.get()) == X509_V_OK);
  CHECK(verify(pki, sha256.cert.get(), 2) == X509_V_OK);
  CHECK(verify(pki, sha1.cert.get(), 2) == X509_V_ERR_CA_MD_TOO_WEAK);

  spec.signature_digest = "no-such-digest";
  CHECK_THROWS_AS(pki.issue(spec, "bad-digest"), std::invalid_argument);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("Leaf files: the certificate, the chain to serve and a matching PKCS#8 key", "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());

  const Issuer issuer =
      GENERATE(Issuer::intermediate, Issuer::root, Issuer::unrelated_root, Issuer::self_signed);
  const KeyType key = GENERATE(KeyType::ecdsa_p256, KeyType::rsa_2048);
  LeafSpec spec = spec_for(issuer);
  spec.key = key;
  const Leaf leaf = pki.issue(spec, "mx");
  INFO("issuer " << static_cast<int>(issuer) << ", key " << static_cast<int>(key));

  CHECK(leaf.cert_file == tmp.path() / "mx.crt");
  CHECK(leaf.chain_file == tmp.path() / "mx.chain.pem");
  CHECK(leaf.key_file == tmp.path() / "mx.key");

  const auto cert = load_certs(leaf.cert_file);
  REQUIRE(cert.size() == 1);
  CHECK(X509_cmp(cert[0].get(), leaf.cert.get()) == 0);

  const auto chain = load_certs(leaf.chain_file);
  REQUIRE(chain.size() == (issuer == Issuer::intermediate ? 2U : 1U));
  CHECK(X509_cmp(chain[0].get(), leaf.cert.get()) == 0);
  if (chain.size() == 2) {
    CHECK(X509_cmp(chain[1].get(), pki.intermediate()) == 0);
  }

  const std::string key_pem = read_text(leaf.key_file);
  CHECK(key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
  const KeyPtr loaded = load_key(leaf.key_file);
  REQUIRE(loaded);
  CHECK(EVP_PKEY_eq(loaded.get(), leaf.key.get()) == 1);
  CHECK(X509_check_private_key(cert[0].get(), loaded.get()) == 1);
}

TEST_CASE("Pki rejects file stems that are not plain file names", "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path());
  const LeafSpec spec = spec_for(Issuer::intermediate);

  CHECK_THROWS_AS(pki.issue(spec, ""), std::invalid_argument);
  CHECK_THROWS_AS(pki.issue(spec, ".."), std::invalid_argument);
  CHECK_THROWS_AS(pki.issue(spec, "../escape"), std::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(tmp.path().parent_path() / "escape.crt"));
}

TEST_CASE("A Pki with RSA 2048 CA keys issues leaves that verify", "[unit]") {
  const TempDir tmp;
  Pki pki(tmp.path(), KeyType::rsa_2048);

  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(pki.root())) == 2048);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(pki.intermediate())) == 2048);
  CHECK(EVP_PKEY_get_bits(X509_get0_pubkey(pki.unrelated_root())) == 2048);
  const Leaf leaf = pki.issue(spec_for(Issuer::intermediate), "mx");
  CHECK(X509_get_signature_nid(leaf.cert.get()) == NID_sha256WithRSAEncryption);
  CHECK(verify(pki, leaf.cert.get()) == X509_V_OK);
}

TEST_CASE(
    "A TLS server on the chain and key files completes a handshake with a client trusting "
    "only the trust file",
    "[loopback]") {
  const TempDir tmp;
  Pki pki(tmp.path());

  SECTION("ECDSA leaf under the intermediate: the server sends the intermediate too") {
    const Leaf leaf = pki.issue(spec_for(Issuer::intermediate), "mx");
    const HandshakeResult result = handshake(pki, leaf, "mx.example.test");
    REQUIRE(result.finished);
    INFO("client: " << result.client.message() << ", server: " << result.server.message());
    CHECK_FALSE(result.client);
    CHECK_FALSE(result.server);
    CHECK(result.peer_chain_length == 2);
  }

  SECTION("RSA 2048 wildcard leaf under the root") {
    LeafSpec spec;
    spec.dns_names = {"*.example.test"};
    spec.key = KeyType::rsa_2048;
    spec.issuer = Issuer::root;
    const Leaf leaf = pki.issue(spec, "wildcard");
    const HandshakeResult result = handshake(pki, leaf, "mx2.example.test");
    REQUIRE(result.finished);
    INFO("client: " << result.client.message() << ", server: " << result.server.message());
    CHECK_FALSE(result.client);
    CHECK_FALSE(result.server);
    CHECK(result.peer_chain_length == 1);
  }

  SECTION("a leaf under the unrelated root is refused by the client") {
    const Leaf leaf = pki.issue(spec_for(Issuer::unrelated_root), "untrusted");
    const HandshakeResult result = handshake(pki, leaf, "mx.example.test");
    REQUIRE(result.finished);
    CHECK(result.client.category() == boost::asio::error::get_ssl_category());
    CHECK(ERR_GET_REASON(static_cast<unsigned long>(result.client.value())) ==
          SSL_R_CERTIFICATE_VERIFY_FAILED);
    CHECK(result.server);
  }

  SECTION("a valid chain for another name is refused by the client") {
    const Leaf leaf = pki.issue(spec_for(Issuer::intermediate), "mx");
    const HandshakeResult result = handshake(pki, leaf, "other.example.test");
    REQUIRE(result.finished);
    CHECK(ERR_GET_REASON(static_cast<unsigned long>(result.client.value())) ==
          SSL_R_CERTIFICATE_VERIFY_FAILED);
    CHECK(result.server);
  }
}
