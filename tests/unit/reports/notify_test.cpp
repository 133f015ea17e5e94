#include "reports/notify.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using mx::reports::FailureNotice;
using mx::reports::NoticeFailure;
using mx::reports::render_notice;

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

const std::vector<std::string> kFields = {
    "From",          "To",           "Subject",      "Date",
    "Message-ID",    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    "Auto-Submitted"};

// A strict reader of what render_notice writes, independent of it: RFC 5322 §2 lines (CRLF only,
// no bare CR or LF anywhere), a header of fields "name: value" (§2.2, name of printable ASCII but
// ':', values of printable ASCII and blanks) with folding (§2.2.3: a line opening with a blank
// continues the field before), an empty line, then the body.
struct Parsed {
  std::vector<std::pair<std::string, std::string>> fields;  // unfolded, in order
  std::vector<std::string> lines;                           // every line, without CRLF
  std::string body;                                         // after the empty line
};

Parsed parse_message(std::string_view message) {
  Parsed out;
  REQUIRE(message.ends_with("\r\n"));
  std::size_t start = 0;
  while (start < message.size()) {
    const std::size_t end = message.find("\r\n", start);
    REQUIRE(end != std::string_view::npos);
    const std::string_view line = message.substr(start, end - start);
    REQUIRE(line.find('\r') == std::string_view::npos);
    REQUIRE(line.find('\n') == std::string_view::npos);
    out.lines.emplace_back(line);
    start = end + 2;
  }
  std::size_t i = 0;
  for (; i < out.lines.size() && !out.lines[i].empty(); ++i) {
    const std::string& line = out.lines[i];
    for (const char c : line) {
      const auto byte = static_cast<unsigned char>(c);
      REQUIRE(((byte >= 0x21 && byte <= 0x7E) || c == ' ' || c == '\t'));
    }
    if (line.front() == ' ' || line.front() == '\t') {
      REQUIRE_FALSE(out.fields.empty());
      out.fields.back().second += line;
      continue;
    }
    const std::size_t colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    REQUIRE(colon > 0);
    const std::string name = line.substr(0, colon);
    REQUIRE(std::none_of(name.begin(), name.end(), [](char c) { return c == ' ' || c == '\t'; }));
    out.fields.emplace_back(name, line.substr(colon + 1));
  }
  REQUIRE(i < out.lines.size());  // the empty line ending the header
  for (auto& field : out.fields) {
    std::string& value = field.second;
    value.erase(0, value.find_first_not_of(" \t"));
  }
  const std::size_t header_end = message.find("\r\n\r\n");
  out.body = std::string(message.substr(header_end + 4));
  return out;
}

std::map<std::string, std::string> field_map(const Parsed& parsed) {
  std::map<std::string, std::string> fields;
  for (const auto& [name, value] : parsed.fields) {
    fields[name] = value;
  }
  return fields;
}

std::vector<std::string> field_names(const Parsed& parsed) {
  std::vector<std::string> names;
  for (const auto& field : parsed.fields) {
    names.push_back(field.first);
  }
  return names;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  FAIL("not an upper-case hex digit: " << c);
  return 0;
}

// RFC 2045 §6.7, strictly: lines of at most 76 octets, "=XX" with upper-case hex, "=" at the end
// of a line a soft break, no blank at the end of a line; hard breaks come back as "\n".
std::string decode_qp(std::string_view body) {
  std::string out;
  std::size_t start = 0;
  while (start < body.size()) {
    const std::size_t end = body.find("\r\n", start);
    REQUIRE(end != std::string_view::npos);
    const std::string_view line = body.substr(start, end - start);
    start = end + 2;
    CAPTURE(line);
    REQUIRE(line.size() <= 76);
    REQUIRE_FALSE(line.starts_with('.'));
    REQUIRE_FALSE(line.starts_with("From "));
    REQUIRE_FALSE((line.ends_with(' ') || line.ends_with('\t')));
    bool soft = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      REQUIRE(((byte >= 0x21 && byte <= 0x7E) || line[i] == ' ' || line[i] == '\t'));
      if (line[i] != '=') {
        out += line[i];
      } else if (i + 1 == line.size()) {
        soft = true;
      } else {
        REQUIRE(i + 2 < line.size());
        out += static_cast<char>(hex_digit(line[i + 1]) * 16 + hex_digit(line[i + 2]));
        i += 2;
      }
    }
    if (!soft) {
      out += '\n';
    }
  }
  return out;
}

