// The leaf cache: made once, reused by the next start, completed by the next generation, and
// rebuilt (never served) when damaged, stale or made under other authorities.
#include "bench/sim/leaves.hpp"

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "bench/sim/world_files.hpp"
#include "bench/sim/world_servers.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using mx::sim::LeafCacheStats;
using mx::sim::LeafRequest;
using mx::sim::MailHost;
using mx::sim::SmtpFault;

// One PKI and key pool for every test here: the pool's RSA keys take a while to generate.
struct Authorities {
  mx::test::TempDir dir;
  std::unique_ptr<mx::world::Pki> pki = mx::world::Pki::open(dir.path() / "pki");
  mx::sim::KeyPool keys{dir.path() / "pki" / "keys"};
};

const Authorities& authorities() {
  static const Authorities shared;
  return shared;
}

std::string der(X509* cert) {
  unsigned char* bytes = nullptr;
  const int size = i2d_X509(cert, &bytes);
  std::string out(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
  OPENSSL_free(bytes);
  return out;
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

MailHost host(std::string name, SmtpFault fault, bool rsa = false, std::uint32_t slot = 1) {
  MailHost out;
  out.name = std::move(name);
  out.fault = fault;
  out.rsa = rsa;
  out.key_slot = slot;
  return out;
}

std::vector<LeafRequest> sample_requests() {
  std::vector<LeafRequest> out;
  out.push_back(mx::sim::mail_leaf(host("mx1.a.test", SmtpFault::none)));
  out.push_back(mx::sim::mail_leaf(host("mx1.b.test", SmtpFault::none, true, 2)));
  out.push_back(mx::sim::mail_leaf(host("mx1.c.test", SmtpFault::untrusted)));
  out.push_back(mx::sim::mail_leaf(host("mx1.d.test", SmtpFault::expired, true, 3)));
  out.push_back(mx::sim::mail_leaf(host("mx1.e.test", SmtpFault::not_yet_valid)));
  out.push_back(mx::sim::mail_leaf(host("mx1.f.test", SmtpFault::name_mismatch)));
  mx::sim::PlannedDomain domain;
  domain.name = "g.test";
  domain.sts_id = 20260107;
  out.push_back(mx::sim::policy_leaf(domain));
  domain.name = "h.test";
  domain.mta_sts = mx::sim::MtaSts::certificate;
  out.push_back(mx::sim::policy_leaf(domain));
  return out;
}

// What a scanner would see in an identity: "ok" when the leaf is signed by the CA its request
// names, certifies the pool key it is served with, comes with the intermediate exactly when
// that signed it, and has the request's names and window; else what is wrong.
std::string check(const mx::world::TlsIdentity& identity, const LeafRequest& request) {
  const auto& pki = *authorities().pki;
  X509* cert = identity.leaf.get();
  const bool by_intermediate = request.spec.issuer == mx::world::Issuer::intermediate;
  X509* issuer = by_intermediate ? pki.intermediate() : pki.unrelated_root();
  if (X509_verify(cert, X509_get0_pubkey(issuer)) != 1) {
    return "not signed by its issuer";
  }
  if (identity.key.get() != authorities().keys.key(request.rsa, request.key_slot) ||
      X509_check_private_key(cert, identity.key.get()) != 1) {
    return "not the pool key";
  }
  if (identity.chain.size() != (by_intermediate ? 1U : 0U) ||
      (by_intermediate && identity.chain.front().get() != pki.intermediate())) {
    return "wrong chain";
  }
  const auto& name = request.spec.dns_names.front();
  if (X509_check_host(cert, name.data(), name.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                      nullptr) != 1) {
    return "wrong name";
  }
  const bool started = X509_cmp_current_time(X509_get0_notBefore(cert)) < 0;
  const bool ended = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
  if (started != (request.spec.valid_from.count() < 0) ||
      ended != (request.spec.valid_until.count() < 0)) {
    return "wrong validity window";
  }
  return "ok";
}

void check_all(const std::vector<mx::world::TlsIdentity>& identities,
               const std::vector<LeafRequest>& requests) {
  REQUIRE(identities.size() == requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    INFO(requests[i].key());
    CHECK(check(identities[i], requests[i]) == "ok");
  }
}

std::vector<std::string> ders(const std::vector<mx::world::TlsIdentity>& identities) {
  std::vector<std::string> out;
  for (const auto& identity : identities) {
    out.push_back(der(identity.leaf.get()));
  }
  return out;
}

// The requests an index served, by key.
std::set<std::string> served_keys(const mx::sim::WorldIndex& index) {
  std::set<std::string> out;
  for (const auto& [address, entry] : index.smtp) {
    if (entry.identity) {
      out.insert(mx::sim::mail_leaf(*entry.host).key());
    }
  }
  for (const auto& [address, entry] : index.https) {
    out.insert(mx::sim::policy_leaf(*entry.domain).key());
  }
  return out;
}

}  // namespace

TEST_CASE("A mail host's fault decides its leaf, and whether it has one", "[unit]") {
  const auto requests = sample_requests();
  CHECK(requests[0].spec.issuer == mx::world::Issuer::intermediate);
  CHECK(requests[1].rsa);
  CHECK(requests[2].spec.issuer == mx::world::Issuer::unrelated_root);
  CHECK(requests[3].spec.valid_until.count() < 0);
  CHECK(requests[4].spec.valid_from.count() > 0);
  CHECK(requests[5].spec.dns_names == std::vector<std::string>{"mail.elsewhere.test"});
  CHECK(requests[6].spec.dns_names == std::vector<std::string>{"mta-sts.g.test"});
  CHECK(requests[7].spec.valid_until.count() < 0);
  std::set<std::string> keys;
  for (const auto& request : requests) {
    keys.insert(request.key());
  }
  CHECK(keys.size() == requests.size());

  CHECK(mx::sim::serves_tls(SmtpFault::none));
  CHECK(mx::sim::serves_tls(SmtpFault::starttls_rejected));
  CHECK(mx::sim::serves_tls(SmtpFault::outdated));
  CHECK(mx::sim::serves_tls(SmtpFault::expired));
  CHECK_FALSE(mx::sim::serves_tls(SmtpFault::banner_rejected));
  CHECK_FALSE(mx::sim::serves_tls(SmtpFault::not_advertised));
  CHECK_FALSE(mx::sim::serves_tls(SmtpFault::starttls_temporary));
  CHECK_FALSE(mx::sim::serves_tls(SmtpFault::handshake_failed));
  CHECK_FALSE(mx::sim::serves_tls(SmtpFault::tarpit));
}

TEST_CASE("Leaves are issued once, kept on disk and reused by the next start", "[unit]") {
  const auto& pki = authorities().pki;
  const auto& keys = authorities().keys;
  const mx::test::TempDir dir;
  const auto file = dir.path() / "leaves.cache";
  const auto requests = sample_requests();

  LeafCacheStats first;
  const auto issued = mx::sim::make_leaves(requests, *pki, keys, file, &first);
  CHECK(first.issued == requests.size());
  CHECK(first.reused == 0);
  CHECK(first.written);
  CHECK(first.discarded.empty());
  check_all(issued, requests);
  const auto written = fs::last_write_time(file);
  const auto bytes = slurp(file);

  LeafCacheStats second;
  const auto reused = mx::sim::make_leaves(requests, *pki, keys, file, &second);
  CHECK(second.reused == requests.size());
  CHECK(second.issued == 0);
  CHECK_FALSE(second.written);
  CHECK(second.discarded.empty());
  check_all(reused, requests);
  CHECK(ders(reused) == ders(issued));
  CHECK(fs::last_write_time(file) == written);
  CHECK(slurp(file) == bytes);
}

TEST_CASE("Requests with one key share a leaf; the file keeps only the last requests'", "[unit]") {
  const auto& pki = authorities().pki;
  const auto& keys = authorities().keys;
  const mx::test::TempDir dir;
  const auto file = dir.path() / "leaves.cache";
  auto requests = sample_requests();
  requests.push_back(requests.front());

  LeafCacheStats stats;
  const auto identities = mx::sim::make_leaves(requests, *pki, keys, file, &stats);
  CHECK(stats.issued == requests.size() - 1);
  CHECK(identities.front().leaf == identities.back().leaf);

  const std::vector<LeafRequest> fewer(requests.begin(), requests.begin() + 3);
  const auto kept = mx::sim::make_leaves(fewer, *pki, keys, file, &stats);
  CHECK(stats.reused == 3);
  CHECK(stats.issued == 0);
  CHECK(stats.written);  // the other leaves left the file
  const auto all = ders(identities);
  CHECK(ders(kept) == std::vector<std::string>(all.begin(), all.begin() + 3));

  const auto again = mx::sim::make_leaves(requests, *pki, keys, file, &stats);
  CHECK(stats.reused == 3);
  CHECK(stats.issued == requests.size() - 4);
  check_all(again, requests);
}

TEST_CASE("A damaged leaf cache is rebuilt, never served", "[unit]") {
  const auto& pki = authorities().pki;
  const auto& keys = authorities().keys;
  const mx::test::TempDir dir;
  const auto file = dir.path() / "leaves.cache";
  const auto requests = sample_requests();
  LeafCacheStats stats;
  const auto original = ders(mx::sim::make_leaves(requests, *pki, keys, file, &stats));
  const auto bytes = slurp(file);
  REQUIRE(bytes.size() > 1000);

  const auto damage =
      GENERATE(as<std::string>{}, "truncated to half", "last byte cut",
               "one byte flipped in a certificate", "one byte added", "another format");
  std::string damaged = bytes;
  if (damage == "truncated to half") {
    damaged.resize(bytes.size() / 2);
  } else if (damage == "last byte cut") {
    damaged.pop_back();
  } else if (damage == "one byte flipped in a certificate") {
    // Past the header and the first key: inside the first certificate's DER.
    damaged[200] = static_cast<char>(damaged[200] ^ 0x01);
  } else if (damage == "one byte added") {
    damaged += '\n';
  } else {
    damaged = "mxsim-leaves-0\n" + bytes.substr(15);
  }
  spit(file, damaged);
  INFO(damage);

  const auto rebuilt = mx::sim::make_leaves(requests, *pki, keys, file, &stats);
  CHECK_FALSE(stats.discarded.empty());
  CHECK(stats.reused == 0);
  CHECK(stats.issued == requests.size());
  CHECK(stats.written);
  check_all(rebuilt, requests);
  CHECK(ders(rebuilt) != original);

  const auto after = mx::sim::make_leaves(requests, *pki, keys, file, &stats);
  CHECK(stats.discarded.empty());
  CHECK(stats.reused == requests.size());
  CHECK(ders(after) == ders(rebuilt));
}

TEST_CASE("Leaves made under other CAs or keys are not reused", "[unit]") {
  const auto& pki = authorities().pki;
  const auto& keys = authorities().keys;
  const mx::test::TempDir dir;
  const auto requests = sample_requests();
  LeafCacheStats stats;
  static_cast<void>(mx::sim::make_leaves(requests, *pki, keys, dir.path() / "leaves.cache"));

  // A PKI made afresh (its directory removed), with the same key pool.
  const auto other = mx::world::Pki::open(dir.path() / "other-pki");
  fs::copy_file(dir.path() / "leaves.cache", dir.path() / "other.cache");
  const auto identities =
      mx::sim::make_leaves(requests, *other, keys, dir.path() / "other.cache", &stats);
  CHECK(stats.discarded == "made under other CAs or pool keys");
  CHECK(stats.issued == requests.size());
  CHECK(X509_verify(identities.front().leaf.get(), X509_get0_pubkey(other->intermediate())) == 1);
}

TEST_CASE("Leaves older than a week, or from the future, are issued again", "[unit]") {
  const auto& pki = authorities().pki;
  const auto& keys = authorities().keys;
  const mx::test::TempDir dir;
  const auto file = dir.path() / "leaves.cache";
  const auto requests = sample_requests();
  const auto now = std::chrono::system_clock::now();
  LeafCacheStats stats;
  static_cast<void>(mx::sim::make_leaves(requests, *pki, keys, file, &stats, now));

  static_cast<void>(mx::sim::make_leaves(requests, *pki, keys, file, &stats,
                                         now + mx::sim::max_leaf_age - std::chrono::hours(1)));
  CHECK(stats.reused == requests.size());

  const auto later = now + mx::sim::max_leaf_age + std::chrono::hours(1);
  static_cast<void>(mx::sim::make_leaves(requests, *pki, keys, file, &stats, later));
  CHECK(stats.issued == requests.size());

  // The leaves just written are dated `later`: seen from `now`, they come from the future.
  static_cast<void>(mx::sim::make_leaves(requests, *pki, keys, file, &stats, now));
  CHECK(stats.issued == requests.size());
}

TEST_CASE("A world's next generation issues only the leaves whose request changed", "[unit]") {
  const auto& pki = authorities().pki;
  const auto& keys = authorities().keys;
  const mx::test::TempDir dir;
  const auto file = dir.path() / "leaves.cache";
  mx::sim::WorldState state{600, 3, {}, 0};
  const auto before = mx::sim::build_world(state);
  LeafCacheStats stats;
  const mx::sim::WorldIndex first(before, *pki, keys, file, &stats);
  const auto before_keys = served_keys(first);
  CHECK(stats.issued == before_keys.size());

  state.generation = 1;
  std::vector<mx::sim::Mutation> changes;
  const auto after = mx::sim::build_world(state, &changes);
  REQUIRE(!changes.empty());
  const mx::sim::WorldIndex second(after, *pki, keys, file, &stats);
  const auto after_keys = served_keys(second);
  std::size_t changed = 0;
  for (const auto& key : after_keys) {
    changed += before_keys.count(key) == 0 ? 1 : 0;
  }
  REQUIRE(changed > 0);
  CHECK(stats.issued == changed);
  CHECK(stats.reused == after_keys.size() - changed);
  CHECK(stats.written);

  // Every host serves the leaf its current fault calls for, and unchanged hosts the same one.
  for (const auto& [address, entry] : second.smtp) {
    CHECK(entry.identity.has_value() == mx::sim::serves_tls(entry.host->fault));
    if (!entry.identity) {
      continue;
    }
    const auto request = mx::sim::mail_leaf(*entry.host);
    INFO(entry.host->name << " " << to_string(entry.host->fault));
    CHECK(check(*entry.identity, request) == "ok");
    const auto earlier = first.smtp.find(address);
    if (earlier != first.smtp.end() && earlier->second.identity &&
        mx::sim::mail_leaf(*earlier->second.host).key() == request.key()) {
      CHECK(der(earlier->second.identity->leaf.get()) == der(entry.identity->leaf.get()));
    }
  }
  for (const auto& [address, entry] : second.https) {
    CHECK(check(entry.identity, mx::sim::policy_leaf(*entry.domain)) == "ok");
  }

  const mx::sim::WorldIndex restarted(after, *pki, keys, file, &stats);
  CHECK(stats.issued == 0);
  CHECK(stats.reused == after_keys.size());
}
