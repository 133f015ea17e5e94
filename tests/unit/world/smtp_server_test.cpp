#include "tests/world/smtp_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

namespace {

using mx::test::TempDir;

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using mx::world::ehlo_reply;
using mx::world::endless_response;
using mx::world::Leaf;
using mx::world::leaf_named;
using mx::world::long_line_response;
using mx::world::Pki;
using mx::world::raw_response;
using mx::world::silent_response;
using mx::world::smtp_reply;
using mx::world::SmtpBehaviour;
using mx::world::SmtpCertificate;
using mx::world::SmtpResponse;
using mx::world::SmtpServer;
using mx::world::SmtpTls;
using mx::world::TlsVersion;
using Clock = std::chrono::steady_clock;
using Steps = std::vector<std::string>;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_client_input = 2 * 1024 * 1024;
const auto localhost = asio::ip::make_address("127.0.0.1");

// A PKI with three leaves: the default certificate and two names served by SNI.
struct Certificates {
  Certificates()
      : pki(dir.path()),
        fallback(pki.issue(leaf_named({"default.test"}), "default")),
        mx1(pki.issue(leaf_named({"mx1.test"}), "mx1")),
        mx2(pki.issue(leaf_named({"mx2.test", "alt.mx2.test"}), "mx2")) {}

  [[nodiscard]] SmtpTls tls() const {
    SmtpTls tls;
    tls.certificate = SmtpCertificate::from(fallback);
    tls.by_sni = {{"mx1.test", SmtpCertificate::from(mx1)},
                  {"MX2.test", SmtpCertificate::from(mx2)}};
    return tls;
  }

  TempDir dir;
  Pki pki;
  Leaf fallback;
  Leaf mx1;
  Leaf mx2;
};

// A client that accepts any TLS version and any certificate: the tests look at what it was
// shown rather than let OpenSSL judge it.
std::shared_ptr<ssl::context> client_context(int max_version = TLS1_3_VERSION) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_security_level(native, 0);
  SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(native, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(native, max_version);
  context->set_verify_mode(ssl::verify_none);
  return context;
}

struct Client {
  Client(asio::any_io_executor executor, std::shared_ptr<ssl::context> tls_context)
      : socket(std::move(executor)), context(std::move(tls_context)) {}

