#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <catch2/catch.hpp>

#include "probes/dane/tlsa_match.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/world/pki.hpp"

namespace {

using mx::test::TempDir;

using mx::dns::TlsaRecord;
using mx::probes::dane::association_data;
using mx::probes::dane::Der;
using mx::probes::dane::match_tlsa;
using mx::probes::dane::RecordMatch;
using mx::probes::dane::RecordStatus;
using mx::probes::dane::TlsaMatch;
using mx::world::Issuer;
using mx::world::Leaf;
using mx::world::LeafSpec;
using mx::world::Pki;
using std::chrono::hours;
using std::chrono::system_clock;

// One PKI per test process: generating the CA keys is the slow part.
struct World {
  TempDir dir;
  Pki pki{dir.path()};
};

World& world() {
  static World instance;
  return instance;
}

constexpr std::uint8_t pkix_ta = 0;
constexpr std::uint8_t pkix_ee = 1;
constexpr std::uint8_t dane_ta = 2;
constexpr std::uint8_t dane_ee = 3;

constexpr const char* mx_host = "mx.example.test";

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

Der spki_of(X509* cert) {
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), nullptr);
  if (length <= 0) {
    throw std::runtime_error("i2d_X509_PUBKEY");
  }
  Der der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &cursor);
  return der;
}

Der digest_of(const Der& bytes, const char* algorithm) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t length = 0;
  if (EVP_Q_digest(nullptr, algorithm, nullptr, bytes.data(), bytes.size(), digest.data(),
                   &length) != 1) {
    throw std::runtime_error("EVP_Q_digest");
  }
  return Der(digest.begin(), digest.begin() + static_cast<std::ptrdiff_t>(length));
}

LeafSpec spec(std::vector<std::string> dns_names) {
  LeafSpec leaf_spec;
  leaf_spec.dns_names = std::move(dns_names);
  return leaf_spec;
}

Leaf issue(const LeafSpec& leaf_spec) {
  return world().pki.issue(leaf_spec, "leaf");
}

Leaf issue_for(std::vector<std::string> dns_names) {
  return issue(spec(std::move(dns_names)));
}

// The leaf as a server sends it: followed by the intermediate that issued it.
std::vector<Der> served_chain(const Leaf& leaf) {
  return {der_of(leaf.cert.get()), der_of(world().pki.intermediate())};
}

TlsaRecord record_for(X509* cert, std::uint8_t usage, std::uint8_t selector,
                      std::uint8_t matching_type) {
  const std::optional<Der> data = association_data(der_of(cert), selector, matching_type);
  if (!data) {
    throw std::runtime_error("association_data");
  }
  return TlsaRecord{
      .usage = usage, .selector = selector, .matching_type = matching_type, .data = *data};
}

TlsaMatch match(const std::vector<TlsaRecord>& records, const std::vector<Der>& chain,
                system_clock::time_point now = system_clock::now()) {
  return match_tlsa(records, chain, mx_host, "", now);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("DANE-EE records of every selector and matching type match the leaf", "[unit]") {
  struct Case {
    std::uint8_t selector;
    std::uint8_t matching_type;
  };
  const Case c = GENERATE(Case{1, 1}, Case{0, 1}, Case{1, 2}, Case{0, 0}, Case{1, 0}, Case{0, 2});
  CAPTURE(c.selector, c.matching_type);

  const Leaf leaf = issue_for({mx_host});
  const TlsaMatch result = match(
      {record_for(leaf.cert.get(), dane_ee, c.selector, c.matching_type)}, served_chain(leaf));

  CHECK(result.matched);
  CHECK(result.usable_records == 1);
  CHECK_FALSE(result.all_unusable);
  REQUIRE(result.records.size() == 1);
  const RecordMatch& record = result.records[0];
  CHECK(record.status == RecordStatus::matched);
  CHECK(record.element == std::optional<std::size_t>(0));
  CHECK_FALSE(record.bare_key);
  CHECK(record.reason == "DANE-EE matched the leaf");
}

TEST_CASE("A DANE-EE record with other data is a usable record that does not match", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const Leaf other = issue_for({mx_host});
  TlsaRecord flipped = record_for(leaf.cert.get(), dane_ee, 1, 1);
  flipped.data.back() ^= 0x01;
  const std::vector<TlsaRecord> records{record_for(other.cert.get(), dane_ee, 1, 1),
                                        record_for(other.cert.get(), dane_ee, 0, 0),
                                        record_for(other.cert.get(), dane_ee, 1, 2), flipped};
  const TlsaRecord& record = records.at(GENERATE(0U, 1U, 2U, 3U));
  CAPTURE(record.selector, record.matching_type);

  const TlsaMatch result = match({record}, served_chain(leaf));

  CHECK_FALSE(result.matched);
  CHECK(result.usable_records == 1);
  CHECK_FALSE(result.all_unusable);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].status == RecordStatus::no_match);
  CHECK_FALSE(result.records[0].element);
  CHECK(result.records[0].reason == "DANE-EE data matches no served certificate");
}

