// TLSRPT: the TXT record at _smtp._tls.<domain> (RFC 8460 §3).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include "probes/tlsrpt/txt_record.hpp"

using mx::probes::Severity;
using mx::probes::tlsrpt::Extension;
using mx::probes::tlsrpt::is_tlsrpt_record;
using mx::probes::tlsrpt::parse_tlsrpt_record;
using mx::probes::tlsrpt::parse_txt_record;
using mx::probes::tlsrpt::TxtError;
using mx::probes::tlsrpt::TxtFailure;
using mx::probes::tlsrpt::TxtFinding;
using mx::probes::tlsrpt::TxtRecord;

namespace Catch {

template <>
struct StringMaker<TxtError> {
  static std::string convert(TxtError error) {
    return std::string(mx::probes::tlsrpt::to_string(error));
  }
};

template <>
struct StringMaker<TxtFinding> {
  static std::string convert(TxtFinding finding) {
    return std::string(mx::probes::tlsrpt::to_string(finding));
  }
};

template <>
struct StringMaker<Extension> {
  static std::string convert(const Extension& extension) {
    return extension.name + "=" + extension.value;
  }
};

}  // namespace Catch

namespace {

using Strings = std::vector<std::string>;
using Findings = std::vector<TxtFinding>;

bool is_printable(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '\x20' && c <= '\x7e'; });
}

TxtRecord tlsrpt(const std::string& record) {
  const auto parsed = parse_txt_record(Strings{record});
  INFO((parsed.has_error() ? parsed.error().reason : std::string("parsed")));
  REQUIRE(parsed.has_value());
  return *parsed;
}

TxtFailure tlsrpt_failure(const Strings& records) {
  const auto parsed = parse_txt_record(records);
  REQUIRE(parsed.has_error());
  CHECK(is_printable(parsed.error().reason));
  return parsed.error();
}

}  // namespace

TEST_CASE("the RFC 8460 example records give their rua URIs", "[unit]") {
  const auto [text, rua] = GENERATE(table<std::string, Strings>({
      {"v=TLSRPTv1; rua=mailto:reports@example.com", {"mailto:reports@example.com"}},
      {"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt",
       {"https://reporting.example.com/v1/tlsrpt"}},
      {"v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt",
       {"mailto:reports@example.com", "https://reporting.example.com/v1/tlsrpt"}},
  }));
  CAPTURE(text);
  const TxtRecord record = tlsrpt(text);
  CHECK(record.rua == rua);
  CHECK(record.raw == text);
  CHECK(record.extensions.empty());
  CHECK(record.findings.empty());
}

TEST_CASE("real-world and edge-of-grammar rua lists parse", "[unit]") {
  const auto [text, rua] = GENERATE(table<std::string, Strings>({
      {"v=TLSRPTv1;rua=mailto:tlsrpt@example.com;", {"mailto:tlsrpt@example.com"}},
      {"v=TLSRPTv1; rua=mailto:tls-reports@example.com", {"mailto:tls-reports@example.com"}},
      {"v=TLSRPTv1; rua=mailto:a@example.com , mailto:b@example.net",
       {"mailto:a@example.com", "mailto:b@example.net"}},
      {"v=TLSRPTv1; rua=mailto:a@example.com,\tmailto:b@example.net",
       {"mailto:a@example.com", "mailto:b@example.net"}},
      {"v=TLSRPTv1; rua=MAILTO:Reports@Example.COM", {"MAILTO:Reports@Example.COM"}},
      {"v=TLSRPTv1; rua=mailto:tlsrpt@example.com?subject=tlsrpt",
       {"mailto:tlsrpt@example.com?subject=tlsrpt"}},
      {"v=TLSRPTv1; rua=mailto:first.last+tag@sub.example.com",
       {"mailto:first.last+tag@sub.example.com"}},
      {"v=TLSRPTv1; rua=mailto:postmaster@[192.0.2.1]", {"mailto:postmaster@[192.0.2.1]"}},
      {"v=TLSRPTv1; rua=HTTPS://report.example.com:8443/tlsrpt?x=1#f",
       {"HTTPS://report.example.com:8443/tlsrpt?x=1#f"}},
      {"v=TLSRPTv1; rua=https://user@report.example.com", {"https://user@report.example.com"}},
      {"v=TLSRPTv1; rua=https://[2001:db8::1]:443/r", {"https://[2001:db8::1]:443/r"}},
      {"v=TLSRPTv1; rua=https://192.0.2.1/", {"https://192.0.2.1/"}},
      {"v=TLSRPTv1; rua=https://report.example.com.", {"https://report.example.com."}},
  }));
  CAPTURE(text);
  const TxtRecord record = tlsrpt(text);
  CHECK(record.rua == rua);
  CHECK(record.findings.empty());
}

