#include "bench/sim/leaves.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bench/sim/world_files.hpp"

namespace mx::sim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

// The file: magic, the SHA-256 of the authorities it was made under, the entry count, the
// entries (key length, key, issue time in Unix seconds, DER length, DER; integers little-endian)
// and the SHA-256 of everything before it.
constexpr std::string_view magic = "mxsim-leaves-1\n";
constexpr std::size_t digest_size = 32;
// Bounds a corrupt length field cannot pass: keys are a few names, leaves under 2 KB.
constexpr std::uint32_t max_key_size = 16 * 1024;
constexpr std::uint32_t max_der_size = 64 * 1024;

using Digest = std::array<std::uint8_t, digest_size>;

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest_size) {
    throw std::runtime_error("mxsim: SHA-256 failed");
  }
  return out;
}

std::string_view as_text(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

world::KeyPtr read_or_make(const fs::path& file, world::KeyType type) {
  if (BIO* in = BIO_new_file(file.c_str(), "r")) {
    world::KeyPtr key(PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr));
    BIO_free(in);
    if (key) {
      return key;
    }
  }
  world::KeyPtr key = world::generate_key(type);
  BIO* out = BIO_new_file(file.c_str(), "w");
  if (out == nullptr ||
      PEM_write_bio_PKCS8PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    BIO_free(out);
    throw std::runtime_error("mxsim: cannot write " + file.string());
  }
  BIO_free(out);
  return key;
}

// The DER encoding of an OpenSSL object, by its i2d function.
template <auto encode, typename Object>
std::string der_of(const Object* object, const char* what) {
  unsigned char* der = nullptr;
  const int size = encode(object, &der);
  if (size <= 0) {
    throw std::runtime_error(std::string("mxsim: cannot encode ") + what);
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string cert_der(const X509* cert) {
  return der_of<i2d_X509>(cert, "a certificate");
}

std::vector<std::uint8_t> spki_digest(const EVP_PKEY* key) {
  const Digest digest = sha256(der_of<i2d_PUBKEY>(key, "a public key"));
  return {digest.begin(), digest.end()};
}

// What a file must have been made under for its leaves to be served now: the three CAs and every
// pool key. Another PKI (a removed and regenerated pki/) or another pool gives another value.
Digest authorities(const world::Pki& pki, const KeyPool& keys) {
  std::string all;
  for (const X509* ca : {pki.root(), pki.intermediate(), pki.unrelated_root()}) {
    all += cert_der(ca);
  }
  for (std::uint32_t slot = 0; slot < ec_key_slots; ++slot) {
    const auto& digest = keys.spki_sha256(false, slot);
    all.append(digest.begin(), digest.end());
  }
  for (std::uint32_t slot = 0; slot < rsa_key_slots; ++slot) {
    const auto& digest = keys.spki_sha256(true, slot);
    all.append(digest.begin(), digest.end());
  }
  return sha256(all);
}

template <typename Number>
void put(std::string& out, Number value) {
  auto bits = static_cast<std::make_unsigned_t<Number>>(value);
  for (std::size_t i = 0; i < sizeof(Number); ++i) {
    out.push_back(static_cast<char>(bits & 0xFF));
    bits = static_cast<decltype(bits)>(bits >> 8);
  }
}

// Reads the file's bytes in order; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  template <typename Number>
  bool get(Number& value) {
    if (data_.size() < sizeof(Number)) {
      return false;
    }
    std::make_unsigned_t<Number> bits = 0;
    for (std::size_t i = sizeof(Number); i-- > 0;) {
      bits = static_cast<decltype(bits)>(bits << 8 | static_cast<std::uint8_t>(data_[i]));
    }
    value = static_cast<Number>(bits);
    data_.remove_prefix(sizeof(Number));
    return true;
  }

  bool get(std::string_view& bytes, std::size_t size) {
    if (data_.size() < size) {
      return false;
    }
    bytes = data_.substr(0, size);
    data_.remove_prefix(size);
    return true;
  }

  [[nodiscard]] bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

struct Entry {
  std::int64_t issued_at = 0;  // Unix seconds
  std::string_view der;
};

struct CacheFile {
  std::unordered_map<std::string_view, Entry> entries;  // views into `data`
  std::string error;                                    // set: the file is not usable
};

// Parses `data`, which must outlive the result.
CacheFile parse(std::string_view data, const Digest& expected_authorities) {
  if (data.size() < magic.size() + 2 * digest_size + sizeof(std::uint64_t) ||
      data.substr(0, magic.size()) != magic) {
    return {{}, "not a leaf cache of this version"};
  }
  const std::string_view body = data.substr(0, data.size() - digest_size);
  if (as_text(sha256(body)) != data.substr(body.size())) {
    return {{}, "checksum mismatch (truncated or corrupt)"};
  }
  Reader reader(body.substr(magic.size()));
  std::string_view made_under;
  std::uint64_t count = 0;
  // The size check above covers the header.
  reader.get(made_under, digest_size);
  reader.get(count);
  if (made_under != as_text(expected_authorities)) {
    return {{}, "made under other CAs or pool keys"};
  }
  CacheFile out;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint32_t key_size = 0;
    std::string_view key;
    Entry entry;
    std::uint32_t der_size = 0;
    if (!reader.get(key_size) || key_size > max_key_size || !reader.get(key, key_size) ||
        !reader.get(entry.issued_at) || !reader.get(der_size) || der_size > max_der_size ||
        !reader.get(entry.der, der_size)) {
      return {{}, fmt::format("entry {} of {} is cut short", i + 1, count)};
    }
    out.entries.emplace(key, entry);
  }
  if (!reader.done()) {
    return {{}, "bytes after the last entry"};
  }
  return out;
}

// The file's bytes; "" when it is missing. A read cut short leaves fewer bytes, which the
// checksum then rejects.
std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) {
    return {};
  }
  std::string out(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

// Runs work(i) for every i below n on one thread per core; rethrows the first exception.
template <typename Work>
void parallel_for(std::size_t n, const Work& work) {
  const std::size_t threads =
      std::min<std::size_t>(n, std::max(1U, std::thread::hardware_concurrency()));
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto run = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        work(i);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) {
          failure = std::current_exception();
        }
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) {
    pool.emplace_back(run);
  }
  run();
  for (auto& thread : pool) {
    thread.join();
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
}

