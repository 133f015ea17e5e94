// The SMTP/STARTTLS probe against the test world's scripted SMTP server on loopback, and its pure
// pieces (error mapping, names, SNI).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/errc.hpp>
#include <catch2/catch.hpp>

#include "probes/smtp/probe.hpp"
#include "probes/tls/client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"

namespace {

using mx::test::TempDir;

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mx::probes::smtp::Ending;
using mx::probes::smtp::ending_for;
using mx::probes::smtp::Observation;
using mx::probes::smtp::probe_smtp;
using mx::probes::smtp::ProbeConfig;
using mx::probes::smtp::Stage;
using mx::probes::smtp::Violation;
using mx::probes::tls::TlsClient;
using mx::world::Leaf;
using mx::world::leaf_named;
using mx::world::Pki;
using mx::world::SmtpBehaviour;
using mx::world::SmtpCertificate;
using mx::world::SmtpResponse;
using mx::world::SmtpServer;
using mx::world::SmtpTls;
using mx::world::TlsVersion;

// One PKI per test process (making CA keys is the slow part): the MX host's leaf, served for the
// SNI mx.test, and another leaf served to clients that send no or another SNI.
struct Certificates {
  TempDir dir;
  Pki pki{dir.path()};
  Leaf mx = pki.issue(leaf_named({"mx.test"}), "mx");
  Leaf fallback = pki.issue(leaf_named({"fallback.test"}), "fallback");
};

Certificates& certificates() {
  static Certificates certs;
  return certs;
}

std::vector<std::uint8_t> der_of(X509* cert) {
  const int size = i2d_X509(cert, nullptr);
  std::vector<std::uint8_t> der(static_cast<std::size_t>(std::max(size, 0)));
  unsigned char* cursor = der.data();
  i2d_X509(cert, &cursor);
  return der;
}

SmtpTls server_tls() {
  SmtpTls tls;
  tls.certificate = SmtpCertificate::from(certificates().fallback);
  tls.by_sni["mx.test"] = SmtpCertificate::from(certificates().mx);
  return tls;
}

// A well-behaved server offering STARTTLS with the mx.test certificate.
SmtpBehaviour starttls_server() {
  SmtpBehaviour behaviour;
  behaviour.tls = server_tls();
  return behaviour;
}

const asio::ip::address loopback = asio::ip::make_address("127.0.0.1");

// Runs probes on its own io_context. The observation, the TLS client and the cancellation signal
// are declared before the io_context, so a probe frame left unfinished by a failing test is
// destroyed (with the io_context) while they still exist. Servers made on `io` are declared after
// the Harness, so they go first.
class Harness {
 public:
  struct Result {
    Observation out;
    bool finished = false;  // the coroutine completed within the cap
    bool threw = false;     // ... by throwing, which it must never do for a peer
    std::chrono::milliseconds wall{0};
  };

 private:
  Observation out_;
  TlsClient tls_;
  asio::cancellation_signal cancel_;
  bool finished_ = false;
  bool threw_ = false;

 public:
  asio::io_context io;

  [[nodiscard]] static ProbeConfig config_for(const SmtpServer& server) {
    ProbeConfig config;
    config.host = "mx.test";
    config.ip = server.endpoint().address();
    config.port = server.port();
    config.ehlo_name = "scanner.test";
    config.step_timeout = 5s;
    config.greeting_timeout = 5s;
    config.quit_timeout = 1s;
    config.allow_private = true;
    return config;
  }

  // Runs one probe to its end, or until `cap` passes; with `cancel_after`, emits a terminal
  // cancellation to the probe then, as an engine's budget or stop would.
  Result run(ProbeConfig config, std::chrono::milliseconds cap = 20s,
             std::optional<std::chrono::milliseconds> cancel_after = std::nullopt) {
    finished_ = false;
    threw_ = false;
    io.restart();
    asio::steady_timer canceller(io);
    if (cancel_after) {
      canceller.expires_after(*cancel_after);
      canceller.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
          cancel_.emit(asio::cancellation_type::terminal);
        }
      });
    }
    asio::co_spawn(
        io, probe_smtp(std::move(config), tls_, out_),
        asio::bind_cancellation_slot(cancel_.slot(), [this](const std::exception_ptr& error) {
          finished_ = true;
          threw_ = error != nullptr;
          io.stop();
        }));
    const auto start = std::chrono::steady_clock::now();
    io.run_for(cap);
    const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    canceller.cancel();
    return Result{.out = out_, .finished = finished_, .threw = threw_, .wall = wall};
  }
};

