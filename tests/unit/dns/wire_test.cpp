#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scanner/dns/wire.hpp"
#include "tests/unit/dns/message_builder.hpp"

using namespace mx::dns;
using namespace mx::dns::test;

namespace {

constexpr std::uint16_t type_a = 1;
constexpr std::uint16_t type_cname = 5;
constexpr std::uint16_t type_mx = 15;
constexpr std::uint16_t type_txt = 16;
constexpr std::uint16_t type_aaaa = 28;
constexpr std::uint16_t type_tlsa = 52;

Rr cname(std::string owner, std::string_view target) {
  return Rr{std::move(owner), type_cname, name_rdata(target)};
}

}  // namespace

TEST_CASE("Each RCODE maps to its outcome", "[unit]") {
  struct Row {
    std::uint16_t rcode;
    Outcome outcome;
    const char* detail;
  };
  const auto row = GENERATE(values<Row>({
      {0, Outcome::nodata, ""},
      {1, Outcome::error, "FORMERR"},
      {2, Outcome::servfail, ""},
      {3, Outcome::nxdomain, ""},
      {4, Outcome::error, "NOTIMP"},
      {5, Outcome::refused, ""},
      {9, Outcome::error, "NOTAUTH"},
      {15, Outcome::error, "RCODE 15"},
  }));
  CAPTURE(row.rcode);
  const auto bytes =
      message("example.test", type_mx, answer_flags | row.rcode, {}, {soa("example.test")});
  const auto response = parse_response(bytes, "example.test", RrType::mx);
  CHECK(response.meta.outcome == row.outcome);
  CHECK(response.meta.detail == row.detail);
  CHECK(response.rcode == row.rcode);
  CHECK(response.records.empty());
}

TEST_CASE("An extended RCODE in the OPT record is not NOERROR", "[unit]") {
  // BADVERS is 16: header RCODE 0, OPT extended RCODE 1.
  const auto bytes = message("example.test", type_mx, answer_flags, {}, {}, {opt(1)});
  const auto response = parse_response(bytes, "example.test", RrType::mx);
  CHECK(response.rcode == 16);
  CHECK(response.meta.outcome == Outcome::error);
  CHECK(response.meta.detail == "BADVERS");
}

TEST_CASE("NOERROR with MX records is data, sorted, lower case, without trailing dot", "[unit]") {
  const auto bytes = message("Example.TEST", type_mx, answer_flags,
                             {{"example.test", type_mx, mx_rdata(20, "MX2.Example.Test")},
                              {"EXAMPLE.test", type_mx, mx_rdata(10, "mx1.example.test")},
                              {"example.test", type_mx, mx_rdata(10, "a.example.test")}},
                             {}, {opt(0)});
  const auto answer = parse_mx_answer(bytes, "example.test.");
  REQUIRE(answer.meta.outcome == Outcome::data);
  CHECK(answer.meta.canonical_name == "example.test");
  CHECK(answer.meta.cname_chain.empty());
  CHECK_FALSE(answer.meta.authenticated);
  CHECK(answer.records == std::vector<MxRecord>{{10, "a.example.test"},
                                                {10, "mx1.example.test"},
                                                {20, "mx2.example.test"}});
  CHECK_FALSE(answer.null_mx());
  CHECK_FALSE(answer.null_mx_mixed());
}

TEST_CASE("NOERROR without records of the asked type is nodata", "[unit]") {
  const auto bytes = message("example.test", type_aaaa, answer_flags,
                             {{"example.test", type_a, address_rdata("192.0.2.1")},
                              {"other.test", type_aaaa, address_rdata("2001:db8::1")}},
                             {soa("example.test")});
  const auto answer = parse_address_answer(bytes, "example.test", RrType::aaaa);
  CHECK(answer.meta.outcome == Outcome::nodata);
  CHECK(answer.addresses.empty());
}

TEST_CASE("Records of another class or another owner do not count", "[unit]") {
  const auto bytes = message("example.test", type_a, answer_flags,
                             {{"example.test", type_a, address_rdata("192.0.2.1"), 3},
                              {"www.example.test", type_a, address_rdata("192.0.2.2")},
                              {"example.test", type_a, address_rdata("192.0.2.3")}});
  const auto answer = parse_address_answer(bytes, "example.test", RrType::a);
  REQUIRE(answer.meta.outcome == Outcome::data);
  REQUIRE(answer.addresses.size() == 1);
  CHECK(answer.addresses[0].to_string() == "192.0.2.3");
}

