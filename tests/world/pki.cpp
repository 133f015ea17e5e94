#include "tests/world/pki.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace mx::world {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct EvpMdFree {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct GeneralNameFree {
  void operator()(GENERAL_NAME* p) const { GENERAL_NAME_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct Asn1StringFree {
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
};
struct Asn1ObjectFree {
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;

// Certificates of the test CAs outlive any leaf a test may want, in both directions: a leaf's
// own window is then the only thing a verifier can complain about.
constexpr std::chrono::seconds ca_valid_from = -std::chrono::hours(24 * 365);
constexpr std::chrono::seconds ca_valid_until = std::chrono::hours(24 * 365 * 10);
constexpr std::string_view organization = "mxscan test world";
constexpr int serial_bits = 128;

// Setting up the world is not a peer's behaviour: a failure here is a broken test, so it throws,
// carrying OpenSSL's error queue so the cause is visible in the test output.
[[noreturn]] void fail(std::string_view what) {
  std::string message = "pki: ";
  message += what;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    message += ": ";
    message += text.data();
  }
  throw std::runtime_error(message);
}

void check(int status, std::string_view what) {
  if (status <= 0) {
    fail(what);
  }
}

struct Authority {
  KeyPtr key;
  CertPtr cert;
  std::filesystem::path file;
};

}  // namespace

KeyPtr generate_key(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::ecdsa_p256:
      key = EVP_EC_gen("P-256");
      break;
    case KeyType::rsa_2048:
      key = EVP_RSA_gen(2048);
      break;
    case KeyType::rsa_1024:
      key = EVP_RSA_gen(1024);
      break;
  }
  if (key == nullptr) {
    fail("key generation");
  }
  return KeyPtr(key);
}

namespace {

bool is_rsa_key(EVP_PKEY* key) {
  return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
}

void set_random_serial(X509* cert) {
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  if (!serial) {
    fail("BN_new");
  }
  // Top bit set: every serial is exactly 128 bits long, as CAs issue them.
  check(BN_rand(serial.get(), serial_bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY), "BN_rand");
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    fail("BN_to_ASN1_INTEGER");
  }
}

void add_name_entry(X509_NAME* name, int nid, std::string_view value) {
  check(X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0),
        "subject name entry");
}

// A certificate with its subject, key and validity set; the issuer and extensions come next.
CertPtr new_cert(EVP_PKEY* key, std::string_view common_name, std::chrono::seconds valid_from,
                 std::chrono::seconds valid_until) {
  CertPtr cert(X509_new());
  if (!cert) {
    fail("X509_new");
  }
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");
  set_random_serial(cert.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  add_name_entry(subject, NID_organizationName, organization);
  if (!common_name.empty()) {
    add_name_entry(subject, NID_commonName, common_name);
  }
  // One "now" for both ends, so a window of N seconds is exactly N seconds wide.
  std::time_t now = std::time(nullptr);
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, static_cast<long>(valid_from.count()),
                       &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, static_cast<long>(valid_until.count()),
                       &now) == nullptr) {
    fail("validity");
  }
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
  return cert;
}

// `issuer` may be `cert` itself (self-signed). Its SKI must already be present for keyid AKIs.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtensionFree> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) {
    fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

// Built as GENERAL_NAMES rather than a config string, so that no name is ever reparsed (a config
// string would split on commas and trim blanks).
void add_dns_names(X509* cert, const std::vector<std::string>& dns_names) {
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(GENERAL_NAMES_new());
  if (!names) {
    fail("GENERAL_NAMES_new");
  }
  for (const std::string& dns_name : dns_names) {
    std::unique_ptr<GENERAL_NAME, GeneralNameFree> entry(GENERAL_NAME_new());
    std::unique_ptr<ASN1_STRING, Asn1StringFree> text(ASN1_IA5STRING_new());
    if (!entry || !text) {
      fail("GENERAL_NAME_new");
    }
    check(ASN1_STRING_set(text.get(), dns_name.data(), static_cast<int>(dns_name.size())),
          "ASN1_STRING_set");
    GENERAL_NAME_set0_value(entry.get(), GEN_DNS, text.release());
    check(sk_GENERAL_NAME_push(names.get(), entry.get()), "sk_GENERAL_NAME_push");
    entry.release();
  }
  check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT),
        "subjectAltName");
}