// An error of OpenSSL's SSL library as Asio reports it: the packed code of ERR_get_error().
boost::system::error_code openssl_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), asio::error::get_ssl_category()};
}

std::vector<std::string> dialogue(const std::string& ehlo_name = "scanner.test") {
  return {"EHLO " + ehlo_name, "STARTTLS", "EHLO " + ehlo_name, "QUIT"};
}

}  // namespace

TEST_CASE("A well-behaved STARTTLS server: the whole dialogue, TLS 1.3 and the chain by SNI",
          "[loopback]") {
  Harness harness;
  SmtpServer server(harness.io, starttls_server(), loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  REQUIRE_FALSE(result.threw);
  const Observation& out = result.out;

  CHECK(out.ending == Ending::completed);
  CHECK(out.stage == Stage::done);
  CHECK(out.detail.empty());
  CHECK_FALSE(out.violation);
  CHECK(out.host == "mx.test");
  CHECK(out.ip == loopback);
  CHECK(out.port == server.port());

  REQUIRE(out.greeting);
  CHECK(out.greeting->code == 220);
  CHECK(out.greeting->lines == std::vector<std::string>{"mx.test ESMTP mxscan test world"});
  REQUIRE(out.ehlo);
  CHECK(out.ehlo->code == 250);
  REQUIRE(out.capabilities);
  CHECK(out.capabilities->domain == "mx.test");
  CHECK(out.capabilities->starttls());
  CHECK(out.capabilities->has("PIPELINING"));
  CHECK(out.capabilities->size() == 10240000U);
  CHECK_FALSE(out.helo);
  REQUIRE(out.starttls);
  CHECK(out.starttls->code == 220);
  CHECK(out.plaintext_after_starttls == 0);

  REQUIRE(out.tls);
  CHECK(out.tls->version == "TLSv1.3");
  CHECK(out.tls->version_number == TLS1_3_VERSION);
  CHECK(out.tls->cipher.starts_with("TLS_"));
  CHECK_FALSE(out.tls->group.empty());
  CHECK(out.tls->failure.empty());
  REQUIRE(out.tls->chain.size() == 2);
  CHECK(out.tls->chain[0] == der_of(certificates().mx.cert.get()));
  CHECK(out.tls->chain[1] == der_of(certificates().pki.intermediate()));

  REQUIRE(out.ehlo_tls);
  CHECK(out.ehlo_tls->code == 250);
  REQUIRE(out.capabilities_tls);
  CHECK_FALSE(out.capabilities_tls->starttls());
  CHECK(out.capabilities_tls->has("8BITMIME"));

  CHECK(server.sni_names() == std::vector<std::string>{"mx.test"});
  CHECK(server.commands() == dialogue());
  CHECK(server.tls_handshakes_completed() == 1);
  CHECK(out.elapsed <= result.wall);
}

TEST_CASE("SNI is the host without its trailing dot, and never an IP literal", "[loopback]") {
  Harness harness;
  SmtpServer server(harness.io, starttls_server(), loopback);

  auto dotted = harness.config_for(server);
  dotted.host = "mx.test.";
  const auto with_dot = harness.run(dotted);
  REQUIRE(with_dot.finished);
  CHECK(with_dot.out.ending == Ending::completed);
  CHECK(with_dot.out.host == "mx.test.");

  auto literal = harness.config_for(server);
  literal.host = "127.0.0.1";
  const auto with_ip = harness.run(literal);
  REQUIRE(with_ip.finished);
  CHECK(with_ip.out.ending == Ending::completed);
  // Without SNI the server serves its default certificate.
  REQUIRE_FALSE(with_ip.out.tls->chain.empty());
  CHECK(with_ip.out.tls->chain[0] == der_of(certificates().fallback.cert.get()));

  CHECK(server.sni_names() == std::vector<std::string>{"mx.test", ""});
}

TEST_CASE("A multi-line greeting is read whole before EHLO", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.greeting =
      mx::world::smtp_reply(220, {"mx.test ESMTP", "no UCE", "be nice or be gone"});
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::completed);
  REQUIRE(result.out.greeting);
  CHECK(result.out.greeting->lines ==
        std::vector<std::string>{"mx.test ESMTP", "no UCE", "be nice or be gone"});
  CHECK(server.commands() == dialogue());
}