TEST_CASE("DANE-EE ignores the leaf's names, dates and issuer", "[unit]") {
  struct Case {
    const char* name;
    std::vector<std::string> dns_names;
    std::chrono::seconds valid_from;
    std::chrono::seconds valid_until;
    Issuer issuer;
  };
  const Case c = GENERATE(
      Case{"expired", {mx_host}, -hours(48), -hours(24), Issuer::intermediate},
      Case{"not yet valid", {mx_host}, hours(24), hours(48), Issuer::intermediate},
      Case{"wrong name", {"other.example.test"}, -hours(24), hours(24), Issuer::intermediate},
      Case{"no name at all", {}, -hours(24), hours(24), Issuer::intermediate},
      Case{"self-signed", {"other.example.test"}, -hours(24), hours(24), Issuer::self_signed},
      Case{"unrelated root", {mx_host}, -hours(24), hours(24), Issuer::unrelated_root});
  CAPTURE(c.name);

  LeafSpec leaf_spec = spec(c.dns_names);
  leaf_spec.valid_from = c.valid_from;
  leaf_spec.valid_until = c.valid_until;
  leaf_spec.issuer = c.issuer;
  const Leaf leaf = issue(leaf_spec);

  const TlsaMatch result =
      match({record_for(leaf.cert.get(), dane_ee, 1, 1)}, {der_of(leaf.cert.get())});
  CHECK(result.matched);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].status == RecordStatus::matched);
  // DANE-TA facts stay unset for DANE-EE.
  CHECK_FALSE(result.records[0].path_valid);
  CHECK_FALSE(result.records[0].name_matches);
  CHECK_FALSE(result.records[0].dates_valid);
}

TEST_CASE("DANE-EE matches the leaf only, not a certificate above it", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const TlsaMatch result =
      match({record_for(world().pki.intermediate(), dane_ee, 1, 1)}, served_chain(leaf));

  CHECK_FALSE(result.matched);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].status == RecordStatus::no_match);
  CHECK(result.records[0].reason == "DANE-EE data matches chain certificate 1, not the leaf");
}

TEST_CASE("DANE-TA matching the intermediate accepts a leaf it issued for the MX host", "[unit]") {
  struct Case {
    std::uint8_t selector;
    std::uint8_t matching_type;
  };
  const Case c = GENERATE(Case{1, 1}, Case{0, 1}, Case{1, 2}, Case{0, 0}, Case{1, 0});
  CAPTURE(c.selector, c.matching_type);

  const Leaf leaf = issue_for({mx_host});
  const TlsaMatch result =
      match({record_for(world().pki.intermediate(), dane_ta, c.selector, c.matching_type)},
            served_chain(leaf));

  CHECK(result.matched);
  CHECK(result.usable_records == 1);
  REQUIRE(result.records.size() == 1);
  const RecordMatch& record = result.records[0];
  CHECK(record.status == RecordStatus::matched);
  CHECK(record.element == std::optional<std::size_t>(1));
  CHECK_FALSE(record.bare_key);
  CHECK(record.path_valid);
  CHECK(record.name_matches);
  CHECK(record.dates_valid);
  CHECK(contains(record.reason, "DANE-TA matched chain certificate 1"));
}

TEST_CASE("DANE-TA matching the intermediate rejects a leaf for another name", "[unit]") {
  const Leaf leaf = issue_for({"other.example.test"});
  const TlsaRecord record = GENERATE(record_for(world().pki.intermediate(), dane_ta, 1, 1),
                                     record_for(world().pki.intermediate(), dane_ta, 0, 2));
  CAPTURE(record.selector, record.matching_type);

  const TlsaMatch result = match({record}, served_chain(leaf));

  CHECK_FALSE(result.matched);
  CHECK(result.usable_records == 1);
  CHECK_FALSE(result.all_unusable);
  REQUIRE(result.records.size() == 1);
  const RecordMatch& detail = result.records[0];
  CHECK(detail.status == RecordStatus::rules_failed);
  CHECK(detail.element == std::optional<std::size_t>(1));
  CHECK(detail.path_valid);
  CHECK_FALSE(detail.name_matches);
  CHECK(detail.dates_valid);
  CHECK(detail.reason == "DANE-TA matched chain certificate 1 but the leaf name does not match");
}

