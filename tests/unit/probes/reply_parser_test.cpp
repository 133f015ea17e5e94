#include "probes/smtp/reply_parser.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

using mx::probes::smtp::Feed;
using mx::probes::smtp::FeedStatus;
using mx::probes::smtp::Limits;
using mx::probes::smtp::parse_reply;
using mx::probes::smtp::Reply;
using mx::probes::smtp::ReplyParser;
using mx::probes::smtp::Violation;

namespace Catch {

template <>
struct StringMaker<Violation> {
  static std::string convert(Violation violation) {
    return std::string(mx::probes::smtp::to_string(violation));
  }
};

template <>
struct StringMaker<std::optional<Violation>> {
  static std::string convert(const std::optional<Violation>& violation) {
    return violation ? std::string(mx::probes::smtp::to_string(*violation)) : "none";
  }
};

template <>
struct StringMaker<Reply> {
  static std::string convert(const Reply& reply) {
    std::string out = std::to_string(reply.code) + " [";
    for (const std::string& line : reply.lines) {
      out += '"' + line + "\" ";
    }
    out += "]";
    for (const Violation violation : reply.violations) {
      out += ' ';
      out += mx::probes::smtp::to_string(violation);
    }
    return out;
  }
};

}  // namespace Catch

namespace {

// What a parser made of a whole input, however it was split.
struct Transcript {
  std::vector<Reply> replies;
  std::optional<Violation> failure;
  std::size_t consumed = 0;  // octets consumed in total
  std::size_t buffered = 0;  // buffered_bytes() at the end

  bool operator==(const Transcript&) const = default;
};

// Feeds `bytes` in pieces of the sizes `piece_size()` returns, as reads would deliver them, the
// way the probe does: take each reply as it completes and go on with the rest of the piece.
template <typename PieceSize>
Transcript run(std::string_view bytes, PieceSize piece_size, Limits limits = {}) {
  ReplyParser parser(limits);
  Transcript transcript;
  std::size_t offset = 0;
  std::size_t end = 0;
  while (offset < bytes.size()) {
    if (end <= offset) {
      end = std::min(bytes.size(), offset + piece_size());
    }
    const Feed fed = parser.feed(bytes.substr(offset, end - offset));
    offset += fed.consumed;
    if (fed.status == FeedStatus::failed) {
      break;
    }
    if (fed.status == FeedStatus::reply_ready) {
      transcript.replies.push_back(*parser.next());
    }
  }
  transcript.failure = parser.failure();
  transcript.consumed = offset;
  transcript.buffered = parser.buffered_bytes();
  return transcript;
}

Transcript whole(std::string_view bytes, Limits limits = {}) {
  return run(
      bytes, [&] { return bytes.size(); }, limits);
}

Transcript one_octet_at_a_time(std::string_view bytes, Limits limits = {}) {
  return run(
      bytes, [] { return std::size_t{1}; }, limits);
}

Transcript random_pieces(std::string_view bytes, unsigned seed, Limits limits = {}) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<std::size_t> size(1, 9);
  return run(
      bytes, [&] { return size(random); }, limits);
}

// Every way of splitting the input must give what feeding it at once gives.
void check_split_invariance(std::string_view bytes, const Transcript& expected,
                            Limits limits = {}) {
  CHECK(one_octet_at_a_time(bytes, limits) == expected);
  for (unsigned seed = 1; seed <= 5; ++seed) {
    INFO("seed " << seed);
    CHECK(random_pieces(bytes, seed, limits) == expected);
  }
}

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) {
    out.append(piece);
  }
  return out;
}

// A line of exactly `octets` octets, CRLF included: "250-xxx...\r\n" or "250 xxx...\r\n".
std::string line_of(std::size_t octets, bool last, std::string_view code = "250") {
  return std::string(code) + (last ? ' ' : '-') + std::string(octets - 6, 'x') + "\r\n";
}

struct Good {
  std::string_view name;
  std::string input;
  int code;
  std::vector<std::string> lines;
  std::vector<Violation> violations;
};

struct Bad {
  std::string_view name;
  std::string input;
  Violation violation;
  std::size_t consumed;  // octets up to and including the offending one
  std::size_t replies_before = 0;
};

}  // namespace

