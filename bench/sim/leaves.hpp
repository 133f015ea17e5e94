#pragma once
// The certificates a world serves: the key pool its leaves share, what each host's leaf says,
// and the disk cache that makes every leaf once. Issuing a leaf costs about 0.7 ms of CPU with
// OpenSSL 3.0 (X509_set_pubkey encodes and decodes the key through the provider framework, then
// the signature), and parsing one back about 0.3 ms (d2i_X509 decodes the key the same way); a
// simulator that did either while serving would take that CPU from the scanner it serves. So
// every leaf of a world is loaded or issued before it serves, in parallel, and kept parsed:
// about 6 KB a leaf, 0.7 GB for a 100,000-domain world.
//
// The cache is one file, content-addressed by LeafRequest::key(): a restart reuses every leaf, the
// next generation (mxsim --mutate) only issues the leaves whose request changed, and another world
// in the same directory reuses what it shares. The file holds the leaves of the last world made
// with it and nothing else.
//
// Thread safety: KeyPool is immutable after construction (safe to share between threads).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/sim/world_plan.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/tls_listener.hpp"

namespace mx::sim {

class KeyPool {
 public:
  // Loads the pool kept under `dir` (ec-N.key, rsa-N.key), generating and keeping what is missing.
  // Throws std::runtime_error when a key cannot be written or encoded.
  explicit KeyPool(const std::filesystem::path& dir);

  [[nodiscard]] EVP_PKEY* key(bool rsa, std::uint32_t slot) const;
  // SHA-256 of the key's DER SubjectPublicKeyInfo (TLSA 3 1 1).
  [[nodiscard]] const std::vector<std::uint8_t>& spki_sha256(bool rsa, std::uint32_t slot) const;

 private:
  struct Slot {
    world::KeyPtr key;
    std::vector<std::uint8_t> spki_sha256;
  };
  [[nodiscard]] const Slot& slot(bool rsa, std::uint32_t index) const;
  std::vector<Slot> ec_;
  std::vector<Slot> rsa_;
};

// A leaf: its spec (spec.key is not read) and the pool key it certifies. Requests with the same
// key() give interchangeable leaves.
struct LeafRequest {
  world::LeafSpec spec;
  bool rsa = false;
  std::uint32_t key_slot = 0;

  // Every field that decides the certificate, unambiguously.
  [[nodiscard]] std::string key() const;
};

// Whether a mail host with this fault reaches a TLS handshake, and so serves a leaf (the others
// fail before: greeting, EHLO, STARTTLS refused with 454, garbage instead of TLS).
[[nodiscard]] bool serves_tls(SmtpFault fault);
// The leaf of a mail host that serves TLS: its fault decides issuer, validity and names.
[[nodiscard]] LeafRequest mail_leaf(const MailHost& host);
// The leaf of mta-sts.<domain> (expired for MtaSts::certificate).
[[nodiscard]] LeafRequest policy_leaf(const PlannedDomain& domain);

// Leaves are reused for a week: validity windows are relative to the issue time and their nearest
// edge is 30 days away (a not-yet-valid leaf becomes valid then), so a week never changes what a
// scanner concludes.
inline constexpr std::chrono::hours max_leaf_age{24 * 7};

struct LeafCacheStats {
  std::size_t reused = 0;  // loaded from the file
  std::size_t issued =
      0;                 // issued now: absent from the file, older than max_leaf_age, or unparsable
  bool written = false;  // the file was (re)written: something issued, or leaves dropped
  std::string discarded;  // why the whole file was ignored (corrupt, another PKI...); "" if not
};

// One identity per request, in order, each with the chain it is served with. Fresh leaves of
// `file` are reused; the others are issued with `pki` and `keys` (in parallel, one thread per
// core) and `file` is rewritten to hold exactly these requests' leaves. A file that is truncated,
// corrupt (its SHA-256 trailer), of another format or made under other CAs or pool keys is
// ignored whole and rebuilt: it is never served. `now` is the time leaves are judged and
// recorded at (issued leaves' windows always start from the clock). Throws std::runtime_error
// when the file cannot be written or a leaf cannot be issued.
[[nodiscard]] std::vector<world::TlsIdentity> make_leaves(
    const std::vector<LeafRequest>& requests, const world::Pki& pki, const KeyPool& keys,
    const std::filesystem::path& file, LeafCacheStats* stats = nullptr,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace mx::sim
