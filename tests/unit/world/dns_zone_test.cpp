#include "tests/world/dns_zone.hpp"

#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

namespace mx::world {
namespace {

TEST_CASE("Zone canonical names are lower case without a trailing dot", "[unit]") {
  CHECK(Zone::canonical("Mail.Example.TEST.") == "mail.example.test");
  CHECK(Zone::canonical("mail.example.test") == "mail.example.test");
  CHECK(Zone::canonical(".").empty());
  CHECK(Zone::canonical("").empty());
}

TEST_CASE("Zone looks names up case-insensitively, with or without a trailing dot", "[unit]") {
  Zone zone;
  zone.add_a("Host.Example.Test.", "192.0.2.1");
  zone.add_a("host.example.test", "192.0.2.2");
  zone.add_aaaa("host.example.test", "2001:db8::1");

  CHECK(zone.name_exists("HOST.example.test"));
  CHECK(zone.name_exists("host.example.test."));
  CHECK_FALSE(zone.name_exists("other.example.test"));
  CHECK_FALSE(zone.name_exists("example.test"));  // an ancestor with no records of its own

  const auto a = zone.records("host.EXAMPLE.test", RrType::a);
  REQUIRE(a.size() == 2);
  CHECK(std::get<boost::asio::ip::address_v4>(a[0].data).to_string() == "192.0.2.1");
  CHECK(a[0].name == "Host.Example.Test.");  // records keep the owner as added
  CHECK(std::get<boost::asio::ip::address_v4>(a[1].data).to_string() == "192.0.2.2");
  CHECK(zone.records("host.example.test", RrType::aaaa).size() == 1);
  CHECK(zone.records("host.example.test", RrType::mx).empty());
  CHECK(zone.records("other.example.test", RrType::a).empty());
}

TEST_CASE("Zone keeps every record type with its data and TTL", "[unit]") {
  Zone zone;
  zone.add_mx("example.test", 10, "mx.example.test");
  zone.add_txt("example.test", {"v=spf1 -all"});
  zone.add_cname("www.example.test", "example.test");
  zone.add_tlsa("_25._tcp.mx.example.test",
                TlsaData{.usage = 3, .selector = 1, .matching_type = 1, .data = {0xAB, 0xCD}});
  zone.add(Record{.name = "ttl.example.test", .ttl = 7, .data = CnameData{.target = "x.test"}});

  const auto mx = zone.records("example.test", RrType::mx);
  REQUIRE(mx.size() == 1);
  CHECK(std::get<MxData>(mx[0].data).preference == 10);
  CHECK(std::get<MxData>(mx[0].data).exchange == "mx.example.test");
  CHECK(mx[0].ttl == 300);
  const auto txt = zone.records("example.test", RrType::txt);
  REQUIRE(txt.size() == 1);
  CHECK(std::get<TxtData>(txt[0].data).strings == std::vector<std::string>{"v=spf1 -all"});
  const auto tlsa = zone.records("_25._tcp.mx.example.test", RrType::tlsa);
  REQUIRE(tlsa.size() == 1);
  CHECK(std::get<TlsaData>(tlsa[0].data).data == std::vector<std::uint8_t>{0xAB, 0xCD});

  CHECK_FALSE(zone.cname("example.test"));
  const auto www = zone.cname("WWW.example.test");
  REQUIRE(www);
  CHECK(std::get<CnameData>(www->data).target == "example.test");
  CHECK(zone.records("www.example.test", RrType::cname).size() == 1);
  CHECK(zone.cname("ttl.example.test")->ttl == 7);
}

TEST_CASE("rr_type names the type each kind of record data is published as", "[unit]") {
  CHECK(rr_type(boost::asio::ip::make_address_v4("192.0.2.1")) == RrType::a);
  CHECK(rr_type(boost::asio::ip::make_address_v6("2001:db8::1")) == RrType::aaaa);
  CHECK(rr_type(MxData{}) == RrType::mx);
  CHECK(rr_type(TxtData{}) == RrType::txt);
  CHECK(rr_type(CnameData{}) == RrType::cname);
  CHECK(rr_type(TlsaData{}) == RrType::tlsa);
}

TEST_CASE("Zone behaviours apply per name, else the default", "[unit]") {
  Zone zone;
  zone.add_a("a.test", "192.0.2.1");
  CHECK(zone.behaviour("a.test").reply == Behaviour::Reply::answer);
  CHECK(zone.behaviour("a.test").delay.count() == 0);

  zone.set_behaviour("Slow.Test.", Behaviour{.delay = std::chrono::milliseconds(50)});
  zone.set_behaviour("broken.test", Behaviour{.reply = Behaviour::Reply::servfail});
  CHECK(zone.behaviour("slow.test").delay == std::chrono::milliseconds(50));
  CHECK(zone.behaviour("BROKEN.test.").reply == Behaviour::Reply::servfail);

  zone.set_default_behaviour(Behaviour{.reply = Behaviour::Reply::refused});
  CHECK(zone.behaviour("a.test").reply == Behaviour::Reply::refused);
  CHECK(zone.behaviour("unknown.test").reply == Behaviour::Reply::refused);
  CHECK(zone.behaviour("broken.test").reply == Behaviour::Reply::servfail);
}

TEST_CASE("Zone rejects names and addresses that cannot be served", "[unit]") {
  Zone zone;
  CHECK_THROWS_AS(zone.add_a("a..test", "192.0.2.1"), std::invalid_argument);
  CHECK_THROWS_AS(zone.add_a(std::string(64, 'x') + ".test", "192.0.2.1"), std::invalid_argument);
  std::string long_name;
  for (int i = 0; i < 5; ++i) {
    long_name += std::string(60, 'x') + ".";
  }
  CHECK_THROWS_AS(zone.add_a(long_name, "192.0.2.1"), std::invalid_argument);
  CHECK_THROWS_AS(zone.add_cname("a.test", "b..test"), std::invalid_argument);
  CHECK_THROWS_AS(zone.add_mx("a.test", 10, ".mx.test"), std::invalid_argument);
  CHECK_THROWS_AS(zone.add_a("a.test", "not-an-address"), std::invalid_argument);
  CHECK_THROWS_AS(zone.add_aaaa("a.test", "192.0.2.1"), std::invalid_argument);
  CHECK_FALSE(zone.name_exists("a.test"));

  // The longest names and labels that fit are fine, and so is a null MX.
  zone.add_a(std::string(63, 'x') + ".test", "192.0.2.1");
  zone.add_mx("null.test", 0, ".");
  zone.add_mx("null2.test", 0, "");
  CHECK(zone.records("null.test", RrType::mx).size() == 1);
}

}  // namespace
}  // namespace mx::world