TEST_CASE("A greeting slower than the step timeout but within the greeting timeout is waited for",
          "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.greeting.delay = 700ms;
  SmtpServer server(harness.io, behaviour, loopback);
  auto config = harness.config_for(server);
  config.step_timeout = 300ms;
  config.greeting_timeout = 5s;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::completed);
  CHECK(result.out.stage == Stage::done);
  CHECK(result.out.elapsed >= 700ms);
}

TEST_CASE("A tarpit that never greets times out at the greeting within the greeting timeout",
          "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.greeting = mx::world::silent_response();
  SmtpServer server(harness.io, behaviour, loopback);
  auto config = harness.config_for(server);
  config.step_timeout = 10s;
  config.greeting_timeout = 300ms;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  REQUIRE_FALSE(result.threw);
  CHECK(result.out.ending == Ending::timeout);
  CHECK(result.out.stage == Stage::greeting);
  CHECK_FALSE(result.out.greeting);
  CHECK(result.out.elapsed >= 300ms);
  CHECK(result.wall < 5s);
  CHECK(server.commands().empty());
}

TEST_CASE("A server that stops answering times out at the step it stopped at", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  Stage stage = Stage::ehlo;
  SECTION("EHLO") {
    behaviour.ehlo = mx::world::silent_response();
  }
  SECTION("HELO") {
    behaviour.ehlo = mx::world::smtp_reply(500, {"5.5.1 what"});
    behaviour.helo = mx::world::silent_response();
    stage = Stage::helo;
  }
  SECTION("STARTTLS") {
    behaviour.starttls = mx::world::silent_response();
    stage = Stage::starttls;
  }
  SECTION("EHLO inside TLS") {
    behaviour.ehlo_after_tls = mx::world::silent_response();
    stage = Stage::ehlo_tls;
  }
  SmtpServer server(harness.io, behaviour, loopback);
  auto config = harness.config_for(server);
  config.step_timeout = 300ms;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  REQUIRE_FALSE(result.threw);
  CHECK(result.out.ending == Ending::timeout);
  CHECK(result.out.stage == stage);
  CHECK_FALSE(result.out.detail.empty());
  CHECK(result.out.elapsed >= 300ms);
  CHECK(result.wall < 5s);
}

TEST_CASE("Facts observed before a cancellation survive it", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.starttls = mx::world::silent_response();
  SmtpServer server(harness.io, behaviour, loopback);
  auto config = harness.config_for(server);
  config.step_timeout = 3s;
  const auto result = harness.run(config, 20s, 200ms);
  REQUIRE(result.finished);
  // Cancellation is the one thing that ends the probe with an exception (operation_aborted).
  CHECK(result.threw);
  CHECK(result.out.stage == Stage::starttls);
  CHECK(result.out.ending == Ending::io_error);
  CHECK(result.out.detail == "cancelled");
  REQUIRE(result.out.greeting);
  CHECK(result.out.greeting->code == 220);
  REQUIRE(result.out.capabilities);
  CHECK(result.out.capabilities->starttls());
  CHECK_FALSE(result.out.starttls);
  CHECK(result.out.elapsed > 0ms);
  CHECK(result.wall >= 200ms);
  CHECK(result.wall < 3s);
}

TEST_CASE("A 4xx greeting is deferred and a 5xx greeting rejected, then the probe says QUIT",
          "[loopback]") {
  const int code = GENERATE(421, 554);
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.greeting = mx::world::smtp_reply(code, {"mx.test go away"});
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == (code == 421 ? Ending::deferred : Ending::rejected));
  CHECK(result.out.stage == Stage::greeting);
  REQUIRE(result.out.greeting);
  CHECK(result.out.greeting->code == code);
  CHECK(result.out.detail == std::to_string(code) + " mx.test go away");
  CHECK_FALSE(result.out.ehlo);
  CHECK(server.commands() == std::vector<std::string>{"QUIT"});
}

