#pragma once
// A PKI made with the OpenSSL 3 API at test time: a root, an intermediate under it, an unrelated
// root, and leaves with chosen names, validity windows and key types. Nothing private is checked
// in; every key is generated when the Pki is made (CA keys) or a leaf is issued (its own key).
// Every certificate has O=mxscan test world in its subject and a random 128-bit serial; the CAs
// are valid from a year ago to ten years ahead. Setup failures throw (std::runtime_error with
// OpenSSL's error queue, std::invalid_argument for a bad digest name or file stem).
//
// Thread safety: distinct objects safe; shared objects unsafe.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace mx::world {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using CertPtr = std::unique_ptr<X509, X509Free>;

enum class KeyType { ecdsa_p256, rsa_2048, rsa_1024 };

enum class Issuer {
  intermediate,    // root -> intermediate -> leaf (the normal case; serve the intermediate)
  root,            // signed directly by the root
  unrelated_root,  // signed by a root that is not in the trust file
  self_signed,     // the leaf signs itself
};

struct LeafSpec {
  std::vector<std::string> dns_names;  // subjectAltName DNS entries; wildcards allowed
  std::string common_name;             // subject CN; empty = none
  KeyType key = KeyType::ecdsa_p256;
  Issuer issuer = Issuer::intermediate;
  // Validity relative to now: not_before = now + valid_from, not_after = now + valid_until.
  std::chrono::seconds valid_from = -std::chrono::hours(24);
  std::chrono::seconds valid_until = std::chrono::hours(24 * 90);
  std::string signature_digest = "SHA256";  // "SHA1" for a weak signature
  // Non-zero: a non-critical private extension whose value holds this many octets, for a
  // certificate as large as wanted (1 << 20: about a megabyte).
  std::size_t padding = 0;
};

// A leaf for these DNS names (subjectAltName), with every other field at its default.
LeafSpec leaf_named(std::vector<std::string> dns_names, Issuer issuer = Issuer::intermediate);

struct Leaf {
  CertPtr cert;
  KeyPtr key;
  // PEM files written under the Pki's directory:
  std::filesystem::path cert_file;   // the leaf alone
  std::filesystem::path chain_file;  // leaf followed by the intermediate (when issued by it)
  std::filesystem::path key_file;    // PKCS#8 private key
};

// A fresh private key of that type.
[[nodiscard]] KeyPtr generate_key(KeyType type);

class Pki {
 public:
  // Generates the roots and the intermediate and writes them under `dir` (created if missing;
  // never removed): root.pem, intermediate.pem, unrelated_root.pem.
  explicit Pki(std::filesystem::path dir, KeyType ca_key = KeyType::ecdsa_p256);
  // The PKI kept under `dir`: loaded when an earlier open() left it there (the three CA
  // certificates and their keys root.key, intermediate.key, unrelated_root.key), else generated
  // like the constructor does and kept, keys included. A world that restarts keeps its trust
  // anchor this way.
  [[nodiscard]] static std::unique_ptr<Pki> open(std::filesystem::path dir,
                                                 KeyType ca_key = KeyType::ecdsa_p256);
  ~Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  // Writes <stem>.crt, <stem>.chain.pem and <stem>.key under dir(); a reused stem overwrites.
  // `file_stem` is a plain file name (no '/').
  Leaf issue(const LeafSpec& spec, const std::string& file_stem);
  // A leaf for `key` (spec.key is not read), in memory only: its file paths are empty. The key
  // may be shared by many leaves. Safe to call from several threads at once.
  [[nodiscard]] Leaf issue_in_memory(const LeafSpec& spec, EVP_PKEY* key) const;
  // A leaf at the end of a chain of `intermediates` fresh CAs below the root (root -> first ->
  // ... -> last -> leaf; spec.issuer is not read), written like issue() does: the chain file
  // holds the leaf, then the intermediates from its issuer up to the one the root signed.
  Leaf issue_below_chain(const LeafSpec& spec, const std::string& file_stem,
                         std::size_t intermediates);

  [[nodiscard]] X509* root() const;
  [[nodiscard]] X509* intermediate() const;
  [[nodiscard]] X509* unrelated_root() const;
  // PEM of the root alone: what --ca-file takes.
  [[nodiscard]] const std::filesystem::path& trust_file() const;
  [[nodiscard]] const std::filesystem::path& intermediate_file() const;
  [[nodiscard]] const std::filesystem::path& unrelated_root_file() const;
  [[nodiscard]] const std::filesystem::path& dir() const;

 private:
  Pki();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mx::world
