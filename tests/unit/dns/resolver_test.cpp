#include "scanner/dns/resolver.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include "tests/world/dns_server.hpp"
#include "tests/world/dns_zone.hpp"

namespace mx::dns {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto patience = 5s;  // a cap for answers that must come; runs stop as soon as they do

asio::ip::address loopback4() {
  return asio::ip::make_address("127.0.0.1");
}

net::ServerAddress server_address(const world::DnsServer& server) {
  return net::ServerAddress{server.endpoint().address(), server.endpoint().port()};
}

ResolverOptions options_for(const world::DnsServer& server,
                            std::chrono::milliseconds timeout = 2000ms) {
  return ResolverOptions{.servers = {server_address(server)}, .timeout = timeout};
}

// Runs `task` on `io` until it completes (or `limit` passes) and returns its value.
template <typename T>
std::optional<T> run_io(asio::io_context& io, asio::awaitable<T> task,
                        std::chrono::milliseconds limit = patience) {
  std::optional<T> result;
  io.restart();
  asio::co_spawn(io, std::move(task), [&](const std::exception_ptr& error, T value) {
    if (!error) {
      result = std::move(value);
    }
    io.stop();
  });
  io.run_for(limit);
  return result;
}

asio::awaitable<MxAnswer> look_up_mx(Resolver& resolver, std::string name) {
  auto answer = co_await resolver.mx(std::move(name));
  co_return answer;
}

asio::awaitable<AddressAnswer> look_up_a(Resolver& resolver, std::string name) {
  auto answer = co_await resolver.a(std::move(name));
  co_return answer;
}

asio::awaitable<AddressAnswer> look_up_aaaa(Resolver& resolver, std::string name) {
  auto answer = co_await resolver.aaaa(std::move(name));
  co_return answer;
}

asio::awaitable<TxtAnswer> look_up_txt(Resolver& resolver, std::string name) {
  auto answer = co_await resolver.txt(std::move(name));
  co_return answer;
}

asio::awaitable<TlsaAnswer> look_up_tlsa(Resolver& resolver, std::string name) {
  auto answer = co_await resolver.tlsa(std::move(name));
  co_return answer;
}

world::Zone base_zone() {
  world::Zone zone;
  zone.add_mx("example.test", 20, "mx2.example.test");
  zone.add_mx("example.test", 10, "mx1.example.test");
  zone.add_a("mx1.example.test", "192.0.2.1");
  zone.add_aaaa("mx1.example.test", "2001:db8::1");
  zone.add_a("www.example.test", "192.0.2.80");
  return zone;
}

std::vector<std::string> texts(const AddressAnswer& answer) {
  std::vector<std::string> out;
  for (const auto& address : answer.addresses) {
    out.push_back(address.to_string());
  }
  return out;
}

}  // namespace

TEST_CASE("Resolver: MX data, sorted by preference", "[loopback]") {
  asio::io_context io;
  world::DnsServer server(io, base_zone(), loopback4());
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_mx(resolver, "Example.Test."));
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::data);
  CHECK(answer->meta.canonical_name == "example.test");
  CHECK(answer->records ==
        std::vector<MxRecord>{{10, "mx1.example.test"}, {20, "mx2.example.test"}});
  CHECK(resolver.in_flight() == 0);
}

TEST_CASE("Resolver: A and AAAA data", "[loopback]") {
  asio::io_context io;
  world::DnsServer server(io, base_zone(), loopback4());
  Resolver resolver(io, options_for(server));
  const auto a = run_io(io, look_up_a(resolver, "mx1.example.test"));
  const auto aaaa = run_io(io, look_up_aaaa(resolver, "mx1.example.test"));
  REQUIRE(a);
  REQUIRE(aaaa);
  CHECK(a->meta.outcome == Outcome::data);
  CHECK(texts(*a) == std::vector<std::string>{"192.0.2.1"});
  CHECK(aaaa->meta.outcome == Outcome::data);
  CHECK(texts(*aaaa) == std::vector<std::string>{"2001:db8::1"});
}

TEST_CASE("Resolver: nodata for an existing name without the type, nxdomain otherwise",
          "[loopback]") {
  asio::io_context io;
  world::DnsServer server(io, base_zone(), loopback4());
  Resolver resolver(io, options_for(server));
  const auto nodata = run_io(io, look_up_mx(resolver, "www.example.test"));
  const auto nxdomain = run_io(io, look_up_mx(resolver, "nowhere.example.test"));
  REQUIRE(nodata);
  REQUIRE(nxdomain);
  CHECK(nodata->meta.outcome == Outcome::nodata);
  CHECK(nodata->records.empty());
  CHECK(nxdomain->meta.outcome == Outcome::nxdomain);
  CHECK(nxdomain->meta.detail.empty());
}

