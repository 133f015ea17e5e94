// The HTTPS GET client against the test world's DNS and HTTPS servers on loopback: what it adds
// to the MTA-STS fetch (whose own tests, mta_sts_fetch_test.cpp, cover the steps they share): any
// host and path, and a client that refuses what it cannot trust (require_trusted).

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "probes/https/get.hpp"
#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/dns/resolver.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/world/dns_server.hpp"
#include "tests/world/dns_zone.hpp"
#include "tests/world/https_server.hpp"
#include "tests/world/pki.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mx::probes::https::Ending;
using mx::probes::https::Fetch;
using mx::probes::https::GetConfig;
using mx::probes::https::Stage;
using mx::world::HttpsBehaviour;
using mx::world::HttpsCertificate;
using mx::world::HttpsResponse;
using mx::world::HttpsServer;
using mx::world::Issuer;
using mx::world::Leaf;
using mx::world::leaf_named;
using mx::world::LeafSpec;
using mx::world::Pki;
using mx::world::TlsVersion;
using mx::world::Zone;

constexpr std::string_view host = "lists.example.test";
const asio::ip::address loopback4 = asio::ip::make_address("127.0.0.1");

LeafSpec expired_leaf() {
  LeafSpec spec = leaf_named({std::string(host)});
  spec.valid_from = -std::chrono::hours(48);
  spec.valid_until = -std::chrono::hours(24);
  return spec;
}

struct Certificates {
  mx::test::TempDir dir;
  Pki pki{dir.path()};
  Leaf good = pki.issue(leaf_named({std::string(host)}), "good");
  Leaf other_name = pki.issue(leaf_named({"www.other.test"}), "other-name");
  Leaf untrusted = pki.issue(leaf_named({std::string(host)}, Issuer::unrelated_root), "untrusted");
  Leaf self_signed = pki.issue(leaf_named({std::string(host)}, Issuer::self_signed), "self");
  Leaf expired = pki.issue(expired_leaf(), "expired");
  mx::probes::tls::TrustStore trust = mx::probes::tls::TrustStore::from_file(pki.trust_file());
};

Certificates& certificates() {
  static Certificates certs;
  return certs;
}

// One GET against one HTTPS server for `host`, on an io_context of its own. `out` and the TLS
// client come before the io_context, so that a frame left unfinished goes first.
struct Harness {
  Fetch out;
  mx::probes::tls::TlsClient tls;
  asio::io_context io;
  mx::world::DnsServer dns;
  mx::dns::Resolver resolver;
  HttpsServer server;

  explicit Harness(HttpsBehaviour behaviour)
      : dns(io, zone(), loopback4),
        resolver(io, mx::dns::ResolverOptions{.servers = {mx::net::ServerAddress{
                                                  dns.endpoint().address(), dns.endpoint().port()}},
                                              .timeout = 5s,
                                              .tries = 1}),
        server(io, std::move(behaviour), loopback4) {}

  static Zone zone() {
    Zone z;
    z.add_a(std::string(host), loopback4.to_string());
    return z;
  }

  [[nodiscard]] GetConfig config(std::string path, bool require_trusted) const {
    return GetConfig{.host = std::string(host),
                     .port = server.port(),
                     .path = std::move(path),
                     .step_timeout = 5s,
                     .budget = 10s,
                     .body_limit = 1024 * 1024,
                     .header_limit = 8 * 1024,
                     .allow_private = true,
                     .require_trusted = require_trusted};
  }

  // True when the GET completed (without throwing) within the cap.
  bool run(GetConfig config) {
    bool finished = false;
    asio::co_spawn(
        io, mx::probes::https::get(std::move(config), tls, certificates().trust, resolver, out),
        [&](const std::exception_ptr& error) {
          finished = error == nullptr;
          io.stop();
        });
    io.run_for(20s);
    // The server's side of the connection is served a moment longer, so that whatever the client
    // sent (a request it should not have sent) is recorded.
    io.restart();
    io.run_for(100ms);
    return finished;
  }
};

HttpsBehaviour serving(const Leaf& leaf, HttpsResponse response) {
  HttpsBehaviour behaviour;
  behaviour.default_site.certificate = HttpsCertificate::from(leaf);
  behaviour.default_site.response = std::move(response);
  return behaviour;
}

std::string text_of(const Fetch& out) {
  return std::string(to_string(out.stage)) + " " + std::string(to_string(out.ending)) + " (" +
         out.detail + ")";
}

}  // namespace

TEST_CASE("HTTPS GET: the path is requested from the host and a 200's body read whole",
          "[loopback]") {
  const bool require_trusted = GENERATE(false, true);
  HttpsBehaviour behaviour = serving(certificates().good, HttpsResponse::error(404));
  behaviour.by_target = {{"/lists/policy.json", HttpsResponse::policy("{\"version\": \"0.1\"}")}};
  Harness harness(std::move(behaviour));
  REQUIRE(harness.run(harness.config("/lists/policy.json", require_trusted)));
  INFO(text_of(harness.out));
  CHECK(harness.out.ending == Ending::completed);
  CHECK(harness.out.stage == Stage::done);
  CHECK(harness.out.host == host);
  CHECK(harness.out.status == 200);
  CHECK(harness.out.body == "{\"version\": \"0.1\"}");
  REQUIRE(harness.out.certificate);
  CHECK_FALSE(mx::probes::https::certificate_problem(harness.out.certificate, host));
  const auto requests = harness.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].target == "/lists/policy.json");
  CHECK(requests[0].host == std::string(host) + ":" + std::to_string(harness.server.port()));
  CHECK(requests[0].sni == host);
}

