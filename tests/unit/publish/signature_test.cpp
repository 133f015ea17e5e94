// publish/signature.hpp and publish/verify.hpp in process, against keys that gpg generates in a
// throwaway GNUPGHOME: what is accepted, and each reason for refusing.
#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "publish/signature.hpp"
#include "publish/verify.hpp"
#include "tests/unit/publish/gpg_home.hpp"

namespace {

using mx::publish::normalise_fingerprint;
using mx::publish::Refusal;
using mx::publish::SignatureVerdict;
using mx::publish::TrustAnchor;
using mx::test::GpgHome;

TrustAnchor pinned(const GpgHome& gpg, const std::string& fingerprint) {
  TrustAnchor trust;
  trust.fingerprints.push_back(fingerprint);
  trust.home = gpg.home();
  return trust;
}

std::string sign(const GpgHome& gpg, const std::string& data, const std::string& fingerprint) {
  const auto outcome = mx::publish::sign_detached(data, fingerprint, gpg.home());
  INFO(outcome.error);
  REQUIRE(outcome.signature);
  return *outcome.signature;
}

}  // namespace

TEST_CASE("normalise_fingerprint: case and spaces ignored, only full fingerprints") {
  CHECK(normalise_fingerprint("2c31 9de4 7066 c200 dfdc  4d6b 842a ea40 c5bc d6e1") ==
        "2C319DE47066C200DFDC4D6B842AEA40C5BCD6E1");
  CHECK(normalise_fingerprint(std::string(64, 'a')) == std::string(64, 'A'));
  CHECK_FALSE(normalise_fingerprint("842AEA40C5BCD6E1"));  // a key ID is not a fingerprint
  CHECK_FALSE(normalise_fingerprint("2C319DE47066C200DFDC4D6B842AEA40C5BCD6EG"));
  CHECK_FALSE(normalise_fingerprint("0x2C319DE47066C200DFDC4D6B842AEA40C5BCD6E1"));
  CHECK_FALSE(normalise_fingerprint(""));
}

TEST_CASE("sign_detached then verify_detached: a good signature by the pinned key") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("signer@example.test");
  const std::string data = mx::test::sample_list();
  const auto signature = sign(gpg, data, fingerprint);
  CHECK(signature.rfind("-----BEGIN PGP SIGNATURE-----", 0) == 0);

  const auto check = mx::publish::verify_detached(data, signature, pinned(gpg, fingerprint));
  INFO(check.reason);
  CHECK(check.verdict == SignatureVerdict::good);
  CHECK(check.fingerprint == fingerprint);
  CHECK(check.signing_key == fingerprint);
  CHECK(check.user_id == "Test <signer@example.test>");
  CHECK(check.created.time_since_epoch().count() > 0);
}

TEST_CASE("sign_detached: gpg's default key when none is named, bad_key for a key without secret") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("signer@example.test");
  const auto outcome = mx::publish::sign_detached("data", std::nullopt, gpg.home());
  REQUIRE(outcome.signature);
  CHECK(outcome.signer == fingerprint);

  const auto missing = mx::publish::sign_detached("data", std::string(40, 'A'), gpg.home());
  CHECK_FALSE(missing.signature);
  CHECK(missing.bad_key);
  CHECK_THAT(missing.error, Catch::Contains("no secret key"));

  GpgHome empty;
  const auto none = mx::publish::sign_detached("data", std::nullopt, empty.home());
  CHECK_FALSE(none.signature);
  CHECK(none.bad_key);
}

TEST_CASE("verify_detached: one changed byte is a BAD signature") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("signer@example.test");
  std::string data = mx::test::sample_list();
  const auto signature = sign(gpg, data, fingerprint);
  data[data.find("enforce")] = 'E';
  const auto check = mx::publish::verify_detached(data, signature, pinned(gpg, fingerprint));
  CHECK(check.verdict == SignatureVerdict::bad_signature);
  CHECK_THAT(check.reason, Catch::Contains("BAD signature"));
  // A truncated list too.
  const auto truncated = mx::publish::verify_detached(mx::test::sample_list().substr(0, 50),
                                                      signature, pinned(gpg, fingerprint));
  CHECK(truncated.verdict == SignatureVerdict::bad_signature);
}