TEST_CASE("DANE-TA checks the leaf's names against the MX host and the TLSA base domain",
          "[unit]") {
  struct Case {
    std::vector<std::string> dns_names;
    const char* host;
    const char* base_domain;
    bool matched;
  };
  const Case c = GENERATE(Case{{"mx.example.test"}, "mx.example.test", "", true},
                          Case{{"MX.EXAMPLE.TEST"}, "mx.example.test.", "", true},
                          Case{{"mx.hoster.test"}, "mx.example.test", "mx.hoster.test", true},
                          Case{{"mx.hoster.test"}, "mx.example.test", "mx.hoster.test.", true},
                          Case{{"mx.example.test"}, "mx.example.test", "mx.hoster.test", true},
                          Case{{"mx.other.test"}, "mx.example.test", "mx.hoster.test", false},
                          Case{{"*.example.test"}, "mx.example.test", "", true},
                          Case{{"*.example.test"}, "a.mx.example.test", "", false},
                          Case{{"*.example.test"}, "example.test", "", false},
                          Case{{"mx*.example.test"}, "mx1.example.test", "", false},
                          Case{{"*.example.test"}, "*.example.test", "", false},
                          Case{{"mx.example.test"}, ".example.test", "", false},
                          Case{{"mx.example.test"}, "", "", false},
                          Case{{"192.0.2.1"}, "192.0.2.1", "", false});
  CAPTURE(c.dns_names, c.host, c.base_domain);

  const Leaf leaf = issue_for(c.dns_names);
  const TlsaMatch result =
      match_tlsa({record_for(world().pki.intermediate(), dane_ta, 1, 1)}, served_chain(leaf),
                 c.host, c.base_domain, system_clock::now());

  CHECK(result.matched == c.matched);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].name_matches == c.matched);
  CHECK(result.records[0].path_valid);
}

TEST_CASE("DANE-TA ignores the subject CN of a leaf without DNS-IDs", "[unit]") {
  LeafSpec leaf_spec;
  leaf_spec.common_name = mx_host;
  const Leaf leaf = issue(leaf_spec);
  const TlsaMatch result =
      match({record_for(world().pki.intermediate(), dane_ta, 1, 1)}, served_chain(leaf));

  CHECK_FALSE(result.matched);
  REQUIRE(result.records.size() == 1);
  CHECK_FALSE(result.records[0].name_matches);
}

TEST_CASE("DANE-TA matching the root accepts the leaf when the whole chain is served", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  std::vector<Der> chain = served_chain(leaf);
  chain.push_back(der_of(world().pki.root()));

  const TlsaMatch result = match({record_for(world().pki.root(), dane_ta, 0, 1)}, chain);

  CHECK(result.matched);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].status == RecordStatus::matched);
  CHECK(result.records[0].element == std::optional<std::size_t>(2));
}

TEST_CASE("DANE-TA needs a path from the leaf to the matched anchor", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  LeafSpec unrelated_spec = spec({mx_host});
  unrelated_spec.issuer = Issuer::unrelated_root;
  const Leaf unrelated = issue(unrelated_spec);

  SECTION("the root is served but the intermediate between it and the leaf is not") {
    const TlsaMatch result = match({record_for(world().pki.root(), dane_ta, 0, 1)},
                                   {der_of(leaf.cert.get()), der_of(world().pki.root())});
    CHECK_FALSE(result.matched);
    REQUIRE(result.records.size() == 1);
    const RecordMatch& record = result.records[0];
    CHECK(record.status == RecordStatus::rules_failed);
    CHECK(record.element == std::optional<std::size_t>(1));
    CHECK_FALSE(record.path_valid);
    CHECK(record.name_matches);
    CHECK(record.reason ==
          std::string("DANE-TA matched chain certificate 1 but the leaf does not chain to it (") +
              X509_verify_cert_error_string(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) + ")");
  }
  SECTION("the intermediate is served but did not issue the leaf") {
    const TlsaMatch result =
        match({record_for(world().pki.intermediate(), dane_ta, 1, 1)},
              {der_of(unrelated.cert.get()), der_of(world().pki.intermediate())});
    CHECK_FALSE(result.matched);
    REQUIRE(result.records.size() == 1);
    CHECK(result.records[0].status == RecordStatus::rules_failed);
    CHECK_FALSE(result.records[0].path_valid);
  }
}