// Under 1.3.6.1.4.1.32473, the enterprise number RFC 5612 sets aside for documentation: no
// verifier knows the extension, and being non-critical it may ignore it.
void add_padding(X509* cert, std::size_t octets) {
  const std::unique_ptr<ASN1_OBJECT, Asn1ObjectFree> oid(OBJ_txt2obj("1.3.6.1.4.1.32473.1", 1));
  const std::unique_ptr<ASN1_STRING, Asn1StringFree> inner(ASN1_OCTET_STRING_new());
  const std::unique_ptr<ASN1_STRING, Asn1StringFree> value(ASN1_OCTET_STRING_new());
  if (!oid || !inner || !value) {
    fail("padding extension");
  }
  const std::string filler(octets, 'x');
  check(ASN1_OCTET_STRING_set(inner.get(), reinterpret_cast<const unsigned char*>(filler.data()),
                              static_cast<int>(filler.size())),
        "ASN1_OCTET_STRING_set");
  // An extension's value is the DER of its content, here an OCTET STRING of filler.
  unsigned char* der = nullptr;
  const int der_size = i2d_ASN1_OCTET_STRING(inner.get(), &der);
  check(der_size, "i2d_ASN1_OCTET_STRING");
  const int set = ASN1_OCTET_STRING_set(value.get(), der, der_size);
  OPENSSL_free(der);
  check(set, "ASN1_OCTET_STRING_set");
  std::unique_ptr<X509_EXTENSION, ExtensionFree> ext(
      X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
  if (!ext) {
    fail("X509_EXTENSION_create_by_OBJ");
  }
  check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

void sign(X509* cert, X509* issuer, EVP_PKEY* issuer_key, const std::string& digest) {
  check(X509_set_issuer_name(cert, X509_get_subject_name(issuer)), "X509_set_issuer_name");
  std::unique_ptr<EVP_MD, EvpMdFree> md(EVP_MD_fetch(nullptr, digest.c_str(), nullptr));
  if (!md) {
    ERR_clear_error();
    throw std::invalid_argument("pki: unknown signature digest " + digest);
  }
  check(X509_sign(cert, issuer_key, md.get()), "X509_sign");
}

BioPtr open_for_writing(const std::filesystem::path& file) {
  BioPtr bio(BIO_new_file(file.c_str(), "w"));
  if (!bio) {
    fail("cannot write " + file.string());
  }
  return bio;
}

void write_certs(const std::filesystem::path& file, std::initializer_list<X509*> certs) {
  BioPtr bio = open_for_writing(file);
  for (X509* cert : certs) {
    check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  }
  check(BIO_flush(bio.get()), "BIO_flush");
}

void write_cert_list(const std::filesystem::path& file, const std::vector<X509*>& certs) {
  BioPtr bio = open_for_writing(file);
  for (X509* cert : certs) {
    check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  }
  check(BIO_flush(bio.get()), "BIO_flush");
}

void write_key(const std::filesystem::path& file, EVP_PKEY* key) {
  BioPtr bio = open_for_writing(file);
  check(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PKCS8PrivateKey");
  check(BIO_flush(bio.get()), "BIO_flush");
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

CertPtr read_cert(const std::filesystem::path& file) {
  BioPtr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) {
    fail("cannot read " + file.string());
  }
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    fail("no certificate in " + file.string());
  }
  return cert;
}

KeyPtr read_key(const std::filesystem::path& file) {
  BioPtr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) {
    fail("cannot read " + file.string());
  }
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    fail("no private key in " + file.string());
  }
  return key;
}

Authority make_root(KeyType key_type, std::string_view common_name, std::filesystem::path file) {
  Authority root{generate_key(key_type), nullptr, std::move(file)};
  root.cert = new_cert(root.key.get(), common_name, ca_valid_from, ca_valid_until);
  X509* cert = root.cert.get();
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  sign(cert, cert, root.key.get(), "SHA256");
  write_certs(root.file, {cert});
  return root;
}