TEST_CASE("well-formed replies give their code, lines and tolerated violations", "[unit]") {
  const Good c = GENERATE(values<Good>({
      {"one line",
       "220 mx.example.test ESMTP Postfix\r\n",
       220,
       {"mx.example.test ESMTP Postfix"},
       {}},
      {"multi-line greeting",
       "220-mx.example.test ESMTP\r\n220-no UCE\r\n220 ready\r\n",
       220,
       {"mx.example.test ESMTP", "no UCE", "ready"},
       {}},
      {"code only", "250\r\n", 250, {""}, {}},
      {"code and space", "250 \r\n", 250, {""}, {}},
      {"empty continuation then code only", "250-\r\n250\r\n", 250, {"", ""}, {}},
      {"lowest code", "200 ok\r\n", 200, {"ok"}, {}},
      {"highest code", "559 no\r\n", 559, {"no"}, {}},
      {"3xx", "354 go ahead\r\n", 354, {"go ahead"}, {}},
      {"4xx", "421-busy\r\n421 try later\r\n", 421, {"busy", "try later"}, {}},
      {"5xx with enhanced code", "554 5.7.1 rejected\r\n", 554, {"5.7.1 rejected"}, {}},
      {"text keeps its spaces and hyphens", "250  a - b  \r\n", 250, {" a - b  "}, {}},
      {"8-bit text is kept", "220 h\xc3\xa9llo\r\n", 220, {"h\xc3\xa9llo"}, {}},
      {"bare LF", "220 hi\n", 220, {"hi"}, {Violation::bare_lf}},
      {"bare LF on some lines",
       "250-a\n250-b\r\n250 c\n",
       250,
       {"a", "b", "c"},
       {Violation::bare_lf}},
      {"bare CR inside a line", "220 a\rb\r\n", 220, {"a\rb"}, {Violation::bare_cr}},
      {"CR CR LF", "220 a\r\r\n", 220, {"a\r"}, {Violation::bare_cr}},
      {"bare CR then bare LF",
       "220 a\rb\n",
       220,
       {"a\rb"},
       {Violation::bare_cr, Violation::bare_lf}},
      {"HTTP-like text after a valid code",
       "250 HTTP/1.1 200 OK\r\n",
       250,
       {"HTTP/1.1 200 OK"},
       {}},
  }));
  INFO(c.name);
  const Transcript expected = whole(c.input);
  REQUIRE(expected.replies.size() == 1);
  CHECK_FALSE(expected.failure);
  CHECK(expected.consumed == c.input.size());
  CHECK(expected.buffered == 0);
  const Reply& reply = expected.replies.front();
  CHECK(reply.code == c.code);
  CHECK(reply.lines == c.lines);
  CHECK(reply.violations == c.violations);
  check_split_invariance(c.input, expected);

  const auto parsed = parse_reply(c.input);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == reply);
}

TEST_CASE("fatal violations are named and stop at the offending octet", "[unit]") {
  const Bad c = GENERATE(values<Bad>({
      {"HTTP response", "HTTP/1.1 400 Bad Request\r\n\r\n", Violation::not_smtp, 5},
      {"TLS handshake record", std::string("\x16\x03\x01\x00\xa5\x01\x00", 7), Violation::not_smtp,
       2},
      {"TLS alert record", std::string("\x15\x03\x03\x00\x02\x02\x46", 7), Violation::not_smtp, 2},
      {"TLS application data", std::string("\x17\x03\x03\x00\x10", 5), Violation::not_smtp, 2},
      {"SSH banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", Violation::not_smtp, 4},
      {"POP3 greeting", "+OK POP3 server ready\r\n", Violation::not_smtp, 3},
      {"POP3 refusal", "-ERR go away\r\n", Violation::not_smtp, 4},
      {"IMAP greeting", "* OK [CAPABILITY IMAP4rev1] ready\r\n", Violation::not_smtp, 2},
      {"TLS after a complete reply", std::string("220 go ahead\r\n\x16\x03\x03", 17),
       Violation::not_smtp, 16, 1},
      {"text", "hello\r\n", Violation::bad_code, 1},
      {"prefix of HTTP ended by a line end", "HTT\r\n", Violation::bad_code, 5},
      {"prefix of TLS then something else", "\x16x", Violation::bad_code, 2},
      {"first digit too high", "600 x\r\n", Violation::bad_code, 1},
      {"first digit too low", "199 x\r\n", Violation::bad_code, 1},
      {"second digit too high", "260 x\r\n", Violation::bad_code, 2},
      {"third digit not a digit", "25x x\r\n", Violation::bad_code, 3},
      {"letter in the code", "2a0 x\r\n", Violation::bad_code, 2},
      {"two digits", "25\r\n", Violation::bad_code, 4},
      {"empty line", "\r\n", Violation::bad_code, 2},
      {"empty line with bare LF", "\n", Violation::bad_code, 1},
      {"bare CR inside the code", "25\r0 x\r\n", Violation::bad_code, 4},
      {"leading space", " 250 ok\r\n", Violation::bad_code, 1},
      {"continuation line without a code", "250-first\r\nsecond\r\n", Violation::bad_code, 12},
      {"empty continuation line", "250-first\r\n\r\n", Violation::bad_code, 13},
      {"HTTP inside a reply is just a bad code", "250-first\r\nHTTP/1.1", Violation::bad_code, 12},
      {"underscore separator", "250_x\r\n", Violation::bad_separator, 4},
      {"tab separator", "250\tx\r\n", Violation::bad_separator, 4},
      {"letter separator", "250x\r\n", Violation::bad_separator, 4},
      {"CR separator", "250\rx\r\n", Violation::bad_separator, 5},
      {"mismatched codes", "250-first\r\n251 second\r\n", Violation::code_mismatch, 14},
      {"mismatched class", "250-first\r\n550 second\r\n", Violation::code_mismatch, 14},
      {"NUL in text", std::string("220 a\0b\r\n", 9), Violation::nul_byte, 6},
      {"NUL first", std::string("\0", 1), Violation::nul_byte, 1},
  }));
  INFO(c.name);
  const Transcript expected = whole(c.input);
  CHECK(expected.failure == c.violation);
  CHECK(expected.consumed == c.consumed);
  CHECK(expected.replies.size() == c.replies_before);
  CHECK(expected.buffered == 0);
  check_split_invariance(c.input, expected);

  if (c.replies_before == 0) {
    const auto parsed = parse_reply(c.input);
    REQUIRE(parsed.has_error());
    CHECK(parsed.error() == make_error_code(c.violation));
  }
}

