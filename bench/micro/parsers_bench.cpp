// The pure parsers a probe runs on every connection or policy: SMTP replies, EHLO, MTA-STS.
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "probes/mta_sts/policy.hpp"
#include "probes/smtp/ehlo.hpp"
#include "probes/smtp/reply_parser.hpp"

namespace {

using mx::probes::smtp::FeedStatus;
using mx::probes::smtp::Reply;
using mx::probes::smtp::ReplyParser;

constexpr std::string_view greeting = "220 mx1.example.test ESMTP Postfix (Debian/GNU)\r\n";

// A Postfix-like answer to EHLO: ten lines.
constexpr std::string_view ehlo_reply =
    "250-mx1.example.test\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 52428800\r\n"
    "250-VRFY\r\n"
    "250-ETRN\r\n"
    "250-STARTTLS\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-8BITMIME\r\n"
    "250-DSN\r\n"
    "250 SMTPUTF8\r\n";

constexpr std::string_view policy_body =
    "version: STSv1\r\n"
    "mode: enforce\r\n"
    "mx: mx1.example.test\r\n"
    "mx: mx2.example.test\r\n"
    "mx: *.mail.example.test\r\n"
    "max_age: 604800\r\n";

// Feeds `bytes` in pieces of `fragment` octets, as reads deliver them; returns the reply's code.
int parse_in_fragments(std::string_view bytes, std::size_t fragment) {
  ReplyParser parser;
  while (!bytes.empty()) {
    const auto feed = parser.feed(bytes.substr(0, fragment));
    bytes.remove_prefix(feed.consumed);
    if (feed.status == FeedStatus::reply_ready) {
      return parser.next()->code;
    }
    if (feed.status == FeedStatus::failed) {
      return -1;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("SMTP reply parser", "[bench]") {
  REQUIRE(parse_in_fragments(greeting, greeting.size()) == 220);
  REQUIRE(parse_in_fragments(ehlo_reply, 7) == 250);
  BENCHMARK("greeting, whole") {
    return parse_in_fragments(greeting, greeting.size());
  };
  BENCHMARK("10-line EHLO reply, whole") {
    return parse_in_fragments(ehlo_reply, ehlo_reply.size());
  };
  BENCHMARK("10-line EHLO reply, 16-octet fragments") {
    return parse_in_fragments(ehlo_reply, 16);
  };
  BENCHMARK("10-line EHLO reply, 1-octet fragments") {
    return parse_in_fragments(ehlo_reply, 1);
  };
}

TEST_CASE("EHLO parser", "[bench]") {
  const auto reply = mx::probes::smtp::parse_reply(ehlo_reply);
  REQUIRE(reply.has_value());
  REQUIRE(mx::probes::smtp::parse_ehlo(*reply)->has("STARTTLS"));
  BENCHMARK("parse_ehlo, 10 lines") {
    return mx::probes::smtp::parse_ehlo(*reply);
  };
}

TEST_CASE("MTA-STS policy parser", "[bench]") {
  REQUIRE(mx::probes::mta_sts::parse_policy(policy_body).has_value());
  BENCHMARK("parse_policy, enforce with 3 mx") {
    return mx::probes::mta_sts::parse_policy(policy_body);
  };
}