  tcp::socket socket;
  std::optional<ssl::stream<tcp::socket>> tls;
  std::shared_ptr<ssl::context> context;
  std::string input;
  std::size_t reads = 0;
};
using ClientPtr = std::shared_ptr<Client>;

// One read into the client's input; false once the server closed or the read failed.
asio::awaitable<bool> fill(ClientPtr client) {
  std::array<char, 16384> chunk{};
  boost::system::error_code ec;
  std::size_t size = 0;
  if (client->tls) {
    const auto got = co_await client->tls->async_read_some(asio::buffer(chunk), use_tuple);
    std::tie(ec, size) = got;
  } else {
    const auto got = co_await client->socket.async_read_some(asio::buffer(chunk), use_tuple);
    std::tie(ec, size) = got;
  }
  client->input.append(chunk.data(), size);
  ++client->reads;
  co_return !ec;
}

asio::awaitable<bool> send(ClientPtr client, std::string bytes) {
  boost::system::error_code ec;
  if (client->tls) {
    const auto wrote = co_await asio::async_write(*client->tls, asio::buffer(bytes), use_tuple);
    ec = std::get<0>(wrote);
  } else {
    const auto wrote = co_await asio::async_write(client->socket, asio::buffer(bytes), use_tuple);
    ec = std::get<0>(wrote);
  }
  co_return !ec;
}

// The length of the first complete reply in `input` (through its last line's LF), if any.
std::optional<std::size_t> complete_reply(const std::string& input) {
  std::size_t start = 0;
  for (;;) {
    const auto end = input.find('\n', start);
    if (end == std::string::npos) {
      return std::nullopt;
    }
    const std::string_view line(input.data() + start, end - start);
    if (line.size() < 4 || line[3] != '-') {
      return end + 1;
    }
    start = end + 1;
  }
}

// The next reply, line ends included; "eof" when the server closed first.
asio::awaitable<std::string> read_reply(ClientPtr client) {
  for (;;) {
    if (const auto size = complete_reply(client->input)) {
      std::string reply = client->input.substr(0, *size);
      client->input.erase(0, *size);
      co_return reply;
    }
    if (client->input.size() > max_client_input) {
      co_return "overflow";
    }
    const bool more = co_await fill(client);
    if (!more) {
      co_return "eof";
    }
  }
}

// The DNS names of the leaf certificate the server showed, comma-separated.
std::string leaf_names(SSL* ssl) {
  const X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) {
    return "";
  }
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  std::string out;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const auto* data = ASN1_STRING_get0_data(name->d.dNSName);
      out += (out.empty() ? "" : ",") +
             std::string(reinterpret_cast<const char*>(data),
                         static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

asio::awaitable<std::string> handshake(ClientPtr client, std::string sni) {
  client->tls.emplace(std::move(client->socket), *client->context);
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(client->tls->native_handle(), sni.c_str());
  }
  const auto shook = co_await client->tls->async_handshake(ssl::stream_base::client, use_tuple);
  const auto& [ec] = shook;
  if (ec) {
    co_return "tls failed";
  }
  SSL* native = client->tls->native_handle();
  co_return std::string("tls ") + SSL_get_version(native) + " " + leaf_names(native);
}

asio::awaitable<std::string> silent_for(ClientPtr client, std::chrono::milliseconds window) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(client->socket.get_executor(), window);
  const auto raced = co_await (fill(client) || timer.async_wait(use_tuple));
  if (raced.index() == 1) {
    co_return "silent";
  }
  co_return std::get<0>(raced) ? "data" : "eof";
}

// Plays `steps` against the server at `endpoint` and returns one entry per step. A step is a
// command line (sent with CR LF; the entry is the reply) or a directive:
//   !reply        read a reply without sending anything (the greeting)
//   !send TEXT    send TEXT as is, read nothing (entry "sent")
//   !tls [SNI]    TLS handshake: "tls <version> <leaf DNS names>" or "tls failed"
//   !leftover     what was received beyond the replies read so far (then discarded)
//   !eof          "eof" when the server closes, else "data ..."
//   !raw N        read until N bytes (or the server closes): the bytes
//   !silent MS    "silent" when nothing arrives within MS milliseconds, else "data" or "eof"
//   !reads        how many reads the client has made so far
// The connection closes when the steps are done. A failed connect yields {"connect failed"}.
asio::awaitable<Steps> converse(tcp::endpoint endpoint, Steps steps,
                                std::shared_ptr<ssl::context> context) {
  const auto executor = co_await asio::this_coro::executor;
  auto client = std::make_shared<Client>(executor, std::move(context));
  const auto connected = co_await client->socket.async_connect(endpoint, use_tuple);
  if (std::get<0>(connected)) {
    co_return Steps{"connect failed"};
  }
  Steps entries;
  for (const auto& step : steps) {
    const auto space = step.find(' ');
    const std::string verb = step.substr(0, space);
    const std::string argument = space == std::string::npos ? "" : step.substr(space + 1);
    if (verb == "!reply") {
      auto reply = co_await read_reply(client);
      entries.push_back(std::move(reply));
    } else if (verb == "!send") {
      const bool sent = co_await send(client, argument);
      entries.emplace_back(sent ? "sent" : "send failed");
    } else if (verb == "!tls") {
      auto result = co_await handshake(client, argument);
      entries.push_back(std::move(result));
    } else if (verb == "!leftover") {
      entries.push_back(std::exchange(client->input, {}));
    } else if (verb == "!eof") {
      const bool more = co_await fill(client);
      entries.push_back(more || !client->input.empty() ? "data " + client->input : "eof");
    } else if (verb == "!raw") {
      const std::size_t wanted = std::stoul(argument);
      bool more = true;
      while (more && client->input.size() < wanted) {
        more = co_await fill(client);
      }
      entries.push_back(std::exchange(client->input, {}));
    } else if (verb == "!silent") {
      auto result = co_await silent_for(client, std::chrono::milliseconds(std::stoi(argument)));
      entries.push_back(std::move(result));
    } else if (verb == "!reads") {
      entries.push_back(std::to_string(client->reads));
    } else {
      const bool sent = co_await send(client, step + "\r\n");
      if (!sent) {
        entries.emplace_back("send failed");
        continue;
      }
      auto reply = co_await read_reply(client);
      entries.push_back(std::move(reply));
    }
  }
  co_return entries;
}

