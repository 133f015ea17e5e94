#include "probes/smtp/ehlo.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "probes/smtp/reply_parser.hpp"

using mx::probes::smtp::EhloCapabilities;
using mx::probes::smtp::EhloError;
using mx::probes::smtp::Extension;
using mx::probes::smtp::parse_ehlo;
using mx::probes::smtp::parse_reply;
using mx::probes::smtp::Reply;

namespace {

using Words = std::vector<std::string>;

// The capabilities in an EHLO reply as it comes off the wire.
EhloCapabilities ehlo(std::string_view wire) {
  const auto reply = parse_reply(wire);
  REQUIRE(reply.has_value());
  const auto caps = parse_ehlo(*reply);
  REQUIRE(caps.has_value());
  return *caps;
}

Words keywords(const EhloCapabilities& caps) {
  Words out;
  for (const Extension& extension : caps.extensions) {
    out.push_back(extension.keyword);
  }
  return out;
}

}  // namespace

TEST_CASE("a typical EHLO reply gives the domain, greeting and extensions in order", "[unit]") {
  const EhloCapabilities caps = ehlo(
      "250-mx.example.test Hello client.example.test [192.0.2.1]\r\n"
      "250-PIPELINING\r\n"
      "250-SIZE 10240000\r\n"
      "250-VRFY\r\n"
      "250-ETRN\r\n"
      "250-STARTTLS\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-8BITMIME\r\n"
      "250-DSN\r\n"
      "250-SMTPUTF8\r\n"
      "250 CHUNKING\r\n");
  CHECK(caps.domain == "mx.example.test");
  CHECK(caps.greeting == "Hello client.example.test [192.0.2.1]");
  CHECK_FALSE(caps.missing_domain());
  CHECK(keywords(caps) == Words{"PIPELINING", "SIZE", "VRFY", "ETRN", "STARTTLS",
                                "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"});
  CHECK(caps.starttls());
  CHECK(caps.has("8BITMIME"));
  CHECK(caps.has("8bitmime"));
  CHECK(caps.size() == std::uint64_t{10240000});
  CHECK_FALSE(caps.requiretls());
  CHECK(caps.auth_mechanisms().empty());
  CHECK(caps.invalid_lines.empty());
  CHECK(caps.duplicate_keywords.empty());
  CHECK_FALSE(caps.has("AUTH"));
  CHECK(caps.find("STARTTLS") == &caps.extensions[4]);
  CHECK(caps.find("START") == nullptr);
}

TEST_CASE("STARTTLS is found in any case and anywhere, and XSTARTTLS is not STARTTLS", "[unit]") {
  struct Case {
    std::string_view name;
    std::string wire;
    bool starttls;
  };
  const Case c = GENERATE(values<Case>({
      {"last line", "250-mx.example.test\r\n250 STARTTLS\r\n", true},
      {"first extension", "250-mx.example.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n", true},
      {"in the middle", "250-mx\r\n250-SIZE 1\r\n250-STARTTLS\r\n250 DSN\r\n", true},
      {"lower case", "250-mx\r\n250-starttls\r\n250 8BITMIME\r\n", true},
      {"mixed case", "250-mx\r\n250 StartTls\r\n", true},
      {"with a stray parameter", "250-mx\r\n250 STARTTLS now\r\n", true},
      {"with trailing spaces", "250-mx\r\n250 STARTTLS  \r\n", true},
      {"after a bare LF", "250-mx\n250 STARTTLS\n", true},
      {"XSTARTTLS only", "250-mx\r\n250-XSTARTTLS\r\n250 8BITMIME\r\n", false},
      {"STARTTLS as a parameter", "250-mx\r\n250 X-EXT STARTTLS\r\n", false},
      {"STARTTLS in the greeting line", "250 mx STARTTLS\r\n", false},
      {"STARTTLS with a prefix", "250-mx\r\n250 STARTTLS-X\r\n", false},
      {"no extensions", "250 mx.example.test\r\n", false},
  }));
  INFO(c.name);
  CHECK(ehlo(c.wire).starttls() == c.starttls);
}

TEST_CASE("XSTARTTLS is kept as its own extension", "[unit]") {
  const EhloCapabilities caps = ehlo("250-mx\r\n250 xstarttls\r\n");
  CHECK(keywords(caps) == Words{"XSTARTTLS"});
  CHECK(caps.has("XSTARTTLS"));
  CHECK_FALSE(caps.starttls());
}

TEST_CASE("parameters are the words after the keyword, as sent", "[unit]") {
  const EhloCapabilities caps = ehlo(
      "250-mx.example.test\r\n"
      "250-AUTH PLAIN LOGIN  cram-md5\r\n"
      "250-AUTH=LOGIN PLAIN\r\n"
      "250-X-TAB\tone\t two\r\n"
      "250 REQUIRETLS\r\n");
  const Extension* auth = caps.find("auth");
  REQUIRE(auth != nullptr);
  CHECK(auth->keyword == "AUTH");
  CHECK(auth->params == Words{"PLAIN", "LOGIN", "cram-md5"});
  const auto mechanisms = caps.auth_mechanisms();
  CHECK(Words(mechanisms.begin(), mechanisms.end()) == Words{"PLAIN", "LOGIN", "cram-md5"});
  // The old "AUTH=" form is not an ehlo-keyword; the regular AUTH line carries the mechanisms.
  CHECK(caps.invalid_lines == Words{"AUTH=LOGIN PLAIN"});
  const Extension* tab = caps.find("X-TAB");
  REQUIRE(tab != nullptr);
  CHECK(tab->params == Words{"one", "two"});
  CHECK(caps.requiretls());
  CHECK(caps.find("REQUIRETLS")->params.empty());
}