TEST_CASE("Resolver: SERVFAIL and REFUSED from the only server", "[loopback]") {
  auto zone = base_zone();
  zone.set_behaviour("broken.example.test", {.reply = world::Behaviour::Reply::servfail});
  zone.set_behaviour("closed.example.test", {.reply = world::Behaviour::Reply::refused});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto servfail = run_io(io, look_up_a(resolver, "broken.example.test"));
  const auto refused = run_io(io, look_up_a(resolver, "closed.example.test"));
  REQUIRE(servfail);
  REQUIRE(refused);
  CHECK(servfail->meta.outcome == Outcome::servfail);
  CHECK(refused->meta.outcome == Outcome::refused);
}

TEST_CASE("Resolver: a server that refuses is skipped for the next one", "[loopback]") {
  world::Zone refusing;
  refusing.set_default_behaviour({.reply = world::Behaviour::Reply::refused});
  asio::io_context io;
  world::DnsServer first(io, std::move(refusing), loopback4());
  world::DnsServer second(io, base_zone(), loopback4());
  Resolver resolver(io, ResolverOptions{
                            .servers = {server_address(first), server_address(second)},
                            .timeout = 2000ms,
                        });
  const auto answer = run_io(io, look_up_a(resolver, "www.example.test"));
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::data);
  CHECK(texts(*answer) == std::vector<std::string>{"192.0.2.80"});
  CHECK(first.queries_answered() >= 1);
}

TEST_CASE("Resolver: a silent server times out within the configured budget", "[loopback]") {
  auto zone = base_zone();
  zone.set_behaviour("silent.example.test", {.reply = world::Behaviour::Reply::silent});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server, 300ms));
  const auto started = Clock::now();
  const auto answer = run_io(io, look_up_mx(resolver, "silent.example.test"));
  const auto elapsed = Clock::now() - started;
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::timeout);
  CHECK(elapsed < 1s);
  CHECK(resolver.in_flight() == 0);
}

TEST_CASE("Resolver: an unreachable server is an error with c-ares' cause", "[loopback]") {
  asio::io_context io;
  // A port nobody listens on: bind one, note it, close it. UDP to it draws ICMP unreachable.
  asio::ip::udp::socket probe(io, asio::ip::udp::endpoint(loopback4(), 0));
  const auto port = probe.local_endpoint().port();
  probe.close();
  Resolver resolver(io, ResolverOptions{.servers = {{loopback4(), port}}, .timeout = 500ms});
  const auto answer = run_io(io, look_up_a(resolver, "www.example.test"));
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::error);
  CHECK(answer->meta.detail == "Could not contact DNS servers");
}

TEST_CASE("Resolver: without servers the channel is built from resolv.conf", "[unit]") {
  // Construction only: a query would leave the loopback world.
  asio::io_context io;
  Resolver resolver(io, ResolverOptions{});
  CHECK(resolver.in_flight() == 0);
}

TEST_CASE("Resolver: a name that cannot be put in a query is an error", "[loopback]") {
  asio::io_context io;
  world::DnsServer server(io, base_zone(), loopback4());
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_a(resolver, "empty..label.test"));
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::error);
  CHECK(answer->meta.detail == "Misformatted domain name");
  CHECK(server.queries_answered() == 0);
}

TEST_CASE("Resolver: a truncated UDP answer is asked again over TCP", "[loopback]") {
  auto zone = base_zone();
  zone.set_behaviour("example.test", {.truncate_udp = true});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_mx(resolver, "example.test"));
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::data);
  CHECK(answer->records.size() == 2);
  CHECK(server.tcp_queries_answered() == 1);
}

TEST_CASE("Resolver: a UDP answer over 512 octets is taken over TCP (c-ares 1.18)", "[loopback]") {
  auto zone = base_zone();
  zone.add_txt("big.example.test", {std::string(250, 'a'), std::string(250, 'b')});
  zone.add_txt("big.example.test", {std::string(200, 'c')});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_txt(resolver, "big.example.test"));
  REQUIRE(answer);
  REQUIRE(answer->meta.outcome == Outcome::data);
  REQUIRE(answer->records.size() == 2);
  CHECK(server.tcp_queries_answered() == 1);
}