std::int64_t unix_seconds(Clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::string length_prefixed(std::string_view text) {
  return fmt::format("{}:{}", text.size(), text);
}

}  // namespace

KeyPool::KeyPool(const fs::path& dir) {
  fs::create_directories(dir);
  const auto load = [&dir](std::vector<Slot>& slots, std::uint32_t count, const char* stem,
                           world::KeyType type) {
    for (std::uint32_t i = 0; i < count; ++i) {
      Slot loaded;
      loaded.key = read_or_make(dir / fmt::format("{}-{}.key", stem, i), type);
      loaded.spki_sha256 = spki_digest(loaded.key.get());
      slots.push_back(std::move(loaded));
    }
  };
  load(ec_, ec_key_slots, "ec", world::KeyType::ecdsa_p256);
  load(rsa_, rsa_key_slots, "rsa", world::KeyType::rsa_2048);
}

const KeyPool::Slot& KeyPool::slot(bool rsa, std::uint32_t index) const {
  return rsa ? rsa_.at(index % rsa_.size()) : ec_.at(index % ec_.size());
}

EVP_PKEY* KeyPool::key(bool rsa, std::uint32_t slot) const {
  return this->slot(rsa, slot).key.get();
}

const std::vector<std::uint8_t>& KeyPool::spki_sha256(bool rsa, std::uint32_t slot) const {
  return this->slot(rsa, slot).spki_sha256;
}

std::string LeafRequest::key() const {
  std::string out = fmt::format("issuer={} from={} until={} digest={} rsa={} slot={} cn={} dns=",
                                static_cast<int>(spec.issuer), spec.valid_from.count(),
                                spec.valid_until.count(), length_prefixed(spec.signature_digest),
                                rsa ? 1 : 0, key_slot, length_prefixed(spec.common_name));
  for (const auto& name : spec.dns_names) {
    out += length_prefixed(name);
  }
  return out;
}

bool serves_tls(SmtpFault fault) {
  switch (fault) {
    case SmtpFault::banner_rejected:
    case SmtpFault::temporary:
    case SmtpFault::protocol:
    case SmtpFault::tarpit:
    case SmtpFault::not_advertised:
    case SmtpFault::starttls_temporary:
    case SmtpFault::handshake_failed:
      return false;
    default:
      return true;
  }
}

LeafRequest mail_leaf(const MailHost& host) {
  LeafRequest out;
  out.rsa = host.rsa;
  out.key_slot = host.key_slot;
  auto& spec = out.spec;
  spec.dns_names = {host.name};
  spec.common_name = host.name;
  switch (host.fault) {
    case SmtpFault::untrusted:
      spec.issuer = world::Issuer::unrelated_root;
      break;
    case SmtpFault::expired:
      spec.valid_from = -std::chrono::hours(24 * 400);
      spec.valid_until = -std::chrono::hours(24 * 30);
      break;
    case SmtpFault::not_yet_valid:
      spec.valid_from = std::chrono::hours(24 * 30);
      spec.valid_until = std::chrono::hours(24 * 400);
      break;
    case SmtpFault::name_mismatch:
      spec.dns_names = {"mail.elsewhere.test"};
      spec.common_name = "mail.elsewhere.test";
      break;
    default:
      break;
  }
  return out;
}

