#include <catch2/catch.hpp>

#include "judge/smtp_rules.hpp"

namespace {

using mx::judge::Check;
using mx::judge::Status;
using mx::probes::smtp::Ending;
using mx::probes::smtp::Observation;
using mx::probes::smtp::Reply;
using mx::probes::smtp::Stage;
using mx::probes::tls::CertificateFacts;

Observation completed(int tls_version = 0x0304) {
  Observation o;
  o.host = "mx.example.test";
  o.ip = boost::asio::ip::make_address("192.0.2.10");
  o.stage = Stage::done;
  o.ending = Ending::completed;
  o.greeting = Reply{220, {"mx.example.test ESMTP"}, {}};
  o.ehlo = Reply{250, {"mx.example.test", "STARTTLS"}, {}};
  o.starttls = Reply{220, {"ready"}, {}};
  mx::probes::smtp::TlsObservation tls;
  tls.version = tls_version == 0x0304 ? "TLSv1.3" : "TLSv1";
  tls.version_number = tls_version;
  tls.cipher = "TLS_AES_256_GCM_SHA384";
  tls.chain = {{0x30, 0x82}};
  o.tls = tls;
  return o;
}

CertificateFacts good_certificate() {
  CertificateFacts c;
  c.parsed = true;
  c.trusted = true;
  c.name_matches = true;
  c.key_type = "EC";
  c.key_bits = 256;
  c.signature_algorithm = "ecdsa-with-SHA256";
  c.not_after = "2027-01-01T00:00:00Z";
  return c;
}

Observation ended(Stage stage, Ending ending) {
  auto o = completed();
  o.stage = stage;
  o.ending = ending;
  if (stage < Stage::tls_handshake) {
    o.tls.reset();
  }
  return o;
}

const Check& find(const std::vector<Check>& checks, const std::string& name) {
  for (const auto& check : checks) {
    if (check.check == name) {
      return check;
    }
  }
  FAIL("no check " << name);
  throw std::logic_error("unreachable");
}

struct Row {
  const char* what;
  Observation observation;
  std::optional<CertificateFacts> certificate;
  const char* check;
  Status status;
  const char* code;
};

}  // namespace

