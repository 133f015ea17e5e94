#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "judge/domain_rules.hpp"
#include "judge/policy_rules.hpp"
#include "probes/mta_sts/policy.hpp"

namespace {

using mx::dns::Outcome;
using mx::judge::Check;
using mx::judge::Status;
using mx::probes::mta_sts::FetchEnding;
using mx::probes::mta_sts::FetchStage;
using mx::probes::mta_sts::PolicyFetch;

constexpr const char* enforce_body =
    "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\nmx: mx1.example.test\r\n"
    "mx: *.mail.example.test\r\n";
constexpr const char* testing_body =
    "version: STSv1\nmode: testing\nmax_age: 604800\nmx: mx1.example.test\n";
constexpr const char* none_body = "version: STSv1\nmode: none\nmax_age: 86400\n";

mx::dns::TxtAnswer txt(Outcome outcome, std::vector<std::string> records = {}) {
  mx::dns::TxtAnswer answer;
  answer.meta.outcome = outcome;
  answer.meta.detail = outcome == Outcome::servfail ? "SERVFAIL from 127.0.0.1" : "";
  answer.records = std::move(records);
  return answer;
}

// A fetch that went right: a trusted certificate for mta-sts.example.test, 200, text/plain, and
// `body` read whole and parsed.
PolicyFetch served(const std::string& body) {
  PolicyFetch f;
  f.host = "mta-sts.example.test";
  f.stage = FetchStage::done;
  f.ending = FetchEnding::completed;
  auto& c = f.certificate.emplace();
  c.parsed = true;
  c.trusted = true;
  c.name_matches = true;
  c.not_before = "2026-01-01T00:00:00Z";
  c.not_after = "2027-01-01T00:00:00Z";
  f.status = 200;
  f.reason = "OK";
  f.content_type = "text/plain; charset=utf-8";
  f.text_plain = true;
  f.body = body;
  f.body_octets = body.size();
  f.policy = mx::probes::mta_sts::parse_policy(body);
  return f;
}

// A fetch that ended at `stage` with `ending`, before any response.
PolicyFetch ended(FetchStage stage, FetchEnding ending, std::string detail) {
  PolicyFetch f;
  f.host = "mta-sts.example.test";
  f.stage = stage;
  f.ending = ending;
  f.detail = std::move(detail);
  return f;
}

const Check ok_record{"mta-sts.record", Status::pass, "ok", "id 1"};

Check policy_of(const PolicyFetch& fetch) {
  return mx::judge::judge_mta_sts_policy(ok_record, fetch);
}

}  // namespace

TEST_CASE("mta-sts.record: every code from the TXT answer", "[unit]") {
  using mx::judge::judge_mta_sts_record;
  struct Row {
    mx::dns::TxtAnswer answer;
    Status status;
    const char* code;
  };
  const std::vector<Row> rows{
      {txt(Outcome::data, {"v=STSv1; id=20240101"}), Status::pass, "ok"},
      {txt(Outcome::data, {"v=spf1 -all", "v=STSv1; id=abc;"}), Status::pass, "ok"},
      {txt(Outcome::data, {"v=spf1 -all"}), Status::warn, "absent"},
      {txt(Outcome::nxdomain), Status::warn, "absent"},
      {txt(Outcome::nodata), Status::warn, "absent"},
      {txt(Outcome::data, {"v=STSv1; id=1", "v=STSv1; id=2"}), Status::fail, "multiple"},
      {txt(Outcome::data, {"v=STSv1; id=2019-04-29"}), Status::fail, "syntax"},
      {txt(Outcome::data, {"v=STSv1;"}), Status::fail, "syntax"},
      {txt(Outcome::timeout), Status::error, "timeout"},
      {txt(Outcome::servfail), Status::error, "dns-error"},
      {txt(Outcome::refused), Status::error, "dns-error"},
      {txt(Outcome::error), Status::error, "dns-error"},
  };
  for (const auto& row : rows) {
    const auto check = judge_mta_sts_record(row.answer);
    INFO(check.message);
    CHECK(check.check == "mta-sts.record");
    CHECK(check.status == row.status);
    CHECK(check.code == row.code);
  }
  CHECK(judge_mta_sts_record(txt(Outcome::servfail)).message.find("SERVFAIL from 127.0.0.1") !=
        std::string::npos);
  CHECK(judge_mta_sts_record(txt(Outcome::data, {"v=STSv1; id=abc;;"})).message ==
        "id abc; tolerated: empty_field");
}