TEST_CASE("another protocol is recognised as soon as its opening arrives", "[unit]") {
  ReplyParser parser;
  CHECK(parser.feed("HTTP").status == FeedStatus::need_more);
  const Feed fed = parser.feed("/1.1 200 OK");
  CHECK(fed.status == FeedStatus::failed);
  CHECK(fed.consumed == 1);
  CHECK(parser.failure() == Violation::not_smtp);

  ReplyParser tls;
  CHECK(tls.feed("\x16").status == FeedStatus::need_more);
  CHECK(tls.feed("\x03").status == FeedStatus::failed);
  CHECK(tls.failure() == Violation::not_smtp);
}

TEST_CASE("a failed parser stays failed and holds nothing", "[unit]") {
  ReplyParser parser;
  REQUIRE(parser.feed("250-a\r\n251 b\r\n").status == FeedStatus::failed);
  const Feed again = parser.feed("250 fine\r\n");
  CHECK(again.status == FeedStatus::failed);
  CHECK(again.consumed == 0);
  CHECK(parser.failure() == Violation::code_mismatch);
  CHECK_FALSE(parser.next());
  CHECK(parser.buffered_bytes() == 0);
}

TEST_CASE("octets after a complete reply stay with the caller", "[unit]") {
  // A server that pipelines plaintext after "220" to STARTTLS (response injection).
  const std::string ready = "220 2.0.0 Ready to start TLS\r\n";
  const std::string injected = "250-injected\r\n250 PIPELINING\r\n";
  ReplyParser parser;
  const Feed fed = parser.feed(ready + injected);
  CHECK(fed.status == FeedStatus::reply_ready);
  CHECK(fed.consumed == ready.size());
  CHECK(parser.buffered_bytes() == 0);

  SECTION("nothing more is consumed until the reply is taken") {
    const Feed blocked = parser.feed(injected);
    CHECK(blocked.status == FeedStatus::reply_ready);
    CHECK(blocked.consumed == 0);
  }
  SECTION("the reply is taken once, then the next one parses") {
    const auto reply = parser.next();
    REQUIRE(reply);
    CHECK(reply->code == 220);
    CHECK(reply->lines == std::vector<std::string>{"2.0.0 Ready to start TLS"});
    CHECK_FALSE(parser.next());

    const Feed rest = parser.feed(injected);
    CHECK(rest.status == FeedStatus::reply_ready);
    CHECK(rest.consumed == injected.size());
    const auto second = parser.next();
    REQUIRE(second);
    CHECK(second->lines == std::vector<std::string>{"injected", "PIPELINING"});
  }
  SECTION("parse_reply calls them trailing data") {
    const auto parsed = parse_reply(ready + injected);
    REQUIRE(parsed.has_error());
    CHECK(parsed.error() == make_error_code(Violation::trailing_data));
  }
}