Authority make_intermediate(KeyType key_type, const Authority& root, std::filesystem::path file) {
  Authority intermediate{generate_key(key_type), nullptr, std::move(file)};
  intermediate.cert = new_cert(intermediate.key.get(), "mxscan test intermediate CA", ca_valid_from,
                               ca_valid_until);
  X509* cert = intermediate.cert.get();
  X509* issuer = root.cert.get();
  add_extension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, issuer, NID_subject_key_identifier, "hash");
  add_extension(cert, issuer, NID_authority_key_identifier, "keyid:always");
  sign(cert, issuer, root.key.get(), "SHA256");
  write_certs(intermediate.file, {cert});
  return intermediate;
}

// A CA below `parent` without a path length constraint, so that any number may follow it.
Authority make_chain_ca(const Authority& parent, std::size_t number) {
  Authority ca{generate_key(KeyType::ecdsa_p256), nullptr, {}};
  ca.cert = new_cert(ca.key.get(), "mxscan test chain CA " + std::to_string(number), ca_valid_from,
                     ca_valid_until);
  X509* cert = ca.cert.get();
  X509* issuer = parent.cert.get();
  add_extension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, issuer, NID_subject_key_identifier, "hash");
  add_extension(cert, issuer, NID_authority_key_identifier, "keyid:always");
  sign(cert, issuer, parent.key.get(), "SHA256");
  return ca;
}

// A leaf for `key` signed by `issuer` and `issuer_key`, or by itself when they are null.
CertPtr make_leaf(const LeafSpec& spec, EVP_PKEY* key, X509* issuer_cert, EVP_PKEY* issuer_key) {
  CertPtr leaf = new_cert(key, spec.common_name, spec.valid_from, spec.valid_until);
  X509* cert = leaf.get();
  X509* issuer = issuer_cert != nullptr ? issuer_cert : cert;
  EVP_PKEY* signing_key = issuer_key != nullptr ? issuer_key : key;

  add_extension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
  // RSA key exchange encrypts to the certificate's key; ECDSA keys only ever sign.
  add_extension(
      cert, issuer, NID_key_usage,
      is_rsa_key(key) ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
  add_extension(cert, issuer, NID_ext_key_usage, "serverAuth");
  add_extension(cert, issuer, NID_subject_key_identifier, "hash");
  add_extension(cert, issuer, NID_authority_key_identifier, "keyid:always");
  // A CN-only certificate has no subjectAltName at all, not an empty one.
  if (!spec.dns_names.empty()) {
    add_dns_names(cert, spec.dns_names);
  }
  if (spec.padding > 0) {
    add_padding(cert, spec.padding);
  }
  sign(cert, issuer, signing_key, spec.signature_digest);
  return leaf;
}

void check_file_stem(const std::string& stem) {
  if (stem.empty() || stem == "." || stem == ".." || stem.find('/') != std::string::npos) {
    throw std::invalid_argument("pki: file stem must be a plain file name, got '" + stem + "'");
  }
}

}  // namespace

struct Pki::Impl {
  std::filesystem::path dir;
  Authority root;
  Authority intermediate;
  Authority unrelated_root;
};

Pki::Pki(std::filesystem::path dir, KeyType ca_key) : impl_(std::make_unique<Impl>()) {
  std::filesystem::create_directories(dir);
  impl_->dir = std::move(dir);
  impl_->root = make_root(ca_key, "mxscan test root CA", impl_->dir / "root.pem");
  impl_->intermediate = make_intermediate(ca_key, impl_->root, impl_->dir / "intermediate.pem");
  impl_->unrelated_root =
      make_root(ca_key, "mxscan unrelated root CA", impl_->dir / "unrelated_root.pem");
}

Pki::Pki() : impl_(std::make_unique<Impl>()) {}

std::unique_ptr<Pki> Pki::open(std::filesystem::path dir, KeyType ca_key) {
  static constexpr std::array names{"root", "intermediate", "unrelated_root"};
  const bool kept = std::all_of(names.begin(), names.end(), [&](const char* name) {
    return std::filesystem::exists(dir / (std::string(name) + ".pem")) &&
           std::filesystem::exists(dir / (std::string(name) + ".key"));
  });
  std::unique_ptr<Pki> pki(new Pki());
  if (!kept) {
    pki.reset(new Pki(dir, ca_key));
    Impl& impl = *pki->impl_;
    for (const Authority* authority : {&impl.root, &impl.intermediate, &impl.unrelated_root}) {
      auto key_file = authority->file;
      write_key(key_file.replace_extension(".key"), authority->key.get());
    }
    return pki;
  }
  Impl& impl = *pki->impl_;
  impl.dir = std::move(dir);
  Authority* authorities[] = {&impl.root, &impl.intermediate, &impl.unrelated_root};
  for (std::size_t i = 0; i < names.size(); ++i) {
    Authority& authority = *authorities[i];
    authority.file = impl.dir / (std::string(names[i]) + ".pem");
    authority.cert = read_cert(authority.file);
    authority.key = read_key(impl.dir / (std::string(names[i]) + ".key"));
  }
  return pki;
}