TEST_CASE("A greeting followed by a close, or a close before any greeting", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  SECTION("close before the greeting: closed") {
    behaviour.greeting = mx::world::raw_response("");
    behaviour.greeting.close_after = true;
    SmtpServer server(harness.io, behaviour, loopback);
    const auto result = harness.run(harness.config_for(server));
    REQUIRE(result.finished);
    CHECK(result.out.ending == Ending::closed);
    CHECK(result.out.stage == Stage::greeting);
    CHECK_FALSE(result.out.violation);
  }
  SECTION("close in the middle of the greeting: a truncated reply") {
    behaviour.greeting = mx::world::raw_response("220-mx.test ESMTP\r\n220 half a li");
    behaviour.greeting.close_after = true;
    SmtpServer server(harness.io, behaviour, loopback);
    const auto result = harness.run(harness.config_for(server));
    REQUIRE(result.finished);
    CHECK(result.out.ending == Ending::protocol);
    CHECK(result.out.stage == Stage::greeting);
    CHECK(result.out.violation == Violation::truncated);
  }
}

TEST_CASE("EHLO refused with 5xx falls back to HELO, which offers no STARTTLS", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.ehlo = mx::world::smtp_reply(502, {"5.5.2 EHLO not implemented"});
  SECTION("a one-line HELO reply") {
    behaviour.helo = mx::world::smtp_reply(250, {"mx.test hello"});
  }
  SECTION("a HELO reply whose extra lines name STARTTLS still offers no extension") {
    behaviour.helo = mx::world::smtp_reply(250, {"mx.test hello", "STARTTLS"});
  }
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  const Observation& out = result.out;
  CHECK(out.ending == Ending::no_starttls);
  CHECK(out.stage == Stage::helo);
  REQUIRE(out.ehlo);
  CHECK(out.ehlo->code == 502);
  REQUIRE(out.helo);
  CHECK(out.helo->code == 250);
  REQUIRE(out.capabilities);
  CHECK(out.capabilities->domain == "mx.test");
  CHECK(out.capabilities->extensions.empty());
  CHECK_FALSE(out.starttls);
  CHECK_FALSE(out.tls);
  CHECK(server.commands() ==
        std::vector<std::string>{"EHLO scanner.test", "HELO scanner.test", "QUIT"});
}

TEST_CASE("HELO refused too: rejected at the HELO stage", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.ehlo = mx::world::smtp_reply(500, {"5.5.1 no"});
  behaviour.helo = mx::world::smtp_reply(550, {"5.7.1 not you either"});
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::rejected);
  CHECK(result.out.stage == Stage::helo);
  CHECK_FALSE(result.out.capabilities);
}

TEST_CASE("EHLO answered 4xx is deferred at the EHLO stage", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.ehlo = mx::world::smtp_reply(451, {"4.3.0 try again later"});
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::deferred);
  CHECK(result.out.stage == Stage::ehlo);
  REQUIRE(result.out.ehlo);
  CHECK(result.out.ehlo->code == 451);
  CHECK_FALSE(result.out.capabilities);
  CHECK_FALSE(result.out.helo);
  CHECK(server.commands() == std::vector<std::string>{"EHLO scanner.test", "QUIT"});
}

TEST_CASE("The STARTTLS keyword is found case-insensitively anywhere, and only as itself",
          "[loopback]") {
  struct Row {
    std::vector<std::string> extensions;
    Ending ending;
  };
  const auto row = GENERATE(
      Row{{"PIPELINING", "8BITMIME"}, Ending::no_starttls}, Row{{"starttls"}, Ending::completed},
      Row{{"STARTTLS", "PIPELINING"}, Ending::completed},
      Row{{"PIPELINING", "StartTLS", "8BITMIME", "SMTPUTF8"}, Ending::completed},
      Row{{"XSTARTTLS"}, Ending::no_starttls},
      Row{{"X-STARTTLS", "STARTTLSX", "AUTH STARTTLS"}, Ending::no_starttls});
  CAPTURE(row.extensions);
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.ehlo = mx::world::ehlo_reply(row.extensions);
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == row.ending);
  if (row.ending == Ending::no_starttls) {
    CHECK(result.out.stage == Stage::ehlo);
    REQUIRE(result.out.capabilities);
    CHECK_FALSE(result.out.capabilities->starttls());
    CHECK_FALSE(result.out.starttls);
    CHECK(server.commands() == std::vector<std::string>{"EHLO scanner.test", "QUIT"});
  } else {
    CHECK(result.out.stage == Stage::done);
    CHECK(server.commands() == dialogue());
  }
}