TEST_CASE("tlsrpt.record: every code from the TXT answer", "[unit]") {
  using mx::judge::judge_tlsrpt_record;
  struct Row {
    mx::dns::TxtAnswer answer;
    Status status;
    const char* code;
  };
  const std::vector<Row> rows{
      {txt(Outcome::data, {"v=TLSRPTv1; rua=mailto:tls@example.test"}), Status::pass, "ok"},
      {txt(Outcome::data, {"v=spf1 -all"}), Status::warn, "absent"},
      {txt(Outcome::nxdomain), Status::warn, "absent"},
      {txt(Outcome::nodata), Status::warn, "absent"},
      {txt(Outcome::data,
           {"v=TLSRPTv1; rua=mailto:a@example.test", "v=TLSRPTv1; rua=mailto:b@example.test"}),
       Status::fail, "multiple"},
      {txt(Outcome::data, {"v=TLSRPTv1; rua=ftp://example.test/"}), Status::fail, "syntax"},
      {txt(Outcome::timeout), Status::error, "timeout"},
      {txt(Outcome::servfail), Status::error, "dns-error"},
      {txt(Outcome::refused), Status::error, "dns-error"},
      {txt(Outcome::error), Status::error, "dns-error"},
  };
  for (const auto& row : rows) {
    const auto check = judge_tlsrpt_record(row.answer);
    INFO(check.message);
    CHECK(check.check == "tlsrpt.record");
    CHECK(check.status == row.status);
    CHECK(check.code == row.code);
  }
  const auto ok = judge_tlsrpt_record(
      txt(Outcome::data, {"v=TLSRPTv1; rua=mailto:tls@example.test,https://report.example.test/"}));
  CHECK(ok.message == R"(reports to "mailto:tls@example.test", "https://report.example.test/")");
}

TEST_CASE("mta-sts.policy: skipped without an ok record", "[unit]") {
  using mx::judge::judge_mta_sts_policy;
  for (const auto& record : {Check{"mta-sts.record", Status::warn, "absent", ""},
                             Check{"mta-sts.record", Status::fail, "multiple", ""},
                             Check{"mta-sts.record", Status::fail, "syntax", ""},
                             Check{"mta-sts.record", Status::error, "timeout", ""}}) {
    const auto check = judge_mta_sts_policy(record, std::nullopt);
    CHECK(check.check == "mta-sts.policy");
    CHECK(check.status == Status::skipped);
    CHECK(check.code == "no-record");
  }
  CHECK(judge_mta_sts_policy(ok_record, std::nullopt).code == "no-record");
}

TEST_CASE("mta-sts.policy: every code from the fetch", "[unit]") {
  struct Row {
    const char* what;
    PolicyFetch fetch;
    Status status;
    const char* code;
  };
  std::vector<Row> rows{
      {"lookup failed", ended(FetchStage::resolve, FetchEnding::dns_error, "A: servfail"),
       Status::error, "dns-error"},
      {"budget passed", ended(FetchStage::header, FetchEnding::timeout, "budget"), Status::error,
       "timeout"},
      {"special-purpose", ended(FetchStage::connect, FetchEnding::forbidden, ""), Status::error,
       "forbidden"},
      {"excluded", ended(FetchStage::not_started, FetchEnding::excluded, "excluded by line 2"),
       Status::skipped, "excluded"},
      {"every address excluded", ended(FetchStage::connect, FetchEnding::excluded, "excluded"),
       Status::skipped, "excluded"},
      {"no address", ended(FetchStage::resolve, FetchEnding::no_address, "nxdomain"), Status::fail,
       "fetch-failed"},
      {"refused", ended(FetchStage::connect, FetchEnding::refused, "refused"), Status::fail,
       "fetch-failed"},
      {"unreachable", ended(FetchStage::connect, FetchEnding::unreachable, ""), Status::fail,
       "fetch-failed"},
      {"closed", ended(FetchStage::header, FetchEnding::closed, "eof"), Status::fail,
       "fetch-failed"},
      {"handshake", ended(FetchStage::tls_handshake, FetchEnding::tls_failed, ""), Status::fail,
       "fetch-failed"},
      {"not HTTP", ended(FetchStage::header, FetchEnding::http_error, "bad version"), Status::fail,
       "fetch-failed"},
      {"socket", ended(FetchStage::request, FetchEnding::io_error, "broken"), Status::fail,
       "fetch-failed"},
      {"enforce", served(enforce_body), Status::pass, "ok"},
      {"testing", served(testing_body), Status::pass, "mode-testing"},
      {"none", served(none_body), Status::warn, "mode-none"},
      {"syntax", served("version: STSv1\nmode: sometimes\nmax_age: 1\n"), Status::fail, "syntax"},
      {"empty body", served(""), Status::fail, "syntax"},
  };
  auto untrusted = served(enforce_body);
  untrusted.certificate->trusted = false;
  untrusted.certificate->self_signed = true;
  rows.push_back({"untrusted", untrusted, Status::fail, "certificate"});
  auto expired = served(enforce_body);
  expired.certificate->expired = true;
  rows.push_back({"expired", expired, Status::fail, "certificate"});
  auto early = served(enforce_body);
  early.certificate->not_yet_valid = true;
  rows.push_back({"not yet valid", early, Status::fail, "certificate"});
  auto chain = served(enforce_body);
  chain.certificate->chain_expired = true;
  rows.push_back({"intermediate expired", chain, Status::fail, "certificate"});
  auto name = served(enforce_body);
  name.certificate->name_matches = false;
  rows.push_back({"wrong name", name, Status::fail, "certificate"});
  auto unparsed = served(enforce_body);
  unparsed.certificate->parsed = false;
  rows.push_back({"unparsable certificate", unparsed, Status::fail, "certificate"});
  auto redirect = ended(FetchStage::done, FetchEnding::completed, "");
  redirect.certificate = served("").certificate;
  redirect.status = 301;
  redirect.location = "https://www.example.test/mta-sts.txt";
  rows.push_back({"redirect", redirect, Status::fail, "redirect"});
  auto not_found = redirect;
  not_found.status = 404;
  not_found.location.reset();
  rows.push_back({"404", not_found, Status::fail, "http-status"});
  auto html = served(enforce_body);
  html.content_type = "text/html";
  html.text_plain = false;
  rows.push_back({"text/html", html, Status::fail, "content-type"});
  auto untyped = served(enforce_body);
  untyped.content_type.reset();
  untyped.text_plain = false;
  rows.push_back({"no Content-Type", untyped, Status::fail, "content-type"});
  auto declared_large = ended(FetchStage::body, FetchEnding::too_large, "Content-Length 70000");
  declared_large.certificate = served("").certificate;
  declared_large.status = 200;
  declared_large.content_type = "text/plain";
  declared_large.text_plain = true;
  rows.push_back({"declared too large", declared_large, Status::fail, "too-large"});
  auto parsed_large = served(std::string(mx::probes::mta_sts::max_policy_octets + 1, 'x'));
  rows.push_back({"parsed too large", parsed_large, Status::fail, "too-large"});

  for (const auto& row : rows) {
    const auto check = policy_of(row.fetch);
    INFO(row.what << ": " << check.code << " " << check.message);
    CHECK(check.check == "mta-sts.policy");
    CHECK(check.status == row.status);
    CHECK(check.code == row.code);
  }
}

TEST_CASE("mta-sts.policy: messages name the cause", "[unit]") {
  auto redirect = served("");
  redirect.status = 302;
  redirect.location = "https://elsewhere.example.test/";
  CHECK(policy_of(redirect).message.find("\"https://elsewhere.example.test/\"") !=
        std::string::npos);
  const auto refused =
      policy_of(ended(FetchStage::connect, FetchEnding::refused, "127.0.0.2: refused"));
  CHECK(refused.message == "refused: 127.0.0.2: refused");
  const auto syntax = policy_of(served("version: STSv1\nmode: sometimes\nmax_age: 1\n"));
  CHECK(syntax.message ==
        served("version: STSv1\nmode: sometimes\nmax_age: 1\n").policy->error().reason);
  CHECK(policy_of(served(enforce_body)).message == "mode enforce, max_age 86400, 2 mx patterns");
}

TEST_CASE("mta-sts.policy: the first matching rule wins", "[unit]") {
  // 1 before everything: a timeout after a bad certificate and a 404 were seen.
  auto timeout = served(enforce_body);
  timeout.ending = FetchEnding::timeout;
  timeout.certificate->trusted = false;
  timeout.status = 404;
  CHECK(policy_of(timeout).code == "timeout");
  auto forbidden = ended(FetchStage::connect, FetchEnding::forbidden, "");
  CHECK(policy_of(forbidden).code == "forbidden");
  // 2 before 3: the handshake failed with an untrusted certificate recorded.
  auto handshake = ended(FetchStage::tls_handshake, FetchEnding::tls_failed, "alert");
  handshake.certificate = served("").certificate;
  handshake.certificate->trusted = false;
  CHECK(policy_of(handshake).code == "fetch-failed");
  // 3 before 4: a redirect served with a certificate for another name.
  auto redirect = served("");
  redirect.status = 301;
  redirect.certificate->name_matches = false;
  CHECK(policy_of(redirect).code == "certificate");
  // 4 before 5: a redirect without Content-Type; a 404 in text/html.
  redirect.certificate->name_matches = true;
  redirect.content_type.reset();
  redirect.text_plain = false;
  CHECK(policy_of(redirect).code == "redirect");
  redirect.status = 404;
  redirect.content_type = "text/html";
  CHECK(policy_of(redirect).code == "http-status");
  // 5 before 6: too large and in the wrong type.
  auto large = served(std::string(mx::probes::mta_sts::max_policy_octets + 1, 'x'));
  large.content_type = "application/octet-stream";
  large.text_plain = false;
  CHECK(policy_of(large).code == "content-type");
  // 6 before 7: a large body that also breaks the grammar is too-large.
  large.content_type = "text/plain";
  large.text_plain = true;
  CHECK(policy_of(large).code == "too-large");
  // 5 before 7 and 8: a valid policy in the wrong type.
  auto html = served(enforce_body);
  html.text_plain = false;
  CHECK(policy_of(html).code == "content-type");
}

TEST_CASE("mta-sts.mx-match: every code", "[unit]") {
  using mx::judge::judge_mta_sts_mx_match;
  const std::vector<std::string> hosts{"mx1.example.test", "a.mail.example.test"};
  const std::vector<std::string> stray{"mx1.example.test", "mx2.example.test"};

  auto judge = [&](const PolicyFetch& fetch, const std::vector<std::string>& mx_hosts) {
    const std::optional<PolicyFetch> f = fetch;
    return judge_mta_sts_mx_match(policy_of(fetch), f, mx_hosts);
  };
  const auto ok = judge(served(enforce_body), hosts);
  CHECK(ok.check == "mta-sts.mx-match");
  CHECK(ok.status == Status::pass);
  CHECK(ok.code == "ok");

  const auto enforce_mismatch = judge(served(enforce_body), stray);
  CHECK(enforce_mismatch.status == Status::fail);
  CHECK(enforce_mismatch.code == "mismatch");
  CHECK(enforce_mismatch.message.find("mx2.example.test matches no mx pattern") !=
        std::string::npos);

  const auto testing_mismatch = judge(served(testing_body), stray);
  CHECK(testing_mismatch.status == Status::warn);
  CHECK(testing_mismatch.code == "mismatch");
  CHECK(judge(served(testing_body), {"MX1.example.test."}).code == "ok");

  const auto none = judge(served(none_body), stray);
  CHECK(none.status == Status::skipped);
  CHECK(none.code == "mode-none");

  // No usable policy: not fetched, a failed fetch, or a body that failed a rule before 8.
  const auto unfetched = judge_mta_sts_mx_match(
      Check{"mta-sts.policy", Status::skipped, "no-record", ""}, std::nullopt, hosts);
  CHECK(unfetched.status == Status::skipped);
  CHECK(unfetched.code == "no-policy");
  CHECK(judge(ended(FetchStage::connect, FetchEnding::refused, ""), hosts).code == "no-policy");
  auto html = served(enforce_body);
  html.text_plain = false;
  CHECK(judge(html, stray).code == "no-policy");
  CHECK(judge(served("garbage"), hosts).code == "no-policy");
}

TEST_CASE("judge_domain: the policy checks follow mx, only when mx is pass or warn", "[unit]") {
  mx::probes::DomainObservation d;
  d.domain = "example.test";
  d.mx.meta.outcome = Outcome::data;
  d.mx.records = {{10, "mx1.example.test"}, {20, "mx2.example.test"}};
  for (const auto& record : d.mx.records) {
    auto& host = d.hosts.emplace_back();
    host.mx = record;
    host.a.meta.outcome = Outcome::nxdomain;
    host.aaaa.meta.outcome = Outcome::nxdomain;
    host.tlsa.meta.outcome = Outcome::nxdomain;
  }
  d.mta_sts_txt = txt(Outcome::data, {"v=STSv1; id=20240101"});
  d.policy_fetch = served(testing_body);
  d.tlsrpt_txt = txt(Outcome::data, {"v=TLSRPTv1; rua=mailto:tls@example.test"});

  const auto result = mx::judge::judge_domain(d);
  std::vector<std::string> names;
  std::vector<std::string> codes;
  for (const auto& check : result.checks) {
    names.push_back(check.check);
    codes.push_back(check.code);
  }
  CHECK(names == std::vector<std::string>{"mx", "mta-sts.record", "mta-sts.policy",
                                          "mta-sts.mx-match", "tlsrpt.record"});
  CHECK(codes == std::vector<std::string>{"ok", "ok", "mode-testing", "mismatch", "ok"});
  REQUIRE(result.mta_sts);
  CHECK(result.mta_sts->record == "v=STSv1; id=20240101");
  CHECK(result.mta_sts->id == "20240101");
  REQUIRE(result.mta_sts->policy);
  CHECK(result.mta_sts->policy->mode == "testing");
  CHECK(result.mta_sts->policy->max_age == 604800);
  CHECK(result.mta_sts->policy->mx == std::vector<std::string>{"mx1.example.test"});
  REQUIRE(result.tlsrpt);
  CHECK(result.tlsrpt->rua == std::vector<std::string>{"mailto:tls@example.test"});

  // An implicit MX: the domain itself is the host matched.
  auto implicit = d;
  implicit.mx.meta.outcome = Outcome::nodata;
  implicit.mx.records.clear();
  implicit.implicit_mx = true;
  implicit.hosts.resize(1);
  implicit.hosts[0].mx = {0, "example.test"};
  implicit.hosts[0].a.meta.outcome = Outcome::data;
  implicit.hosts[0].a.addresses = {boost::asio::ip::make_address("192.0.2.1")};
  implicit.policy_fetch =
      served("version: STSv1\nmode: enforce\nmax_age: 86400\nmx: example.test\n");
  const auto implicit_result = mx::judge::judge_domain(implicit);
  REQUIRE(implicit_result.checks.size() == 5);
  CHECK(implicit_result.checks[0].code == "implicit");
  CHECK(implicit_result.checks[3].code == "ok");

  // mx fails: no policy checks, the facts stay.
  auto null_mx = d;
  null_mx.mx.records = {{0, ""}};
  null_mx.hosts.clear();
  const auto null_result = mx::judge::judge_domain(null_mx);
  REQUIRE(null_result.checks.size() == 1);
  CHECK(null_result.checks[0].code == "null-mx");
  CHECK(null_result.mta_sts.has_value());

  // No policy parsed: the record's facts without a policy; no records: no facts.
  auto unparsed = d;
  unparsed.policy_fetch = served("garbage");
  const auto unparsed_result = mx::judge::judge_domain(unparsed);
  REQUIRE(unparsed_result.mta_sts);
  CHECK_FALSE(unparsed_result.mta_sts->policy.has_value());
  auto bare = d;
  bare.mta_sts_txt = txt(Outcome::nxdomain);
  bare.policy_fetch.reset();
  bare.tlsrpt_txt = txt(Outcome::data, {"v=TLSRPTv1;"});
  const auto bare_result = mx::judge::judge_domain(bare);
  CHECK_FALSE(bare_result.mta_sts.has_value());
  CHECK_FALSE(bare_result.tlsrpt.has_value());
}

TEST_CASE("a domain without MTA-STS and TLSRPT is warn; with both in good order, pass", "[unit]") {
  mx::probes::DomainObservation d;
  d.domain = "example.test";
  d.mx.meta.outcome = Outcome::data;
  d.mx.records = {{10, "mx1.example.test"}};
  d.mta_sts_txt = txt(Outcome::nxdomain);
  d.tlsrpt_txt = txt(Outcome::nodata);
  auto& host = d.hosts.emplace_back();
  host.mx = d.mx.records.front();
  host.a.meta.outcome = Outcome::data;
  host.a.addresses = {boost::asio::ip::make_address("192.0.2.1")};
  host.aaaa.meta.outcome = Outcome::nodata;
  host.tlsa.meta.outcome = Outcome::nxdomain;
  // A host whose only address is forbidden is error, which alone is the domain's status; use a
  // passing host result instead through the domain status arithmetic.
  mx::judge::HostResult passing;
  passing.status = Status::pass;
  const auto absent = mx::judge::judge_domain(d);
  CHECK(mx::judge::domain_status(absent.checks, {passing}) == Status::warn);
  d.mta_sts_txt = txt(Outcome::data, {"v=STSv1; id=1"});
  d.policy_fetch = served(enforce_body);
  d.tlsrpt_txt = txt(Outcome::data, {"v=TLSRPTv1; rua=mailto:tls@example.test"});
  const auto complete = mx::judge::judge_domain(d);
  CHECK(mx::judge::domain_status(complete.checks, {passing}) == Status::pass);
}
