#include "list/queue.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace {

using mx::list::FieldProblem;
using mx::list::Mode;
using mx::list::parse_queue;
using mx::list::QueueRead;
using mx::list::Submission;

constexpr std::string_view kHeader = "domain,contact,mxs,mode,submitted_at\n";

QueueRead csv(std::string_view lines) {
  return parse_queue(std::string(kHeader) + std::string(lines));
}

// The one submission of a queue of one line after the header.
Submission one_csv(std::string_view line) {
  const QueueRead read = csv(std::string(line) + "\n");
  REQUIRE(read.error.empty());
  REQUIRE(read.submissions.size() == 1);
  CHECK(read.submissions[0].line == 2);
  return read.submissions[0];
}

Submission one_json(std::string_view line) {
  const QueueRead read = parse_queue(std::string(line) + "\n");
  REQUIRE(read.error.empty());
  REQUIRE(read.submissions.size() == 1);
  CHECK(read.submissions[0].line == 1);
  return read.submissions[0];
}

bool has_problem(const Submission& s, std::string_view field, std::string_view reason_part = "") {
  for (const FieldProblem& p : s.problems) {
    if (p.field == field && p.reason.find(reason_part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> fields_of(const Submission& s) {
  std::vector<std::string> fields;
  for (const FieldProblem& p : s.problems) {
    fields.push_back(p.field);
  }
  return fields;
}

}  // namespace

TEST_CASE("queue: a valid CSV submission is canonical", "[unit]") {
  const Submission s = one_csv(
      "Example.COM.,postmaster@example.com,MX1.example.com *.Example.net .example.org "
      "mx1.example.com"
      ",enforce,2026-11-28T13:00:00Z");
  CHECK(s.valid());
  CHECK(s.domain == "example.com");
  CHECK(s.contact == "postmaster@example.com");
  CHECK(s.mxs == std::vector<std::string>{"mx1.example.com", ".example.net", ".example.org"});
  CHECK(s.mode == Mode::enforce);
  CHECK(s.submitted_at == "2026-11-28T13:00:00Z");
}

TEST_CASE("queue: empty contact, mxs, mode and submitted_at are allowed", "[unit]") {
  const Submission s = one_csv("example.com,,,,");
  CHECK(s.valid());
  CHECK(s.contact.empty());
  CHECK(s.mxs.empty());
  CHECK(s.mode == Mode::testing);  // empty mode means testing
  CHECK(s.submitted_at.empty());
}

TEST_CASE("queue: RFC 4180 quoting", "[unit]") {
  SECTION("quoted fields, a comma and doubled quotes inside") {
    const Submission s =
        one_csv(R"("example.com","a@example.com","mx1.example.com mx2.example.com","testing","")");
    CHECK(s.valid());
    CHECK(s.mxs.size() == 2);
  }
  SECTION("a quoted comma is part of the field, not a separator") {
    const Submission s = one_csv(R"(example.com,"a,b@example.com",,,)");
    CHECK(s.problems.size() == 1);
    CHECK(has_problem(s, "contact", "a,b@example.com"));
  }
  SECTION("a doubled quote is one quote") {
    const Submission s = one_csv(R"(example.com,"""a""@example.com",,,)");
    CHECK(s.contact == R"("a"@example.com)");
    CHECK(has_problem(s, "contact", "dot-atom"));
  }
  SECTION("an unterminated quote is a line problem, and the next line is still read") {
    const QueueRead read = csv("example.com,\"a@example.com,,,\nexample.net,,,,\n");
    REQUIRE(read.submissions.size() == 2);
    CHECK(fields_of(read.submissions[0]) == std::vector<std::string>{"line"});
    CHECK(has_problem(read.submissions[0], "line", "unterminated quote in field 2"));
    CHECK(read.submissions[0].line == 2);
    CHECK(read.submissions[1].valid());
    CHECK(read.submissions[1].line == 3);
  }
  SECTION("text after a closing quote") {
    CHECK(has_problem(one_csv(R"("example.com"x,,,,)"), "line", "after the closing quote"));
  }
  SECTION("a quote inside an unquoted field") {
    CHECK(has_problem(one_csv(R"(exa"mple.com,,,,)"), "line", "quote inside unquoted field 1"));
  }
  SECTION("blanks around fields are dropped") {
    CHECK(one_csv(" example.com , a@example.com , mx.example.com ,  enforce , ").valid());
  }
}

TEST_CASE("queue: CRLF and LF line ends, blank lines skipped but counted", "[unit]") {
  const QueueRead read = parse_queue(
      "domain,contact,mxs,mode,submitted_at\r\n"
      "\r\n"
      "a.example,,,,\r\n"
      "   \n"
      "b.example,,,enforce,\n"
      "c.example,,,,");  // no final line end
  REQUIRE(read.error.empty());
  REQUIRE(read.submissions.size() == 3);
  CHECK(read.submissions[0].line == 3);
  CHECK(read.submissions[0].domain == "a.example");
  CHECK(read.submissions[0].raw == "a.example,,,,");
  CHECK(read.submissions[0].valid());
  CHECK(read.submissions[1].line == 5);
  CHECK(read.submissions[1].mode == Mode::enforce);
  CHECK(read.submissions[2].line == 6);
  CHECK(read.submissions[2].valid());
}

TEST_CASE("queue: the CSV header is case-insensitive, trimmed, and may be quoted", "[unit]") {
  const std::string header = GENERATE(std::string("DOMAIN,Contact,MXS,Mode,Submitted_At"),
                                      std::string(" domain , contact,mxs,mode , submitted_at "),
                                      std::string("\"domain\",\"contact\",mxs,mode,submitted_at"),
                                      std::string("\xEF\xBB\xBF"
                                                  "domain,contact,mxs,mode,submitted_at"));
  const QueueRead read = parse_queue(header + "\nexample.com,,,,\n");
  CHECK(read.error.empty());
  CHECK(read.submissions.size() == 1);
}

TEST_CASE("queue: each malformation is reported with its field and line", "[unit]") {
  struct Case {
    std::string line;
    std::string field;
    std::string reason_part;
  };
  const Case c = GENERATE(
      Case{"example..com,,,,", "domain", "empty label"},
      Case{"localhost,,,,", "domain", "not a fully qualified domain name"},
      Case{"exa_mple.com,,,,", "domain", "characters other than letters"},
      Case{",,,,", "domain", "empty name"}, Case{"192.0.2.1,,,,", "domain", "an address"},
      Case{"example.com,,mx.example.com mx,,", "mxs", "'mx' is not a pattern"},
      Case{"example.com,,**.example.com,,", "mxs", "is not a pattern"},
      Case{"example.com,,.com.,,", "mxs", "is not a pattern"},
      Case{"example.com,,,strict,", "mode", "'strict' is not a mode"},
      Case{"example.com,,,Enforce,", "mode", "is not a mode"},
      Case{"example.com,admin,,,", "contact", "no '@'"},
      Case{"example.com,a b@example.com,,,", "contact", "spaces"},
      Case{"example.com,<a@example.com>,,,", "contact", "dot-atom"},
      Case{"example.com,a@localhost,,,", "contact", "not a domain name"},
      Case{"example.com,.a@example.com,,,", "contact", "dot at an end"},
      Case{"example.com,,,,yesterday", "submitted_at", "not an RFC 3339"},
      Case{"example.com,,,,2026-02-30T00:00:00Z", "submitted_at", "not an RFC 3339"},
      Case{"example.com,,,,2026-11-28 13:00:00Z", "submitted_at", "not an RFC 3339"},
      Case{"example.com,,,,2026-11-28T13:00:00", "submitted_at", "not an RFC 3339"},
      Case{"example.com,,,", "line", "expected 5 fields"},
      Case{"example.com,,,,,", "line", "found 6"}, Case{"# a comment,,,,", "domain", "spaces"},
      Case{"# a comment", "line", "found 1"},
      Case{std::string("example.com,,,,\0", 16), "line", "control character 0x00 at byte 16"},
      Case{"example.com,\x1b[31m,,,", "line", "control character 0x1b"},
      Case{"example.com,a@example.com\r,,,", "line", "control character 0x0d"});
  CAPTURE(c.line);
  const Submission s = one_csv(c.line);
  CHECK_FALSE(s.valid());
  CHECK(fields_of(s) == std::vector<std::string>{c.field});
  CHECK(has_problem(s, c.field, c.reason_part));
}

TEST_CASE("queue: a bad field leaves the other fields checked", "[unit]") {
  const Submission s = one_csv("bad_domain,x,mx,strict,now");
  CHECK(fields_of(s) ==
        std::vector<std::string>{"domain", "contact", "mxs", "mode", "submitted_at"});
  CHECK(s.domain == "bad_domain");  // as written
  CHECK_FALSE(s.mode.has_value());
}

TEST_CASE("queue: every line is kept, malformed ones with their numbers", "[unit]") {
  const QueueRead read =
      csv("good.example,,,,\n"
          "bad..example,,,,\n"
          "\n"
          "# not a comment\n"
          "also.example,,,enforce,\n");
  REQUIRE(read.submissions.size() == 4);
  CHECK(read.submissions[0].line == 2);
  CHECK(read.submissions[0].valid());
  CHECK(read.submissions[1].line == 3);
  CHECK(has_problem(read.submissions[1], "domain"));
  CHECK(read.submissions[2].line == 5);
  CHECK(read.submissions[2].raw == "# not a comment");
  CHECK(has_problem(read.submissions[2], "line"));
  CHECK(read.submissions[3].line == 6);
  CHECK(read.submissions[3].valid());
}

TEST_CASE("queue: long lines", "[unit]") {
  SECTION("raw is cut to 300 bytes, not inside a UTF-8 sequence") {
    const std::string line = "example.com,,," + std::string(285, 'x') + "\xC3\xA9" + ",";
    const Submission s = one_csv(line);
    CHECK(s.raw.size() == 299);
    CHECK(s.raw == line.substr(0, 299));
  }
  SECTION("a line over the limit is a line problem") {
    const std::string line = "example.com,,," + std::string(mx::list::kMaxQueueLine, 'x') + ",";
    const Submission s = one_csv(line);
    CHECK(fields_of(s) == std::vector<std::string>{"line"});
    CHECK(has_problem(s, "line", "longer than 8192 bytes"));
    CHECK(s.raw.size() == 300);
  }
}

TEST_CASE("queue: JSON Lines", "[unit]") {
  SECTION("a valid line") {
    const Submission s = one_json(
        R"({"domain":"Example.com","contact":"a@example.com","mxs":["mx1.example.com","*.example.net"],)"
        R"("mode":"enforce","submitted_at":"2026-11-28T13:00:00+01:00"})");
    CHECK(s.valid());
    CHECK(s.domain == "example.com");
    CHECK(s.mxs == std::vector<std::string>{"mx1.example.com", ".example.net"});
    CHECK(s.mode == Mode::enforce);
  }
  SECTION("only the domain is required; null is absent") {
    const Submission s = one_json(R"({"domain":"example.com","contact":null,"mode":null})");
    CHECK(s.valid());
    CHECK(s.mode == Mode::testing);
  }
  SECTION("escapes are decoded") {
    CHECK(one_json(R"({"domain":"ex\u0061mple.com"})").domain == "example.com");
  }
  SECTION("IDN domains become A-labels") {
    CHECK(one_json(R"({"domain":"bücher.example"})").domain == "xn--bcher-kva.example");
  }
  struct Case {
    std::string line;
    std::string field;
    std::string reason_part;
  };
  const Case c = GENERATE(
      Case{R"({"domain":"example.com","extra":1})", "line", "unknown key 'extra'"},
      Case{R"({"domain":"example.com","Domain":"x"})", "line", "unknown key 'Domain'"},
      Case{R"({"domain":"a.example","domain":"b.example"})", "line", "'domain' appears more"},
      Case{R"({"contact":"a@example.com"})", "domain", "missing"},
      Case{R"({"domain":null})", "domain", "missing"},
      Case{R"({"domain":42})", "domain", "must be a string"},
      Case{R"({"domain":"example.com","mxs":"mx.example.com"})", "mxs", "list of strings"},
      Case{R"({"domain":"example.com","mxs":["mx.example.com",1]})", "mxs", "list of strings"},
      Case{R"({"domain":"example.com","mxs":[["mx.example.com"]]})", "mxs", "list of strings"},
      Case{R"({"domain":"example.com","mxs":["mx1.example.com mx2.example.com"]})", "mxs",
           "is not a pattern"},
      Case{R"({"domain":"example.com","mode":"strict"})", "mode", "'strict' is not a mode"},
      Case{R"({"domain":"example.com","mode":true})", "mode", "must be a string"},
      Case{R"({"domain":"example.com","contact":{"a":"b"}})", "contact", "must be a string"},
      Case{R"({"domain":"example.com","contact":"x"})", "contact", "no '@'"},
      Case{R"({"domain":"example.com","contact":"a\u001b[2J@x"})", "contact",
           "'a\\x1b[2J@x' is not"},
      Case{R"({"domain":"example.com","submitted_at":"2026-13-01T00:00:00Z"})", "submitted_at",
           "RFC 3339"},
      Case{R"({"domain":"example.com"} {})", "line", "text after the JSON value"},
      Case{R"({"domain":"example.com",})", "line", "not JSON"},
      Case{R"({"domain":"example.com")", "line", "not JSON"},
      Case{"{\"domain\":\"\xff.example\"}", "line", "not JSON"},
      Case{R"({"domain":"example\nfoo.com"})", "domain", "control characters"});
  CAPTURE(c.line);
  const Submission s = one_json(c.line);
  CHECK(fields_of(s) == std::vector<std::string>{c.field});
  CHECK(has_problem(s, c.field, c.reason_part));
}

TEST_CASE("queue: JSON Lines keep later lines and number them", "[unit]") {
  const QueueRead read = parse_queue(
      "{\"domain\":\"a.example\"}\r\n"
      "\r\n"
      "[1,2]\r\n"
      "a.example,,,,\r\n"
      "  {\"domain\":\"b.example\",\"mode\":\"enforce\"}  \r\n");
  REQUIRE(read.error.empty());
  REQUIRE(read.submissions.size() == 4);
  CHECK(read.submissions[0].line == 1);
  CHECK(read.submissions[0].valid());
  CHECK(read.submissions[1].line == 3);
  CHECK(has_problem(read.submissions[1], "line", "not a JSON object"));
  CHECK(read.submissions[2].line == 4);
  CHECK(has_problem(read.submissions[2], "line", "not JSON"));
  CHECK(read.submissions[3].line == 5);
  CHECK(read.submissions[3].valid());
  CHECK(read.submissions[3].mode == Mode::enforce);
}

TEST_CASE("queue: a JSON Lines line that is not an object", "[unit]") {
  const std::string line = GENERATE(std::string("[1,2]"), std::string("[\"a\",{\"b\":[1]}]"),
                                    std::string("\"example.com\""), std::string("42"),
                                    std::string("null"), std::string("[[{\"domain\":\"x\"}]]"));
  CAPTURE(line);
  const QueueRead read = parse_queue("{\"domain\":\"a.example\"}\n" + line + "\n");
  REQUIRE(read.submissions.size() == 2);
  CHECK(read.submissions[1].line == 2);
  CHECK(fields_of(read.submissions[1]) == std::vector<std::string>{"line"});
  CHECK(has_problem(read.submissions[1], "line", "not a JSON object"));
}

TEST_CASE("queue: inputs that are not a queue", "[unit]") {
  const std::string text =
      GENERATE(std::string(""), std::string("\n \r\n\t\n"), std::string("example.com,,,,\n"),
               std::string("domain,contact,mxs,mode\n"),
               std::string("domain,contact,mxs,mode,submitted_at,extra\n"),
               std::string("# domain,contact,mxs,mode,submitted_at\n"),
               std::string("\x7f"
                           "ELF\x02\x01\x01"),
               std::string("[{\"domain\":\"example.com\"}]\n"));
  CAPTURE(text);
  const QueueRead read = parse_queue(text);
  CHECK_THAT(read.error, Catch::StartsWith("not a triage queue"));
  CHECK(read.submissions.empty());
}

TEST_CASE("queue: a header alone is an empty queue", "[unit]") {
  const QueueRead read = parse_queue(kHeader);
  CHECK(read.error.empty());
  CHECK(read.submissions.empty());
}

TEST_CASE("queue: read_queue_file names the file", "[unit]") {
  const mx::test::TempDir dir;
  SECTION("a readable queue") {
    const auto path = dir.path() / "queue.csv";
    std::ofstream(path) << kHeader << "example.com,,,,\n";
    const QueueRead read = mx::list::read_queue_file(path);
    CHECK(read.error.empty());
    CHECK(read.submissions.size() == 1);
  }
  SECTION("a missing file") {
    const auto path = dir.path() / "missing.csv";
    const QueueRead read = mx::list::read_queue_file(path);
    CHECK_THAT(read.error, Catch::StartsWith(path.string() + ": cannot be read") &&
                               Catch::Contains("No such file"));
  }
  SECTION("a directory") {
    const QueueRead read = mx::list::read_queue_file(dir.path());
    CHECK_THAT(read.error, Catch::StartsWith(dir.path().string() + ": cannot be read"));
  }
  SECTION("a file that is not a queue") {
    const auto path = dir.path() / "list.json";
    std::ofstream(path) << "[]\n";
    const QueueRead read = mx::list::read_queue_file(path);
    CHECK(read.error == path.string() +
                            ": not a triage queue: line 1 is neither the CSV header "
                            "'domain,contact,mxs,mode,submitted_at' nor a JSON object");
  }
}

TEST_CASE("queue: valid_contact", "[unit]") {
  using mx::list::valid_contact;
  CHECK(valid_contact("postmaster@example.com"));
  CHECK(valid_contact("Post.Master+tls@Mail.Example.COM"));
  CHECK(valid_contact("o'brien@example.co.uk"));
  CHECK(valid_contact("a@xn--bcher-kva.example"));
  CHECK(valid_contact(std::string(64, 'a') + "@example.com"));

  const std::string bad = GENERATE(
      std::string(""), std::string("example.com"), std::string("@example.com"), std::string("a@"),
      std::string("a@example.com."), std::string("a@localhost"), std::string("a@[192.0.2.1]"),
      std::string("a@b@example.com"), std::string("a b@example.com"),
      std::string("\"a b\"@example.com"), std::string("a,b@example.com"),
      std::string("<a@example.com>"), std::string("Name <a@example.com>"),
      std::string("a@example.com\r\nBcc: x@y.example"), std::string("a@example.com\n"),
      std::string("a\0@example.com", 15), std::string("a..b@example.com"),
      std::string("a.@example.com"), std::string("bücher@example.com"),
      std::string("a@bücher.example"), std::string(65, 'a') + "@example.com",
      std::string("a@") + std::string(250, 'b') + ".com", std::string("a;b@example.com"),
      std::string("a(b)@example.com"), std::string("a\\b@example.com"));
  CAPTURE(bad);
  CHECK_FALSE(valid_contact(bad));
}

TEST_CASE("queue: parse_rfc3339_date_time", "[unit]") {
  using mx::list::parse_rfc3339_date_time;
  const auto utc = parse_rfc3339_date_time("2026-11-28T13:04:05Z");
  REQUIRE(utc);
  CHECK(utc->year == 2026);
  CHECK(utc->month == 11);
  CHECK(utc->day == 28);
  CHECK(utc->hour == 13);
  CHECK(utc->minute == 4);
  CHECK(utc->second == 5);
  CHECK(utc->offset_minutes == 0);
  CHECK_FALSE(utc->unknown_offset);

  const auto offset = parse_rfc3339_date_time("2024-02-29t23:59:60.123-05:30");
  REQUIRE(offset);
  CHECK(offset->offset_minutes == -330);
  CHECK(offset->second == 60);
  CHECK(parse_rfc3339_date_time("2026-01-01T00:00:00-00:00")->unknown_offset);
  CHECK(parse_rfc3339_date_time("2026-01-01T00:00:00z"));

  const std::string bad =
      GENERATE(std::string(""), std::string("2026-11-28"), std::string("2026-11-28T13:00Z"),
               std::string("2026-11-28T13:00:00"), std::string("2026-11-28T13:00:00.Z"),
               std::string("2026-11-28T24:00:00Z"), std::string("2026-11-28T13:60:00Z"),
               std::string("2026-11-28T13:00:61Z"), std::string("2025-02-29T00:00:00Z"),
               std::string("2026-00-10T00:00:00Z"), std::string("2026-11-00T00:00:00Z"),
               std::string("2026-11-28T13:00:00+0100"), std::string("2026-11-28T13:00:00+24:00"),
               std::string("2026-11-28T13:00:00Z "), std::string("2026-11-28X13:00:00Z"),
               std::string("+2026-11-28T13:00:00Z"), std::string("2026-1-28T13:00:00Z"));
  CAPTURE(bad);
  CHECK_FALSE(parse_rfc3339_date_time(bad));
}