// Runs the io_context until `task` finishes, within a generous cap; the servers' accept loops
// never run out of work, so the completion stops the loop.
template <typename T>
std::optional<T> run(asio::io_context& io, asio::awaitable<T> task) {
  auto result = std::make_shared<std::optional<T>>();
  io.restart();
  asio::co_spawn(io, std::move(task), [result, &io](const std::exception_ptr& error, T value) {
    if (!error) {
      *result = std::move(value);
    }
    io.stop();
  });
  io.run_for(5s);
  return *result;
}

Steps converse_with(asio::io_context& io, const SmtpServer& server, Steps steps,
                    std::shared_ptr<ssl::context> context = client_context()) {
  auto entries = run(io, converse(server.endpoint(), std::move(steps), std::move(context)));
  REQUIRE(entries.has_value());
  return std::move(*entries);
}

const std::string default_greeting = "220 mx.test ESMTP mxscan test world\r\n";
const std::string default_ehlo =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
const std::string default_ehlo_tls =
    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";

}  // namespace

TEST_CASE("SmtpServer plays the whole STARTTLS dialogue and records it", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.tls = certificates.tls();
  SmtpServer server(io, behaviour, localhost);
  REQUIRE(server.port() != 0);
  REQUIRE(server.endpoint().address() == localhost);

  const auto entries = converse_with(io, server,
                                     {"!reply", "EHLO client.test", "STARTTLS", "!tls mx1.test",
                                      "EHLO client.test", "QUIT", "!eof"});
  CHECK(entries == Steps{default_greeting, default_ehlo, "220 2.0.0 Ready to start TLS\r\n",
                         "tls TLSv1.3 mx1.test", default_ehlo_tls, "221 2.0.0 Bye\r\n", "eof"});
  CHECK(server.commands() == Steps{"EHLO client.test", "STARTTLS", "EHLO client.test", "QUIT"});
  CHECK(server.sni_names() == Steps{"mx1.test"});
  CHECK(server.connections_accepted() == 1);
  CHECK(server.tls_handshakes_completed() == 1);
}

TEST_CASE("SmtpServer picks the certificate by SNI, case-insensitively, else the default",
          "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.tls = certificates.tls();
  SmtpServer server(io, behaviour, localhost);

  const auto leaf_for = [&](const std::string& sni) {
    const auto entries =
        converse_with(io, server, {"!reply", "EHLO c", "STARTTLS", "!tls " + sni, "QUIT"});
    REQUIRE(entries.size() == 5);
    return entries[3];
  };
  CHECK(leaf_for("mx1.test") == "tls TLSv1.3 mx1.test");
  CHECK(leaf_for("mx2.test") == "tls TLSv1.3 mx2.test,alt.mx2.test");
  CHECK(leaf_for("MX1.Test") == "tls TLSv1.3 mx1.test");
  CHECK(leaf_for("other.test") == "tls TLSv1.3 default.test");
  CHECK(leaf_for("") == "tls TLSv1.3 default.test");
  CHECK(server.sni_names() == Steps{"mx1.test", "mx2.test", "MX1.Test", "other.test", ""});
  CHECK(server.tls_handshakes_completed() == 5);
  CHECK(server.connections_accepted() == 5);
}