TEST_CASE("DANE-TA checks the validity of every certificate of the path", "[unit]") {
  SECTION("an expired leaf") {
    LeafSpec leaf_spec = spec({mx_host});
    leaf_spec.valid_from = -hours(48);
    leaf_spec.valid_until = -hours(24);
    const Leaf leaf = issue(leaf_spec);
    const TlsaMatch result =
        match({record_for(world().pki.intermediate(), dane_ta, 1, 1)}, served_chain(leaf));
    CHECK_FALSE(result.matched);
    REQUIRE(result.records.size() == 1);
    const RecordMatch& record = result.records[0];
    CHECK(record.status == RecordStatus::rules_failed);
    CHECK(record.path_valid);
    CHECK(record.name_matches);
    CHECK_FALSE(record.dates_valid);
    CHECK(record.reason ==
          "DANE-TA matched chain certificate 1 but the leaf is outside its validity");
  }
  SECTION("an anchor outside its validity, with a wrong name too") {
    // The test CAs are valid from a year ago to ten years ahead; the leaf for 90 days.
    const Leaf leaf = issue_for({"other.example.test"});
    const TlsaMatch result = match({record_for(world().pki.intermediate(), dane_ta, 1, 1)},
                                   served_chain(leaf), system_clock::now() + hours(24 * 366 * 11));
    CHECK_FALSE(result.matched);
    REQUIRE(result.records.size() == 1);
    CHECK_FALSE(result.records[0].dates_valid);
    CHECK(result.records[0].reason ==
          "DANE-TA matched chain certificate 1 but the leaf name does not match, and the leaf "
          "is outside its validity, and a certificate above the leaf is outside its validity");
  }
}

TEST_CASE("A DANE-TA 2 1 0 key may stand for an anchor the server does not send", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const Der leaf_only = der_of(leaf.cert.get());

  SECTION("the intermediate's full key signed the leaf") {
    const TlsaMatch result =
        match({record_for(world().pki.intermediate(), dane_ta, 1, 0)}, {leaf_only});
    CHECK(result.matched);
    REQUIRE(result.records.size() == 1);
    const RecordMatch& record = result.records[0];
    CHECK(record.status == RecordStatus::matched);
    CHECK(record.element == std::optional<std::size_t>(0));
    CHECK(record.bare_key);
    CHECK(contains(record.reason, "DANE-TA key signed the leaf"));
  }
  SECTION("the root's full key signed the served intermediate") {
    const TlsaMatch result =
        match({record_for(world().pki.root(), dane_ta, 1, 0)}, served_chain(leaf));
    CHECK(result.matched);
    REQUIRE(result.records.size() == 1);
    CHECK(result.records[0].element == std::optional<std::size_t>(1));
    CHECK(result.records[0].bare_key);
  }
  SECTION("a digest of the key cannot verify a signature") {
    const TlsaRecord record = GENERATE(record_for(world().pki.intermediate(), dane_ta, 1, 1),
                                       record_for(world().pki.intermediate(), dane_ta, 0, 0));
    CAPTURE(record.selector, record.matching_type);
    const TlsaMatch result = match({record}, {leaf_only});
    CHECK_FALSE(result.matched);
    REQUIRE(result.records.size() == 1);
    CHECK(result.records[0].status == RecordStatus::no_match);
    CHECK(result.records[0].reason == "DANE-TA data matches no served certificate above the leaf");
  }
  SECTION("a self-signed leaf's own key, which makes its name and dates count") {
    LeafSpec leaf_spec = spec({GENERATE(as<std::string>{}, mx_host, "other.example.test")});
    leaf_spec.issuer = Issuer::self_signed;
    const Leaf self_signed = issue(leaf_spec);
    const TlsaMatch result = match({record_for(self_signed.cert.get(), dane_ta, 1, 0)},
                                   {der_of(self_signed.cert.get())});
    REQUIRE(result.records.size() == 1);
    CHECK(result.records[0].bare_key);
    CHECK(result.records[0].element == std::optional<std::size_t>(0));
    CHECK(result.records[0].path_valid);
    CHECK(result.matched == (leaf_spec.dns_names.front() == mx_host));
  }
  SECTION("a key that signed nothing served") {
    const TlsaMatch result =
        match({record_for(world().pki.unrelated_root(), dane_ta, 1, 0)}, served_chain(leaf));
    CHECK_FALSE(result.matched);
    REQUIRE(result.records.size() == 1);
    CHECK(result.records[0].status == RecordStatus::no_match);
  }
}