TEST_CASE("verify_detached: a good signature by a key other than the pinned one is refused") {
  GpgHome gpg;
  const auto signer = gpg.generate_key("signer@example.test");
  const auto other = gpg.generate_key("other@example.test");
  const std::string data = "list bytes";
  const auto check =
      mx::publish::verify_detached(data, sign(gpg, data, signer), pinned(gpg, other));
  CHECK(check.verdict == SignatureVerdict::wrong_key);
  CHECK_THAT(check.reason, Catch::Contains(signer) && Catch::Contains(other));
  CHECK(check.fingerprint == signer);
}

TEST_CASE("verify_detached: a signing subkey's signature counts for its primary key") {
  GpgHome gpg;
  const auto primary = gpg.generate_key("split@example.test", "cert");
  gpg.gpg({"--passphrase", "", "--quick-add-key", primary, "ed25519", "sign", "never"});
  const std::string data = "list bytes";
  const auto signature = sign(gpg, data, primary);

  const auto check = mx::publish::verify_detached(data, signature, pinned(gpg, primary));
  INFO(check.reason);
  CHECK(check.verdict == SignatureVerdict::good);
  CHECK(check.fingerprint == primary);
  CHECK(check.signing_key != primary);  // the subkey made it
  CHECK(check.signing_key.size() == 40);
  // Pinning the subkey itself is narrower, and accepted too.
  CHECK(mx::publish::verify_detached(data, signature, pinned(gpg, check.signing_key)).verdict ==
        SignatureVerdict::good);
}

TEST_CASE("verify_detached: a signature by an expired key is refused") {
  GpgHome gpg;
  // Made in 2020 with a key that expired a day later.
  const auto fingerprint = gpg.generate_key("old@example.test", "sign", "1d", "20200101T000000");
  const auto list = gpg.file("list.json");
  mx::test::spill(list, "list bytes");
  gpg.gpg({"--faked-system-time", "20200101T010000", "--local-user", fingerprint, "--armor",
           "--detach-sign", "--output", list + ".asc", list});
  const auto check = mx::publish::verify_detached("list bytes", mx::test::slurp(list + ".asc"),
                                                  pinned(gpg, fingerprint));
  CHECK(check.verdict == SignatureVerdict::key_expired);
  CHECK_THAT(check.reason, Catch::Contains("expired"));
}

TEST_CASE("verify_detached: a signature by a revoked key is refused") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("revoked@example.test");
  const std::string data = "list bytes";
  const auto signature = sign(gpg, data, fingerprint);
  REQUIRE(mx::publish::verify_detached(data, signature, pinned(gpg, fingerprint)).verdict ==
          SignatureVerdict::good);
  // gpg keeps a revocation certificate for each key it generates, its armour line guarded by ":".
  auto revocation = mx::test::slurp(gpg.home() / "openpgp-revocs.d" / (fingerprint + ".rev"));
  const auto guard = revocation.find(":-----BEGIN");
  REQUIRE(guard != std::string::npos);
  revocation.erase(guard, 1);
  mx::test::spill(gpg.file("key.rev"), revocation);
  gpg.gpg({"--import", gpg.file("key.rev")});

  const auto check = mx::publish::verify_detached(data, signature, pinned(gpg, fingerprint));
  CHECK(check.verdict == SignatureVerdict::key_revoked);
  CHECK_THAT(check.reason, Catch::Contains("revoked"));
}

TEST_CASE("verify_detached: a keyring file pins its keys and replaces the user's keyring") {
  GpgHome gpg;
  const auto signer = gpg.generate_key("signer@example.test");
  const auto other = gpg.generate_key("other@example.test");
  const std::string data = "list bytes";
  const auto signature = sign(gpg, data, signer);

  TrustAnchor signer_ring;
  signer_ring.keyring = gpg.export_public(signer);
  signer_ring.home = "/nonexistent";  // not used with a keyring
  const auto good = mx::publish::verify_detached(data, signature, signer_ring);
  INFO(good.reason);
  CHECK(good.verdict == SignatureVerdict::good);
  CHECK(good.fingerprint == signer);

  // The other key's keyring does not know the signer, although the user's keyring does.
  TrustAnchor other_ring;
  other_ring.keyring = gpg.export_public(other);
  CHECK(mx::publish::verify_detached(data, signature, other_ring).verdict ==
        SignatureVerdict::unknown_key);

  // A keyring with both keys, and --key pinning one of them.
  TrustAnchor both;
  both.keyring = gpg.export_public(signer) + gpg.export_public(other);
  both.fingerprints = {other};
  CHECK(mx::publish::verify_detached(data, signature, both).verdict == SignatureVerdict::wrong_key);

  TrustAnchor empty;
  empty.keyring = "not a key";
  CHECK(mx::publish::verify_detached(data, signature, empty).verdict ==
        SignatureVerdict::unusable_trust);
}