TEST_CASE("SmtpServer limits TLS versions, down to TLS 1.0 for outdated servers", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  const Steps steps{"!reply", "EHLO c", "STARTTLS", "!tls mx1.test", "EHLO c"};

  SECTION("only TLS 1.0") {
    SmtpBehaviour behaviour;
    behaviour.tls = certificates.tls();
    behaviour.tls->min_version = TlsVersion::tls1_0;
    behaviour.tls->max_version = TlsVersion::tls1_0;
    SmtpServer server(io, behaviour, localhost);
    const auto entries = converse_with(io, server, steps);
    CHECK(entries.at(3) == "tls TLSv1 mx1.test");
    CHECK(entries.at(4) == default_ehlo_tls);
  }
  SECTION("at most TLS 1.1") {
    SmtpBehaviour behaviour;
    behaviour.tls = certificates.tls();
    behaviour.tls->max_version = TlsVersion::tls1_1;
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, steps).at(3) == "tls TLSv1.1 mx1.test");
  }
  SECTION("TLS 1.3 only, to a client that stops at TLS 1.2: the handshake fails") {
    SmtpBehaviour behaviour;
    behaviour.tls = certificates.tls();
    behaviour.tls->min_version = TlsVersion::tls1_3;
    SmtpServer server(io, behaviour, localhost);
    const auto entries = converse_with(io, server, steps, client_context(TLS1_2_VERSION));
    CHECK(entries.at(3) == "tls failed");
    CHECK(server.tls_handshakes_completed() == 0);
  }
}

TEST_CASE("SmtpServer tarpit accepts and stays silent until the client closes", "[loopback]") {
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.greeting = silent_response();
  SmtpServer server(io, behaviour, localhost);
  const auto entries = converse_with(io, server, {"!silent 200", "!send EHLO c\r\n", "!silent 50"});
  CHECK(entries == Steps{"silent", "sent", "silent"});
  CHECK(server.connections_accepted() == 1);
  CHECK(server.commands().empty());
}

TEST_CASE("SmtpServer delays the greeting, and answers what was sent meanwhile", "[loopback]") {
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.greeting.delay = 150ms;
  SmtpServer server(io, behaviour, localhost);
  const auto start = Clock::now();
  const auto entries =
      converse_with(io, server, {"!silent 50", "!send NOOP\r\n", "!reply", "!reply"});
  CHECK(Clock::now() - start >= 150ms);
  CHECK(entries == Steps{"silent", "sent", default_greeting, "250 2.0.0 OK\r\n"});
}

TEST_CASE("SmtpServer writes replies in fragments when asked, plaintext and TLS", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.greeting = smtp_reply(220, {"mx.test ESMTP", "second line", "last line"});
  behaviour.tls = certificates.tls();
  behaviour.write_chunk = 2;
  SmtpServer server(io, behaviour, localhost);
  const auto entries = converse_with(
      io, server, {"!reply", "!reads", "EHLO c", "STARTTLS", "!tls mx1.test", "EHLO c", "QUIT"});
  REQUIRE(entries.size() == 7);
  CHECK(entries[0] == "220-mx.test ESMTP\r\n220-second line\r\n220 last line\r\n");
  // 50 bytes in 2-byte writes cannot all arrive in one read.
  CHECK(std::stoul(entries[1]) > 1);
  CHECK(entries[2] == default_ehlo);
  CHECK(entries[4] == "tls TLSv1.3 mx1.test");
  CHECK(entries[5] == default_ehlo_tls);
  CHECK(entries[6] == "221 2.0.0 Bye\r\n");
}

