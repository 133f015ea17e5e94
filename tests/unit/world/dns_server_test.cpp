#include "tests/world/dns_server.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "tests/unit/world/dns_test_client.hpp"

namespace mx::world {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using dns_test::Bytes;
using dns_test::make_query;
using dns_test::Received;
using dns_test::Response;
using dns_test::run_io;
namespace type = dns_test::type;
namespace rcode = dns_test::rcode;

constexpr auto patience = 2000ms;  // for answers that must come; tests stop as soon as they do
constexpr auto silence = 200ms;    // for answers that must not come

asio::ip::address loopback4() {
  return asio::ip::make_address("127.0.0.1");
}

asio::ip::tcp::endpoint tcp_endpoint(const DnsServer& server) {
  return {server.endpoint().address(), server.endpoint().port()};
}

Response parse(const Received& received) {
  const auto response = dns_test::read_response(received.message);
  REQUIRE(response);
  return *response;
}

std::map<std::uint16_t, Response> by_id(const std::vector<Received>& received) {
  std::map<std::uint16_t, Response> out;
  for (const auto& r : received) {
    const auto response = parse(r);
    out.emplace(response.id, response);
  }
  return out;
}

std::vector<Received> over_udp(asio::io_context& io, const DnsServer& server,
                               std::vector<Bytes> queries, std::size_t expected,
                               std::chrono::milliseconds wait = patience) {
  auto received =
      run_io(io, dns_test::exchange_udp(server.endpoint(), std::move(queries), expected, wait));
  REQUIRE(received);
  return *received;
}

std::vector<Received> over_tcp(asio::io_context& io, const DnsServer& server,
                               std::vector<Bytes> queries, std::size_t expected,
                               std::chrono::milliseconds wait = patience) {
  auto received =
      run_io(io, dns_test::exchange_tcp(tcp_endpoint(server), std::move(queries), expected, wait));
  REQUIRE(received);
  return *received;
}

Response ask_udp(asio::io_context& io, const DnsServer& server, const Bytes& query) {
  const auto received = over_udp(io, server, {query}, 1);
  REQUIRE(received.size() == 1);
  return parse(received[0]);
}

Response ask_tcp(asio::io_context& io, const DnsServer& server, const Bytes& query) {
  const auto received = over_tcp(io, server, {query}, 1);
  REQUIRE(received.size() == 1);
  return parse(received[0]);
}

Zone example_zone() {
  Zone zone;
  zone.add_a("mail.example.test", "192.0.2.25");
  zone.add_aaaa("mail.example.test", "2001:db8::25");
  zone.add_mx("example.test", 10, "mail.example.test");
  zone.add_txt("_mta-sts.example.test", {"v=STSv1; id=20240101;"});
  zone.add_cname("www.example.test", "mail.example.test");
  zone.add_tlsa("_25._tcp.mail.example.test",
                TlsaData{.usage = 3, .selector = 1, .matching_type = 1, .data = {0xAA, 0x55}});
  for (int i = 0; i < 8; ++i) {
    zone.add_txt("big.example.test", {fmt::format("{:0>100}", i)});
  }
  return zone;
}

std::vector<Bytes> one_of_each_type() {
  return {make_query(1, "MAIL.Example.test", type::a),
          make_query(2, "mail.example.test", type::aaaa),
          make_query(3, "example.test", type::mx),
          make_query(4, "_mta-sts.example.test", type::txt),
          make_query(5, "www.example.test", type::a),
          make_query(6, "_25._tcp.mail.example.test", type::tlsa)};
}

void check_one_of_each_type(const std::map<std::uint16_t, Response>& responses) {
  REQUIRE(responses.size() == 6);
  for (const auto& [id, r] : responses) {
    CHECK(r.qr);
    CHECK(r.aa);
    CHECK(r.rd);
    CHECK(r.ra);
    CHECK(r.rcode == rcode::noerror);
  }
  const auto& a = responses.at(1);
  CHECK(a.question_name == "MAIL.Example.test");
  REQUIRE(a.answers.size() == 1);
  CHECK(a.answers[0].name == "MAIL.Example.test");
  CHECK(a.answers[0].data == "192.0.2.25");
  CHECK(responses.at(2).answers.at(0).data == "2001:db8::25");
  CHECK(responses.at(3).answers.at(0).data == "10 mail.example.test");
  CHECK(responses.at(4).answers.at(0).data == "\"v=STSv1; id=20240101;\"");
  const auto& cname = responses.at(5);
  REQUIRE(cname.answers.size() == 2);
  CHECK(cname.answers[0].type == type::cname);
  CHECK(cname.answers[0].data == "mail.example.test");
  CHECK(cname.answers[1].data == "192.0.2.25");
  CHECK(responses.at(6).answers.at(0).data == "3 1 1 aa55");
}

TEST_CASE("DnsServer answers every record type over UDP and TCP, and counts", "[loopback]") {
  asio::io_context io;
  DnsServer server(io, example_zone(), asio::ip::make_address("127.0.0.2"));
  CHECK(server.endpoint().address().to_string() == "127.0.0.2");
  CHECK(server.endpoint().port() != 0);
  CHECK(server.resolver_arg() == fmt::format("127.0.0.2:{}", server.endpoint().port()));

  check_one_of_each_type(by_id(over_udp(io, server, one_of_each_type(), 6)));
  CHECK(server.queries_answered() == 6);
  CHECK(server.tcp_queries_answered() == 0);

  // Pipelined on one connection.
  check_one_of_each_type(by_id(over_tcp(io, server, one_of_each_type(), 6)));
  CHECK(server.queries_answered() == 12);
  CHECK(server.tcp_queries_answered() == 6);
}

TEST_CASE("DnsServer listens on IPv6 ::1", "[loopback]") {
  asio::io_context io;
  DnsServer server(io, example_zone(), asio::ip::make_address("::1"));
  CHECK(server.endpoint().address().is_v6());
  CHECK(server.resolver_arg() == fmt::format("[::1]:{}", server.endpoint().port()));
  CHECK(ask_udp(io, server, make_query(9, "mail.example.test", type::aaaa)).answers.at(0).data ==
        "2001:db8::25");
  CHECK(ask_tcp(io, server, make_query(9, "mail.example.test", type::a)).answers.at(0).data ==
        "192.0.2.25");
  CHECK(server.queries_answered() == 2);
  CHECK(server.tcp_queries_answered() == 1);
}

TEST_CASE("DnsServer sends NXDOMAIN and NODATA with an SOA, and follows CNAMEs", "[loopback]") {
  asio::io_context io;
  auto zone = example_zone();
  zone.add_cname("loop1.example.test", "loop2.example.test");
  zone.add_cname("loop2.example.test", "loop1.example.test");
  zone.add_cname("dangling.example.test", "gone.example.test");
  DnsServer server(io, std::move(zone), loopback4());

  const auto responses = by_id(over_udp(
      io, server,
      {make_query(1, "missing.example.test", type::a), make_query(2, "mail.example.test", type::mx),
       make_query(3, "loop1.example.test", type::a),
       make_query(4, "dangling.example.test", type::a)},
      4));
  REQUIRE(responses.size() == 4);
  const auto& nxdomain = responses.at(1);
  CHECK(nxdomain.rcode == rcode::nxdomain);
  CHECK(nxdomain.answers.empty());
  REQUIRE(nxdomain.authority.size() == 1);
  CHECK(nxdomain.authority[0].type == type::soa);
  const auto& nodata = responses.at(2);
  CHECK(nodata.rcode == rcode::noerror);
  CHECK(nodata.answers.empty());
  REQUIRE(nodata.authority.size() == 1);
  CHECK(nodata.authority[0].type == type::soa);
  const auto& loop = responses.at(3);
  CHECK(loop.rcode == rcode::noerror);
  CHECK(loop.answers.size() == 2);
  const auto& dangling = responses.at(4);
  CHECK(dangling.rcode == rcode::nxdomain);
  CHECK(dangling.answers.size() == 1);
}

TEST_CASE("DnsServer answers SERVFAIL and REFUSED for names that ask for them", "[loopback]") {
  asio::io_context io;
  auto zone = example_zone();
  zone.set_behaviour("mail.example.test", Behaviour{.reply = Behaviour::Reply::servfail});
  zone.set_behaviour("example.test", Behaviour{.reply = Behaviour::Reply::refused});
  DnsServer server(io, std::move(zone), loopback4());

  CHECK(ask_udp(io, server, make_query(1, "mail.example.test", type::a)).rcode == rcode::servfail);
  CHECK(ask_tcp(io, server, make_query(2, "Example.Test", type::mx)).rcode == rcode::refused);
  CHECK(server.queries_answered() == 2);
}

TEST_CASE("DnsServer stays silent for silent names, keeping TCP connections open", "[loopback]") {
  asio::io_context io;
  auto zone = example_zone();
  zone.set_behaviour("mail.example.test", Behaviour{.reply = Behaviour::Reply::silent});
  DnsServer server(io, std::move(zone), loopback4());

  CHECK(over_udp(io, server, {make_query(1, "mail.example.test", type::a)}, 1, silence).empty());
  CHECK(server.queries_answered() == 0);

  // The query after the silent one is answered on the same connection, and nothing else is.
  const auto received = over_tcp(
      io, server,
      {make_query(2, "mail.example.test", type::a), make_query(3, "example.test", type::mx)}, 2,
      silence);
  REQUIRE(received.size() == 1);
  CHECK(parse(received[0]).id == 3);
  CHECK(server.queries_answered() == 1);
  CHECK(server.tcp_queries_answered() == 1);
}

TEST_CASE("DnsServer truncates over UDP, and the same query gets it all over TCP", "[loopback]") {
  asio::io_context io;
  auto zone = example_zone();
  zone.set_behaviour("example.test", Behaviour{.truncate_udp = true});
  DnsServer server(io, std::move(zone), loopback4());

  const auto query = make_query(1, "example.test", type::mx, {.edns_payload = 1232});
  const auto udp = ask_udp(io, server, query);
  CHECK(udp.tc);
  CHECK(udp.answers.empty());
  const auto tcp = ask_tcp(io, server, query);
  CHECK_FALSE(tcp.tc);
  REQUIRE(tcp.answers.size() == 1);
  CHECK(tcp.answers[0].data == "10 mail.example.test");

  // Too big for 512 bytes: truncated, unless EDNS allows more.
  const auto classic = ask_udp(io, server, make_query(2, "big.example.test", type::txt));
  CHECK(classic.tc);
  CHECK(classic.answers.empty());
  const auto edns =
      ask_udp(io, server, make_query(3, "big.example.test", type::txt, {.edns_payload = 1232}));
  CHECK_FALSE(edns.tc);
  CHECK(edns.answers.size() == 8);
  CHECK(ask_tcp(io, server, make_query(4, "big.example.test", type::txt)).answers.size() == 8);
  CHECK(server.queries_answered() == 5);
  CHECK(server.tcp_queries_answered() == 2);
}

TEST_CASE("DnsServer sets AD for authenticated names only", "[loopback]") {
  asio::io_context io;
  auto zone = example_zone();
  zone.set_behaviour("_25._tcp.mail.example.test", Behaviour{.authenticated = true});
  DnsServer server(io, std::move(zone), loopback4());
  const auto responses = by_id(over_udp(io, server,
                                        {make_query(1, "_25._tcp.mail.example.test", type::tlsa),
                                         make_query(2, "mail.example.test", type::a)},
                                        2));
  REQUIRE(responses.size() == 2);
  CHECK(responses.at(1).ad);
  CHECK(responses.at(1).answers.size() == 1);
  CHECK_FALSE(responses.at(2).ad);
}

TEST_CASE("DnsServer delays answers without holding up other queries", "[loopback]") {
  constexpr auto delay = 150ms;
  asio::io_context io;
  auto zone = example_zone();
  zone.set_behaviour("mail.example.test", Behaviour{.delay = delay});
  DnsServer server(io, std::move(zone), loopback4());
  const std::vector<Bytes> queries{make_query(1, "mail.example.test", type::a),
                                   make_query(2, "example.test", type::mx)};

  for (const bool tcp : {false, true}) {
    CAPTURE(tcp);
    const auto received = tcp ? over_tcp(io, server, queries, 2) : over_udp(io, server, queries, 2);
    REQUIRE(received.size() == 2);
    CHECK(parse(received[0]).id == 2);
    CHECK(parse(received[1]).id == 1);
    CHECK(received[1].after >= delay);
    CHECK(received[0].after < delay);
    CHECK(parse(received[1]).answers.at(0).data == "192.0.2.25");
  }
  CHECK(server.queries_answered() == 4);
  CHECK(server.tcp_queries_answered() == 2);
}

TEST_CASE("DnsServer drops unreadable datagrams and answers malformed queries with FORMERR",
          "[loopback]") {
  asio::io_context io;
  DnsServer server(io, example_zone(), loopback4());

  CHECK(over_udp(io, server, {Bytes{1, 2, 3, 4, 5}}, 1, silence).empty());
  auto two_questions = make_query(7, "mail.example.test", type::a);
  two_questions[5] = 2;
  const auto formerr = ask_udp(io, server, two_questions);
  CHECK(formerr.rcode == rcode::formerr);
  CHECK(formerr.id == 7);

  // Over TCP a message too short for a header is skipped and the connection stays usable.
  const auto received =
      over_tcp(io, server, {Bytes{1, 2, 3}, make_query(8, "mail.example.test", type::a)}, 1);
  REQUIRE(received.size() == 1);
  CHECK(parse(received[0]).id == 8);
  CHECK(server.queries_answered() == 2);
}

// Kept apart from the test body so that the swap happens on the io_context's thread while the
// server is serving; `server` outlives the io_context run that drives this coroutine.
asio::awaitable<std::vector<Received>> ask_swap_ask(DnsServer* server, Zone next) {
  const auto endpoint = server->endpoint();
  std::vector<Bytes> first{make_query(1, "mail.example.test", type::a)};
  auto before = co_await dns_test::exchange_udp(endpoint, std::move(first), 1, patience);
  server->set_zone(std::move(next));
  std::vector<Bytes> second{make_query(2, "mail.example.test", type::a)};
  const auto after = co_await dns_test::exchange_udp(endpoint, std::move(second), 1, patience);
  before.insert(before.end(), after.begin(), after.end());
  co_return before;
}

TEST_CASE("DnsServer serves a replaced zone to queries received afterwards", "[loopback]") {
  asio::io_context io;
  DnsServer server(io, example_zone(), loopback4());
  Zone next;
  next.add_a("mail.example.test", "198.51.100.7");
  const auto received = run_io(io, ask_swap_ask(&server, std::move(next)));
  REQUIRE(received);
  REQUIRE(received->size() == 2);
  CHECK(parse((*received)[0]).answers.at(0).data == "192.0.2.25");
  CHECK(parse((*received)[1]).answers.at(0).data == "198.51.100.7");
}

TEST_CASE("DnsServer binds UDP and TCP on a port it is given, and refuses a busy one",
          "[loopback]") {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    const DnsServer first(io, example_zone(), loopback4());
    port = first.endpoint().port();
    CHECK_THROWS_AS(DnsServer(io, example_zone(), loopback4(), port), boost::system::system_error);
  }
  DnsServer server(io, example_zone(), loopback4(), port);
  CHECK(server.endpoint().port() == port);
  CHECK(ask_udp(io, server, make_query(1, "mail.example.test", type::a)).rcode == rcode::noerror);
  CHECK(ask_tcp(io, server, make_query(2, "mail.example.test", type::a)).rcode == rcode::noerror);
}