TEST_CASE("A DANE-TA record matching the leaf itself is no trust anchor", "[unit]") {
  LeafSpec leaf_spec = spec({mx_host});
  leaf_spec.issuer = GENERATE(Issuer::intermediate, Issuer::self_signed);
  const Leaf leaf = issue(leaf_spec);
  const TlsaMatch result =
      match({record_for(leaf.cert.get(), dane_ta, 0, 1)}, {der_of(leaf.cert.get())});

  CHECK_FALSE(result.matched);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].status == RecordStatus::no_match);
  CHECK(result.records[0].reason ==
        "DANE-TA data matches the leaf, which cannot be its own trust anchor");
}

TEST_CASE("PKIX usages only: every record is unusable", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const TlsaMatch result = match({record_for(leaf.cert.get(), pkix_ee, 1, 1),
                                  record_for(world().pki.intermediate(), pkix_ta, 0, 1)},
                                 served_chain(leaf));

  CHECK_FALSE(result.matched);
  CHECK(result.usable_records == 0);
  CHECK(result.all_unusable);
  REQUIRE(result.records.size() == 2);
  CHECK(result.records[0].status == RecordStatus::unusable);
  CHECK(result.records[0].reason == "usage 1 (PKIX-EE) unusable for SMTP");
  CHECK(result.records[1].status == RecordStatus::unusable);
  CHECK(result.records[1].reason == "usage 0 (PKIX-TA) unusable for SMTP");
}

TEST_CASE("Unknown parameters and data of the wrong length make a record unusable", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const TlsaRecord good = record_for(leaf.cert.get(), dane_ee, 1, 1);
  struct Case {
    std::uint8_t usage;
    std::uint8_t selector;
    std::uint8_t matching_type;
    std::size_t data_size;
    const char* reason;
  };
  const Case c =
      GENERATE(Case{4, 1, 1, 32, "usage 4 unknown"}, Case{255, 1, 1, 32, "usage 255 unknown"},
               Case{3, 2, 1, 32, "selector 2 unknown"}, Case{2, 255, 1, 32, "selector 255 unknown"},
               Case{3, 1, 3, 32, "matching type 3 unknown"},
               Case{2, 1, 255, 32, "matching type 255 unknown"},
               Case{3, 1, 1, 31,
                    "matching type 1 (SHA2-256) with 31 octets of data, "
                    "not 32"},
               Case{3, 1, 1, 64,
                    "matching type 1 (SHA2-256) with 64 octets of data, "
                    "not 32"},
               Case{2, 0, 2, 32,
                    "matching type 2 (SHA2-512) with 32 octets of data, "
                    "not 64"},
               Case{3, 0, 0, 0, "matching type 0 (Full) with no data"});
  CAPTURE(c.usage, c.selector, c.matching_type, c.data_size);

  TlsaRecord record = good;
  record.usage = c.usage;
  record.selector = c.selector;
  record.matching_type = c.matching_type;
  record.data.resize(c.data_size, 0xab);

  const TlsaMatch result = match({record}, served_chain(leaf));
  CHECK_FALSE(result.matched);
  CHECK(result.usable_records == 0);
  CHECK(result.all_unusable);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].status == RecordStatus::unusable);
  CHECK_FALSE(result.records[0].element);
  CHECK(result.records[0].reason == c.reason);
}

TEST_CASE("One matching record among others is enough, and each keeps its own detail", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const Leaf other = issue_for({mx_host});
  const std::vector<TlsaRecord> records{
      record_for(leaf.cert.get(), pkix_ee, 1, 1),
      record_for(other.cert.get(), dane_ee, 1, 1),
      TlsaRecord{.usage = dane_ee, .selector = 2, .matching_type = 1, .data = Der(32, 0)},
      record_for(leaf.cert.get(), dane_ee, 1, 1),
      record_for(world().pki.unrelated_root(), dane_ta, 0, 1),
  };

  const TlsaMatch result = match(records, served_chain(leaf));

  CHECK(result.matched);
  CHECK(result.usable_records == 3);
  CHECK_FALSE(result.all_unusable);
  REQUIRE(result.records.size() == records.size());
  CHECK(result.records[0].status == RecordStatus::unusable);
  CHECK(result.records[1].status == RecordStatus::no_match);
  CHECK(result.records[2].status == RecordStatus::unusable);
  CHECK(result.records[3].status == RecordStatus::matched);
  CHECK(result.records[4].status == RecordStatus::no_match);
}