TEST_CASE("SmtpServer counts connections and serves each its own dialogue", "[loopback]") {
  asio::io_context io;
  SmtpServer server(io, SmtpBehaviour{}, localhost);
  for (int i = 0; i < 3; ++i) {
    CHECK(converse_with(io, server, {"!reply", "NOOP"}) ==
          Steps{default_greeting, "250 2.0.0 OK\r\n"});
  }
  CHECK(server.connections_accepted() == 3);
  CHECK(server.commands() == Steps{"NOOP", "NOOP", "NOOP"});
}

TEST_CASE("SmtpServer listens on IPv6 ::1 with TLS", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.tls = certificates.tls();
  const auto address = asio::ip::make_address("::1");
  SmtpServer server(io, behaviour, address);
  CHECK(server.endpoint().address() == address);
  const auto entries =
      converse_with(io, server, {"!reply", "EHLO c", "STARTTLS", "!tls mx2.test", "QUIT"});
  CHECK(entries == Steps{default_greeting, default_ehlo, "220 2.0.0 Ready to start TLS\r\n",
                         "tls TLSv1.3 mx2.test,alt.mx2.test", "221 2.0.0 Bye\r\n"});
}

TEST_CASE("SmtpServer servers on distinct 127.0.0.x addresses share a port", "[loopback]") {
  asio::io_context io;
  SmtpBehaviour first;
  first.greeting = smtp_reply(220, {"first"});
  SmtpBehaviour second;
  second.greeting = smtp_reply(220, {"second"});
  SmtpServer a(io, first, asio::ip::make_address("127.0.0.2"));
  SmtpServer b(io, second, asio::ip::make_address("127.0.0.3"), a.port());
  CHECK(a.port() == b.port());
  CHECK(converse_with(io, a, {"!reply"}) == Steps{"220 first\r\n"});
  CHECK(converse_with(io, b, {"!reply"}) == Steps{"220 second\r\n"});
  CHECK_THROWS_AS(SmtpServer(io, first, asio::ip::make_address("127.0.0.2"), a.port()),
                  boost::system::system_error);
}

TEST_CASE("SmtpServer greets with 5xx: closing, or refusing all but QUIT", "[loopback]") {
  asio::io_context io;
  SECTION("554 then close") {
    SmtpBehaviour behaviour;
    behaviour.greeting = smtp_reply(554, {"no service"});
    behaviour.greeting.close_after = true;
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!reply", "!eof"}) == Steps{"554 no service\r\n", "eof"});
  }
  SECTION("554 kept open") {
    SmtpBehaviour behaviour;
    behaviour.greeting = smtp_reply(554, {"no service"});
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!reply", "EHLO c", "STARTTLS", "QUIT", "!eof"}) ==
          Steps{"554 no service\r\n", "503 5.5.1 No service\r\n", "503 5.5.1 No service\r\n",
                "221 2.0.0 Bye\r\n", "eof"});
  }
  SECTION("421 then close") {
    SmtpBehaviour behaviour;
    behaviour.greeting = smtp_reply(421, {"try later"});
    behaviour.greeting.close_after = true;
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!reply", "!eof"}) == Steps{"421 try later\r\n", "eof"});
  }
}

TEST_CASE("SmtpServer answers EHLO with 5xx or 4xx, and HELO with 250", "[loopback]") {
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.ehlo = smtp_reply(502, {"5.5.2 EHLO not supported"});
  SmtpServer server(io, behaviour, localhost);
  CHECK(converse_with(io, server, {"!reply", "EHLO c", "HELO c"}) ==
        Steps{default_greeting, "502 5.5.2 EHLO not supported\r\n", "250 mx.test\r\n"});

  behaviour.ehlo = smtp_reply(421, {"4.3.2 busy"});
  behaviour.ehlo.close_after = true;
  server.set_behaviour(behaviour);
  CHECK(converse_with(io, server, {"!reply", "ehlo c", "!eof"}) ==
        Steps{default_greeting, "421 4.3.2 busy\r\n", "eof"});
}