TEST_CASE("Resolver: the AD bit of the answer is reported", "[loopback]") {
  auto zone = base_zone();
  zone.set_behaviour("example.test", {.authenticated = true});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto validated = run_io(io, look_up_mx(resolver, "example.test"));
  const auto plain = run_io(io, look_up_a(resolver, "www.example.test"));
  REQUIRE(validated);
  REQUIRE(plain);
  CHECK(validated->meta.authenticated);
  CHECK_FALSE(plain->meta.authenticated);
}

TEST_CASE("Resolver: CNAMEs are followed and a CNAME-only answer is nodata at the target",
          "[loopback]") {
  auto zone = base_zone();
  zone.add_cname("alias.example.test", "www.example.test");
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto a = run_io(io, look_up_a(resolver, "alias.example.test"));
  const auto mx = run_io(io, look_up_mx(resolver, "alias.example.test"));
  REQUIRE(a);
  REQUIRE(mx);
  CHECK(a->meta.outcome == Outcome::data);
  CHECK(a->meta.cname_chain == std::vector<std::string>{"www.example.test"});
  CHECK(texts(*a) == std::vector<std::string>{"192.0.2.80"});
  CHECK(mx->meta.outcome == Outcome::nodata);
  CHECK(mx->meta.canonical_name == "www.example.test");
}

TEST_CASE("Resolver: null MX", "[loopback]") {
  world::Zone zone;
  zone.add_mx("nomail.test", 0, ".");
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_mx(resolver, "nomail.test"));
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::data);
  CHECK(answer->records == std::vector<MxRecord>{{0, ""}});
  CHECK(answer->null_mx());
}

TEST_CASE("Resolver: TXT records are kept apart, their strings joined", "[loopback]") {
  world::Zone zone;
  zone.add_txt("_mta-sts.example.test", {"v=STSv1; ", "id=20240101"});
  zone.add_txt("_mta-sts.example.test", {"unrelated"});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_txt(resolver, "_mta-sts.example.test"));
  REQUIRE(answer);
  REQUIRE(answer->meta.outcome == Outcome::data);
  auto records = answer->records;
  std::sort(records.begin(), records.end());
  CHECK(records == std::vector<std::string>{"unrelated", "v=STSv1; id=20240101"});
}

TEST_CASE("Resolver: TLSA records", "[loopback]") {
  world::Zone zone;
  zone.add_tlsa("_25._tcp.mx1.example.test",
                world::TlsaData{.usage = 3, .selector = 1, .matching_type = 1, .data = {1, 2, 3}});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_tlsa(resolver, "_25._tcp.mx1.example.test"));
  REQUIRE(answer);
  REQUIRE(answer->meta.outcome == Outcome::data);
  CHECK(answer->records == std::vector<TlsaRecord>{{3, 1, 1, {1, 2, 3}}});
}

TEST_CASE("Resolver: a resolver on ::1", "[loopback]") {
  asio::io_context io;
  world::DnsServer server(io, base_zone(), asio::ip::make_address("::1"));
  Resolver resolver(io, options_for(server));
  const auto answer = run_io(io, look_up_mx(resolver, "example.test"));
  REQUIRE(answer);
  CHECK(answer->meta.outcome == Outcome::data);
  CHECK(answer->records.size() == 2);
}

namespace {

struct Batch {
  std::vector<std::optional<AddressAnswer>> answers;
  std::size_t done = 0;
};

// `resolver` and `batch` belong to the test's frame, which outlives the io_context run.
asio::awaitable<void> look_up_host(Resolver& resolver, Batch& batch, std::size_t index) {
  auto answer = co_await resolver.a("h" + std::to_string(index) + ".example.test");
  batch.answers[index] = std::move(answer);
  ++batch.done;
}

std::string host_address(std::size_t index) {
  return "10.0." + std::to_string(index / 256) + "." + std::to_string(index % 256);
}

}  // namespace