FailureNotice sample() {
  FailureNotice n;
  n.domain = "example.com";
  n.from = "starttls-list@list.example";
  n.list_author = "Electronic Frontier Foundation";
  n.mode = "enforce";
  n.mxs = {"mx1.example.com", ".mail.example.com"};
  n.failures = {
      {"mx1.example.com", "starttls", "not-advertised", "the EHLO reply offers no STARTTLS"},
      {"mx2.mail.example.com 192.0.2.7", "certificate", "expired",
       "the certificate expired on 2026-11-01T00:00:00Z"}};
  n.failing_since = "2026-11-26T02:00:00Z";
  n.date = "2026-11-28T13:00:00Z";
  n.message_id = "run-42.example.com";
  n.remove_command =
      "Ask the maintainers for an emergency change: they record it (mxscan challenge new "
      "example.com --action remove|update) and give you a TXT record to publish at "
      "_starttls-policy.example.com.";
  return n;
}

struct Rendered {
  Parsed parsed;
  std::map<std::string, std::string> fields;
  std::string text;  // the decoded body
};

// Renders `n` and checks what every notice must satisfy: it parses, it has exactly the fixed
// fields once each, every line is at most 78 octets and the body decodes.
Rendered render_checked(const FailureNotice& n) {
  const std::string message = render_notice(n);
  Rendered out{parse_message(message), {}, {}};
  CHECK(field_names(out.parsed) == kFields);
  for (const std::string& line : out.parsed.lines) {
    CAPTURE(line);
    CHECK(line.size() <= 78);
  }
  out.fields = field_map(out.parsed);
  out.text = decode_qp(out.parsed.body);
  return out;
}

}  // namespace

TEST_CASE("notify: the header fields", "[unit]") {
  const Rendered r = render_checked(sample());
  CHECK(r.fields.at("From") == "starttls-list@list.example");
  CHECK(r.fields.at("To") == "postmaster@example.com");
  CHECK(r.fields.at("Subject") == "[STARTTLS policy list] example.com fails its policy");
  CHECK(r.fields.at("Date") == "Sat, 28 Nov 2026 13:00:00 +0000");
  CHECK(r.fields.at("Message-ID") == "<run-42.example.com@mxscan.invalid>");
  CHECK(r.fields.at("MIME-Version") == "1.0");
  CHECK(r.fields.at("Content-Type") == "text/plain; charset=utf-8");
  CHECK(r.fields.at("Content-Transfer-Encoding") == "quoted-printable");
  CHECK(r.fields.at("Auto-Submitted") == "auto-generated");
}

TEST_CASE("notify: To is the recorded contact when there is one", "[unit]") {
  FailureNotice n = sample();
  n.to = "tls-admin+list@example.com";
  CHECK(render_checked(n).fields.at("To") == "tls-admin+list@example.com");
}

TEST_CASE("notify: Date keeps the offset it was written in", "[unit]") {
  struct Case {
    std::string rfc3339;
    std::string rfc5322;
  };
  const Case c = GENERATE(Case{"2026-11-28T13:00:00Z", "Sat, 28 Nov 2026 13:00:00 +0000"},
                          Case{"2024-02-29t23:59:60.5z", "Thu, 29 Feb 2024 23:59:60 +0000"},
                          Case{"2026-01-01T00:30:00+05:30", "Thu, 01 Jan 2026 00:30:00 +0530"},
                          Case{"2000-03-01T09:05:01-08:00", "Wed, 01 Mar 2000 09:05:01 -0800"},
                          Case{"2026-07-04T12:00:00-00:00", "Sat, 04 Jul 2026 12:00:00 -0000"});
  FailureNotice n = sample();
  n.date = c.rfc3339;
  CHECK(render_checked(n).fields.at("Date") == c.rfc5322);
}

TEST_CASE("notify: the Message-ID is a dot-atom of [A-Za-z0-9.-]", "[unit]") {
  struct Case {
    std::string local;
    std::string id;
  };
  const Case c = GENERATE(Case{"run 12/<x>@y..z.", "<run-12--x--y.z@mxscan.invalid>"},
                          Case{".lead", "<lead@mxscan.invalid>"},
                          Case{"a\r\nBcc: x", "<a--Bcc--x@mxscan.invalid>"},
                          Case{"bücher", "<b--cher@mxscan.invalid>"});
  FailureNotice n = sample();
  n.message_id = c.local;
  CHECK(render_checked(n).fields.at("Message-ID") == c.id);
}

TEST_CASE("notify: a long Message-ID keeps its start and stays distinct", "[unit]") {
  FailureNotice a = sample();
  FailureNotice b = sample();
  a.message_id = "run-7." + std::string(200, 'a') + ".example";
  b.message_id = "run-7." + std::string(200, 'a') + ".example.net";
  const std::string id_a = render_checked(a).fields.at("Message-ID");
  const std::string id_b = render_checked(b).fields.at("Message-ID");
  CHECK(id_a.starts_with("<run-7.aaaa"));
  CHECK(id_a.ends_with("@mxscan.invalid>"));
  CHECK(id_a != id_b);
}

