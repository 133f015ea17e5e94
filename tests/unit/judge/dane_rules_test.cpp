#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <catch2/catch.hpp>

#include "judge/dane_rules.hpp"
#include "judge/domain_rules.hpp"
#include "probes/dane/tlsa_match.hpp"

namespace {

using mx::dns::Outcome;
using mx::dns::TlsaRecord;
using mx::judge::Status;
using Der = std::vector<std::uint8_t>;

// A self-signed EC certificate for mx.example.test, valid for an hour, as DER.
Der self_signed_leaf() {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  const std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) {
    throw std::runtime_error("OpenSSL allocation");
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mx.example.test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("X509_sign");
  }
  const int length = i2d_X509(cert.get(), nullptr);
  Der der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  i2d_X509(cert.get(), &cursor);
  return der;
}

const Der& leaf() {
  static const Der der = self_signed_leaf();
  return der;
}

// DANE-EE SPKI SHA2-256 of the leaf.
TlsaRecord matching_record() {
  return TlsaRecord{3, 1, 1, *mx::probes::dane::association_data(leaf(), 1, 1)};
}

mx::probes::HostObservation host_with(Outcome outcome, std::vector<TlsaRecord> records,
                                      bool authenticated) {
  mx::probes::HostObservation host;
  host.mx = {10, "mx.example.test"};
  host.a.meta.outcome = Outcome::data;
  host.a.addresses = {boost::asio::ip::make_address("192.0.2.1")};
  host.aaaa.meta.outcome = Outcome::nodata;
  host.tlsa.meta.outcome = outcome;
  host.tlsa.meta.authenticated = authenticated;
  host.tlsa.records = std::move(records);
  return host;
}

mx::probes::smtp::Observation with_chain() {
  mx::probes::smtp::Observation smtp;
  smtp.host = "mx.example.test";
  smtp.ip = boost::asio::ip::make_address("192.0.2.1");
  smtp.stage = mx::probes::smtp::Stage::done;
  smtp.ending = mx::probes::smtp::Ending::completed;
  auto& tls = smtp.tls.emplace();
  tls.version = "TLSv1.3";
  tls.version_number = 0x0304;
  tls.cipher = "TLS_AES_128_GCM_SHA256";
  tls.chain = {leaf()};
  return smtp;
}

}  // namespace

TEST_CASE("dane: every code", "[unit]") {
  const auto now = std::chrono::system_clock::now();
  const auto chain = with_chain();
  mx::probes::smtp::Observation no_tls = chain;
  no_tls.stage = mx::probes::smtp::Stage::ehlo;
  no_tls.ending = mx::probes::smtp::Ending::no_starttls;
  no_tls.tls.reset();
  const TlsaRecord wrong{3, 1, 1, std::vector<std::uint8_t>(32, 0xab)};
  const TlsaRecord pkix_ee{1, 1, 1, matching_record().data};

  struct Row {
    const char* what;
    mx::probes::HostObservation host;
    mx::probes::smtp::Observation smtp;
    Status status;
    const char* code;
  };
  const std::vector<Row> rows{
      {"nxdomain", host_with(Outcome::nxdomain, {}, true), chain, Status::skipped, "absent"},
      {"nodata", host_with(Outcome::nodata, {}, false), chain, Status::skipped, "absent"},
      {"empty RRset", host_with(Outcome::data, {}, true), chain, Status::skipped, "absent"},
      {"timeout", host_with(Outcome::timeout, {}, false), chain, Status::error, "timeout"},
      {"servfail", host_with(Outcome::servfail, {}, false), chain, Status::error, "dns-error"},
      {"refused", host_with(Outcome::refused, {}, false), chain, Status::error, "dns-error"},
      {"error", host_with(Outcome::error, {}, false), chain, Status::error, "dns-error"},
      {"no AD", host_with(Outcome::data, {matching_record()}, false), chain, Status::warn,
       "unauthenticated"},
      {"no AD, no TLS", host_with(Outcome::data, {wrong}, false), no_tls, Status::warn,
       "unauthenticated"},
      {"no chain", host_with(Outcome::data, {matching_record()}, true), no_tls, Status::skipped,
       "no-certificate"},
      {"only PKIX usages", host_with(Outcome::data, {pkix_ee}, true), chain, Status::skipped,
       "absent"},
      {"match", host_with(Outcome::data, {wrong, matching_record()}, true), chain, Status::pass,
       "ok"},
      {"mismatch", host_with(Outcome::data, {wrong, pkix_ee}, true), chain, Status::fail,
       "mismatch"},
  };
  for (const auto& row : rows) {
    const auto check = mx::judge::judge_dane(row.host, row.smtp, now);
    INFO(row.what << ": " << check.code << " " << check.message);
    CHECK(check.check == "dane");
    CHECK(check.status == row.status);
    CHECK(check.code == row.code);
  }
}

TEST_CASE("dane: after certificate at each address, rolled up per host as the worst", "[unit]") {
  mx::probes::DomainObservation d;
  d.domain = "example.test";
  d.mx.meta.outcome = Outcome::data;
  d.mx.records = {{10, "mx.example.test"}};
  d.observed_at = std::chrono::system_clock::now();
  auto& host = d.hosts.emplace_back(host_with(Outcome::data, {matching_record()}, true));
  host.a.addresses.push_back(boost::asio::ip::make_address("192.0.2.2"));
  // The first address served the matching certificate; the second never got to TLS.
  host.addresses.push_back({with_chain(), std::nullopt});
  auto second = with_chain();
  second.ip = boost::asio::ip::make_address("192.0.2.2");
  second.stage = mx::probes::smtp::Stage::ehlo;
  second.ending = mx::probes::smtp::Ending::no_starttls;
  second.tls.reset();
  host.addresses.push_back({second, std::nullopt});

  const auto result = mx::judge::judge_domain(d);
  REQUIRE(result.mx.size() == 1);
  const auto& h = result.mx[0];
  REQUIRE(h.addresses.size() == 2);
  REQUIRE_FALSE(h.addresses[0].checks.empty());
  CHECK(h.addresses[0].checks.back().check == "dane");
  CHECK(h.addresses[0].checks.end()[-2].check == "certificate");
  CHECK(h.addresses[0].checks.back().code == "ok");
  CHECK(h.addresses[1].checks.back().code == "no-certificate");
  const auto dane = std::find_if(h.checks.begin(), h.checks.end(),
                                 [](const auto& c) { return c.check == "dane"; });
  REQUIRE(dane != h.checks.end());
  CHECK(dane->code == "ok");

  // Dates are judged at observed_at: a DANE-EE match ignores them, so it still matches later.
  d.observed_at += std::chrono::hours(24 * 365);
  const auto later = mx::judge::judge_domain(d);
  CHECK(later.mx[0].addresses[0].checks.back().code == "ok");

  // A wrong record at an address with a chain makes the host's dane a fail.
  d.hosts[0].tlsa.records = {TlsaRecord{3, 1, 1, std::vector<std::uint8_t>(32, 0)}};
  const auto mismatch = mx::judge::judge_domain(d);
  const auto& mh = mismatch.mx[0];
  const auto rolled = std::find_if(mh.checks.begin(), mh.checks.end(),
                                   [](const auto& c) { return c.check == "dane"; });
  REQUIRE(rolled != mh.checks.end());
  CHECK(rolled->status == Status::fail);
  CHECK(rolled->code == "mismatch");
}