TEST_CASE("several replies in one input come out in order however the input is split", "[unit]") {
  const std::string input =
      "220 mx.example.test ESMTP\r\n"
      "250-mx.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
      "220 go ahead\n"
      "250 ok\r\n"
      "354 data";
  const Transcript expected = whole(input);
  REQUIRE(expected.replies.size() == 4);
  CHECK(expected.replies[0].code == 220);
  CHECK(expected.replies[1].lines ==
        std::vector<std::string>{"mx.example.test", "PIPELINING", "STARTTLS"});
  CHECK(expected.replies[2].violations == std::vector<Violation>{Violation::bare_lf});
  CHECK(expected.replies[3].violations.empty());
  CHECK_FALSE(expected.failure);
  CHECK(expected.consumed == input.size());
  CHECK(expected.buffered == std::string_view("354 data").size());
  check_split_invariance(input, expected);
}

TEST_CASE("buffered_bytes counts the octets of the reply not yet complete", "[unit]") {
  ReplyParser parser;
  CHECK(parser.buffered_bytes() == 0);
  CHECK(parser.feed("250-a\r\n250 b").status == FeedStatus::need_more);
  CHECK(parser.buffered_bytes() == 12);
  CHECK(parser.feed("\r").status == FeedStatus::need_more);
  CHECK(parser.buffered_bytes() == 13);
  CHECK(parser.feed("\n").status == FeedStatus::reply_ready);
  CHECK(parser.buffered_bytes() == 0);
}

TEST_CASE("parse_reply needs exactly one complete reply", "[unit]") {
  CHECK(parse_reply("250 ok\r\n").has_value());
  for (const std::string_view truncated : {"", "2", "250", "250 ok", "250 ok\r", "250-a\r\n"}) {
    INFO('"' << truncated << '"');
    const auto parsed = parse_reply(truncated);
    REQUIRE(parsed.has_error());
    CHECK(parsed.error() == make_error_code(Violation::truncated));
  }
  const auto two = parse_reply("250 a\r\n250 b\r\n");
  REQUIRE(two.has_error());
  CHECK(two.error() == make_error_code(Violation::trailing_data));
}

TEST_CASE("the line cap counts the terminator: at the cap passes, one octet over fails", "[unit]") {
  const Limits limits;
  REQUIRE(limits.max_line_octets == 1000);

  SECTION("CRLF line of exactly the cap") {
    const std::string input = line_of(1000, true);
    REQUIRE(input.size() == 1000);
    const Transcript t = whole(input);
    REQUIRE(t.replies.size() == 1);
    CHECK(t.replies.front().lines.front().size() == 994);
  }
  SECTION("bare-LF line of exactly the cap") {
    const std::string input = "250 " + std::string(995, 'x') + "\n";
    REQUIRE(input.size() == 1000);
    CHECK(whole(input).replies.size() == 1);
  }
  SECTION("one octet over, whether the extra octet is the LF or text") {
    for (const std::string& input : {line_of(1001, true), "250 " + std::string(1200, 'x')}) {
      const Transcript t = whole(input);
      CHECK(t.failure == Violation::line_too_long);
      CHECK(t.consumed == 1001);
      check_split_invariance(input, t);
    }
  }
  SECTION("a continuation line one octet over") {
    const std::string input = "250-a\r\n" + line_of(1001, false);
    const Transcript t = whole(input);
    CHECK(t.failure == Violation::line_too_long);
    CHECK(t.consumed == 7 + 1001);
  }
}

TEST_CASE("the line count cap: at the cap passes, one line over fails", "[unit]") {
  const std::string at_cap = repeat("250-x\r\n", 99) + "250 x\r\n";
  const Transcript ok = whole(at_cap);
  REQUIRE(ok.replies.size() == 1);
  CHECK(ok.replies.front().lines.size() == 100);

  // The 100th line announces more: the reply cannot fit, so it fails without waiting for them.
  const std::string over = repeat("250-x\r\n", 100) + "250 x\r\n";
  const Transcript t = whole(over);
  CHECK(t.failure == Violation::too_many_lines);
  CHECK(t.consumed == 700);
  check_split_invariance(over, t);
}

TEST_CASE("the reply size cap: at the cap passes, one octet over fails", "[unit]") {
  const Limits limits;
  REQUIRE(limits.max_reply_octets == 65536);
  // 65 full lines of 1000 octets and a last line of 536 octets: 65536 octets in 66 lines.
  const std::string body = repeat(line_of(1000, false), 65);

  const std::string at_cap = body + line_of(536, true);
  REQUIRE(at_cap.size() == 65536);
  const Transcript ok = whole(at_cap);
  REQUIRE(ok.replies.size() == 1);
  CHECK(ok.replies.front().lines.size() == 66);

  const std::string over = body + line_of(537, true);
  const Transcript t = whole(over);
  CHECK(t.failure == Violation::reply_too_large);
  CHECK(t.consumed == 65537);
  CHECK(random_pieces(over, 7) == t);
}