LeafRequest policy_leaf(const PlannedDomain& domain) {
  LeafRequest out;
  out.key_slot = domain.sts_id;
  auto& spec = out.spec;
  spec.dns_names = {"mta-sts." + domain.name};
  spec.common_name = spec.dns_names.front();
  if (domain.mta_sts == MtaSts::certificate) {
    spec.valid_from = -std::chrono::hours(24 * 400);
    spec.valid_until = -std::chrono::hours(24 * 30);
  }
  return out;
}

std::vector<world::TlsIdentity> make_leaves(const std::vector<LeafRequest>& requests,
                                            const world::Pki& pki, const KeyPool& keys,
                                            const fs::path& file, LeafCacheStats* stats,
                                            Clock::time_point now) {
  LeafCacheStats counted;
  const Digest made_under = authorities(pki, keys);
  const std::string data = read_file(file);
  CacheFile cached;
  if (!data.empty()) {
    cached = parse(data, made_under);
    counted.discarded = cached.error;
  }

  // One leaf per distinct key; requests share it.
  struct Leaf {
    const LeafRequest* request = nullptr;
    std::string key;
    std::optional<Entry> reusable;
    std::int64_t issued_at = 0;
    std::string der;  // of an issued leaf
    std::shared_ptr<X509> cert;
  };
  std::vector<Leaf> leaves;
  std::vector<std::size_t> leaf_of(requests.size());
  std::unordered_map<std::string, std::size_t> by_key;
  const std::int64_t now_s = unix_seconds(now);
  const std::int64_t max_age_s = std::chrono::seconds(max_leaf_age).count();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto key = requests[i].key();
    const auto [found, added] = by_key.emplace(key, leaves.size());
    leaf_of[i] = found->second;
    if (!added) {
      continue;
    }
    Leaf leaf{&requests[i], std::move(key), std::nullopt, now_s, {}, nullptr};
    if (const auto entry = cached.entries.find(leaf.key); entry != cached.entries.end()) {
      const std::int64_t age = now_s - entry->second.issued_at;
      // A leaf from the future was made under a clock that since went back: its window is off.
      if (age >= 0 && age < max_age_s) {
        leaf.reusable = entry->second;
      }
    }
    leaves.push_back(std::move(leaf));
  }

  parallel_for(leaves.size(), [&](std::size_t i) {
    Leaf& leaf = leaves[i];
    if (leaf.reusable) {
      const auto* bytes = reinterpret_cast<const unsigned char*>(leaf.reusable->der.data());
      if (X509* cert = d2i_X509(nullptr, &bytes, static_cast<long>(leaf.reusable->der.size()))) {
        leaf.cert.reset(cert, X509_free);
        leaf.issued_at = leaf.reusable->issued_at;
      } else {
        leaf.reusable.reset();
      }
    }
    if (!leaf.reusable) {
      const LeafRequest& request = *leaf.request;
      auto issued = pki.issue_in_memory(request.spec, keys.key(request.rsa, request.key_slot));
      leaf.cert.reset(issued.cert.release(), X509_free);
      leaf.der = cert_der(leaf.cert.get());
    }
    // Caches the parsed extensions now rather than in the first handshake that needs them.
    X509_get_extension_flags(leaf.cert.get());
  });

  for (const auto& leaf : leaves) {
    ++(leaf.reusable ? counted.reused : counted.issued);
  }
  if (counted.issued > 0 || counted.reused != cached.entries.size() || !cached.error.empty()) {
    std::string out(magic);
    out += as_text(made_under);
    put(out, static_cast<std::uint64_t>(leaves.size()));
    for (const auto& leaf : leaves) {
      const std::string_view der = leaf.reusable ? leaf.reusable->der : leaf.der;
      put(out, static_cast<std::uint32_t>(leaf.key.size()));
      out += leaf.key;
      put(out, leaf.issued_at);
      put(out, static_cast<std::uint32_t>(der.size()));
      out += der;
    }
    out += as_text(sha256(out));
    write_file(file, out);
    counted.written = true;
  }

  // Identities share one owner per pool key and one for the intermediate.
  const auto intermediate = world::share(pki.intermediate());
  std::unordered_map<EVP_PKEY*, std::shared_ptr<EVP_PKEY>> owners;
  std::vector<world::TlsIdentity> out;
  out.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const LeafRequest& request = requests[i];
    EVP_PKEY* key = keys.key(request.rsa, request.key_slot);
    auto& owner = owners[key];
    if (!owner) {
      owner = world::share(key);
    }
    world::TlsIdentity identity;
    identity.leaf = leaves[leaf_of[i]].cert;
    identity.key = owner;
    if (request.spec.issuer == world::Issuer::intermediate) {
      identity.chain.push_back(intermediate);
    }
    out.push_back(std::move(identity));
  }
  if (stats != nullptr) {
    *stats = std::move(counted);
  }
  return out;
}

}  // namespace mx::sim