TEST_CASE("notify: the body says what failed, since when, what happens and what to do", "[unit]") {
  const Rendered r = render_checked(sample());
  const std::string& text = r.text;
  CHECK_THAT(text, Catch::Contains("Electronic Frontier Foundation"));
  CHECK_THAT(text, Catch::Contains("enforce mode"));
  CHECK_THAT(text, Catch::Contains("  mx1.example.com\n  .mail.example.com\n"));
  CHECK_THAT(text, Catch::Contains("since 2026-11-26T02:00:00Z"));
  CHECK_THAT(text, Catch::Contains("  - mx1.example.com: starttls:not-advertised\n"
                                   "    the EHLO reply offers no STARTTLS\n"));
  CHECK_THAT(text, Catch::Contains("  - mx2.mail.example.com 192.0.2.7: certificate:expired\n"));
  CHECK_THAT(text, Catch::Contains("defer delivery"));
  CHECK_THAT(text, Catch::Contains("bounces"));
  CHECK_THAT(text, Catch::Contains("Renew the certificate"));
  CHECK_THAT(text, Catch::Contains("Enable STARTTLS"));
  CHECK_THAT(text, Catch::Contains("How to ask for removal or an update\n\n" +
                                   sample().remove_command + "\n"));
  CHECK_THAT(text, Catch::Contains("starttls-list@list.example"));
}

TEST_CASE("notify: testing mode, and advice by check", "[unit]") {
  FailureNotice n = sample();
  n.mode = "testing";
  n.failures = {{"mx.other.example", "policy.mx-pattern", "mismatch", "matches no pattern"},
                {"mx1.example.com", "certificate", "untrusted", "self-signed"},
                {"mx2.example.com", "certificate", "untrusted", "self-signed"}};
  const std::string text = render_checked(n).text;
  CHECK_THAT(text, Catch::Contains("testing mode"));
  CHECK_THAT(text, Catch::Contains("only report"));
  CHECK_THAT(text, !Catch::Contains("defer delivery"));
  CHECK_THAT(text, Catch::Contains("ask for an update of the patterns"));
  CHECK_THAT(text, Catch::Contains("full chain"));
  const auto first = text.find("full chain");
  CHECK(text.find("full chain", first + 1) == std::string::npos);  // one piece of advice each
}

TEST_CASE("notify: hostile text stays in the body, visible and inert", "[unit]") {
  FailureNotice n = sample();
  n.list_author = "EFF\r\nBcc: author@evil.example";
  n.mxs = {"mx1.example.com\nBcc: mxs@evil.example"};
  n.failures = {
      {"mx1.example.com\nBcc: where@evil.example", "starttls\r\n", "not-advertised\r\n\r\n",
       "250 ok\r\nBcc: x@y"},
      {"mx2.example.com", "smtp", "protocol", std::string(5000, 'B')},
      {"mx3.example.com", "smtp", "protocol", std::string("nul\0byte\0", 9)},
      {"mx4.example.com", "smtp", "protocol", "<script>alert(1)</script>"},
      {"mx5.example.com", "smtp", "protocol", "line\n.\nQUIT\r\n.\r\nMAIL FROM:<a@b>"},
      {"mx6.example.com", "smtp", "protocol", "bad \xFF\xC0\xAF utf-8, C1 \xC2\x85 and \x7F"},
      {"mx7.example.com", "smtp", "protocol", "From me\n=41 \t"}};
  n.remove_command = "mxscan challenge new example.com --action remove\r\nBcc: cmd@evil.example";
  const Rendered r = render_checked(n);
  const std::string message = render_notice(n);

  CHECK(message.find("Bcc") > message.find("\r\n\r\n"));
  CHECK(message.find("\r\n.\r\n") == std::string::npos);
  const std::string& text = r.text;
  CHECK(text.find("\nBcc") == std::string::npos);
  CHECK_THAT(text, Catch::Contains(std::string("EFF") + std::string(kFffd) + std::string(kFffd) +
                                   "Bcc: author@evil.example"));
  CHECK_THAT(text, Catch::Contains(std::string("250 ok") + std::string(kFffd) + std::string(kFffd) +
                                   "Bcc: x@y"));
  CHECK_THAT(text, Catch::Contains("    " + std::string(5000, 'B') + "\n"));
  CHECK_THAT(text, Catch::Contains("nul" + std::string(kFffd) + "byte" + std::string(kFffd)));
  CHECK_THAT(text, Catch::Contains("<script>alert(1)</script>"));
  CHECK_THAT(text,
             Catch::Contains("line" + std::string(kFffd) + "." + std::string(kFffd) + "QUIT"));
  CHECK_THAT(text,
             Catch::Contains("bad " + std::string(kFffd) + std::string(kFffd) + std::string(kFffd) +
                             " utf-8, C1 " + std::string(kFffd) + " and " + std::string(kFffd)));
  CHECK_THAT(text,
             Catch::Contains("From me" + std::string(kFffd) + "=41 " + std::string(kFffd) + "\n"));
  // Nothing but U+FFFD stands for a control character: the decoded body has no CR, NUL or C1.
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    CHECK((byte >= 0x20 || c == '\n'));
    CHECK(byte != 0x7F);
  }
  CHECK(text.find("\xC2\x85") == std::string::npos);
}