TEST_CASE("SmtpServer advertises the extension list exactly as scripted", "[loopback]") {
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.ehlo = ehlo_reply({"starttls"});
  SmtpServer server(io, behaviour, localhost);
  CHECK(converse_with(io, server, {"!reply", "EHLO c"}).at(1) == "250-mx.test\r\n250 starttls\r\n");

  behaviour.ehlo = ehlo_reply({"XSTARTTLS", "SIZE 100"}, "other.test");
  server.set_behaviour(behaviour);
  CHECK(converse_with(io, server, {"!reply", "EHLO c"}).at(1) ==
        "250-other.test\r\n250-XSTARTTLS\r\n250 SIZE 100\r\n");

  behaviour.ehlo = ehlo_reply({});
  server.set_behaviour(behaviour);
  CHECK(converse_with(io, server, {"!reply", "EHLO c"}).at(1) == "250 mx.test\r\n");
}

TEST_CASE("SmtpServer refuses STARTTLS with 454 or 5xx and stays in plaintext", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.tls = certificates.tls();
  behaviour.starttls = smtp_reply(454, {"4.7.0 TLS not available due to local problem"});
  SmtpServer server(io, behaviour, localhost);
  CHECK(converse_with(io, server, {"!reply", "STARTTLS", "EHLO c"}) ==
        Steps{default_greeting, "454 4.7.0 TLS not available due to local problem\r\n",
              default_ehlo});

  behaviour.starttls = smtp_reply(530, {"5.7.0 no"});
  server.set_behaviour(behaviour);
  CHECK(converse_with(io, server, {"!reply", "STARTTLS", "NOOP"}) ==
        Steps{default_greeting, "530 5.7.0 no\r\n", "250 2.0.0 OK\r\n"});
  CHECK(server.tls_handshakes_completed() == 0);
}

TEST_CASE("SmtpServer without certificates answers STARTTLS 454", "[loopback]") {
  asio::io_context io;
  SmtpServer server(io, SmtpBehaviour{}, localhost);
  CHECK(converse_with(io, server, {"!reply", "STARTTLS"}).at(1) ==
        "454 4.7.0 TLS not available\r\n");
}

TEST_CASE("SmtpServer misbehaves after 220 to STARTTLS as scripted", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.tls = certificates.tls();

  SECTION("close right after 220") {
    behaviour.starttls.close_after = true;
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!reply", "STARTTLS", "!eof"}) ==
          Steps{default_greeting, "220 2.0.0 Ready to start TLS\r\n", "eof"});
    CHECK(server.tls_handshakes_completed() == 0);
  }
  SECTION("plaintext injected behind 220 in the same write, then TLS as usual") {
    behaviour.starttls.injected = "250 injected\r\n";
    SmtpServer server(io, behaviour, localhost);
    CHECK(
        converse_with(io, server, {"!reply", "STARTTLS", "!leftover", "!tls mx1.test", "EHLO c"}) ==
        Steps{default_greeting, "220 2.0.0 Ready to start TLS\r\n", "250 injected\r\n",
              "tls TLSv1.3 mx1.test", default_ehlo_tls});
  }
  SECTION("garbage instead of a handshake") {
    behaviour.garbage_instead_of_tls = "this is not TLS\r\n";
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!reply", "STARTTLS", "!tls mx1.test"}) ==
          Steps{default_greeting, "220 2.0.0 Ready to start TLS\r\n", "tls failed"});
    CHECK(server.tls_handshakes_completed() == 0);
  }
  SECTION("plaintext pipelined behind STARTTLS is not taken as a command") {
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(
              io, server,
              {"!reply", "!send STARTTLS\r\nNOOP\r\n", "!reply", "!tls mx1.test", "EHLO c"}) ==
          Steps{default_greeting, "sent", "220 2.0.0 Ready to start TLS\r\n",
                "tls TLSv1.3 mx1.test", default_ehlo_tls});
    CHECK(server.commands() == Steps{"STARTTLS", "EHLO c"});
  }
  SECTION("STARTTLS inside TLS") {
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!reply", "STARTTLS", "!tls", "STARTTLS"}).at(3) ==
          "554 5.5.1 TLS already active\r\n");
  }
}