TEST_CASE("STARTTLS answered 454 is deferred and 5xx rejected at the STARTTLS stage",
          "[loopback]") {
  const int code = GENERATE(454, 502, 554);
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.starttls = mx::world::smtp_reply(code, {"no TLS for you"});
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == (code == 454 ? Ending::deferred : Ending::rejected));
  CHECK(result.out.stage == Stage::starttls);
  REQUIRE(result.out.starttls);
  CHECK(result.out.starttls->code == code);
  CHECK_FALSE(result.out.tls);
  CHECK(server.commands() == std::vector<std::string>{"EHLO scanner.test", "STARTTLS", "QUIT"});
}

TEST_CASE("A close right after 220 to STARTTLS fails the handshake", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.starttls.close_after = true;
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  REQUIRE_FALSE(result.threw);
  CHECK(result.out.ending == Ending::tls_failed);
  CHECK(result.out.stage == Stage::tls_handshake);
  REQUIRE(result.out.tls);
  CHECK(result.out.tls->failure == "the peer closed the connection during the handshake");
  CHECK(result.out.tls->version_number == 0);
  CHECK(result.out.tls->chain.empty());
}

TEST_CASE("Plaintext injected after 220 to STARTTLS is counted and discarded, not fed to TLS",
          "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.starttls.injected = "250-injected\r\n250 twice\r\n";
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::completed);
  CHECK(result.out.plaintext_after_starttls == 25);
  REQUIRE(result.out.ehlo_tls);
  CHECK(result.out.ehlo_tls->code == 250);
  CHECK(server.tls_handshakes_completed() == 1);
}

TEST_CASE("A server limited to TLS 1.0 or 1.1 completes, and the old version is recorded",
          "[loopback]") {
  struct Row {
    TlsVersion version;
    const char* name;
    int number;
  };
  const auto row = GENERATE(Row{TlsVersion::tls1_0, "TLSv1", TLS1_VERSION},
                            Row{TlsVersion::tls1_1, "TLSv1.1", TLS1_1_VERSION},
                            Row{TlsVersion::tls1_2, "TLSv1.2", TLS1_2_VERSION});
  CAPTURE(row.name);
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.tls->min_version = row.version;
  behaviour.tls->max_version = row.version;
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::completed);
  REQUIRE(result.out.tls);
  CHECK(result.out.tls->version == row.name);
  CHECK(result.out.tls->version_number == row.number);
  CHECK_FALSE(result.out.tls->cipher.empty());
  CHECK(result.out.tls->chain.size() == 2);
}

TEST_CASE("Replies written a few bytes at a time are reassembled, in plaintext and in TLS",
          "[loopback]") {
  const std::size_t chunk = GENERATE(1, 3, 7);
  Harness harness;
  auto behaviour = starttls_server();
  behaviour.greeting = mx::world::smtp_reply(220, {"mx.test ESMTP", "second line"});
  behaviour.write_chunk = chunk;
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::completed);
  REQUIRE(result.out.greeting);
  CHECK(result.out.greeting->lines.size() == 2);
  REQUIRE(result.out.capabilities);
  CHECK(result.out.capabilities->extensions.size() == 4);
  REQUIRE(result.out.capabilities_tls);
  CHECK(result.out.capabilities_tls->extensions.size() == 3);
}

