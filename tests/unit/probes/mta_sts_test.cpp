// MTA-STS: the TXT record (RFC 8461 §3.1), the policy file (§3.2) and MX matching (§4.1), with
// every ambiguity row of GOTCHAS.md that concerns them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include "probes/mta_sts/mx_match.hpp"
#include "probes/mta_sts/policy.hpp"
#include "probes/mta_sts/txt_record.hpp"

using mx::probes::Severity;
using mx::probes::mta_sts::Extension;
using mx::probes::mta_sts::is_mx_pattern;
using mx::probes::mta_sts::is_sts_record;
using mx::probes::mta_sts::max_age_cap;
using mx::probes::mta_sts::max_policy_octets;
using mx::probes::mta_sts::Mode;
using mx::probes::mta_sts::mx_pattern_matches;
using mx::probes::mta_sts::parse_policy;
using mx::probes::mta_sts::parse_sts_record;
using mx::probes::mta_sts::parse_txt_record;
using mx::probes::mta_sts::Policy;
using mx::probes::mta_sts::PolicyError;
using mx::probes::mta_sts::PolicyFailure;
using mx::probes::mta_sts::PolicyFinding;
using mx::probes::mta_sts::TxtError;
using mx::probes::mta_sts::TxtFailure;
using mx::probes::mta_sts::TxtFinding;
using mx::probes::mta_sts::TxtRecord;
using mx::probes::mta_sts::unmatched_hosts;