TEST_CASE("custom limits apply", "[unit]") {
  const Limits limits{.max_line_octets = 10, .max_lines = 2, .max_reply_octets = 16};
  CHECK(whole("250 1234\r\n", limits).replies.size() == 1);
  CHECK(whole("250 12345\r\n", limits).failure == Violation::line_too_long);
  CHECK(whole("250-1\r\n250 2\r\n", limits).replies.size() == 1);
  CHECK(whole("250-1\r\n250-2\r\n", limits).failure == Violation::too_many_lines);
  CHECK(whole("250-12\r\n250 12\r\n", limits).replies.size() == 1);
  const Transcript big = whole("250-12\r\n250 123\r\n", limits);
  CHECK(big.failure == Violation::reply_too_large);
  CHECK(big.consumed == 17);
  CHECK(ReplyParser(limits).limits().max_lines == 2);
}

TEST_CASE("a 300 KB line is rejected after at most a line's worth of octets", "[unit]") {
  const std::string huge = "250 " + std::string(300 * 1024, 'a');
  ReplyParser parser;
  std::size_t consumed = 0;
  FeedStatus status = FeedStatus::need_more;
  for (std::size_t offset = 0; offset < huge.size() && status == FeedStatus::need_more;
       offset += 4096) {
    const Feed fed = parser.feed(std::string_view(huge).substr(offset, 4096));
    consumed += fed.consumed;
    status = fed.status;
  }
  CHECK(status == FeedStatus::failed);
  CHECK(parser.failure() == Violation::line_too_long);
  CHECK(consumed == 1001);
  CHECK(parser.buffered_bytes() == 0);
}

TEST_CASE("an endless multi-line reply is rejected", "[unit]") {
  // The stream a hostile server sends forever; the loop bound only keeps a broken parser finite.
  const auto endless = [](std::string_view line) {
    ReplyParser parser;
    std::size_t consumed = 0;
    for (int sent = 0; sent < 100000; ++sent) {
      const Feed fed = parser.feed(line);
      consumed += fed.consumed;
      if (fed.status != FeedStatus::need_more) {
        break;
      }
    }
    return std::pair{parser.failure(), consumed};
  };

  SECTION("short lines hit the line count cap") {
    const auto [failure, consumed] = endless("250-more\r\n");
    CHECK(failure == Violation::too_many_lines);
    CHECK(consumed == 100 * 10);
  }
  SECTION("long lines hit the reply size cap") {
    const auto [failure, consumed] = endless(line_of(900, false));
    CHECK(failure == Violation::reply_too_large);
    CHECK(consumed == 65537);
  }
}

TEST_CASE("Reply helpers classify and join", "[unit]") {
  const auto check_class = [](int code, int klass) {
    const Reply reply{.code = code, .lines = {"x"}, .violations = {}};
    CHECK(reply.klass() == klass);
    CHECK(reply.is_positive_completion() == (klass == 2));
    CHECK(reply.is_positive_intermediate() == (klass == 3));
    CHECK(reply.is_transient_negative() == (klass == 4));
    CHECK(reply.is_permanent_negative() == (klass == 5));
  };
  check_class(220, 2);
  check_class(354, 3);
  check_class(421, 4);
  check_class(554, 5);

  CHECK(Reply{.code = 250, .lines = {"a", "", "b c"}, .violations = {}}.text() == "a\n\nb c");
  CHECK(Reply{.code = 250, .lines = {""}, .violations = {}}.text().empty());
  CHECK(Reply{}.text().empty());
}

TEST_CASE("every violation has a unique name, a message and a fatality", "[unit]") {
  std::set<std::string_view> names;
  for (int value = static_cast<int>(Violation::not_smtp);
       value <= static_cast<int>(Violation::bare_cr); ++value) {
    const auto violation = static_cast<Violation>(value);
    const std::string_view name = mx::probes::smtp::to_string(violation);
    INFO(name);
    CHECK(name != "unknown");
    CHECK(names.insert(name).second);
    const boost::system::error_code ec = violation;
    CHECK(ec.value() == value);
    CHECK(ec.category() == mx::probes::smtp::reply_category());
    CHECK(ec.message().find("unknown") == std::string::npos);
    CHECK(mx::probes::smtp::is_fatal(violation) ==
          (violation != Violation::bare_lf && violation != Violation::bare_cr));
  }
  CHECK(names.size() == 12);
  CHECK(std::string_view(mx::probes::smtp::reply_category().name()) == "mx.smtp_reply");
}