TEST_CASE("SmtpServer sends raw bytes instead of a greeting", "[loopback]") {
  asio::io_context io;
  SmtpBehaviour behaviour;
  SECTION("an HTTP response") {
    const std::string http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    behaviour.greeting = raw_response(http);
    behaviour.greeting.close_after = true;
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!raw 1000"}) == Steps{http});
  }
  SECTION("a TLS record header") {
    const std::string record("\x16\x03\x01\x00\x05hello", 10);
    behaviour.greeting = raw_response(record);
    SmtpServer server(io, behaviour, localhost);
    CHECK(converse_with(io, server, {"!raw 10", "!silent 20"}) == Steps{record, "silent"});
  }
}

TEST_CASE("SmtpServer sends a 300 KB line and endless replies", "[loopback]") {
  asio::io_context io;
  SECTION("a 300 KB greeting line, then the dialogue goes on") {
    SmtpBehaviour behaviour;
    behaviour.greeting = long_line_response(220, 300 * 1024);
    SmtpServer server(io, behaviour, localhost);
    const auto entries = converse_with(io, server, {"!reply", "NOOP"});
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].size() == 300 * 1024);
    CHECK(entries[0].starts_with("220 xxx"));
    CHECK(entries[0].ends_with("xx\r\n"));
    CHECK(entries[1] == "250 2.0.0 OK\r\n");
  }
  SECTION("an endless EHLO reply, until the client closes") {
    SmtpBehaviour behaviour;
    behaviour.ehlo = endless_response(250);
    SmtpServer server(io, behaviour, localhost);
    const auto entries = converse_with(io, server, {"!reply", "!send EHLO c\r\n", "!raw 1000000"});
    REQUIRE(entries.size() == 3);
    CHECK(entries[2].size() >= 1000000);
    CHECK(entries[2].find("250 ") == std::string::npos);
    CHECK(entries[2].substr(0, 76) == "250-" + std::string(70, 'x') + "\r\n");
    // The server is free for the next client once this one closed.
    CHECK(converse_with(io, server, {"!reply"}) == Steps{default_greeting});
  }
}

TEST_CASE("SmtpServer caps command lines and the transcript", "[loopback]") {
  asio::io_context io;
  SmtpServer server(io, SmtpBehaviour{}, localhost);
  SECTION("a line over the cap ends the connection") {
    const std::string endless_line(SmtpServer::max_command_line + 10, 'a');
    CHECK(converse_with(io, server, {"!reply", "!send " + endless_line, "!reply", "!eof"}) ==
          Steps{default_greeting, "sent", "500 5.5.2 Line too long\r\n", "eof"});
  }
  SECTION("long lines are cut, and only the first commands are kept") {
    const std::string long_command = "NOOP " + std::string(1000, 'n');
    std::string pipelined = long_command + "\r\n";
    for (std::size_t i = 0; i < SmtpServer::max_recorded_commands + 10; ++i) {
      pipelined += "NOOP\n";
    }
    pipelined += "QUIT\r\n";
    const auto entries = converse_with(io, server, {"!reply", "!send " + pipelined, "!raw 100000"});
    CHECK(entries.at(2).ends_with("250 2.0.0 OK\r\n221 2.0.0 Bye\r\n"));
    const auto commands = server.commands();
    REQUIRE(commands.size() == SmtpServer::max_recorded_commands);
    CHECK(commands[0] == long_command.substr(0, SmtpServer::max_recorded_line));
    CHECK(commands[1] == "NOOP");
  }
}