TEST_CASE("The AD bit is reported", "[unit]") {
  const auto with_ad = message("example.test", type_a, answer_flags | ad,
                               {{"example.test", type_a, address_rdata("192.0.2.1")}});
  const auto without_ad = message("example.test", type_a, answer_flags,
                                  {{"example.test", type_a, address_rdata("192.0.2.1")}});
  CHECK(parse_response(with_ad, "example.test", RrType::a).meta.authenticated);
  CHECK_FALSE(parse_response(without_ad, "example.test", RrType::a).meta.authenticated);
}

TEST_CASE("A truncated answer is an error, never a missing record", "[unit]") {
  const auto bytes = message("example.test", type_mx, answer_flags | tc, {});
  const auto response = parse_response(bytes, "example.test", RrType::mx);
  CHECK(response.truncated);
  CHECK(response.meta.outcome == Outcome::error);
  CHECK(response.meta.detail == "truncated answer (TC=1)");
}

TEST_CASE("A query or another opcode is not an answer", "[unit]") {
  const auto query = message("example.test", type_mx, rd, {});
  CHECK(parse_response(query, "example.test", RrType::mx).meta.detail == "not a response (QR=0)");
  const auto notify = message("example.test", type_mx, answer_flags | (4 << 11), {});
  CHECK(parse_response(notify, "example.test", RrType::mx).meta.detail == "opcode 4 in the answer");
}

TEST_CASE("The question must be the one asked", "[unit]") {
  const auto bytes = message("example.test", type_mx, answer_flags, {});
  CHECK(question_matches(bytes, "example.test", RrType::mx));
  CHECK(question_matches(bytes, "EXAMPLE.test.", RrType::mx));
  CHECK_FALSE(question_matches(bytes, "example.test", RrType::txt));
  CHECK_FALSE(question_matches(bytes, "other.test", RrType::mx));
  CHECK_FALSE(question_matches(bytes, "www.example.test", RrType::mx));
  CHECK(parse_response(bytes, "other.test", RrType::mx).meta.detail ==
        "the answer is for another question");

  auto chaos = bytes;
  chaos[chaos.size() - 1] = 3;  // QCLASS CH
  CHECK_FALSE(question_matches(chaos, "example.test", RrType::mx));

  auto none = header(answer_flags, 0, 0, 0, 0);
  CHECK(parse_response(none, "example.test", RrType::mx).meta.detail ==
        "0 questions in the answer");
  auto two = bytes;
  two[5] = 2;
  CHECK(parse_response(two, "example.test", RrType::mx).meta.outcome == Outcome::error);
}

TEST_CASE("Question and owner names match in any case (0x20)", "[unit]") {
  const auto bytes = message("eXaMpLe.TeSt", type_a, answer_flags,
                             {{"ExAmPlE.tEsT", type_a, address_rdata("192.0.2.1")}});
  const auto answer = parse_address_answer(bytes, "example.test", RrType::a);
  CHECK(answer.meta.outcome == Outcome::data);
  CHECK(answer.meta.canonical_name == "example.test");
}

TEST_CASE("Compression pointers are followed in owners and RDATA", "[unit]") {
  // Question "example.test" at offset 12; the owner is a pointer to it, and the MX target is
  // "mx" followed by a pointer to the question name.
  Bytes bytes = header(answer_flags, 1, 1, 0, 0);
  put_name(bytes, "example.test");
  put_u16(bytes, type_mx);
  put_u16(bytes, 1);
  put_u16(bytes, 0xC00C);
  put_u16(bytes, type_mx);
  put_u16(bytes, 1);
  put_u32(bytes, 300);
  put_u16(bytes, 2 + 3 + 2);
  put_u16(bytes, 5);
  bytes.insert(bytes.end(), {2, 'm', 'x'});
  put_u16(bytes, 0xC00C);
  const auto answer = parse_mx_answer(bytes, "example.test");
  REQUIRE(answer.meta.outcome == Outcome::data);
  CHECK(answer.records == std::vector<MxRecord>{{5, "mx.example.test"}});
}