TEST_CASE("Bytes that are not SMTP end the probe with a protocol violation", "[loopback]") {
  Harness harness;
  auto behaviour = starttls_server();
  Stage stage = Stage::greeting;
  Violation violation = Violation::not_smtp;
  SECTION("an HTTP response instead of a greeting") {
    behaviour.greeting =
        mx::world::raw_response("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  }
  SECTION("a 300 KB greeting line") {
    behaviour.greeting = mx::world::long_line_response(220, 300 * 1024);
    violation = Violation::line_too_long;
  }
  SECTION("an endless multi-line EHLO reply") {
    behaviour.ehlo = mx::world::endless_response(250);
    stage = Stage::ehlo;
    violation = Violation::too_many_lines;
  }
  SmtpServer server(harness.io, behaviour, loopback);
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  REQUIRE_FALSE(result.threw);
  CHECK(result.out.ending == Ending::protocol);
  CHECK(result.out.stage == stage);
  CHECK(result.out.violation == violation);
  CHECK_FALSE(result.out.detail.empty());
  CHECK(result.wall < 5s);
}

TEST_CASE("A closed port is refused", "[loopback]") {
  Harness harness;
  asio::ip::tcp::acceptor closed(harness.io, asio::ip::tcp::endpoint(loopback, 0));
  ProbeConfig config;
  config.host = "mx.test";
  config.ip = loopback;
  config.port = closed.local_endpoint().port();
  config.allow_private = true;
  closed.close();
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::refused);
  CHECK(result.out.stage == Stage::connect);
  CHECK_FALSE(result.out.detail.empty());
  CHECK_FALSE(result.out.greeting);
}

TEST_CASE("A special-purpose address is never connected to without allow_private", "[loopback]") {
  Harness harness;
  SmtpServer server(harness.io, starttls_server(), loopback);
  auto config = harness.config_for(server);
  config.allow_private = false;
  const auto result = harness.run(config, 5s);
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::forbidden);
  CHECK(result.out.stage == Stage::not_started);
  CHECK(result.out.detail.find("special-purpose") != std::string::npos);
  CHECK(result.out.elapsed == 0ms);
  CHECK(server.connections_accepted() == 0);
}

TEST_CASE("The probe works over IPv6 to ::1", "[loopback]") {
  Harness harness;
  SmtpServer server(harness.io, starttls_server(), asio::ip::make_address("::1"));
  const auto result = harness.run(harness.config_for(server));
  REQUIRE(result.finished);
  CHECK(result.out.ending == Ending::completed);
  CHECK(result.out.ip == asio::ip::make_address("::1"));
  CHECK(result.out.tls->version == "TLSv1.3");
  CHECK(server.sni_names() == std::vector<std::string>{"mx.test"});
}

TEST_CASE("Socket and TLS errors map to endings in one place", "[unit]") {
  namespace beast = boost::beast;
  using boost::system::error_code;
  struct Row {
    Stage stage;
    error_code ec;
    Ending ending;
  };
  const error_code tls_error = openssl_error(SSL_R_WRONG_VERSION_NUMBER);
  const auto row = GENERATE_COPY(
      Row{Stage::connect, beast::error::timeout, Ending::timeout},
      Row{Stage::greeting, beast::error::timeout, Ending::timeout},
      Row{Stage::tls_handshake, beast::error::timeout, Ending::timeout},
      Row{Stage::connect, asio::error::timed_out, Ending::timeout},
      Row{Stage::connect, asio::error::connection_refused, Ending::refused},
      Row{Stage::connect, asio::error::network_unreachable, Ending::unreachable},
      Row{Stage::connect, asio::error::host_unreachable, Ending::unreachable},
      Row{Stage::connect, asio::error::network_down, Ending::unreachable},
      Row{Stage::connect, asio::error::address_family_not_supported, Ending::unreachable},
      Row{Stage::connect, make_error_code(boost::system::errc::address_not_available),
          Ending::unreachable},
      Row{Stage::greeting, asio::error::eof, Ending::closed},
      Row{Stage::ehlo, asio::error::connection_reset, Ending::closed},
      Row{Stage::starttls, asio::error::broken_pipe, Ending::closed},
      Row{Stage::ehlo, asio::error::connection_aborted, Ending::closed},
      Row{Stage::ehlo_tls, asio::ssl::error::stream_truncated, Ending::closed},
      Row{Stage::tls_handshake, tls_error, Ending::tls_failed},
      Row{Stage::tls_handshake, asio::ssl::error::stream_truncated, Ending::tls_failed},
      Row{Stage::tls_handshake, asio::error::eof, Ending::tls_failed},
      Row{Stage::tls_handshake, asio::error::connection_reset, Ending::tls_failed},
      Row{Stage::ehlo_tls, tls_error, Ending::io_error},
      Row{Stage::greeting, asio::error::no_buffer_space, Ending::io_error},
      Row{Stage::connect, asio::error::operation_aborted, Ending::io_error});
  CAPTURE(to_string(row.stage), row.ec.message());
  CHECK(ending_for(row.stage, row.ec) == row.ending);
}