TEST_CASE("HTTPS GET: require_trusted refuses a bad certificate before sending the request",
          "[loopback]") {
  struct Case {
    const char* name;
    const Leaf* leaf;
    const char* problem;
  };
  const Case c = GENERATE(Case{"unrelated root", &certificates().untrusted, "no chain"},
                          Case{"self-signed", &certificates().self_signed, "(self-signed)"},
                          Case{"another name", &certificates().other_name, "no subjectAltName"},
                          Case{"expired", &certificates().expired, "expired"});
  INFO(c.name);
  const bool require_trusted = GENERATE(false, true);
  INFO("require_trusted " << require_trusted);
  Harness harness(serving(*c.leaf, HttpsResponse::policy("{}")));
  REQUIRE(harness.run(harness.config("/policy.json", require_trusted)));
  INFO(text_of(harness.out));
  const auto problem = mx::probes::https::certificate_problem(harness.out.certificate, host);
  REQUIRE(problem);
  CHECK(problem->find(c.problem) != std::string::npos);
  CHECK(harness.server.tls_handshakes_completed() == 1);
  if (require_trusted) {
    CHECK(harness.out.ending == Ending::tls_failed);
    CHECK(harness.out.stage == Stage::tls_handshake);
    CHECK(harness.out.tls_failure == "certificate refused: " + *problem);
    CHECK(harness.out.detail == harness.out.tls_failure);
    CHECK(harness.out.status == 0);
    CHECK(harness.server.requests().empty());
  } else {
    // An observer reads the response all the same.
    CHECK(harness.out.ending == Ending::completed);
    CHECK(harness.out.body == "{}");
  }
}

TEST_CASE("HTTPS GET: require_trusted refuses TLS below 1.2, which an observer accepts",
          "[loopback]") {
  const bool require_trusted = GENERATE(false, true);
  HttpsBehaviour behaviour = serving(certificates().good, HttpsResponse::policy("{}"));
  behaviour.max_version = TlsVersion::tls1_1;
  Harness harness(std::move(behaviour));
  REQUIRE(harness.run(harness.config("/", require_trusted)));
  INFO(text_of(harness.out));
  if (require_trusted) {
    CHECK(harness.out.ending == Ending::tls_failed);
    CHECK(harness.out.stage == Stage::tls_handshake);
    CHECK_FALSE(harness.out.tls);
    CHECK(harness.server.requests().empty());
  } else {
    CHECK(harness.out.ending == Ending::completed);
    REQUIRE(harness.out.tls);
    CHECK(harness.out.tls->version == "TLSv1.1");
  }
}

TEST_CASE("HTTPS GET: a body cut short is closed and not kept", "[loopback]") {
  // Content-Length promises more than the raw response sends before closing.
  Harness harness(serving(
      certificates().good,
      HttpsResponse::raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"version\": \"0.1\"")));
  REQUIRE(harness.run(harness.config("/policy.json", true)));
  INFO(text_of(harness.out));
  CHECK(harness.out.ending == Ending::closed);
  CHECK(harness.out.stage == Stage::body);
  CHECK(harness.out.status == 200);
  CHECK(harness.out.content_length == 100u);
  CHECK(harness.out.body.empty());
}

TEST_CASE("HTTPS GET: a trailing dot is dropped from the host", "[loopback]") {
  Harness harness(serving(certificates().good, HttpsResponse::policy("{}")));
  GetConfig config = harness.config("/", true);
  config.host += ".";
  REQUIRE(harness.run(std::move(config)));
  INFO(text_of(harness.out));
  CHECK(harness.out.ending == Ending::completed);
  CHECK(harness.out.host == host);
  CHECK(harness.server.sni_names() == std::vector<std::string>{std::string(host)});
}

TEST_CASE("HTTPS GET: certificate problems, in order", "[unit]") {
  using mx::probes::https::certificate_problem;
  CHECK(certificate_problem(std::nullopt, host) == "no parsable certificate was served");
  mx::probes::tls::CertificateFacts facts;
  facts.parsed = true;
  facts.verify_error_text = "unable to get local issuer certificate";
  facts.expired = true;
  CHECK(certificate_problem(facts, host) ==
        "no chain to a trust anchor: unable to get local issuer certificate");
  facts.trusted = true;
  facts.not_after = "2020-01-01T00:00:00Z";
  CHECK(certificate_problem(facts, host) == "expired 2020-01-01T00:00:00Z");
  facts.expired = false;
  facts.chain_expired = true;
  CHECK(certificate_problem(facts, host) ==
        "a certificate of the served chain above the leaf is out of date");
  facts.chain_expired = false;
  CHECK(certificate_problem(facts, host) == "no subjectAltName covers lists.example.test");
  facts.name_matches = true;
  CHECK_FALSE(certificate_problem(facts, host));
}