TEST_CASE("Pointer loops and pointers out of the message are malformed", "[unit]") {
  const std::size_t owner_at = 12 + 14 + 4;  // after the header and the question
  SECTION("an owner pointing at itself") {
    Bytes bytes = header(answer_flags, 1, 1, 0, 0);
    put_name(bytes, "example.test");
    put_u16(bytes, type_a);
    put_u16(bytes, 1);
    REQUIRE(bytes.size() == owner_at);
    put_u16(bytes, static_cast<std::uint16_t>(0xC000 | owner_at));
    put_u16(bytes, type_a);
    put_u16(bytes, 1);
    put_u32(bytes, 300);
    put_u16(bytes, 4);
    bytes.insert(bytes.end(), {192, 0, 2, 1});
    const auto response = parse_response(bytes, "example.test", RrType::a);
    CHECK(response.meta.outcome == Outcome::error);
    CHECK(response.meta.detail == "malformed answer section");
  }
  SECTION("two labels pointing at each other in an MX target") {
    Bytes bytes = header(answer_flags, 1, 1, 0, 0);
    put_name(bytes, "example.test");
    put_u16(bytes, type_mx);
    put_u16(bytes, 1);
    put_u16(bytes, 0xC00C);
    put_u16(bytes, type_mx);
    put_u16(bytes, 1);
    put_u32(bytes, 300);
    const std::size_t target_at = bytes.size() + 2 + 2;
    put_u16(bytes, 2 + 2 + 2 + 2 + 2);
    put_u16(bytes, 10);
    // "a" -> pointer to "b" -> pointer back to "a"
    bytes.insert(bytes.end(), {1, 'a'});
    put_u16(bytes, static_cast<std::uint16_t>(0xC000 | (target_at + 4)));
    bytes.insert(bytes.end(), {1, 'b'});
    put_u16(bytes, static_cast<std::uint16_t>(0xC000 | target_at));
    const auto answer = parse_mx_answer(bytes, "example.test");
    CHECK(answer.meta.outcome == Outcome::error);
    CHECK(answer.meta.detail == "malformed MX RDATA");
    CHECK(answer.records.empty());
  }
  SECTION("a pointer past the end") {
    Bytes bytes = header(answer_flags, 1, 1, 0, 0);
    put_name(bytes, "example.test");
    put_u16(bytes, type_a);
    put_u16(bytes, 1);
    put_u16(bytes, 0xCFFF);
    put_u16(bytes, type_a);
    put_u16(bytes, 1);
    put_u32(bytes, 300);
    put_u16(bytes, 4);
    bytes.insert(bytes.end(), {192, 0, 2, 1});
    CHECK(parse_response(bytes, "example.test", RrType::a).meta.outcome == Outcome::error);
  }
}

TEST_CASE("Every cut of a valid answer is an error, never a crash", "[unit]") {
  const auto full = message("example.test", type_mx, answer_flags,
                            {cname("example.test", "mail.example.test"),
                             {"mail.example.test", type_mx, mx_rdata(10, "mx.example.test")}},
                            {soa("example.test")}, {opt(0)});
  REQUIRE(parse_mx_answer(full, "example.test").meta.outcome == Outcome::data);
  for (std::size_t size = 0; size < full.size(); ++size) {
    CAPTURE(size);
    const std::span<const std::uint8_t> cut(full.data(), size);
    CHECK(parse_mx_answer(cut, "example.test").meta.outcome == Outcome::error);
  }
}

TEST_CASE("Messages shorter than a header or longer than 65535 octets are malformed", "[unit]") {
  const Bytes short_message(11, 0);
  CHECK(parse_response(short_message, "example.test", RrType::a).meta.detail ==
        "message shorter than a DNS header");
  auto long_message = message("example.test", type_a, answer_flags, {});
  long_message.resize(65536, 0);
  CHECK(parse_response(long_message, "example.test", RrType::a).meta.detail ==
        "message longer than 65535 octets");
}

TEST_CASE("A CNAME chain is followed to the canonical name", "[unit]") {
  const auto bytes = message("www.example.test", type_a, answer_flags,
                             {cname("www.example.test", "Edge.CDN.test"),
                              cname("edge.cdn.test", "node.cdn.test"),
                              {"node.cdn.test", type_a, address_rdata("192.0.2.7")},
                              {"www.example.test", type_a, address_rdata("192.0.2.99")}});
  const auto answer = parse_address_answer(bytes, "www.example.test", RrType::a);
  REQUIRE(answer.meta.outcome == Outcome::data);
  CHECK(answer.meta.canonical_name == "node.cdn.test");
  CHECK(answer.meta.cname_chain == std::vector<std::string>{"edge.cdn.test", "node.cdn.test"});
  REQUIRE(answer.addresses.size() == 1);
  CHECK(answer.addresses[0].to_string() == "192.0.2.7");
}

TEST_CASE("A CNAME-only answer is nodata at the canonical name", "[unit]") {
  const auto bytes = message("example.test", type_mx, answer_flags,
                             {cname("example.test", "alias.example.test")}, {soa("example.test")});
  const auto answer = parse_mx_answer(bytes, "example.test");
  CHECK(answer.meta.outcome == Outcome::nodata);
  CHECK(answer.meta.canonical_name == "alias.example.test");
  CHECK(answer.meta.cname_chain == std::vector<std::string>{"alias.example.test"});
  CHECK(answer.records.empty());
}