TEST_CASE("verify_detached: a file that holds no signature") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("signer@example.test");
  for (const std::string& junk :
       std::vector<std::string>{"", "hello",
                                "-----BEGIN PGP SIGNATURE-----\n\n-----END PGP "
                                "SIGNATURE-----\n"}) {
    const auto check = mx::publish::verify_detached("data", junk, pinned(gpg, fingerprint));
    INFO(junk);
    CHECK(check.verdict == SignatureVerdict::no_signature);
    CHECK_FALSE(check.reason.empty());
  }
}

TEST_CASE("verify_detached: the EFF's real signature, by a key not on this machine") {
  GpgHome gpg;
  const auto data = mx::test::slurp(mx::test::shared_data("eff-policy.json"));
  const auto signature = mx::test::slurp(mx::test::shared_data("eff-policy.json.asc"));
  REQUIRE(!data.empty());
  REQUIRE(!signature.empty());
  const auto check =
      mx::publish::verify_detached(data, signature, pinned(gpg, mx::test::eff_fingerprint));
  CHECK(check.verdict == SignatureVerdict::unknown_key);
  CHECK(check.signing_key == mx::test::eff_fingerprint);
  CHECK_THAT(check.reason, Catch::Contains("no public key"));
}

TEST_CASE("verify_published_list: the signature first, then the list, then its expiry") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("signer@example.test");
  const auto trust = pinned(gpg, fingerprint);
  const auto now = std::chrono::system_clock::now();

  const auto good_list = mx::test::sample_list();
  const auto accepted =
      mx::publish::verify_published_list(good_list, sign(gpg, good_list, fingerprint), trust, now);
  CHECK(accepted.refusal == Refusal::none);
  CHECK(accepted.reasons.empty());
  REQUIRE(accepted.list);
  CHECK(accepted.list->policies.size() == 3);

  const auto missing = mx::publish::verify_published_list(good_list, std::nullopt, trust, now);
  CHECK(missing.refusal == Refusal::signature);
  CHECK_FALSE(missing.list);

  const std::string malformed = "{\"version\": \"0.1\"}";
  const auto bad_list =
      mx::publish::verify_published_list(malformed, sign(gpg, malformed, fingerprint), trust, now);
  CHECK(bad_list.refusal == Refusal::malformed);
  CHECK_FALSE(bad_list.reasons.empty());
  CHECK_FALSE(bad_list.list);
  // An unsigned malformed list is refused for its signature: its content is not read.
  const auto unsigned_malformed =
      mx::publish::verify_published_list(malformed, sign(gpg, good_list, fingerprint), trust, now);
  CHECK(unsigned_malformed.refusal == Refusal::signature);

  // "2020-06-03T10:25:12.710055-07:00" is 17:25:12.710055 UTC.
  const auto old_list = mx::test::sample_list("2020-06-03T10:25:12.710055-07:00");
  const auto old_signature = sign(gpg, old_list, fingerprint);
  using namespace std::chrono;
  const auto expiry = sys_days{2020y / June / 3} + 17h + 25min + 12s + 710055us;
  const auto before = mx::publish::verify_published_list(
      old_list, old_signature, trust, time_point_cast<system_clock::duration>(expiry - 1us));
  CHECK(before.refusal == Refusal::none);
  const auto after = mx::publish::verify_published_list(
      old_list, old_signature, trust, time_point_cast<system_clock::duration>(expiry));
  CHECK(after.refusal == Refusal::expired);
  CHECK(after.list);  // authentic and valid: the caller may say what it held
  CHECK_THAT(after.reasons.front(), Catch::Contains("expired at 2020-06-03T10:25:12.710055-07:00"));
}