TEST_CASE("No record matches an empty chain or a leaf that does not parse", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const std::vector<TlsaRecord> records{
      record_for(leaf.cert.get(), dane_ee, 1, 1),
      record_for(world().pki.intermediate(), dane_ta, 1, 0),
      record_for(leaf.cert.get(), pkix_ee, 1, 1),
  };
  Der truncated = der_of(leaf.cert.get());
  truncated.resize(truncated.size() / 2);
  Der trailing = der_of(leaf.cert.get());
  trailing.push_back(0x00);

  const Der intermediate = der_of(world().pki.intermediate());
  struct Case {
    const char* name;
    std::vector<Der> chain;
    const char* reason;
  };
  const std::vector<Case> cases{
      Case{"empty chain", {}, "no certificate was served"},
      Case{"garbage leaf",
           {Der{0x30, 0x82, 0x01, 0x00, 0xde, 0xad}, intermediate},
           "the leaf does not parse"},
      Case{"empty leaf", {Der{}, intermediate}, "the leaf does not parse"},
      Case{"truncated leaf", {truncated}, "the leaf does not parse"},
      Case{"trailing byte", {trailing, intermediate}, "the leaf does not parse"}};
  const Case& c = cases.at(GENERATE(0U, 1U, 2U, 3U, 4U));
  CAPTURE(c.name);

  ERR_clear_error();
  const TlsaMatch result = match(records, c.chain);
  CHECK(ERR_peek_error() == 0);

  CHECK_FALSE(result.matched);
  CHECK(result.usable_records == 2);
  CHECK_FALSE(result.all_unusable);
  REQUIRE(result.records.size() == 3);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(result.records[i].status == RecordStatus::no_match);
    CHECK(result.records[i].reason == c.reason);
  }
  CHECK(result.records[2].status == RecordStatus::unusable);
}

TEST_CASE("Garbage between the leaf and the anchor does not hide the anchor", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const TlsaMatch result = match({record_for(world().pki.intermediate(), dane_ta, 1, 1)},
                                 {der_of(leaf.cert.get()), Der{0x30, 0x03, 0x02, 0x01, 0x00},
                                  der_of(world().pki.intermediate())});

  CHECK(result.matched);
  REQUIRE(result.records.size() == 1);
  CHECK(result.records[0].element == std::optional<std::size_t>(2));
}

TEST_CASE("An empty record set matches nothing and is not all-unusable", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const TlsaMatch result = match({}, served_chain(leaf));
  CHECK_FALSE(result.matched);
  CHECK(result.usable_records == 0);
  CHECK_FALSE(result.all_unusable);
  CHECK(result.records.empty());
}

TEST_CASE("Association data is the selected DER, as is or hashed", "[unit]") {
  const Leaf leaf = issue_for({mx_host});
  const Der cert = der_of(leaf.cert.get());
  const Der spki = spki_of(leaf.cert.get());

  CHECK(association_data(cert, 0, 0) == cert);
  CHECK(association_data(cert, 0, 1) == digest_of(cert, "SHA256"));
  CHECK(association_data(cert, 0, 2) == digest_of(cert, "SHA512"));
  CHECK(association_data(cert, 1, 0) == spki);
  CHECK(association_data(cert, 1, 1) == digest_of(spki, "SHA256"));
  CHECK(association_data(cert, 1, 2) == digest_of(spki, "SHA512"));
  CHECK(association_data(cert, 1, 1)->size() == 32);
  CHECK(association_data(cert, 1, 2)->size() == 64);

  CHECK_FALSE(association_data(cert, 2, 1));
  CHECK_FALSE(association_data(cert, 1, 3));
  ERR_clear_error();
  Der trailing = cert;
  trailing.push_back(0x00);
  CHECK_FALSE(association_data(Der{}, 1, 1));
  CHECK_FALSE(association_data(Der{0x30, 0x00}, 0, 1));
  CHECK_FALSE(association_data(trailing, 0, 0));
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("Record statuses have stable names", "[unit]") {
  CHECK(mx::probes::dane::to_string(RecordStatus::unusable) == "unusable");
  CHECK(mx::probes::dane::to_string(RecordStatus::no_match) == "no-match");
  CHECK(mx::probes::dane::to_string(RecordStatus::rules_failed) == "rules-failed");
  CHECK(mx::probes::dane::to_string(RecordStatus::matched) == "matched");
}