TEST_CASE("notify: quoted-printable keeps UTF-8 and line starts", "[unit]") {
  FailureNotice n = sample();
  n.list_author = "Liste für Bücher";
  // Indented by 4, 71 octets fill an encoded line: the next one starts with what follows.
  n.failures = {{"mx.example.com", "smtp", "protocol", std::string(71, 'x') + ".dot"},
                {"mx.example.com", "smtp", "protocol", std::string(71, 'y') + "From here"},
                {"mx.example.com", "smtp", "protocol", std::string(200, 'z') + "  "}};
  const Rendered r = render_checked(n);
  CHECK_THAT(r.text, Catch::Contains("Liste für Bücher"));
  CHECK_THAT(r.parsed.body, Catch::Contains("f=C3=BCr"));
  CHECK_THAT(r.parsed.body, Catch::Contains("=\r\n=2Edot\r\n"));
  CHECK_THAT(r.parsed.body, Catch::Contains("=\r\n=46rom here\r\n"));
  CHECK_THAT(r.text, Catch::Contains("    " + std::string(71, 'x') + ".dot\n"));
  CHECK_THAT(r.text, Catch::Contains("    " + std::string(71, 'y') + "From here\n"));
  CHECK_THAT(r.text, Catch::Contains("    " + std::string(200, 'z') + "  \n"));
}

TEST_CASE("notify: a domain of 253 octets still makes a well-formed message", "[unit]") {
  FailureNotice n = sample();
  n.domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
             std::string(57, 'd') + ".com";
  REQUIRE(n.domain.size() == 253);
  const std::string message = render_notice(n);
  const Parsed parsed = parse_message(message);
  CHECK(field_names(parsed) == kFields);
  for (const std::string& line : parsed.lines) {
    CHECK(line.size() <= 998);  // RFC 5322's limit; an address cannot be folded
  }
  const auto fields = field_map(parsed);
  CHECK(fields.at("To") == "postmaster@" + n.domain);
  CHECK(fields.at("Subject") == "[STARTTLS policy list] " + n.domain + " fails its policy");
  CHECK_THAT(decode_qp(parsed.body), Catch::Contains(n.domain + " is on the STARTTLS policy list"));
}

TEST_CASE("notify: unchecked values are refused, not written", "[unit]") {
  const auto with = [](auto change) {
    FailureNotice n = sample();
    change(n);
    return n;
  };
  const std::vector<FailureNotice> bad = {
      with([](FailureNotice& n) { n.from = ""; }),
      with([](FailureNotice& n) { n.from = "lists@example.com\r\nBcc: x@evil.example"; }),
      with([](FailureNotice& n) { n.from = "List <lists@example.com>"; }),
      with([](FailureNotice& n) { n.to = "a@example.com\nBcc: x@evil.example"; }),
      with([](FailureNotice& n) { n.to = "a@example.com, b@example.com"; }),
      with([](FailureNotice& n) { n.to = "\"a b\"@example.com"; }),
      with([](FailureNotice& n) { n.domain = "Example.com"; }),
      with([](FailureNotice& n) { n.domain = "example.com."; }),
      with([](FailureNotice& n) { n.domain = "example.com\r\nBcc: x@evil.example"; }),
      with([](FailureNotice& n) { n.domain = ""; }),
      with([](FailureNotice& n) { n.domain = "bücher.example"; }),
      with([](FailureNotice& n) { n.date = "2026-11-28 13:00:00"; }),
      with([](FailureNotice& n) { n.date = "2026-11-28T13:00:00Z\r\nBcc: x@evil.example"; }),
      with([](FailureNotice& n) { n.failing_since = ""; }),
      with([](FailureNotice& n) { n.mode = "strict"; }),
      with([](FailureNotice& n) { n.message_id = ""; }),
      with([](FailureNotice& n) { n.message_id = "..."; })};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    CAPTURE(i);
    CHECK_THROWS_AS(render_notice(bad[i]), std::invalid_argument);
  }
}