TEST_CASE("SIZE gives its limit only when it is a decimal number that fits", "[unit]") {
  struct Case {
    std::string_view line;
    std::optional<std::uint64_t> size;
  };
  const Case c = GENERATE(values<Case>({
      {"SIZE 35882577", 35882577},
      {"size 0", 0},
      {"SIZE 18446744073709551615", UINT64_MAX},
      {"SIZE 18446744073709551616", std::nullopt},
      {"SIZE", std::nullopt},
      {"SIZE -1", std::nullopt},
      {"SIZE +1", std::nullopt},
      {"SIZE 10MB", std::nullopt},
      {"SIZE 0x10", std::nullopt},
      {"SIZE unlimited", std::nullopt},
      {"SIZE 1000 2000", 1000},
      {"XSIZE 1000", std::nullopt},
  }));
  INFO(c.line);
  const EhloCapabilities caps = ehlo("250-mx\r\n250 " + std::string(c.line) + "\r\n");
  CHECK(caps.size() == c.size);
}

TEST_CASE("a one-line 250, as HELO gets, has a domain and no extensions", "[unit]") {
  const EhloCapabilities caps = ehlo("250 mx.example.test\r\n");
  CHECK(caps.domain == "mx.example.test");
  CHECK(caps.greeting.empty());
  CHECK(caps.extensions.empty());
  CHECK_FALSE(caps.starttls());
  CHECK_FALSE(caps.size());

  const EhloCapabilities greeted = ehlo("250 mx.example.test Hello [192.0.2.1], pleased\r\n");
  CHECK(greeted.domain == "mx.example.test");
  CHECK(greeted.greeting == "Hello [192.0.2.1], pleased");
}

TEST_CASE("a 250 whose first line has no text is missing its domain", "[unit]") {
  for (const std::string_view wire :
       {"250\r\n", "250 \r\n", "250  \t \r\n", "250-\r\n250 STARTTLS\r\n"}) {
    INFO(wire);
    const EhloCapabilities caps = ehlo(wire);
    CHECK(caps.missing_domain());
    CHECK(caps.domain.empty());
    CHECK(caps.greeting.empty());
  }
  CHECK(ehlo("250-\r\n250 STARTTLS\r\n").starttls());
}

TEST_CASE("a keyword offered twice is kept once, with its first parameters", "[unit]") {
  const EhloCapabilities caps = ehlo(
      "250-mx\r\n250-SIZE 100\r\n250-STARTTLS\r\n250-size 200\r\n250-Size\r\n250 starttls\r\n");
  CHECK(keywords(caps) == Words{"SIZE", "STARTTLS"});
  CHECK(caps.size() == std::uint64_t{100});
  CHECK(caps.duplicate_keywords == Words{"SIZE", "STARTTLS"});
}

TEST_CASE("lines whose first word is not an ehlo-keyword are recorded and skipped", "[unit]") {
  const EhloCapabilities caps = ehlo(
      "250-mx\r\n"
      "250-\r\n"
      "250-   \r\n"
      "250--STARTTLS\r\n"
      "250-ST@RTTLS\r\n"
      "250-STARTTLS.\r\n"
      "250-\xc3\x9c"
      "BER\r\n"
      "250-AUTH=PLAIN\r\n"
      "250-  PIPELINING\r\n"
      "250-8BITMIME\r\n"
      "250 X-A1-b\r\n");
  CHECK(caps.invalid_lines == Words{"", "   ", "-STARTTLS", "ST@RTTLS", "STARTTLS.",
                                    "\xc3\x9c"
                                    "BER",
                                    "AUTH=PLAIN"});
  // Leading spaces are tolerated, as real clients do; digits and hyphens are keyword octets.
  CHECK(keywords(caps) == Words{"PIPELINING", "8BITMIME", "X-A1-B"});
  CHECK_FALSE(caps.starttls());
}

TEST_CASE("only a 250 reply is an EHLO reply", "[unit]") {
  for (const int code : {220, 251, 421, 500, 502, 550, 554}) {
    INFO(code);
    const auto caps =
        parse_ehlo(Reply{.code = code, .lines = {"mx", "STARTTLS"}, .violations = {}});
    REQUIRE(caps.has_error());
    CHECK(caps.error() == make_error_code(EhloError::not_250));
  }
  const boost::system::error_code ec = EhloError::not_250;
  CHECK(mx::probes::smtp::to_string(EhloError::not_250) == "not_250");
  CHECK(std::string_view(ec.category().name()) == "mx.smtp_ehlo");
  CHECK(ec.message() == "the EHLO reply is not 250");

  const auto empty = parse_ehlo(Reply{.code = 250, .lines = {}, .violations = {}});
  REQUIRE(empty.has_value());
  CHECK(*empty == EhloCapabilities{});
}