TEST_CASE("Stage and Ending names are their enumerators' names", "[unit]") {
  using mx::probes::smtp::to_string;
  CHECK(to_string(Stage::not_started) == "not_started");
  CHECK(to_string(Stage::connect) == "connect");
  CHECK(to_string(Stage::greeting) == "greeting");
  CHECK(to_string(Stage::ehlo) == "ehlo");
  CHECK(to_string(Stage::helo) == "helo");
  CHECK(to_string(Stage::starttls) == "starttls");
  CHECK(to_string(Stage::tls_handshake) == "tls_handshake");
  CHECK(to_string(Stage::ehlo_tls) == "ehlo_tls");
  CHECK(to_string(Stage::quit) == "quit");
  CHECK(to_string(Stage::done) == "done");
  CHECK(to_string(Ending::completed) == "completed");
  CHECK(to_string(Ending::forbidden) == "forbidden");
  CHECK(to_string(Ending::refused) == "refused");
  CHECK(to_string(Ending::unreachable) == "unreachable");
  CHECK(to_string(Ending::timeout) == "timeout");
  CHECK(to_string(Ending::closed) == "closed");
  CHECK(to_string(Ending::protocol) == "protocol");
  CHECK(to_string(Ending::rejected) == "rejected");
  CHECK(to_string(Ending::deferred) == "deferred");
  CHECK(to_string(Ending::no_starttls) == "no_starttls");
  CHECK(to_string(Ending::tls_failed) == "tls_failed");
  CHECK(to_string(Ending::io_error) == "io_error");
}

TEST_CASE("The SNI name drops the trailing dot and is never an IP literal or empty", "[unit]") {
  using mx::probes::tls::sni_name;
  CHECK(sni_name("mx.example.com") == "mx.example.com");
  CHECK(sni_name("mx.example.com.") == "mx.example.com");
  CHECK(sni_name("MX.Example.COM") == "MX.Example.COM");
  CHECK_FALSE(sni_name(""));
  CHECK_FALSE(sni_name("."));
  CHECK_FALSE(sni_name("192.0.2.1"));
  CHECK_FALSE(sni_name("2001:db8::1"));
  CHECK_FALSE(sni_name("::1"));
  CHECK(sni_name("192.0.2.1.example") == "192.0.2.1.example");
}

TEST_CASE("A failed handshake is described by OpenSSL's reason, or as the peer hanging up",
          "[unit]") {
  using Catch::Matchers::Contains;
  using mx::probes::tls::handshake_failure_text;
  CHECK_THAT(handshake_failure_text(openssl_error(SSL_R_WRONG_VERSION_NUMBER)),
             Contains("wrong version number"));
  CHECK_THAT(handshake_failure_text(openssl_error(SSL_R_UNSUPPORTED_PROTOCOL)),
             Contains("unsupported protocol"));
  CHECK_THAT(handshake_failure_text(openssl_error(SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE)),
             Contains("handshake failure"));
  const std::string hung_up = "the peer closed the connection during the handshake";
  CHECK(handshake_failure_text(asio::ssl::error::stream_truncated) == hung_up);
  CHECK(handshake_failure_text(asio::error::eof) == hung_up);
  const boost::system::error_code timeout = boost::beast::error::timeout;
  CHECK(handshake_failure_text(timeout) == timeout.message());
}

TEST_CASE("The TLS client profile offers TLS 1.0 to 1.3 at security level 0, verifying nothing",
          "[unit]") {
  TlsClient client;
  SSL_CTX* ctx = client.native_handle();
  CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_VERSION);
  CHECK(SSL_CTX_get_max_proto_version(ctx) == TLS1_3_VERSION);
  CHECK(SSL_CTX_get_security_level(ctx) == 0);
  CHECK(SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_NONE);
  CHECK((SSL_CTX_get_options(ctx) & SSL_OP_LEGACY_SERVER_CONNECT) != 0);
}
