// Serving by local address: one listener on the wildcard address, two loopback addresses, two
// behaviours. The listener binds 0.0.0.0 (that is the point); the clients only ever connect to
// 127.x addresses.
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "bench/sim/world_servers.hpp"

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The first line the server writes, or "closed" when it closes first.
asio::awaitable<void> first_line(tcp::endpoint to, std::string& out) {
  tcp::socket socket(co_await asio::this_coro::executor);
  const auto connected = co_await socket.async_connect(to, use_tuple);
  if (std::get<0>(connected)) {
    out = "connect failed";
    co_return;
  }
  std::string buffer;
  const auto got =
      co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n", use_tuple);
  out = std::get<0>(got) ? "closed" : buffer.substr(0, std::get<1>(got) - 2);
}

// The response of an HTTPS host: "HTTP/1.1 200 OK ... \r\n\r\n<body>", or what went wrong.
asio::awaitable<void> https_get(tcp::endpoint to, std::string sni, std::string& out) {
  ssl::context context(ssl::context::tls_client);
  ssl::stream<tcp::socket> stream(co_await asio::this_coro::executor, context);
  SSL_set_tlsext_host_name(stream.native_handle(), sni.c_str());
  const auto connected = co_await stream.lowest_layer().async_connect(to, use_tuple);
  if (std::get<0>(connected)) {
    out = "connect failed";
    co_return;
  }
  const auto shook = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (std::get<0>(shook)) {
    out = "handshake failed";
    co_return;
  }
  const std::string request =
      "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n";
  const auto wrote = co_await asio::async_write(stream, asio::buffer(request), use_tuple);
  if (std::get<0>(wrote)) {
    out = "write failed";
    co_return;
  }
  std::string response;
  const auto got = co_await asio::async_read(stream, asio::dynamic_buffer(response), use_tuple);
  static_cast<void>(got);  // ends with EOF or a truncated stream: the bytes are what counts
  out = response;
}

class TwoHosts : public mx::world::SmtpHosts {
 public:
  std::optional<mx::world::SmtpHost> host(const asio::ip::address& local) override {
    mx::world::SmtpHost out;
    if (local == asio::ip::make_address("127.9.0.1")) {
      out.behaviour.greeting = mx::world::smtp_reply(220, {"one.test ESMTP"});
      return out;
    }
    if (local == asio::ip::make_address("127.9.0.2")) {
      out.behaviour.greeting = mx::world::smtp_reply(554, {"two.test no service"});
      return out;
    }
    return std::nullopt;
  }
};

struct Greetings {
  std::string one;
  std::string two;
  std::string nobody;
};

Greetings greet(std::shared_ptr<mx::world::SmtpHosts> hosts, const std::string& one,
                const std::string& two, const std::string& nobody) {
  asio::io_context io;
  mx::world::SmtpServer server(io, std::move(hosts), tcp::endpoint(asio::ip::address_v4::any(), 0));
  const auto port = server.port();
  Greetings out;
  // The server stops once the three clients are done: the io_context then runs out of work.
  int left = 3;
  const auto finished = [&server, &left](const std::exception_ptr&) {
    if (--left == 0) {
      server.stop();
    }
  };
  asio::co_spawn(io, first_line({asio::ip::make_address(one), port}, out.one), finished);
  asio::co_spawn(io, first_line({asio::ip::make_address(two), port}, out.two), finished);
  asio::co_spawn(io, first_line({asio::ip::make_address(nobody), port}, out.nobody), finished);
  io.run_for(10s);
  return out;
}

}  // namespace

TEST_CASE("One SMTP listener serves each local address as its own host", "[loopback]") {
  const auto got = greet(std::make_shared<TwoHosts>(), "127.9.0.1", "127.9.0.2", "127.9.0.3");
  CHECK(got.one == "220 one.test ESMTP");
  CHECK(got.two == "554 two.test no service");
  CHECK(got.nobody == "closed");
}

TEST_CASE("A planned world's hosts answer at their own addresses", "[loopback]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mxsim-serving-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  const auto pki = mx::world::Pki::open(dir / "pki");
  const mx::sim::KeyPool keys(dir / "pki" / "keys");
  mx::sim::WorldPlan plan;
  mx::sim::PlannedDomain healthy;
  healthy.name = "good.test";
  mx::sim::MailHost good;
  good.name = "mx1.good.test";
  good.ipv4 = "127.9.1.1";
  healthy.hosts.push_back(good);
  mx::sim::PlannedDomain broken = healthy;
  broken.name = "bad.test";
  broken.hosts.front().name = "mx1.bad.test";
  broken.hosts.front().ipv4 = "127.9.1.2";
  broken.hosts.front().fault = mx::sim::SmtpFault::banner_rejected;
  plan.domains = {healthy, broken};
  const auto leaves = dir / "pki" / "leaves.cache";
  const auto index = std::make_shared<const mx::sim::WorldIndex>(plan, *pki, keys, leaves);

  const auto got =
      greet(std::make_shared<mx::sim::SmtpTable>(index), "127.9.1.1", "127.9.1.2", "127.9.1.3");
  CHECK(got.one == "220 mx1.good.test ESMTP mxsim");
  CHECK(got.two.rfind("554 5.7.1 mx1.bad.test", 0) == 0);
  CHECK(got.nobody == "closed");

  // The policy hosts: a domain's policy at its address, a 404 at another's, nobody elsewhere.
  plan.domains[0].mta_sts = mx::sim::MtaSts::ok;
  plan.domains[0].sts_ip = "127.9.2.1";
  plan.domains[1].mta_sts = mx::sim::MtaSts::http_status;
  plan.domains[1].sts_ip = "127.9.2.2";
  const auto policies = std::make_shared<const mx::sim::WorldIndex>(plan, *pki, keys, leaves);
  std::string policy;
  std::string missing;
  std::string nobody;
  {
    asio::io_context io;
    mx::world::HttpsServer server(io, std::make_shared<mx::sim::HttpsTable>(policies),
                                  tcp::endpoint(asio::ip::address_v4::any(), 0));
    const auto port = server.port();
    int left = 3;
    const auto finished = [&server, &left](const std::exception_ptr&) {
      if (--left == 0) {
        server.stop();
      }
    };
    asio::co_spawn(
        io, https_get({asio::ip::make_address("127.9.2.1"), port}, "mta-sts.good.test", policy),
        finished);
    asio::co_spawn(
        io, https_get({asio::ip::make_address("127.9.2.2"), port}, "mta-sts.bad.test", missing),
        finished);
    asio::co_spawn(io, https_get({asio::ip::make_address("127.9.2.3"), port}, "x.test", nobody),
                   finished);
    io.run_for(10s);
  }
  CHECK(policy.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(policy.find("\r\n\r\nversion: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\n") !=
        std::string::npos);
  CHECK(missing.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  CHECK(nobody == "handshake failed");

  // The pool and the PKI are kept: a second open finds the same trust anchor and keys.
  const auto again = mx::world::Pki::open(dir / "pki");
  const mx::sim::KeyPool same(dir / "pki" / "keys");
  CHECK(X509_cmp(pki->root(), again->root()) == 0);
  CHECK(keys.spki_sha256(true, 1) == same.spki_sha256(true, 1));
  CHECK(keys.spki_sha256(false, 3) == same.spki_sha256(false, 3));
  CHECK(keys.spki_sha256(false, 3) != keys.spki_sha256(false, 4));
  std::filesystem::remove_all(dir);
}