TEST_CASE("several rua fields are grammatical: every URI is used, with a notice", "[unit]") {
  const TxtRecord record = tlsrpt(
      "v=TLSRPTv1; rua=mailto:a@example.com; ext=1; "
      "rua=https://r.example.com/,mailto:b@example.com");
  CHECK(record.rua ==
        Strings{"mailto:a@example.com", "https://r.example.com/", "mailto:b@example.com"});
  CHECK(record.extensions == std::vector<Extension>{{"ext", "1"}});
  CHECK(record.findings == Findings{TxtFinding::repeated_rua});
  CHECK(severity(TxtFinding::repeated_rua) == Severity::notice);
}

TEST_CASE("the TLSRPT record is picked from among other TXT records", "[unit]") {
  const auto parsed = parse_txt_record(Strings{"v=spf1 -all", "v=STSv1; id=1",
                                               "v=TLSRPTv1; rua=mailto:r@example.com",
                                               "V=TLSRPTv1; rua=mailto:decoy@example.com"});
  REQUIRE(parsed.has_value());
  CHECK(parsed->rua == Strings{"mailto:r@example.com"});
}

TEST_CASE("which TXT records take part in the TLSRPT selection", "[unit]") {
  const auto [text, selected] = GENERATE(table<std::string, bool>({
      {"v=TLSRPTv1; rua=mailto:a@example.com", true},
      {"v=TLSRPTv1;rua=mailto:a@example.com", true},
      {"v=TLSRPTv1 ; rua=mailto:a@example.com", true},
      {"v=TLSRPTv1", true},
      {"v=tlsrptv1; rua=mailto:a@example.com", false},
      {"V=TLSRPTv1; rua=mailto:a@example.com", false},
      {" v=TLSRPTv1; rua=mailto:a@example.com", false},
      {"v=TLSRPTv10; rua=mailto:a@example.com", false},
      {"v=TLSRPTv1.1; rua=mailto:a@example.com", false},
      {"v=TLSRPTv1 rua=mailto:a@example.com", false},
      {"v=STSv1; id=1", false},
      {"", false},
  }));
  CAPTURE(text);
  CHECK(is_tlsrpt_record(text) == selected);
}

TEST_CASE("no TLSRPT record is absent, two are multiple", "[unit]") {
  const TxtFailure absent = tlsrpt_failure({"v=spf1 -all", "v=TLSRPTv2; rua=mailto:a@b.example"});
  CHECK(absent.error == TxtError::absent);
  CHECK(absent.records.empty());
  CHECK(tlsrpt_failure({}).error == TxtError::absent);

  const TxtFailure miscased = tlsrpt_failure({"v=tlsrptv1; rua=mailto:a@example.com"});
  CHECK(miscased.error == TxtError::absent);
  CHECK(miscased.reason.find("case-sensitive") != std::string::npos);

  const TxtFailure multiple = tlsrpt_failure(
      {"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1; rua=mailto:b@example.com"});
  CHECK(multiple.error == TxtError::multiple);
  CHECK_FALSE(multiple.finding.has_value());
  CHECK(multiple.records.size() == 2);
}

TEST_CASE("tolerated TLSRPT record deviations are valid with their findings", "[unit]") {
  const auto [text, findings] = GENERATE(table<std::string, Findings>({
      {"v=TLSRPTv1 ; rua=mailto:a@example.com", {TxtFinding::space_before_delimiter}},
      {"v=TLSRPTv1; rua=mailto:a@example.com;;", {TxtFinding::empty_field}},
      {"v=TLSRPTv1;; rua=mailto:a@example.com", {TxtFinding::empty_field}},
      {"v=TLSRPTv1; rua=mailto:a@example.com ", {TxtFinding::trailing_whitespace}},
      {"v=TLSRPTv1; rua=mailto:a@example.com; ", {}},
      {"v=TLSRPTv1; rua=mailto:a@example.com ;", {}},
  }));
  CAPTURE(text);
  const TxtRecord record = tlsrpt(text);
  CHECK(record.rua == Strings{"mailto:a@example.com"});
  CHECK(record.findings == findings);
  for (const TxtFinding finding : record.findings) {
    CHECK(severity(finding) == Severity::warning);
  }
}