TEST_CASE("address-level rules give the contract's status and code", "[unit]") {
  auto no_starttls = ended(Stage::ehlo, Ending::no_starttls);
  auto helo_fallback = ended(Stage::helo, Ending::no_starttls);
  helo_fallback.helo = Reply{250, {"mx.example.test"}, {}};
  auto protocol = ended(Stage::greeting, Ending::protocol);
  protocol.violation = mx::probes::smtp::Violation::not_smtp;
  auto injected = completed();
  injected.plaintext_after_starttls = 17;
  auto handshake = ended(Stage::tls_handshake, Ending::tls_failed);
  handshake.tls = mx::probes::smtp::TlsObservation{};
  handshake.tls->failure = "wrong version number";
  auto closed_after_220 = ended(Stage::tls_handshake, Ending::closed);
  auto expired = good_certificate();
  expired.expired = true;
  auto old_intermediate = good_certificate();
  old_intermediate.chain_expired = true;
  auto future = good_certificate();
  future.not_yet_valid = true;
  auto untrusted = good_certificate();
  untrusted.trusted = false;
  untrusted.self_signed = true;
  auto wrong_name = good_certificate();
  wrong_name.name_matches = false;
  auto cn_only = wrong_name;
  cn_only.cn_only_match = true;
  auto weak = good_certificate();
  weak.key_type = "RSA";
  weak.key_bits = 1024;
  auto sha1 = good_certificate();
  sha1.signature_algorithm = "sha1WithRSAEncryption";
  auto post_tls = completed();
  post_tls.stage = Stage::ehlo_tls;
  post_tls.ending = Ending::rejected;

  const auto row = GENERATE_COPY(values<Row>({
      {"forbidden",
       ended(Stage::not_started, Ending::forbidden),
       {},
       "address",
       Status::error,
       "forbidden"},
      {"forbidden skips connect",
       ended(Stage::not_started, Ending::forbidden),
       {},
       "connect",
       Status::skipped,
       "skipped"},
      {"refused", ended(Stage::connect, Ending::refused), {}, "connect", Status::error, "refused"},
      {"connect timeout",
       ended(Stage::connect, Ending::timeout),
       {},
       "connect",
       Status::error,
       "timeout"},
      {"unreachable",
       ended(Stage::connect, Ending::unreachable),
       {},
       "connect",
       Status::error,
       "unreachable"},
      {"refused skips smtp",
       ended(Stage::connect, Ending::refused),
       {},
       "smtp",
       Status::skipped,
       "skipped"},
      {"5xx greeting",
       ended(Stage::greeting, Ending::rejected),
       {},
       "smtp",
       Status::error,
       "banner-rejected"},
      {"4xx greeting",
       ended(Stage::greeting, Ending::deferred),
       {},
       "smtp",
       Status::error,
       "temporary"},
      {"4xx EHLO", ended(Stage::ehlo, Ending::deferred), {}, "smtp", Status::error, "temporary"},
      {"tarpit", ended(Stage::greeting, Ending::timeout), {}, "smtp", Status::error, "timeout"},
      {"closed at greeting",
       ended(Stage::greeting, Ending::closed),
       {},
       "smtp",
       Status::error,
       "closed"},
      {"not SMTP", protocol, {}, "smtp", Status::fail, "protocol"},
      {"not SMTP skips starttls", protocol, {}, "starttls", Status::skipped, "skipped"},
      {"no STARTTLS", no_starttls, {}, "starttls", Status::fail, "not-advertised"},
      {"no STARTTLS, smtp fine", no_starttls, {}, "smtp", Status::pass, "ok"},
      {"HELO fallback", helo_fallback, {}, "starttls", Status::fail, "not-advertised"},
      {"STARTTLS 5xx",
       ended(Stage::starttls, Ending::rejected),
       {},
       "starttls",
       Status::fail,
       "rejected"},
      {"STARTTLS 454",
       ended(Stage::starttls, Ending::deferred),
       {},
       "starttls",
       Status::error,
       "temporary"},
      {"STARTTLS 454 skips tls",
       ended(Stage::starttls, Ending::deferred),
       {},
       "tls",
       Status::skipped,
       "skipped"},
      {"plaintext after 220", injected, good_certificate(), "starttls", Status::warn,
       "plaintext-after-starttls"},
      {"handshake failed", handshake, {}, "tls", Status::fail, "handshake-failed"},
      {"close after 220", closed_after_220, {}, "tls", Status::fail, "handshake-failed"},
      {"handshake timeout",
       ended(Stage::tls_handshake, Ending::timeout),
       {},
       "tls",
       Status::error,
       "timeout"},
      {"TLS 1.0 only", completed(0x0301), good_certificate(), "tls", Status::fail, "outdated"},
      {"TLS 1.3", completed(), good_certificate(), "tls", Status::pass, "ok"},
      {"EHLO refused inside TLS", post_tls, good_certificate(), "tls", Status::fail,
       "post-handshake"},
      {"good certificate", completed(), good_certificate(), "certificate", Status::pass, "ok"},
      {"expired", completed(), expired, "certificate", Status::fail, "expired"},
      {"not yet valid", completed(), future, "certificate", Status::fail, "not-yet-valid"},
      {"expired intermediate", completed(), old_intermediate, "certificate", Status::fail,
       "expired"},
      {"untrusted", completed(), untrusted, "certificate", Status::fail, "untrusted"},
      {"garbage certificate", completed(), CertificateFacts{}, "certificate", Status::fail,
       "untrusted"},
      {"wrong name", completed(), wrong_name, "certificate", Status::fail, "name-mismatch"},
      {"CN only", completed(), cn_only, "certificate", Status::fail, "name-mismatch"},
      {"RSA 1024", completed(), weak, "certificate", Status::warn, "weak-key"},
      {"SHA-1 signature", completed(), sha1, "certificate", Status::warn, "weak-signature"},
      {"outdated still judges the certificate", completed(0x0301), expired, "certificate",
       Status::fail, "expired"},
  }));
  CAPTURE(row.what);
  const auto checks = mx::judge::judge_address(row.observation, row.certificate);
  REQUIRE(checks.size() == 6);
  const auto& check = find(checks, row.check);
  CHECK(mx::judge::to_string(check.status) == mx::judge::to_string(row.status));
  CHECK(check.code == row.code);
  CHECK_FALSE(check.message.empty());
}

TEST_CASE("address-level checks come in the contract's order", "[unit]") {
  const auto checks = mx::judge::judge_address(completed(), good_certificate());
  std::vector<std::string> names;
  for (const auto& check : checks) {
    names.push_back(check.check);
    CHECK(check.status == Status::pass);
  }
  CHECK(names ==
        std::vector<std::string>{"address", "connect", "smtp", "starttls", "tls", "certificate"});
}