TEST_CASE("DnsServer refuses addresses that are not loopback", "[unit]") {
  asio::io_context io;
  CHECK_THROWS_AS(DnsServer(io, Zone{}, asio::ip::make_address("192.0.2.1")),
                  std::invalid_argument);
  CHECK_THROWS_AS(DnsServer(io, Zone{}, asio::ip::make_address("::")), std::invalid_argument);
}

TEST_CASE("DnsServer stops answering once stopped", "[loopback]") {
  asio::io_context io;
  DnsServer server(io, example_zone(), loopback4());
  const auto endpoint = server.endpoint();
  server.stop();
  CHECK(server.endpoint() == endpoint);
  CHECK(over_udp(io, server, {make_query(1, "mail.example.test", type::a)}, 1, silence).empty());
  CHECK(over_tcp(io, server, {make_query(2, "mail.example.test", type::a)}, 1, silence).empty());
  CHECK(server.queries_answered() == 0);
}

TEST_CASE("DnsServer can be destroyed with delayed answers and open connections pending",
          "[loopback]") {
  constexpr auto long_delay = 5s;
  asio::io_context io;
  auto zone = example_zone();
  zone.set_behaviour("mail.example.test", Behaviour{.delay = long_delay});
  zone.set_behaviour("www.example.test", Behaviour{.reply = Behaviour::Reply::silent});
  auto server = std::make_unique<DnsServer>(io, std::move(zone), loopback4());

  // The prompt answer that follows each slow or silent query shows that the server has read it.
  CHECK(over_udp(
            io, *server,
            {make_query(1, "mail.example.test", type::a), make_query(2, "example.test", type::mx)},
            1)
            .size() == 1);
  const auto socket = run_io(io, dns_test::connect_tcp(tcp_endpoint(*server)));
  REQUIRE(socket);
  REQUIRE(*socket);
  const auto received =
      run_io(io, dns_test::exchange_on(*socket,
                                       {make_query(3, "mail.example.test", type::a),
                                        make_query(4, "www.example.test", type::a),
                                        make_query(5, "example.test", type::mx)},
                                       1, patience));
  REQUIRE(received);
  REQUIRE(received->size() == 1);
  CHECK(server->queries_answered() == 2);

  server.reset();
  // With its sockets closed and timers cancelled, nothing of the server is left to wait for.
  io.restart();
  const auto start = std::chrono::steady_clock::now();
  io.run_for(long_delay);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("DnsServer can be destroyed before its io_context runs again", "[loopback]") {
  auto io = std::make_unique<asio::io_context>();
  auto zone = example_zone();
  zone.set_behaviour("mail.example.test", Behaviour{.delay = 5s});
  auto server = std::make_unique<DnsServer>(*io, std::move(zone), loopback4());
  CHECK(over_udp(
            *io, *server,
            {make_query(1, "mail.example.test", type::a), make_query(2, "example.test", type::mx)},
            1)
            .size() == 1);
  server.reset();
  io.reset();  // destroys the pending handlers, and with them the server's last references
  SUCCEED("no crash and, under ASan, no leak");
}

}  // namespace
}  // namespace mx::world