TEST_CASE("Resolver: a thousand concurrent queries are all answered correctly", "[loopback]") {
  constexpr std::size_t count = 1000;
  world::Zone zone;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = "h" + std::to_string(i) + ".example.test";
    zone.add_a(name, host_address(i));
    // Answers wait long enough for every query to be out before the first one returns.
    zone.set_behaviour(name, {.delay = 300ms});
  }
  // The server has a thread of its own, so that it reads the burst of queries while they come.
  asio::io_context server_io;
  world::DnsServer server(server_io, std::move(zone), loopback4());
  std::thread server_thread([&server_io] { server_io.run_for(30s); });
  asio::io_context io;
  // The server reads with the kernel's default receive buffer (a few hundred datagrams): on a
  // busy machine part of a burst of a thousand queries is dropped there, and recovering them is
  // c-ares' retries' job, so this test gives them room.
  Resolver resolver(
      io, ResolverOptions{.servers = {server_address(server)}, .timeout = 10s, .tries = 4});
  Batch batch;
  batch.answers.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    asio::co_spawn(io, look_up_host(resolver, batch, i), asio::detached);
  }
  const auto deadline = Clock::now() + 20s;
  while (resolver.in_flight() < count && batch.done == 0 && Clock::now() < deadline) {
    io.run_one_for(100ms);
  }
  const std::size_t most_in_flight = resolver.in_flight();
  while (batch.done < count && Clock::now() < deadline) {
    io.run_one_for(100ms);
  }
  server_io.stop();
  server_thread.join();
  CHECK(most_in_flight == count);
  REQUIRE(batch.done == count);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& answer = batch.answers[i];
    if (answer && answer->meta.outcome == Outcome::data &&
        texts(*answer) == std::vector<std::string>{host_address(i)}) {
      ++correct;
    }
  }
  CHECK(correct == count);
  CHECK(resolver.in_flight() == 0);
}

namespace {

struct Collected {
  std::vector<AddressAnswer> answers;
};

// `resolver` and `collected` belong to the test's frame and outlive every run of the io_context.
asio::awaitable<void> collect_a(Resolver& resolver, Collected& collected, std::string name) {
  auto answer = co_await resolver.a(std::move(name));
  collected.answers.push_back(std::move(answer));
}

}  // namespace

TEST_CASE("Resolver: destroyed with queries in flight, the lookups end as errors", "[loopback]") {
  auto zone = base_zone();
  zone.set_behaviour("slow.example.test", {.delay = 300ms});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  auto resolver = std::make_unique<Resolver>(io, options_for(server));
  Collected collected;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(io, collect_a(*resolver, collected, "slow.example.test"), asio::detached);
  }
  io.run_for(50ms);  // the queries are sent; the answers are 300 ms away
  REQUIRE(resolver->in_flight() == 5);
  resolver.reset();
  io.restart();
  io.run_for(500ms);  // the server answers to a closed socket meanwhile
  REQUIRE(collected.answers.size() == 5);
  for (const auto& answer : collected.answers) {
    CHECK(answer.meta.outcome == Outcome::error);
    CHECK(answer.meta.detail == "Channel is being destroyed");
  }
}

namespace {

struct Cancelled {
  std::optional<AddressAnswer> answer;
  std::size_t in_flight_at_completion = 0;
  Clock::time_point completed_at;
};

// `resolver` and `out` belong to the test's frame, which outlives the io_context run.
asio::awaitable<void> lookup_to_cancel(Resolver& resolver, Cancelled& out) {
  auto answer = co_await resolver.a("slow.example.test");
  out.answer = std::move(answer);
  out.in_flight_at_completion = resolver.in_flight();
  out.completed_at = Clock::now();
}

}  // namespace

TEST_CASE("Resolver: a cancelled lookup completes at once and the later c-ares answer is dropped",
          "[loopback]") {
  auto zone = base_zone();
  zone.set_behaviour("slow.example.test", {.delay = 300ms});
  asio::io_context io;
  world::DnsServer server(io, std::move(zone), loopback4());
  Resolver resolver(io, options_for(server));
  Cancelled cancelled;
  asio::cancellation_signal signal;
  asio::co_spawn(io, lookup_to_cancel(resolver, cancelled),
                 asio::bind_cancellation_slot(signal.slot(), asio::detached));
  asio::steady_timer cancel_timer(io, 50ms);
  cancel_timer.async_wait(
      [&](const boost::system::error_code&) { signal.emit(asio::cancellation_type::terminal); });
  const auto started = Clock::now();
  io.run_for(200ms);
  REQUIRE(cancelled.answer);
  CHECK(cancelled.answer->meta.outcome == Outcome::error);
  CHECK(cancelled.answer->meta.detail == "cancelled");
  CHECK(cancelled.completed_at - started < 200ms);
  CHECK(cancelled.in_flight_at_completion == 1);  // c-ares still holds the query
  io.restart();
  const auto deadline = Clock::now() + patience;
  while (resolver.in_flight() > 0 && Clock::now() < deadline) {
    io.run_one_for(100ms);
  }
  CHECK(resolver.in_flight() == 0);
  CHECK(server.queries_answered() == 1);
}

}  // namespace mx::dns