TEST_CASE("a TLSRPT record that breaks the grammar is syntax, with the first cause", "[unit]") {
  const auto [text, finding] = GENERATE(table<std::string, TxtFinding>({
      {"v=TLSRPTv1", TxtFinding::missing_rua},
      {"v=TLSRPTv1;", TxtFinding::missing_rua},
      {"v=TLSRPTv1; ext=1", TxtFinding::missing_rua},
      {"v=TLSRPTv1; RUA=mailto:a@example.com", TxtFinding::missing_rua},
      {"v=TLSRPTv1; rua=", TxtFinding::empty_uri},
      {"v=TLSRPTv1; rua=mailto:a@example.com,", TxtFinding::empty_uri},
      {"v=TLSRPTv1; rua=,mailto:a@example.com", TxtFinding::empty_uri},
      {"v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", TxtFinding::empty_uri},
      {"v=TLSRPTv1; rua=http://report.example.com/", TxtFinding::unsupported_scheme},
      {"v=TLSRPTv1; rua=ftp://report.example.com/", TxtFinding::unsupported_scheme},
      {"v=TLSRPTv1; rua=reports@example.com", TxtFinding::unsupported_scheme},
      {"v=TLSRPTv1; rua=report.example.com", TxtFinding::unsupported_scheme},
      {"v=TLSRPTv1; rua=:a@example.com", TxtFinding::unsupported_scheme},
      {"v=TLSRPTv1; rua=1mailto:a@example.com", TxtFinding::unsupported_scheme},
      {"v=TLSRPTv1; rua=mailto:", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:reports", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:@example.com", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:reports@", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:reports@example..com", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:reports@exa mple.com", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:reports@example.com!10m", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:r\xc3\xa9@example.com", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=mailto:reports@[]", TxtFinding::invalid_mailto},
      {"v=TLSRPTv1; rua=https://", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https:///tlsrpt", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https:report.example.com", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https://report.example.com:https/", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https://[2001:db8::1/", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https://[2001:db8::1]x/", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https://user@/", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https://bad_host.example.com/", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=https://r.example.com/a b", TxtFinding::invalid_https},
      {"v=TLSRPTv1; rua=mailto:a@example.com; ext", TxtFinding::malformed_field},
      {"v=TLSRPTv1; rua=mailto:a@example.com; ext=", TxtFinding::malformed_field},
      {"v=TLSRPTv1; rua=mailto:a@example.com; ext=a=b", TxtFinding::malformed_field},
      {"v=TLSRPTv1; rua=mailto:a@example.com; _ext=1", TxtFinding::malformed_field},
      {"v=TLSRPTv1; rua = mailto:a@example.com", TxtFinding::malformed_field},
  }));
  CAPTURE(text);
  const TxtFailure failure = tlsrpt_failure({text});
  CHECK(failure.error == TxtError::syntax);
  CHECK(failure.finding == finding);
  CHECK(failure.records == Strings{text});
  CHECK(severity(finding) == Severity::invalid);
}

TEST_CASE("a missing rua with a miscased rua field says field names are case-sensitive", "[unit]") {
  CHECK(tlsrpt_failure({"v=TLSRPTv1; Rua=mailto:a@example.com"}).reason.find("case-sensitive") !=
        std::string::npos);
}

TEST_CASE("parse_tlsrpt_record parses one record and refuses another as absent", "[unit]") {
  const auto parsed = parse_tlsrpt_record("v=TLSRPTv1; rua=mailto:a@example.com");
  REQUIRE(parsed.has_value());
  CHECK(parsed->rua == Strings{"mailto:a@example.com"});
  const auto refused = parse_tlsrpt_record("v=STSv1; id=1");
  REQUIRE(refused.has_error());
  CHECK(refused.error().error == TxtError::absent);
}

TEST_CASE("a TLSRPT failure throws system_error from value()", "[unit]") {
  const auto parsed = parse_txt_record(Strings{"v=TLSRPTv1; rua=http://x.example/"});
  REQUIRE(parsed.has_error());
  try {
    static_cast<void>(parsed.value());
    FAIL("value() did not throw");
  } catch (const boost::system::system_error& error) {
    CHECK(error.code() == make_error_code(TxtError::syntax));
    CHECK(std::string(error.what()).find(parsed.error().reason) != std::string::npos);
  }
}

TEST_CASE("TLSRPT errors and findings have stable names and severities", "[unit]") {
  CHECK(to_string(TxtError::absent) == "absent");
  CHECK(to_string(TxtError::multiple) == "multiple");
  CHECK(to_string(TxtError::syntax) == "syntax");
  CHECK(make_error_code(TxtError::absent).category().name() == std::string("mx.tlsrpt_txt"));

  const auto [finding, name, grade] = GENERATE(table<TxtFinding, std::string, Severity>({
      {TxtFinding::repeated_rua, "repeated_rua", Severity::notice},
      {TxtFinding::space_before_delimiter, "space_before_delimiter", Severity::warning},
      {TxtFinding::empty_field, "empty_field", Severity::warning},
      {TxtFinding::trailing_whitespace, "trailing_whitespace", Severity::warning},
      {TxtFinding::missing_rua, "missing_rua", Severity::invalid},
      {TxtFinding::empty_uri, "empty_uri", Severity::invalid},
      {TxtFinding::unsupported_scheme, "unsupported_scheme", Severity::invalid},
      {TxtFinding::invalid_mailto, "invalid_mailto", Severity::invalid},
      {TxtFinding::invalid_https, "invalid_https", Severity::invalid},
      {TxtFinding::malformed_field, "malformed_field", Severity::invalid},
  }));
  CHECK(to_string(finding) == name);
  CHECK(severity(finding) == grade);
}
