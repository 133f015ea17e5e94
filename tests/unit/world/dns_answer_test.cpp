#include "tests/world/dns_answer.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/unit/world/dns_test_client.hpp"

namespace mx::world {
namespace {

using dns_test::Bytes;
using dns_test::make_query;
using dns_test::QueryOptions;
using dns_test::Response;
namespace type = dns_test::type;
namespace rcode = dns_test::rcode;

const std::string root_soa = "ns.world.test hostmaster.world.test 1 3600 600 86400 60";

Response ask(const Zone& zone, const Bytes& query, Transport transport = Transport::udp) {
  const auto reply = answer_query(query, zone, transport);
  REQUIRE(reply);
  const auto response = dns_test::read_response(reply->message);
  REQUIRE(response);
  return *response;
}

Response ask(const Zone& zone, std::string_view name, std::uint16_t qtype,
             const QueryOptions& options = {}, Transport transport = Transport::udp) {
  return ask(zone, make_query(0x1234, name, qtype, options), transport);
}

std::vector<std::string> data_of(const std::vector<dns_test::Rr>& records) {
  std::vector<std::string> out;
  for (const auto& rr : records) {
    out.push_back(rr.data);
  }
  return out;
}

Zone example_zone() {
  Zone zone;
  zone.add_a("mail.example.test", "192.0.2.25");
  zone.add_a("mail.example.test", "192.0.2.26");
  zone.add_aaaa("mail.example.test", "2001:db8::25");
  zone.add_mx("example.test", 10, "mail.example.test.");
  zone.add_mx("example.test", 20, "backup.example.test");
  zone.add_mx("nomail.test", 0, ".");
  zone.add_txt("_mta-sts.example.test", {"v=STSv1; id=1;"});
  zone.add_txt("multi.example.test", {"first", "second"});
  zone.add_txt("multi.example.test", {"other record"});
  zone.add_txt("empty.example.test", {});
  zone.add_txt("long.example.test", {std::string(300, 'x')});
  zone.add_tlsa(
      "_25._tcp.mail.example.test",
      TlsaData{.usage = 3, .selector = 1, .matching_type = 1, .data = {0x01, 0x02, 0xFE}});
  zone.add(Record{.name = "short.example.test",
                  .ttl = 5,
                  .data = boost::asio::ip::make_address_v4("192.0.2.5")});
  return zone;
}

TEST_CASE("answer_query answers A with the header a resolver expects", "[unit]") {
  const auto zone = example_zone();
  const auto r = ask(zone, "mail.example.test", type::a);
  CHECK(r.id == 0x1234);
  CHECK(r.qr);
  CHECK(r.aa);
  CHECK(r.ra);
  CHECK(r.rd);
  CHECK_FALSE(r.tc);
  CHECK_FALSE(r.ad);
  CHECK(r.opcode == 0);
  CHECK(r.rcode == rcode::noerror);
  CHECK(r.question_count == 1);
  CHECK(r.question_name == "mail.example.test");
  CHECK(r.question_type == type::a);
  REQUIRE(r.answers.size() == 2);
  CHECK(r.answers[0].name == "mail.example.test");
  CHECK(r.answers[0].type == type::a);
  CHECK(r.answers[0].klass == 1);
  CHECK(r.answers[0].ttl == 300);
  CHECK(data_of(r.answers) == std::vector<std::string>{"192.0.2.25", "192.0.2.26"});
  CHECK(r.authority.empty());
  CHECK(r.additional.empty());

  const auto no_rd = ask(zone, "mail.example.test", type::a, {.recursion_desired = false});
  CHECK_FALSE(no_rd.rd);
  CHECK(no_rd.ra);
  CHECK(ask(zone, "mail.example.test", type::a, {.checking_disabled = true}).cd);
  CHECK(ask(zone, "short.example.test", type::a).answers.at(0).ttl == 5);
}

TEST_CASE("answer_query answers AAAA, MX, TXT, CNAME and TLSA", "[unit]") {
  const auto zone = example_zone();
  CHECK(data_of(ask(zone, "mail.example.test", type::aaaa).answers) ==
        std::vector<std::string>{"2001:db8::25"});
  CHECK(data_of(ask(zone, "example.test", type::mx).answers) ==
        std::vector<std::string>{"10 mail.example.test", "20 backup.example.test"});
  CHECK(data_of(ask(zone, "nomail.test", type::mx).answers) == std::vector<std::string>{"0 ."});
  CHECK(data_of(ask(zone, "_mta-sts.example.test", type::txt).answers) ==
        std::vector<std::string>{"\"v=STSv1; id=1;\""});
  CHECK(data_of(ask(zone, "multi.example.test", type::txt).answers) ==
        std::vector<std::string>{"\"first\" \"second\"", "\"other record\""});
  CHECK(data_of(ask(zone, "empty.example.test", type::txt).answers) ==
        std::vector<std::string>{"\"\""});
  CHECK(data_of(ask(zone, "_25._tcp.mail.example.test", type::tlsa).answers) ==
        std::vector<std::string>{"3 1 1 0102fe"});

  Zone aliases;
  aliases.add_cname("www.example.test", "mail.example.test");
  const auto cname = ask(aliases, "www.example.test", type::cname);
  CHECK(cname.rcode == rcode::noerror);
  REQUIRE(cname.answers.size() == 1);
  CHECK(cname.answers[0].type == type::cname);
  CHECK(cname.answers[0].data == "mail.example.test");
}

TEST_CASE("answer_query splits a TXT string over 255 bytes into character-strings", "[unit]") {
  const auto r = ask(example_zone(), "long.example.test", type::txt, {.edns_payload = 1232});
  REQUIRE(r.answers.size() == 1);
  CHECK(r.answers[0].data == "\"" + std::string(255, 'x') + "\" \"" + std::string(45, 'x') + "\"");
}

TEST_CASE("answer_query matches names case-insensitively and echoes the name as asked", "[unit]") {
  const auto r = ask(example_zone(), "MaIl.ExAmPlE.TEST", type::a);
  CHECK(r.rcode == rcode::noerror);
  CHECK(r.question_name == "MaIl.ExAmPlE.TEST");
  REQUIRE(r.answers.size() == 2);
  CHECK(r.answers[0].name == "MaIl.ExAmPlE.TEST");
}

TEST_CASE("answer_query tells NXDOMAIN from NODATA, both with the root SOA", "[unit]") {
  const auto zone = example_zone();
  const auto nxdomain = ask(zone, "missing.example.test", type::a);
  CHECK(nxdomain.rcode == rcode::nxdomain);
  CHECK(nxdomain.aa);
  CHECK(nxdomain.answers.empty());
  REQUIRE(nxdomain.authority.size() == 1);
  CHECK(nxdomain.authority[0].name == ".");
  CHECK(nxdomain.authority[0].type == type::soa);
  CHECK(nxdomain.authority[0].ttl == 60);
  CHECK(nxdomain.authority[0].data == root_soa);

  const auto nodata = ask(zone, "mail.example.test", type::mx);
  CHECK(nodata.rcode == rcode::noerror);
  CHECK(nodata.answers.empty());
  REQUIRE(nodata.authority.size() == 1);
  CHECK(nodata.authority[0].data == root_soa);

  // A name that only has records below it does not exist here (exact owner match).
  CHECK(ask(zone, "_tcp.mail.example.test", type::a).rcode == rcode::nxdomain);
  // Types the zone cannot hold: NODATA at an existing name, NXDOMAIN elsewhere.
  CHECK(ask(zone, "example.test", type::caa).rcode == rcode::noerror);
  CHECK(ask(zone, "example.test", type::caa).authority.size() == 1);
  CHECK(ask(zone, "missing.example.test", type::caa).rcode == rcode::nxdomain);
}

TEST_CASE("answer_query serves the root apex: its SOA, and NODATA for other types", "[unit]") {
  const auto zone = example_zone();
  const auto soa = ask(zone, ".", type::soa);
  CHECK(soa.rcode == rcode::noerror);
  REQUIRE(soa.answers.size() == 1);
  CHECK(soa.answers[0].data == root_soa);
  const auto a = ask(zone, ".", type::a);
  CHECK(a.rcode == rcode::noerror);
  CHECK(a.answers.empty());
  CHECK(a.authority.size() == 1);
  CHECK(ask(zone, "example.test", type::soa).answers.empty());
}

TEST_CASE("answer_query follows CNAME chains inside the zone", "[unit]") {
  Zone zone;
  zone.add_cname("www.example.test", "Web.Example.Test.");
  zone.add_cname("web.example.test", "host.example.test");
  zone.add_a("host.example.test", "192.0.2.80");
  zone.add_txt("host.example.test", {"no mx here"});
  zone.add_cname("dangling.example.test", "gone.example.test");

  const auto chain = ask(zone, "WWW.example.test", type::a);
  CHECK(chain.rcode == rcode::noerror);
  REQUIRE(chain.answers.size() == 3);
  CHECK(chain.answers[0].name == "WWW.example.test");
  CHECK(chain.answers[0].type == type::cname);
  CHECK(chain.answers[0].data == "Web.Example.Test");
  CHECK(chain.answers[1].name == "Web.Example.Test");  // owners as the zone spells the target
  CHECK(chain.answers[1].data == "host.example.test");
  CHECK(chain.answers[2].name == "host.example.test");
  CHECK(chain.answers[2].type == type::a);
  CHECK(chain.answers[2].data == "192.0.2.80");
  CHECK(chain.authority.empty());

  const auto nodata = ask(zone, "www.example.test", type::mx);
  CHECK(nodata.rcode == rcode::noerror);
  CHECK(nodata.answers.size() == 2);
  REQUIRE(nodata.authority.size() == 1);
  CHECK(nodata.authority[0].type == type::soa);

  const auto nxdomain = ask(zone, "dangling.example.test", type::a);
  CHECK(nxdomain.rcode == rcode::nxdomain);
  REQUIRE(nxdomain.answers.size() == 1);
  CHECK(nxdomain.answers[0].data == "gone.example.test");
  CHECK(nxdomain.authority.size() == 1);
}

TEST_CASE("answer_query stops CNAME loops and overlong chains", "[unit]") {
  Zone zone;
  zone.add_cname("a.loop.test", "b.loop.test");
  zone.add_cname("b.loop.test", "A.LOOP.TEST");
  zone.add_cname("self.loop.test", "self.loop.test");
  for (int i = 0; i < 20; ++i) {
    zone.add_cname(fmt::format("c{}.chain.test", i), fmt::format("c{}.chain.test", i + 1));
  }
  zone.add_a("c20.chain.test", "192.0.2.20");

  const auto loop = ask(zone, "a.loop.test", type::a);
  CHECK(loop.rcode == rcode::noerror);
  CHECK(data_of(loop.answers) == std::vector<std::string>{"b.loop.test", "A.LOOP.TEST"});
  CHECK(loop.authority.empty());
  CHECK(ask(zone, "self.loop.test", type::a).answers.size() == 1);

  const auto chain = ask(zone, "c0.chain.test", type::a, {}, Transport::tcp);
  CHECK(chain.rcode == rcode::noerror);
  CHECK_FALSE(chain.tc);
  REQUIRE(chain.answers.size() == 16);
  CHECK(chain.answers.back().data == "c16.chain.test");
  CHECK(ask(zone, "c5.chain.test", type::a, {}, Transport::tcp).answers.back().data ==
        "192.0.2.20");
}

TEST_CASE("answer_query applies servfail, refused, silent, delay and AD per name", "[unit]") {
  auto zone = example_zone();
  zone.set_behaviour("mail.example.test", Behaviour{.reply = Behaviour::Reply::servfail});
  zone.set_behaviour("example.test", Behaviour{.reply = Behaviour::Reply::refused});
  zone.set_behaviour("quiet.example.test", Behaviour{.reply = Behaviour::Reply::silent});
  zone.set_behaviour("_mta-sts.example.test",
                     Behaviour{.authenticated = true, .delay = std::chrono::milliseconds(70)});

  const auto servfail = ask(zone, "MAIL.example.test", type::a);
  CHECK(servfail.rcode == rcode::servfail);
  CHECK(servfail.answers.empty());
  CHECK(servfail.authority.empty());
  CHECK_FALSE(servfail.aa);
  CHECK(servfail.question_name == "MAIL.example.test");
  const auto refused = ask(zone, "example.test", type::mx);
  CHECK(refused.rcode == rcode::refused);
  CHECK(refused.answers.empty());

  CHECK_FALSE(answer_query(make_query(1, "quiet.example.test", type::a), zone, Transport::udp));
  CHECK_FALSE(answer_query(make_query(1, "quiet.example.test", type::a), zone, Transport::tcp));

  const auto slow =
      answer_query(make_query(1, "_mta-sts.example.test", type::txt), zone, Transport::udp);
  REQUIRE(slow);
  CHECK(slow->delay == std::chrono::milliseconds(70));
  const auto authenticated = dns_test::read_response(slow->message);
  REQUIRE(authenticated);
  CHECK(authenticated->ad);
  CHECK(authenticated->answers.size() == 1);
  const auto plain =
      answer_query(make_query(1, "multi.example.test", type::txt), zone, Transport::udp);
  REQUIRE(plain);
  CHECK(plain->delay.count() == 0);
  CHECK_FALSE(dns_test::read_response(plain->message)->ad);

  // The question name's behaviour decides, not that of a CNAME target.
  zone.add_cname("alias.example.test", "mail.example.test");
  const auto alias = ask(zone, "alias.example.test", type::a);
  CHECK(alias.rcode == rcode::noerror);
  CHECK(alias.answers.size() == 3);
}

TEST_CASE("answer_query's default behaviour covers every name without its own", "[unit]") {
  auto zone = example_zone();
  zone.set_default_behaviour(Behaviour{.reply = Behaviour::Reply::servfail});
  zone.set_behaviour("mail.example.test", Behaviour{});
  CHECK(ask(zone, "missing.example.test", type::a).rcode == rcode::servfail);
  CHECK(ask(zone, "example.test", type::mx).rcode == rcode::servfail);
  CHECK(ask(zone, "mail.example.test", type::a).answers.size() == 2);
}

TEST_CASE("answer_query truncates over UDP for truncate_udp names but not over TCP", "[unit]") {
  auto zone = example_zone();
  zone.set_behaviour("example.test", Behaviour{.truncate_udp = true});
  const auto udp = ask(zone, "example.test", type::mx, {.edns_payload = 1232});
  CHECK(udp.tc);
  CHECK(udp.rcode == rcode::noerror);
  CHECK(udp.question_name == "example.test");
  CHECK(udp.answers.empty());
  CHECK(udp.authority.empty());
  REQUIRE(udp.additional.size() == 1);
  CHECK(udp.additional[0].type == type::opt);

  const auto tcp = ask(zone, "example.test", type::mx, {}, Transport::tcp);
  CHECK_FALSE(tcp.tc);
  CHECK(tcp.answers.size() == 2);
}

TEST_CASE("answer_query truncates replies too big for 512 bytes or the EDNS payload", "[unit]") {
  Zone zone;
  for (int i = 0; i < 8; ++i) {
    zone.add_txt("big.test", {fmt::format("{:0>100}", i)});
  }
  const auto classic = ask(zone, "big.test", type::txt);
  CHECK(classic.tc);
  CHECK(classic.answers.empty());
  CHECK(classic.additional.empty());

  const auto edns = ask(zone, "big.test", type::txt, {.edns_payload = 4096, .dnssec_ok = true});
  CHECK_FALSE(edns.tc);
  CHECK(edns.answers.size() == 8);
  CHECK(edns.size > 512);
  REQUIRE(edns.additional.size() == 1);
  CHECK(edns.additional[0].name == ".");
  CHECK(edns.additional[0].type == type::opt);
  CHECK(edns.additional[0].klass == server_udp_payload);
  CHECK(edns.additional[0].ttl == 0x8000);  // DO echoed (RFC 3225)

  // A payload below 512 counts as 512 (RFC 6891 §6.2.5).
  const auto small = ask(zone, "big.test", type::txt, {.edns_payload = 100});
  CHECK(small.tc);
  REQUIRE(small.additional.size() == 1);
  CHECK(small.additional[0].ttl == 0);

  CHECK_FALSE(ask(zone, "big.test", type::txt, {}, Transport::tcp).tc);
}

TEST_CASE("answer_query truncates even over TCP past 65535 bytes", "[unit]") {
  Zone zone;
  for (int i = 0; i < 300; ++i) {
    zone.add_txt("huge.test", {std::string(250, 'h') + fmt::format("{:05}", i)});
  }
  const auto r = ask(zone, "huge.test", type::txt, {}, Transport::tcp);
  CHECK(r.tc);
  CHECK(r.answers.empty());
}

TEST_CASE("answer_query drops what is not a query and rejects malformed ones", "[unit]") {
  const auto zone = example_zone();
  const auto good = make_query(0xBEEF, "mail.example.test", type::a);

  CHECK_FALSE(answer_query(Bytes(good.begin(), good.begin() + 11), zone, Transport::udp));
  auto response = good;
  response[2] |= 0x80;  // QR: a response, never answered
  CHECK_FALSE(answer_query(response, zone, Transport::udp));

  const auto formerr = [&](Bytes query) {
    const auto r = ask(zone, query);
    CHECK(r.rcode == rcode::formerr);
    CHECK(r.id == 0xBEEF);
    CHECK(r.qr);
    CHECK(r.question_count == 0);
    CHECK(r.answers.empty());
    CHECK(r.additional.empty());
  };
  auto no_question = good;
  no_question[5] = 0;
  formerr(Bytes(no_question.begin(), no_question.begin() + 12));
  auto two_questions = good;
  two_questions[5] = 2;
  formerr(two_questions);
  formerr(Bytes(good.begin(), good.end() - 3));  // the question runs past the end
  auto trailing = good;
  trailing.push_back(0);
  formerr(trailing);
  auto bad_label = good;
  bad_label[12] = 0x80;  // a reserved label type
  formerr(bad_label);

  auto two_opts = make_query(0xBEEF, "mail.example.test", type::a, {.edns_payload = 1232});
  const Bytes opt(two_opts.end() - 11, two_opts.end());
  two_opts.insert(two_opts.end(), opt.begin(), opt.end());
  two_opts[11] = 2;
  formerr(two_opts);

  auto named_opt = make_query(0xBEEF, "mail.example.test", type::a);
  named_opt[11] = 1;
  const Bytes owned_opt{0xC0, 0x0C, 0x00, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0, 0};
  named_opt.insert(named_opt.end(), owned_opt.begin(), owned_opt.end());
  formerr(named_opt);
}

TEST_CASE("answer_query skips other additional records, compressed names included", "[unit]") {
  auto query = make_query(7, "mail.example.test", type::a);
  query[11] = 1;
  // An A record owned by a pointer back to the question name.
  const Bytes extra{0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
  query.insert(query.end(), extra.begin(), extra.end());
  const auto r = ask(example_zone(), query);
  CHECK(r.rcode == rcode::noerror);
  CHECK(r.answers.size() == 2);
  CHECK(r.additional.empty());
}

TEST_CASE("answer_query refuses other classes and does not implement other opcodes", "[unit]") {
  const auto zone = example_zone();
  const auto chaos = ask(zone, "version.bind", type::txt, {.klass = 3});
  CHECK(chaos.rcode == rcode::refused);
  CHECK(chaos.question_name == "version.bind");
  const auto status = ask(zone, "mail.example.test", type::a, {.opcode = 2});
  CHECK(status.rcode == rcode::notimp);
  CHECK(status.opcode == 2);
  CHECK(status.answers.empty());
}

}  // namespace
}  // namespace mx::world