TEST_CASE("NXDOMAIN behind a CNAME is about the end of the chain", "[unit]") {
  const auto bytes = message("example.test", type_a, answer_flags | 3,
                             {cname("example.test", "gone.example.test")}, {soa("example.test")});
  const auto answer = parse_address_answer(bytes, "example.test", RrType::a);
  CHECK(answer.meta.outcome == Outcome::nxdomain);
  CHECK(answer.meta.canonical_name == "gone.example.test");
}

TEST_CASE("CNAME loops and overlong chains are errors", "[unit]") {
  SECTION("a loop") {
    const auto bytes =
        message("a.test", type_a, answer_flags,
                {cname("a.test", "b.test"), cname("b.test", "c.test"), cname("c.test", "B.test")});
    const auto response = parse_response(bytes, "a.test", RrType::a);
    CHECK(response.meta.outcome == Outcome::error);
    CHECK(response.meta.detail == "CNAME loop at b.test");
  }
  SECTION("a name aliased to itself") {
    const auto bytes = message("a.test", type_a, answer_flags, {cname("a.test", "a.test")});
    CHECK(parse_response(bytes, "a.test", RrType::a).meta.detail == "CNAME loop at a.test");
  }
  SECTION("a chain one longer than the limit") {
    std::vector<Rr> chain;
    for (std::size_t i = 0; i <= max_cname_chain; ++i) {
      chain.push_back(
          cname("n" + std::to_string(i) + ".test", "n" + std::to_string(i + 1) + ".test"));
    }
    const auto bytes = message("n0.test", type_a, answer_flags, chain);
    CHECK(parse_response(bytes, "n0.test", RrType::a).meta.detail == "CNAME chain longer than 16");
  }
  SECTION("a chain exactly at the limit is followed") {
    std::vector<Rr> chain;
    for (std::size_t i = 0; i < max_cname_chain; ++i) {
      chain.push_back(
          cname("n" + std::to_string(i) + ".test", "n" + std::to_string(i + 1) + ".test"));
    }
    chain.push_back(Rr{"n16.test", type_a, address_rdata("192.0.2.16")});
    const auto bytes = message("n0.test", type_a, answer_flags, chain);
    const auto answer = parse_address_answer(bytes, "n0.test", RrType::a);
    CHECK(answer.meta.outcome == Outcome::data);
    CHECK(answer.meta.canonical_name == "n16.test");
  }
}

TEST_CASE("TXT records are kept apart and their strings joined", "[unit]") {
  const auto bytes = message("_mta-sts.example.test", type_txt, answer_flags,
                             {{"_mta-sts.example.test", type_txt, txt_rdata({"v=STSv1; ", "id=1"})},
                              {"_mta-sts.example.test", type_txt, txt_rdata({"other"})},
                              {"_mta-sts.example.test", type_txt, txt_rdata({})}});
  const auto answer = parse_txt_answer(bytes, "_mta-sts.example.test");
  REQUIRE(answer.meta.outcome == Outcome::data);
  CHECK(answer.records == std::vector<std::string>{"v=STSv1; id=1", "other", ""});
}

TEST_CASE("A TXT string running past its RDATA is malformed", "[unit]") {
  Bytes rdata = txt_rdata({"abc"});
  rdata[0] = 4;
  const auto bytes =
      message("example.test", type_txt, answer_flags,
              {{"example.test", type_txt, rdata}, {"example.test", type_txt, txt_rdata({"next"})}});
  const auto answer = parse_txt_answer(bytes, "example.test");
  CHECK(answer.meta.outcome == Outcome::error);
  CHECK(answer.meta.detail == "malformed TXT RDATA");
  CHECK(answer.records.empty());
}

TEST_CASE("TLSA records are extracted and RDATA under 3 octets is malformed", "[unit]") {
  const auto bytes = message(
      "_25._tcp.mx.example.test", type_tlsa, answer_flags,
      {{"_25._tcp.mx.example.test", type_tlsa, tlsa_rdata(3, 1, 1, {0xde, 0xad, 0xbe, 0xef})},
       {"_25._tcp.mx.example.test", type_tlsa, tlsa_rdata(2, 0, 0, {})}});
  const auto answer = parse_tlsa_answer(bytes, "_25._tcp.mx.example.test");
  REQUIRE(answer.meta.outcome == Outcome::data);
  CHECK(answer.records ==
        std::vector<TlsaRecord>{{3, 1, 1, {0xde, 0xad, 0xbe, 0xef}}, {2, 0, 0, {}}});

  const auto short_rdata = message("_25._tcp.mx.example.test", type_tlsa, answer_flags,
                                   {{"_25._tcp.mx.example.test", type_tlsa, Bytes{3, 1}}});
  const auto bad = parse_tlsa_answer(short_rdata, "_25._tcp.mx.example.test");
  CHECK(bad.meta.outcome == Outcome::error);
  CHECK(bad.meta.detail == "malformed TLSA RDATA");
}