namespace Catch {

template <>
struct StringMaker<TxtError> {
  static std::string convert(TxtError error) {
    return std::string(mx::probes::mta_sts::to_string(error));
  }
};

template <>
struct StringMaker<PolicyError> {
  static std::string convert(PolicyError error) {
    return std::string(mx::probes::mta_sts::to_string(error));
  }
};

template <>
struct StringMaker<TxtFinding> {
  static std::string convert(TxtFinding finding) {
    return std::string(mx::probes::mta_sts::to_string(finding));
  }
};

template <>
struct StringMaker<PolicyFinding> {
  static std::string convert(PolicyFinding finding) {
    return std::string(mx::probes::mta_sts::to_string(finding));
  }
};

template <>
struct StringMaker<Mode> {
  static std::string convert(Mode mode) {
    return std::string(mx::probes::mta_sts::to_string(mode));
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
using TxtFindings = std::vector<TxtFinding>;
using PolicyFindings = std::vector<PolicyFinding>;

// A reason is shown to humans: it must say something and carry no raw control octets.
bool is_printable(const std::string& text) {
  return !text.empty() && text.find_first_not_of(
                              " !\"#$%&'()*+,-./0123456789:;<=>?@"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
                              "abcdefghijklmnopqrstuvwxyz{|}~") == std::string::npos;
}

TxtRecord sts(const std::string& record) {
  const auto parsed = parse_txt_record(Strings{record});
  INFO((parsed.has_error() ? parsed.error().reason : std::string("parsed")));
  REQUIRE(parsed.has_value());
  return *parsed;
}

TxtFailure sts_failure(const Strings& records) {
  const auto parsed = parse_txt_record(records);
  REQUIRE(parsed.has_error());
  CHECK(is_printable(parsed.error().reason));
  return parsed.error();
}

Policy policy(std::string_view body) {
  const auto parsed = parse_policy(body);
  INFO((parsed.has_error() ? parsed.error().reason : std::string("parsed")));
  REQUIRE(parsed.has_value());
  return *parsed;
}

PolicyFailure policy_failure(std::string_view body) {
  const auto parsed = parse_policy(body);
  REQUIRE(parsed.has_error());
  CHECK(is_printable(parsed.error().reason));
  return parsed.error();
}

// The RFC 8461 §3.2 example, with the given line terminator.
std::string rfc_policy(std::string_view eol) {
  std::string body;
  for (const std::string_view line :
       {"version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net",
        "mx: backupmx.example.com", "max_age: 604800"}) {
    body += line;
    body += eol;
  }
  return body;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TXT record: selection

TEST_CASE("the RFC 8461 example TXT record gives its id", "[unit]") {
  const TxtRecord record = sts("v=STSv1; id=20160831085700Z;");
  CHECK(record.id == "20160831085700Z");
  CHECK(record.raw == "v=STSv1; id=20160831085700Z;");
  CHECK(record.extensions.empty());
  CHECK(record.findings.empty());
}

TEST_CASE("real-world MTA-STS TXT records parse without findings", "[unit]") {
  const auto [text, id] = GENERATE(table<std::string, std::string>({
      {"v=STSv1; id=20190429T010101;", "20190429T010101"},
      {"v=STSv1; id=20171114T070707;", "20171114T070707"},
      {"v=STSv1; id=1", "1"},
      {"v=STSv1;id=20240101000000", "20240101000000"},
      {"v=STSv1; id=6c6e8a4a5a1b4d2e9f0a1b2c3d4e5f60", "6c6e8a4a5a1b4d2e9f0a1b2c3d4e5f60"},
      {"v=STSv1;\tid=abc;\t", "abc"},
  }));
  CAPTURE(text);
  const TxtRecord record = sts(text);
  CHECK(record.id == id);
  CHECK(record.findings.empty());
}

TEST_CASE("the one MTA-STS record is picked from among other TXT records", "[unit]") {
  const Strings answer{"v=spf1 -all",         "google-site-verification=abc",
                       "v=STSv1; id=42",      "V=STSv1; id=decoy",
                       "v=STSv10; id=future", "v=STSv1 is not a policy"};
  const auto parsed = parse_txt_record(answer);
  REQUIRE(parsed.has_value());
  CHECK(parsed->id == "42");
}

TEST_CASE("which TXT records take part in the MTA-STS selection", "[unit]") {
  const auto [text, selected] = GENERATE(table<std::string, bool>({
      {"v=STSv1; id=1", true},
      {"v=STSv1;id=1", true},
      {"v=STSv1 ; id=1", true},  // GOTCHAS: the ABNF allows WSP before ";"
      {"v=STSv1\t; id=1", true},
      {"v=STSv1", true},   // the version alone: a record without its id
      {"v=STSv1 ", true},  //
      {"v=STSv1;", true},
      {"V=STSv1; id=1", false},  // %s"v=STSv1" is case-sensitive
      {"v=stsv1; id=1", false},
      {"v=STSV1; id=1", false},
      {" v=STSv1; id=1", false},  // must begin with the version
      {"v = STSv1; id=1", false},
      {"v=STSv10; id=1", false},  // another version token
      {"v=STSv1.1; id=1", false},
      {"v=STSv1, id=1", false},
      {"v=STSv1 is not a policy", false},
      {"v=STSv2; id=1", false},
      {"v=TLSRPTv1; rua=mailto:a@example.com", false},
      {"", false},
  }));
  CAPTURE(text);
  CHECK(is_sts_record(text) == selected);
}

TEST_CASE("no record beginning with v=STSv1 is absent", "[unit]") {
  const Strings answer = GENERATE(Strings{}, Strings{"v=spf1 -all"}, Strings{""},
                                  Strings{"v=STSv10; id=1", "hello"}, Strings{" v=STSv1; id=1"});
  CAPTURE(answer);
  const TxtFailure failure = sts_failure(answer);
  CHECK(failure.error == TxtError::absent);
  CHECK_FALSE(failure.finding.has_value());
  CHECK(failure.records.empty());
}

TEST_CASE("an absent record whose version is miscased gets a hint", "[unit]") {
  const TxtFailure failure = sts_failure({"V=STSv1; id=1"});
  CHECK(failure.error == TxtError::absent);
  CHECK(failure.reason.find("case-sensitive") != std::string::npos);
  CHECK(sts_failure({"v=STSv10; id=1"}).reason.find("case-sensitive") == std::string::npos);
}

TEST_CASE("more than one record beginning with v=STSv1 is multiple", "[unit]") {
  const Strings answer = GENERATE(Strings{"v=STSv1; id=1", "v=STSv1; id=2"},
                                  Strings{"v=STSv1; id=1", "v=spf1 -all", "v=STSv1 ; id=1"},
                                  Strings{"v=STSv1; id=1", "v=STSv1"});
  CAPTURE(answer);
  const TxtFailure failure = sts_failure(answer);
  CHECK(failure.error == TxtError::multiple);
  CHECK_FALSE(failure.finding.has_value());
  CHECK(failure.records.size() == 2);
  CHECK(failure.records.front() == "v=STSv1; id=1");
}

// ---------------------------------------------------------------------------------------------
// TXT record: fields

TEST_CASE("tolerated TXT record deviations are valid with their findings", "[unit]") {
  const auto [text, id, findings] = GENERATE(table<std::string, std::string, TxtFindings>({
      // GOTCHAS: "v=STSv1 ;" valid if sole TXT, with a warning.
      {"v=STSv1 ; id=1", "1", {TxtFinding::space_before_delimiter}},
      {"v=STSv1\t;id=1;", "1", {TxtFinding::space_before_delimiter}},
      // GOTCHAS: a trailing ";;" valid, with a warning; the same for an empty field inside.
      {"v=STSv1; id=1;;", "1", {TxtFinding::empty_field}},
      {"v=STSv1; id=1; ; ", "1", {TxtFinding::empty_field}},
      {"v=STSv1;; id=1", "1", {TxtFinding::empty_field}},
      {"v=STSv1; id=1;;;;", "1", {TxtFinding::empty_field}},
      // GOTCHAS: a repeated id, the first wins, with a warning.
      {"v=STSv1; id=first; id=second", "first", {TxtFinding::duplicate_id}},
      {"v=STSv1; id=a; id=a; id=b", "a", {TxtFinding::duplicate_id}},
      // WSP after the last field with no delimiter after it.
      {"v=STSv1; id=1 ", "1", {TxtFinding::trailing_whitespace}},
      {"v=STSv1; id=1\t", "1", {TxtFinding::trailing_whitespace}},
      // Grammatical: WSP before a later delimiter, and after the trailing one.
      {"v=STSv1; id=1 ;", "1", {}},
      {"v=STSv1; id=1;  ", "1", {}},
      // Several at once, each once, in order of occurrence.
      {"v=STSv1 ;; id=1; id=2;; ",
       "1",
       {TxtFinding::space_before_delimiter, TxtFinding::empty_field, TxtFinding::duplicate_id}},
  }));
  CAPTURE(text);
  const TxtRecord record = sts(text);
  CHECK(record.id == id);
  CHECK(record.findings == findings);
  for (const TxtFinding finding : record.findings) {
    CHECK(severity(finding) == Severity::warning);
  }
}

TEST_CASE("extension fields are kept in order, wherever the id is", "[unit]") {
  const TxtRecord record =
      sts("v=STSv1; ext=value; id=7; a.b_c-9=!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~");
  CHECK(record.id == "7");
  CHECK(record.extensions ==
        std::vector<Extension>{{"ext", "value"}, {"a.b_c-9", "!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~"}});
  CHECK(record.findings.empty());
}

TEST_CASE("an id and extension names at their length limits", "[unit]") {
  const std::string id32(32, 'a');
  const std::string name32 = "n" + std::string(31, '-');
  const TxtRecord record = sts("v=STSv1; id=" + id32 + "; " + name32 + "=v");
  CHECK(record.id == id32);
  CHECK(record.extensions == std::vector<Extension>{{name32, "v"}});

  CHECK(sts_failure({"v=STSv1; id=" + std::string(33, 'a')}).finding == TxtFinding::invalid_id);
  CHECK(sts_failure({"v=STSv1; id=1; n" + std::string(32, 'x') + "=v"}).finding ==
        TxtFinding::malformed_field);
}

TEST_CASE("an MTA-STS record that breaks the grammar is syntax, with the first cause", "[unit]") {
  const auto [text, finding] = GENERATE(table<std::string, TxtFinding>({
      {"v=STSv1", TxtFinding::missing_id},
      {"v=STSv1;", TxtFinding::missing_id},
      {"v=STSv1 ", TxtFinding::missing_id},
      {"v=STSv1; ext=1", TxtFinding::missing_id},
      {"v=STSv1; ID=abc", TxtFinding::missing_id},  // field names are case-sensitive
      {"v=STSv1; Id=abc", TxtFinding::missing_id},
      {"v=STSv1; id=", TxtFinding::invalid_id},
      {"v=STSv1; id=2019-04-29", TxtFinding::invalid_id},  // an id, not an extension
      {"v=STSv1; id=abc def", TxtFinding::invalid_id},
      {"v=STSv1; id=abc_def", TxtFinding::invalid_id},
      {"v=STSv1; id=caf\xc3\xa9", TxtFinding::invalid_id},
      {"v=STSv1; id=1; id=bad-id", TxtFinding::invalid_id},  // a later id is checked too
      {"v=STSv1; id = abc", TxtFinding::malformed_field},
      {"v=STSv1; id =abc", TxtFinding::malformed_field},
      // GOTCHAS: a malformed extension field makes the record invalid.
      {"v=STSv1; id=1; ext", TxtFinding::malformed_field},
      {"v=STSv1; id=1; ext=", TxtFinding::malformed_field},
      {"v=STSv1; id=1; =value", TxtFinding::malformed_field},
      {"v=STSv1; id=1; ext=a=b", TxtFinding::malformed_field},
      {"v=STSv1; id=1; ext=a b", TxtFinding::malformed_field},
      {"v=STSv1; id=1; _ext=v", TxtFinding::malformed_field},
      {"v=STSv1; id=1; -ext=v", TxtFinding::malformed_field},
      {"v=STSv1; id=1; e x=v", TxtFinding::malformed_field},
      {"v=STSv1; id=1; ext=caf\xc3\xa9", TxtFinding::malformed_field},
      {"v=STSv1; id=1; ext=a\x01", TxtFinding::malformed_field},
      {std::string("v=STSv1; id=1; ext=a\0b", 22), TxtFinding::malformed_field},
      {"v=STSv1; id=1; ext=\x7f", TxtFinding::malformed_field},
      {"v=STSv1; ext; id=1", TxtFinding::malformed_field},  // stops at the first cause
  }));
  CAPTURE(text);
  const TxtFailure failure = sts_failure({text});
  CHECK(failure.error == TxtError::syntax);
  CHECK(failure.finding == finding);
  CHECK(failure.records == Strings{text});
  CHECK(severity(finding) == Severity::invalid);
}

TEST_CASE("a missing id with a miscased id field says field names are case-sensitive", "[unit]") {
  CHECK(sts_failure({"v=STSv1; ID=1"}).reason.find("case-sensitive") != std::string::npos);
  CHECK(sts_failure({"v=STSv1; x=1"}).reason.find("case-sensitive") == std::string::npos);
}

TEST_CASE("peer octets in a TXT failure reason are escaped", "[unit]") {
  const TxtFailure failure = sts_failure({"v=STSv1; id=1; x=\x1b[31m\xff"});
  CHECK(failure.reason.find("\\x1b") != std::string::npos);
  CHECK(failure.reason.find("\\xff") != std::string::npos);
  const TxtFailure long_failure = sts_failure({"v=STSv1; id=" + std::string(5000, 'a')});
  CHECK(long_failure.reason.size() < 200);
}

TEST_CASE("parse_sts_record parses one record and refuses a non-STS one as absent", "[unit]") {
  const auto parsed = parse_sts_record("v=STSv1; id=9");
  REQUIRE(parsed.has_value());
  CHECK(parsed->id == "9");
  const auto refused = parse_sts_record("v=spf1 -all");
  REQUIRE(refused.has_error());
  CHECK(refused.error().error == TxtError::absent);
}

TEST_CASE("a TXT failure throws system_error with its reason from value()", "[unit]") {
  const auto parsed = parse_txt_record(Strings{"v=STSv1; id=1", "v=STSv1; id=2"});
  REQUIRE(parsed.has_error());
  try {
    static_cast<void>(parsed.value());
    FAIL("value() did not throw");
  } catch (const boost::system::system_error& error) {
    CHECK(error.code() == make_error_code(TxtError::multiple));
    CHECK(std::string(error.what()).find(parsed.error().reason) != std::string::npos);
  }
}

TEST_CASE("TXT errors and findings have stable names and severities", "[unit]") {
  CHECK(to_string(TxtError::absent) == "absent");
  CHECK(to_string(TxtError::multiple) == "multiple");
  CHECK(to_string(TxtError::syntax) == "syntax");
  CHECK(make_error_code(TxtError::syntax).category().name() == std::string("mx.mta_sts_txt"));
  CHECK(make_error_code(TxtError::syntax).message() != make_error_code(TxtError::absent).message());

  const auto [finding, name, grade] = GENERATE(table<TxtFinding, std::string, Severity>({
      {TxtFinding::space_before_delimiter, "space_before_delimiter", Severity::warning},
      {TxtFinding::empty_field, "empty_field", Severity::warning},
      {TxtFinding::duplicate_id, "duplicate_id", Severity::warning},
      {TxtFinding::trailing_whitespace, "trailing_whitespace", Severity::warning},
      {TxtFinding::missing_id, "missing_id", Severity::invalid},
      {TxtFinding::invalid_id, "invalid_id", Severity::invalid},
      {TxtFinding::malformed_field, "malformed_field", Severity::invalid},
  }));
  CHECK(to_string(finding) == name);
  CHECK(severity(finding) == grade);
}

// ---------------------------------------------------------------------------------------------
// Policy

TEST_CASE("the RFC 8461 example policy parses with CRLF, LF and no final terminator", "[unit]") {
  const std::string body = GENERATE(rfc_policy("\r\n"), rfc_policy("\n"),
                                    rfc_policy("\n").substr(0, rfc_policy("\n").size() - 1));
  CAPTURE(body);
  const Policy parsed = policy(body);
  CHECK(parsed.version == "STSv1");
  CHECK(parsed.mode == Mode::enforce);
  CHECK(parsed.max_age == 604800);
  CHECK(parsed.mx == Strings{"mail.example.com", "*.example.net", "backupmx.example.com"});
  CHECK(parsed.invalid_mx.empty());
  CHECK(parsed.extensions.empty());
  CHECK(parsed.findings.empty());
}

TEST_CASE("real-world policies parse", "[unit]") {
  const Policy google = policy(
      "version: STSv1\n"
      "mode: enforce\n"
      "mx: gmail-smtp-in.l.google.com\n"
      "mx: *.gmail-smtp-in.l.google.com\n"
      "max_age: 86400\n");
  CHECK(google.mode == Mode::enforce);
  CHECK(google.max_age == 86400);
  CHECK(google.mx == Strings{"gmail-smtp-in.l.google.com", "*.gmail-smtp-in.l.google.com"});
  CHECK(google.findings.empty());

  const Policy testing = policy(
      "version: STSv1\r\n"
      "mode: testing\r\n"
      "mx: *.mail.protection.outlook.com\r\n"
      "max_age: 604800\r\n");
  CHECK(testing.mode == Mode::testing);
  CHECK(testing.mx == Strings{"*.mail.protection.outlook.com"});

  const Policy none = policy("version: STSv1\nmode: none\nmax_age: 86400\n");
  CHECK(none.mode == Mode::none);
  CHECK(none.mx.empty());
  CHECK(none.findings.empty());
}

TEST_CASE("policy fields come in any order, unknown fields are kept and noted", "[unit]") {
  const Policy parsed = policy(
      "max_age: 3600\n"
      "future_field: some value here\n"
      "mx: mx.example.com\n"
      "Mode: ignored\n"
      "mode: testing\n"
      "version: STSv1\n");
  CHECK(parsed.mode == Mode::testing);
  CHECK(parsed.max_age == 3600);
  CHECK(parsed.mx == Strings{"mx.example.com"});
  CHECK(parsed.extensions ==
        std::vector<Extension>{{"future_field", "some value here"}, {"Mode", "ignored"}});
  CHECK(parsed.findings == PolicyFindings{PolicyFinding::unknown_field});
  CHECK(severity(PolicyFinding::unknown_field) == Severity::notice);
}

TEST_CASE("a repeated policy field keeps its first value, every mx counts", "[unit]") {
  const Policy parsed = policy(
      "version: STSv1\n"
      "mode: testing\n"
      "mode: enforce\n"
      "max_age: 100\n"
      "max_age: 999999999999\n"
      "version: STSv2\n"
      "mx: a.example.com\n"
      "mx: b.example.com\n"
      "mx: a.example.com\n");
  CHECK(parsed.mode == Mode::testing);
  CHECK(parsed.max_age == 100);
  CHECK(parsed.version == "STSv1");
  CHECK(parsed.mx == Strings{"a.example.com", "b.example.com", "a.example.com"});
  CHECK(parsed.findings == PolicyFindings{PolicyFinding::repeated_field});
}

TEST_CASE("whitespace in policy lines follows the ABNF, with tolerated deviations", "[unit]") {
  const auto [body, findings] = GENERATE(table<std::string, PolicyFindings>({
      // *WSP after ":" and at the end of the line are grammatical, tabs included.
      {"version:STSv1\nmode:\tenforce \t\nmx:  mx.example.com\t\nmax_age:86400  \n", {}},
      // GOTCHAS: blank lines accepted with a warning, wherever they are.
      {"\nversion: STSv1\n\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n\n",
       {PolicyFinding::blank_line}},
      {"version: STSv1\r\n \t \r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n",
       {PolicyFinding::blank_line}},
      // Indented lines: not in the ABNF, accepted with a warning.
      {"version: STSv1\n  mode: enforce\n\tmx: mx.example.com\nmax_age: 86400\n",
       {PolicyFinding::leading_whitespace}},
      // CRLF and LF mixed.
      {"version: STSv1\r\nmode: enforce\nmx: mx.example.com\r\nmax_age: 86400\n",
       {PolicyFinding::mixed_line_endings}},
  }));
  CAPTURE(body);
  const Policy parsed = policy(body);
  CHECK(parsed.mode == Mode::enforce);
  CHECK(parsed.max_age == 86400);
  CHECK(parsed.mx == Strings{"mx.example.com"});
  CHECK(parsed.findings == findings);
}

TEST_CASE("an invalid mx entry is reported and the other patterns are used", "[unit]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "", "*", "*.", ".example.com", "*.*.example.com",
               "mx.*.example.com", "*mx.example.com", "-mx.example.com", "mx-.example.com",
               "mx..example.com", "under_score.example.com", "mx.example.com:25", "caf\xc3\xa9.fr",
               "mx example.com", "192.0.2.1/32", ".");
  CAPTURE(bad);
  const Policy parsed =
      policy("version: STSv1\nmode: enforce\nmx: " + bad + "\nmx: good.example.com\nmax_age: 1\n");
  CHECK(parsed.mx == Strings{"good.example.com"});
  CHECK(parsed.invalid_mx == Strings{bad});
  CHECK(parsed.findings == PolicyFindings{PolicyFinding::invalid_mx});
  CHECK(severity(PolicyFinding::invalid_mx) == Severity::warning);
}

TEST_CASE("an mx pattern with a trailing dot is used, with a warning", "[unit]") {
  const Policy parsed = policy(
      "version: STSv1\nmode: enforce\nmx: mx.example.com.\nmx: *.example.net.\nmax_age: 1\n");
  CHECK(parsed.mx == Strings{"mx.example.com.", "*.example.net."});
  CHECK(parsed.findings == PolicyFindings{PolicyFinding::mx_trailing_dot});
}

TEST_CASE("max_age limits", "[unit]") {
  const auto [value, seconds] = GENERATE(table<std::string, std::uint32_t>({
      {"0", 0},
      {"1", 1},
      {"31557600", max_age_cap},
      {"0000086400", 86400},  // ten digits, leading zeros
      {"0031557600", max_age_cap},
  }));
  CAPTURE(value);
  CHECK(policy("version: STSv1\nmode: none\nmax_age: " + value + "\n").max_age == seconds);
}

TEST_CASE("a policy that breaks the grammar is syntax, with the first cause", "[unit]") {
  const std::string ok_mx = "mx: mx.example.com\n";
  const auto [body, finding] = GENERATE_COPY(table<std::string, PolicyFinding>({
      // GOTCHAS: a BOM makes the policy invalid.
      {"\xEF\xBB\xBFversion: STSv1\nmode: enforce\n" + ok_mx + "max_age: 1\n",
       PolicyFinding::byte_order_mark},
      {"", PolicyFinding::missing_version},
      {"\n\n", PolicyFinding::missing_version},
      {"<html><body>Not Found</body></html>\n", PolicyFinding::malformed_line},
      {"version STSv1\n", PolicyFinding::malformed_line},
      {"version : STSv1\n", PolicyFinding::malformed_line},
      {"ver sion: STSv1\n", PolicyFinding::malformed_line},
      {": STSv1\n", PolicyFinding::malformed_line},
      {"_version: STSv1\n", PolicyFinding::malformed_line},
      {"# comment\nversion: STSv1\n", PolicyFinding::malformed_line},
      {"version: STSv1\nmode: enforce\n" + ok_mx + "max_age: 1\ngarbage\n",
       PolicyFinding::malformed_line},
      {"Version: STSv1\nmode: enforce\n" + ok_mx + "max_age: 1\n", PolicyFinding::missing_version},
      {"mode: enforce\n" + ok_mx + "max_age: 1\n", PolicyFinding::missing_version},
      {"version: STSv2\nmode: enforce\n" + ok_mx + "max_age: 1\n", PolicyFinding::invalid_version},
      {"version: stsv1\n", PolicyFinding::invalid_version},
      {"version: STSv1 extra\n", PolicyFinding::invalid_version},
      {"version:\n", PolicyFinding::invalid_version},
      {"version: STSv1\n" + ok_mx + "max_age: 1\n", PolicyFinding::missing_mode},
      {"version: STSv1\nmode: Enforce\n", PolicyFinding::invalid_mode},
      {"version: STSv1\nmode: report\n", PolicyFinding::invalid_mode},
      {"version: STSv1\nmode:\n", PolicyFinding::invalid_mode},
      {"version: STSv1\nmode: enforce\rmax_age: 1\n", PolicyFinding::invalid_mode},  // bare CR
      {"version: STSv1\nmode: enforce\n" + ok_mx, PolicyFinding::missing_max_age},
      {"version: STSv1\nmode: none\nmax_age:\n", PolicyFinding::invalid_max_age},
      {"version: STSv1\nmode: none\nmax_age: -1\n", PolicyFinding::invalid_max_age},
      {"version: STSv1\nmode: none\nmax_age: 1e6\n", PolicyFinding::invalid_max_age},
      {"version: STSv1\nmode: none\nmax_age: 86400s\n", PolicyFinding::invalid_max_age},
      {"version: STSv1\nmode: none\nmax_age: +86400\n", PolicyFinding::invalid_max_age},
      {"version: STSv1\nmode: none\nmax_age: 86 400\n", PolicyFinding::invalid_max_age},
      // more than ten digits
      {"version: STSv1\nmode: none\nmax_age: 00000086400\n", PolicyFinding::invalid_max_age},
      // GOTCHAS: above the text's cap is invalid, although the ABNF allows ten digits.
      {"version: STSv1\nmode: none\nmax_age: 31557601\n", PolicyFinding::max_age_above_cap},
      {"version: STSv1\nmode: none\nmax_age: 9999999999\n", PolicyFinding::max_age_above_cap},
      {"version: STSv1\nmode: enforce\nmax_age: 1\n", PolicyFinding::missing_mx},
      {"version: STSv1\nmode: testing\nmax_age: 1\n", PolicyFinding::missing_mx},
      {"version: STSv1\nmode: enforce\nmx: *\nmx: .example.com\nmax_age: 1\n",
       PolicyFinding::missing_mx},
  }));
  CAPTURE(body);
  const PolicyFailure failure = policy_failure(body);
  CHECK(failure.error == PolicyError::syntax);
  CHECK(failure.finding == finding);
  CHECK(severity(finding) == Severity::invalid);
}

TEST_CASE("a policy failure reason names the line and escapes peer octets", "[unit]") {
  const PolicyFailure failure = policy_failure("version: STSv1\nmode: \x1b[1menforce\n");
  CHECK(failure.finding == PolicyFinding::invalid_mode);
  CHECK(failure.reason.find("line 2") != std::string::npos);
  CHECK(failure.reason.find("\\x1b") != std::string::npos);
  CHECK(policy_failure("version: STSv1\nmode: enforce\nmax_age: 1\n").reason.find("mx") !=
        std::string::npos);
}

TEST_CASE("a policy body is capped at 64 KiB", "[unit]") {
  std::string body = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n";
  const std::string name = "x-padding: ";
  body += name + std::string(max_policy_octets - body.size() - name.size() - 1, 'p') + "\n";
  REQUIRE(body.size() == max_policy_octets);
  CHECK(parse_policy(body).has_value());

  body += '\n';
  const PolicyFailure failure = policy_failure(body);
  CHECK(failure.error == PolicyError::too_large);
  CHECK(failure.finding == PolicyFinding::too_large);
}

TEST_CASE("a policy failure throws system_error with its reason from value()", "[unit]") {
  const auto parsed = parse_policy("version: STSv2\n");
  REQUIRE(parsed.has_error());
  CHECK_THROWS_AS(parsed.value(), boost::system::system_error);
  CHECK(make_error_code(PolicyError::too_large).category().name() ==
        std::string("mx.mta_sts_policy"));
}

TEST_CASE("policy errors, modes and findings have stable names and severities", "[unit]") {
  CHECK(to_string(PolicyError::syntax) == "syntax");
  CHECK(to_string(PolicyError::too_large) == "too-large");
  CHECK(to_string(Mode::enforce) == "enforce");
  CHECK(to_string(Mode::testing) == "testing");
  CHECK(to_string(Mode::none) == "none");

  const auto [finding, name, grade] = GENERATE(table<PolicyFinding, std::string, Severity>({
      {PolicyFinding::unknown_field, "unknown_field", Severity::notice},
      {PolicyFinding::mixed_line_endings, "mixed_line_endings", Severity::notice},
      {PolicyFinding::blank_line, "blank_line", Severity::warning},
      {PolicyFinding::leading_whitespace, "leading_whitespace", Severity::warning},
      {PolicyFinding::repeated_field, "repeated_field", Severity::warning},
      {PolicyFinding::invalid_mx, "invalid_mx", Severity::warning},
      {PolicyFinding::mx_trailing_dot, "mx_trailing_dot", Severity::warning},
      {PolicyFinding::too_large, "too_large", Severity::invalid},
      {PolicyFinding::byte_order_mark, "byte_order_mark", Severity::invalid},
      {PolicyFinding::malformed_line, "malformed_line", Severity::invalid},
      {PolicyFinding::missing_version, "missing_version", Severity::invalid},
      {PolicyFinding::invalid_version, "invalid_version", Severity::invalid},
      {PolicyFinding::missing_mode, "missing_mode", Severity::invalid},
      {PolicyFinding::invalid_mode, "invalid_mode", Severity::invalid},
      {PolicyFinding::missing_max_age, "missing_max_age", Severity::invalid},
      {PolicyFinding::invalid_max_age, "invalid_max_age", Severity::invalid},
      {PolicyFinding::max_age_above_cap, "max_age_above_cap", Severity::invalid},
      {PolicyFinding::missing_mx, "missing_mx", Severity::invalid},
  }));
  CHECK(to_string(finding) == name);
  CHECK(severity(finding) == grade);
}

TEST_CASE("mx patterns are [*.] RFC 5321 domains within DNS length limits", "[unit]") {
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  const auto [pattern, valid] = GENERATE_COPY(table<std::string, bool>({
      {"mx.example.com", true},
      {"MX.Example.COM", true},
      {"*.example.com", true},
      {"localhost", true},
      {"*.com", true},
      {"1mx.example.com", true},
      {"m-x.example.com", true},
      {"192.0.2.1", true},
      {"xn--caf-dma.example", true},
      {label63 + ".example", true},
      {std::string(64, 'a') + ".example", false},
      {name253, true},
      {name253 + "b", false},
      {"*." + name253, true},
      {"", false},
      {"*", false},
      {"*.", false},
      {".example.com", false},
      {"mx.example.com.", false},
      {"mx..example.com", false},
      {"-mx.example.com", false},
      {"mx-.example.com", false},
      {"*.*.example.com", false},
      {"a*.example.com", false},
      {"**.example.com", false},
      {"mx_1.example.com", false},
  }));
  CAPTURE(pattern);
  CHECK(is_mx_pattern(pattern) == valid);
}

// ---------------------------------------------------------------------------------------------
// MX matching

TEST_CASE("an MX host matches a policy pattern as RFC 8461 §4.1 says", "[unit]") {
  const auto [pattern, host, matches] = GENERATE(table<std::string, std::string, bool>({
      {"mx.example.com", "mx.example.com", true},
      {"mx.example.com", "MX.EXAMPLE.COM", true},
      {"MX.Example.Com", "mx.example.com", true},
      {"mx.example.com", "mx.example.com.", true},
      {"mx.example.com.", "mx.example.com", true},
      {"mx.example.com.", "mx.example.com.", true},
      {"mx.example.com", "mx2.example.com", false},
      {"mx.example.com", "example.com", false},
      {"mx.example.com", "a.mx.example.com", false},
      {"*.example.com", "mail.example.com", true},
      {"*.example.com", "MAIL.Example.Com.", true},
      {"*.Example.COM.", "mail.example.com", true},
      {"*.example.com", "example.com", false},
      {"*.example.com", "foo.bar.example.com", false},
      {"*.example.com", ".example.com", false},
      {"*.example.com", "mailexample.com", false},
      {"*.example.com", "mail.example.com.evil", false},
      {"*.example.com", "*.example.com", true},  // one label, literally "*"
      {"*.mx.example.com", "mx.example.com", false},
      {"*.", "com", false},
      {"*", "mx", false},
      {"*.", "", false},
      {"", "", false},
      {".", ".", false},
      {"", "mx.example.com", false},
      {"mx.example.com", "", false},
      {"mx.*.example.com", "mx.a.example.com", false},
  }));
  CAPTURE(pattern, host);
  CHECK(mx_pattern_matches(pattern, host) == matches);
}

TEST_CASE("unmatched_hosts lists the MX hosts no pattern covers, in order", "[unit]") {
  const Strings hosts{"mx1.example.com", "backup.example.net.", "MX2.EXAMPLE.COM", "other.test",
                      "a.b.example.com"};
  CHECK(unmatched_hosts(hosts, Strings{"*.example.com", "backup.example.net"}) ==
        Strings{"other.test", "a.b.example.com"});
  CHECK(unmatched_hosts(hosts, Strings{}) == hosts);
  CHECK(unmatched_hosts(Strings{}, Strings{"*.example.com"}).empty());
  CHECK(unmatched_hosts(
            hosts, Strings{"*.example.com", "*.b.example.com", "other.test", "backup.example.net"})
            .empty());
}

TEST_CASE("a parsed policy's patterns judge the MX hosts", "[unit]") {
  const Policy parsed = policy(rfc_policy("\r\n"));
  CHECK(unmatched_hosts(Strings{"mail.example.com", "mx.example.net", "backupmx.example.com"},
                        parsed.mx)
            .empty());
  CHECK(unmatched_hosts(Strings{"mail.example.com", "mx.example.com", "a.b.example.net"},
                        parsed.mx) == Strings{"mx.example.com", "a.b.example.net"});
}