Pki::~Pki() = default;

Leaf Pki::issue_in_memory(const LeafSpec& spec, EVP_PKEY* key) const {
  Leaf leaf;
  EVP_PKEY_up_ref(key);
  leaf.key.reset(key);

  const Authority* signer = nullptr;
  switch (spec.issuer) {
    case Issuer::intermediate:
      signer = &impl_->intermediate;
      break;
    case Issuer::root:
      signer = &impl_->root;
      break;
    case Issuer::unrelated_root:
      signer = &impl_->unrelated_root;
      break;
    case Issuer::self_signed:
      break;
  }
  leaf.cert = make_leaf(spec, key, signer != nullptr ? signer->cert.get() : nullptr,
                        signer != nullptr ? signer->key.get() : nullptr);
  return leaf;
}

Leaf Pki::issue(const LeafSpec& spec, const std::string& file_stem) {
  check_file_stem(file_stem);
  const KeyPtr key = generate_key(spec.key);
  Leaf leaf = issue_in_memory(spec, key.get());
  X509* cert = leaf.cert.get();
  leaf.cert_file = impl_->dir / (file_stem + ".crt");
  leaf.chain_file = impl_->dir / (file_stem + ".chain.pem");
  leaf.key_file = impl_->dir / (file_stem + ".key");
  write_certs(leaf.cert_file, {cert});
  if (spec.issuer == Issuer::intermediate) {
    write_certs(leaf.chain_file, {cert, impl_->intermediate.cert.get()});
  } else {
    write_certs(leaf.chain_file, {cert});
  }
  write_key(leaf.key_file, leaf.key.get());
  return leaf;
}

Leaf Pki::issue_below_chain(const LeafSpec& spec, const std::string& file_stem,
                            std::size_t intermediates) {
  check_file_stem(file_stem);
  std::vector<Authority> chain;  // the one the root signed first
  chain.reserve(intermediates);
  for (std::size_t i = 0; i < intermediates; ++i) {
    chain.push_back(make_chain_ca(i == 0 ? impl_->root : chain.back(), i + 1));
  }
  Leaf leaf;
  leaf.key = generate_key(spec.key);
  const Authority& issuer = chain.empty() ? impl_->root : chain.back();
  leaf.cert = make_leaf(spec, leaf.key.get(), issuer.cert.get(), issuer.key.get());
  leaf.cert_file = impl_->dir / (file_stem + ".crt");
  leaf.chain_file = impl_->dir / (file_stem + ".chain.pem");
  leaf.key_file = impl_->dir / (file_stem + ".key");
  write_certs(leaf.cert_file, {leaf.cert.get()});
  std::vector<X509*> served{leaf.cert.get()};
  for (auto ca = chain.rbegin(); ca != chain.rend(); ++ca) {
    served.push_back(ca->cert.get());
  }
  write_cert_list(leaf.chain_file, served);
  write_key(leaf.key_file, leaf.key.get());
  return leaf;
}

X509* Pki::root() const {
  return impl_->root.cert.get();
}
X509* Pki::intermediate() const {
  return impl_->intermediate.cert.get();
}
X509* Pki::unrelated_root() const {
  return impl_->unrelated_root.cert.get();
}
const std::filesystem::path& Pki::trust_file() const {
  return impl_->root.file;
}
const std::filesystem::path& Pki::intermediate_file() const {
  return impl_->intermediate.file;
}
const std::filesystem::path& Pki::unrelated_root_file() const {
  return impl_->unrelated_root.file;
}
const std::filesystem::path& Pki::dir() const {
  return impl_->dir;
}

LeafSpec leaf_named(std::vector<std::string> dns_names, Issuer issuer) {
  LeafSpec spec;
  spec.dns_names = std::move(dns_names);
  spec.issuer = issuer;
  return spec;
}

}  // namespace mx::world