TEST_CASE("A null MX has the root as target, reported as an empty host", "[unit]") {
  const auto null_mx =
      message("example.test", type_mx, answer_flags, {{"example.test", type_mx, mx_rdata(0, "")}});
  const auto answer = parse_mx_answer(null_mx, "example.test");
  REQUIRE(answer.meta.outcome == Outcome::data);
  CHECK(answer.records == std::vector<MxRecord>{{0, ""}});
  CHECK(answer.null_mx());
  CHECK_FALSE(answer.null_mx_mixed());

  const auto mixed = message("example.test", type_mx, answer_flags,
                             {{"example.test", type_mx, mx_rdata(0, "")},
                              {"example.test", type_mx, mx_rdata(10, "mx.example.test")}});
  const auto mixed_answer = parse_mx_answer(mixed, "example.test");
  CHECK_FALSE(mixed_answer.null_mx());
  CHECK(mixed_answer.null_mx_mixed());
}

TEST_CASE("An MX target that looks like an address stays a host name", "[unit]") {
  const auto bytes = message("example.test", type_mx, answer_flags,
                             {{"example.test", type_mx, mx_rdata(10, "192.0.2.1")}});
  const auto answer = parse_mx_answer(bytes, "example.test");
  REQUIRE(answer.meta.outcome == Outcome::data);
  CHECK(answer.records == std::vector<MxRecord>{{10, "192.0.2.1"}});
}

TEST_CASE("MX RDATA whose name does not end at its RDATA end is malformed", "[unit]") {
  Bytes rdata = mx_rdata(10, "mx.example.test");
  rdata.push_back(0);  // one octet of trailing garbage
  const auto bytes =
      message("example.test", type_mx, answer_flags, {{"example.test", type_mx, rdata}});
  CHECK(parse_mx_answer(bytes, "example.test").meta.detail == "malformed MX RDATA");
  const auto tiny =
      message("example.test", type_mx, answer_flags, {{"example.test", type_mx, Bytes{0, 10}}});
  CHECK(parse_mx_answer(tiny, "example.test").meta.detail == "malformed MX RDATA");
}

TEST_CASE("A and AAAA RDATA must have their exact sizes", "[unit]") {
  const auto v6 = message("example.test", type_aaaa, answer_flags,
                          {{"example.test", type_aaaa, address_rdata("2001:db8::25")}});
  const auto answer = parse_address_answer(v6, "example.test", RrType::aaaa);
  REQUIRE(answer.meta.outcome == Outcome::data);
  REQUIRE(answer.addresses.size() == 1);
  CHECK(answer.addresses[0].to_string() == "2001:db8::25");

  const auto five = message("example.test", type_a, answer_flags,
                            {{"example.test", type_a, Bytes{192, 0, 2, 1, 0}}});
  const auto bad = parse_address_answer(five, "example.test", RrType::a);
  CHECK(bad.meta.outcome == Outcome::error);
  CHECK(bad.meta.detail == "malformed A RDATA");
  CHECK(bad.addresses.empty());

  const auto four_as_v6 = message("example.test", type_aaaa, answer_flags,
                                  {{"example.test", type_aaaa, address_rdata("192.0.2.1")}});
  CHECK(parse_address_answer(four_as_v6, "example.test", RrType::aaaa).meta.detail ==
        "malformed AAAA RDATA");
}

TEST_CASE("Malformed authority and additional sections are errors", "[unit]") {
  auto bytes = message("example.test", type_mx, answer_flags, {}, {soa("example.test")});
  bytes[9] = 2;  // NSCOUNT 2, one present
  CHECK(parse_response(bytes, "example.test", RrType::mx).meta.detail ==
        "malformed authority section");
  auto additional = message("example.test", type_mx, answer_flags, {}, {}, {opt(0)});
  additional.back() = 1;  // RDLENGTH 1 with no RDATA
  CHECK(parse_response(additional, "example.test", RrType::mx).meta.detail ==
        "malformed additional section");
}

TEST_CASE("fold_name lower-cases and drops one trailing dot", "[unit]") {
  CHECK(fold_name("MX.Example.TEST.") == "mx.example.test");
  CHECK(fold_name("mx.example.test") == "mx.example.test");
  CHECK(fold_name(".") == "");
  CHECK(fold_name("") == "");
}