TEST_CASE("SmtpServer answers 502 to mail commands and 250 to NOOP and RSET", "[loopback]") {
  asio::io_context io;
  SmtpServer server(io, SmtpBehaviour{}, localhost);
  CHECK(converse_with(
            io, server,
            {"!reply", "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA", "rset", "noop"}) ==
        Steps{default_greeting, "502 5.5.1 Command not implemented\r\n",
              "502 5.5.1 Command not implemented\r\n", "502 5.5.1 Command not implemented\r\n",
              "250 2.0.0 OK\r\n", "250 2.0.0 OK\r\n"});
}

TEST_CASE("SmtpServer set_behaviour changes new connections only", "[loopback]") {
  asio::io_context io;
  SmtpServer server(io, SmtpBehaviour{}, localhost);
  CHECK(converse_with(io, server, {"!reply"}) == Steps{default_greeting});
  SmtpBehaviour next;
  next.greeting = smtp_reply(220, {"changed"});
  server.set_behaviour(next);
  CHECK(converse_with(io, server, {"!reply"}) == Steps{"220 changed\r\n"});

  SmtpBehaviour broken;
  broken.tls = SmtpTls{};
  broken.tls->certificate = {"/nonexistent/chain.pem", "/nonexistent/key.pem"};
  CHECK_THROWS_AS(server.set_behaviour(broken), std::runtime_error);
  CHECK(converse_with(io, server, {"!reply"}) == Steps{"220 changed\r\n"});
}

TEST_CASE("SmtpServer refuses non-loopback addresses and unloadable certificates", "[unit]") {
  asio::io_context io;
  CHECK_THROWS_AS(SmtpServer(io, SmtpBehaviour{}, asio::ip::make_address("192.0.2.1")),
                  std::invalid_argument);
  const Certificates certificates;
  SmtpBehaviour mismatched;
  mismatched.tls = certificates.tls();
  mismatched.tls->certificate.key_file = certificates.mx1.key_file;
  CHECK_THROWS_AS(SmtpServer(io, mismatched, localhost), std::runtime_error);
}

TEST_CASE("SmtpServer stop() and destruction end open connections", "[loopback]") {
  asio::io_context io;
  SmtpBehaviour behaviour;
  behaviour.greeting = silent_response();

  SECTION("stop") {
    SmtpServer server(io, behaviour, localhost);
    auto pending = std::make_shared<std::optional<Steps>>();
    asio::co_spawn(io, converse(server.endpoint(), {"!eof"}, client_context()),
                   [pending](const std::exception_ptr&, Steps steps) { *pending = steps; });
    const auto deadline = Clock::now() + 5s;
    while (server.connections_accepted() == 0 && Clock::now() < deadline) {
      io.run_one_for(100ms);
    }
    REQUIRE(server.connections_accepted() == 1);
    server.stop();
    server.stop();
    io.run_for(5s);  // returns once nothing is pending: the accept loop has ended too
    REQUIRE(pending->has_value());
    CHECK(**pending == Steps{"eof"});
    CHECK(converse_with(io, server, {"!reply"}) == Steps{"connect failed"});
  }
  SECTION("destruction with a delayed greeting pending") {
    behaviour.greeting = smtp_reply(220, {"late"});
    behaviour.greeting.delay = 10s;
    auto server = std::make_unique<SmtpServer>(io, behaviour, localhost);
    auto pending = std::make_shared<std::optional<Steps>>();
    asio::co_spawn(io, converse(server->endpoint(), {"!reply"}, client_context()),
                   [pending](const std::exception_ptr&, Steps steps) { *pending = steps; });
    const auto deadline = Clock::now() + 5s;
    while (server->connections_accepted() == 0 && Clock::now() < deadline) {
      io.run_one_for(100ms);
    }
    REQUIRE(server->connections_accepted() == 1);
    server.reset();
    const auto start = Clock::now();
    io.run_for(5s);
    CHECK(Clock::now() - start < 2s);
    REQUIRE(pending->has_value());
    CHECK(**pending == Steps{"eof"});
  }
}
