// The MTA-STS policy fetch against the test world's DNS and HTTPS servers on loopback, and its
// pure pieces (host name, media type, error mapping, names).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/errc.hpp>
#include <catch2/catch.hpp>

#include "probes/mta_sts/fetch.hpp"
#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/dns/resolver.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/world/dns_server.hpp"
#include "tests/world/dns_zone.hpp"
#include "tests/world/https_server.hpp"
#include "tests/world/pki.hpp"

namespace {

using mx::test::TempDir;

namespace asio = boost::asio;
using namespace std::chrono_literals;
using mx::probes::mta_sts::ConnectResult;
using mx::probes::mta_sts::FetchConfig;
using mx::probes::mta_sts::FetchEnding;
using mx::probes::mta_sts::FetchStage;
using mx::probes::mta_sts::Mode;
using mx::probes::mta_sts::PolicyError;
using mx::probes::mta_sts::PolicyFetch;
using mx::world::HttpsBehaviour;
using mx::world::HttpsCertificate;
using mx::world::HttpsResponse;
using mx::world::HttpsServer;
using mx::world::Issuer;
using mx::world::Leaf;
using mx::world::leaf_named;
using mx::world::Pki;
using mx::world::Zone;

constexpr std::string_view domain = "example.test";
constexpr std::string_view host = "mta-sts.example.test";
constexpr std::string_view good_policy =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 604800\r\n";

// One PKI per test process (making CA keys is the slow part): the policy host's leaf, one for
// another name, and one for the policy host from a root the trust store lacks.
struct Certificates {
  TempDir dir;
  Pki pki{dir.path()};
  Leaf policy_host = pki.issue(leaf_named({std::string(host)}), "policy-host");
  Leaf other_name = pki.issue(leaf_named({"www.other.test"}), "other-name");
  Leaf untrusted = pki.issue(leaf_named({std::string(host)}, Issuer::unrelated_root), "untrusted");
  mx::probes::tls::TrustStore trust = mx::probes::tls::TrustStore::from_file(pki.trust_file());
};

Certificates& certificates() {
  static Certificates certs;
  return certs;
}

HttpsBehaviour serving(HttpsResponse response, const Leaf& leaf = certificates().policy_host) {
  HttpsBehaviour behaviour;
  behaviour.default_site.certificate = HttpsCertificate::from(leaf);
  behaviour.default_site.response = std::move(response);
  return behaviour;
}

const asio::ip::address loopback4 = asio::ip::make_address("127.0.0.1");
const asio::ip::address loopback6 = asio::ip::make_address("::1");

// Runs fetches on its own io_context, against a DNS server holding `zone` on 127.0.0.1. The
// facts, the TLS client and the cancellation signal are declared before the io_context, so that
// a fetch frame left unfinished by a failing test is destroyed (with the io_context) while they
// still exist; the resolver and the servers come after it, and go first.
class Harness {
 public:
  struct Result {
    PolicyFetch out;
    bool finished = false;  // the coroutine completed within the cap
    bool threw = false;     // ... by throwing, which it must never do for a peer
    std::chrono::milliseconds wall{0};
  };

 private:
  PolicyFetch out_;
  mx::probes::tls::TlsClient tls_;
  asio::cancellation_signal cancel_;
  bool finished_ = false;
  bool threw_ = false;

 public:
  asio::io_context io;

 private:
  mx::world::DnsServer dns_;
  mx::dns::Resolver resolver_;
  std::vector<std::unique_ptr<HttpsServer>> servers_;

 public:
  explicit Harness(const Zone& zone, std::chrono::milliseconds dns_timeout = 5s)
      : dns_(io, zone, loopback4),
        resolver_(io,
                  mx::dns::ResolverOptions{.servers = {mx::net::ServerAddress{
                                               dns_.endpoint().address(), dns_.endpoint().port()}},
                                           .timeout = dns_timeout,
                                           .tries = 1}) {}

  HttpsServer& serve(HttpsBehaviour behaviour, const asio::ip::address& address = loopback4,
                     std::uint16_t port = 0) {
    servers_.push_back(std::make_unique<HttpsServer>(io, std::move(behaviour), address, port));
    return *servers_.back();
  }

  [[nodiscard]] static FetchConfig config_for(std::uint16_t port) {
    FetchConfig config;
    config.domain = std::string(domain);
    config.https_port = port;
    config.step_timeout = 5s;
    config.budget = 10s;
    config.allow_private = true;
    return config;
  }

  // Runs one fetch to its end, or until `cap` passes; with `cancel_after`, emits a terminal
  // cancellation to the fetch then, as an engine's stop would.
  Result run(FetchConfig config, std::chrono::milliseconds cap = 20s,
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
        io,
        mx::probes::mta_sts::fetch_policy(std::move(config), tls_, certificates().trust, resolver_,
                                          out_),
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

// The policy host at `ip` (IPv4 or IPv6).
Zone zone_with(const asio::ip::address& ip) {
  Zone zone;
  if (ip.is_v4()) {
    zone.add_a(std::string(host), ip.to_string());
  } else {
    zone.add_aaaa(std::string(host), ip.to_string());
  }
  return zone;
}

std::string text_of(const PolicyFetch& out) {
  std::string text = std::string(to_string(out.stage)) + " " + std::string(to_string(out.ending)) +
                     " (" + out.detail + ")";
  return text;
}

}  // namespace

TEST_CASE("Policy fetch: a good policy is fetched, its certificate analysed and its body parsed",
          "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(serving(HttpsResponse::policy(std::string(good_policy))));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  const PolicyFetch& out = result.out;
  INFO(text_of(out));
  CHECK(out.ending == FetchEnding::completed);
  CHECK(out.stage == FetchStage::done);
  CHECK(out.detail.empty());
  CHECK(out.host == host);
  CHECK(out.port == server.port());

  REQUIRE(out.a);
  CHECK(out.a->meta.outcome == mx::dns::Outcome::data);
  REQUIRE(out.aaaa);
  CHECK(out.aaaa->meta.outcome == mx::dns::Outcome::nodata);
  REQUIRE(out.attempts.size() == 1);
  CHECK(out.attempts[0].ip == loopback4);
  CHECK(out.attempts[0].result == ConnectResult::connected);

  REQUIRE(out.tls);
  CHECK(out.tls->version_number >= 0x0303);
  CHECK(out.tls->chain.size() == 2);  // leaf and intermediate
  CHECK(out.tls_failure.empty());
  REQUIRE(out.certificate);
  CHECK(out.certificate->trusted);
  CHECK(out.certificate->name_matches);

  CHECK(out.status == 200);
  CHECK(out.reason == "OK");
  CHECK_FALSE(out.location);
  REQUIRE(out.content_type);
  CHECK(*out.content_type == "text/plain; charset=utf-8");
  CHECK(out.text_plain);
  CHECK(out.content_length == good_policy.size());
  CHECK_FALSE(out.chunked);
  CHECK(out.body == good_policy);
  CHECK(out.body_octets == good_policy.size());
  REQUIRE(out.policy);
  REQUIRE(out.policy->has_value());
  CHECK((*out.policy)->mode == Mode::enforce);
  CHECK((*out.policy)->max_age == 604800);
  CHECK((*out.policy)->mx == std::vector<std::string>{"mx.example.test"});

  // One request, as RFC 8461 §3.3 says, to the policy host by SNI and Host.
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].target == "/.well-known/mta-sts.txt");
  CHECK(requests[0].host == std::string(host) + ":" + std::to_string(server.port()));
  CHECK(requests[0].sni == host);
  CHECK(server.sni_names() == std::vector<std::string>{std::string(host)});
}

TEST_CASE("Policy fetch: a 404 is recorded and its body is not read", "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(serving(HttpsResponse::error(404)));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  CHECK(result.out.stage == FetchStage::done);
  CHECK(result.out.status == 404);
  CHECK(result.out.reason == "Not Found");
  CHECK(result.out.body.empty());
  CHECK(result.out.body_octets == 0);
  CHECK_FALSE(result.out.policy);
}

TEST_CASE("Policy fetch: a redirect is recorded with its Location and not followed", "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(
      serving(HttpsResponse::redirect(301, "https://policy.example.test/mta-sts.txt")));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  CHECK(result.out.status == 301);
  REQUIRE(result.out.location);
  CHECK(*result.out.location == "https://policy.example.test/mta-sts.txt");
  CHECK_FALSE(result.out.policy);
  CHECK(server.requests().size() == 1);
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("Policy fetch: the Content-Type is recorded as sent and judged as a media type",
          "[loopback]") {
  struct Case {
    std::string content_type;  // "" sends no Content-Type at all
    bool text_plain;
  };
  const Case c =
      GENERATE(Case{"", false}, Case{"text/html", false}, Case{"text/plain", true},
               Case{"text/plain; charset=utf-8", true},
               Case{"TEXT/Plain ;charset=\"us-ascii\"", true}, Case{"text/plain-policy", false});
  INFO("Content-Type: " << c.content_type);
  Harness harness(zone_with(loopback4));
  HttpsResponse response = HttpsResponse::policy(std::string(good_policy));
  response.content_type = c.content_type;
  HttpsServer& server = harness.serve(serving(std::move(response)));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  if (c.content_type.empty()) {
    CHECK_FALSE(result.out.content_type);
  } else {
    REQUIRE(result.out.content_type);
    CHECK(*result.out.content_type == c.content_type);
  }
  CHECK(result.out.text_plain == c.text_plain);
  // The body is parsed whatever its type: the judge looks at the type first.
  REQUIRE(result.out.policy);
  CHECK(result.out.policy->has_value());
}

TEST_CASE("Policy fetch: a body that is no policy is recorded with the parser's failure",
          "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(serving(HttpsResponse::policy("<html>hello</html>\n")));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  CHECK(result.out.body == "<html>hello</html>\n");
  REQUIRE(result.out.policy);
  REQUIRE(result.out.policy->has_error());
  CHECK(result.out.policy->error().error == PolicyError::syntax);
}

TEST_CASE("Policy fetch: a declared Content-Length over the limit is too large before any body",
          "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(serving(HttpsResponse::oversized(10 * 1024 * 1024)));
  FetchConfig config = Harness::config_for(server.port());
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::too_large);
  CHECK(result.out.stage == FetchStage::body);
  CHECK(result.out.status == 200);
  CHECK(result.out.content_length == 10 * 1024 * 1024);
  CHECK(result.out.body_octets == 0);
  CHECK(result.out.body.empty());
  CHECK_FALSE(result.out.policy);
  CHECK(result.wall < 2s);
}

TEST_CASE("Policy fetch: an endless chunked body is too large once past the limit", "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(serving(HttpsResponse::endless()));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::too_large);
  CHECK(result.out.stage == FetchStage::body);
  CHECK(result.out.chunked);
  CHECK_FALSE(result.out.content_length);
  CHECK(result.out.body_octets <= mx::probes::mta_sts::max_policy_octets);
  CHECK(result.out.body_octets > 0);
  CHECK(result.out.body.empty());
  CHECK_FALSE(result.out.policy);
  CHECK(result.wall < 2s);
}

TEST_CASE("Policy fetch: a body of exactly the limit is read whole", "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(serving(HttpsResponse::policy(std::string(4096, 'x'))));
  FetchConfig config = Harness::config_for(server.port());
  config.body_limit = 4096;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  CHECK(result.out.body_octets == 4096);
  CHECK(result.out.body.size() == 4096);
}

TEST_CASE("Policy fetch: a bad certificate is recorded and the response still read", "[loopback]") {
  const bool untrusted = GENERATE(true, false);
  const Leaf& leaf = untrusted ? certificates().untrusted : certificates().other_name;
  INFO((untrusted ? "untrusted root" : "wrong name"));
  Harness harness(zone_with(loopback4));
  HttpsServer& server =
      harness.serve(serving(HttpsResponse::policy(std::string(good_policy)), leaf));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  CHECK(server.tls_handshakes_completed() == 1);
  REQUIRE(result.out.tls);
  REQUIRE(result.out.certificate);
  CHECK(result.out.certificate->trusted == !untrusted);
  CHECK(result.out.certificate->name_matches == untrusted);
  CHECK(result.out.status == 200);
  REQUIRE(result.out.policy);
  CHECK(result.out.policy->has_value());
}

TEST_CASE("Policy fetch: a response slower than the budget times out within the budget",
          "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsResponse response = HttpsResponse::policy(std::string(good_policy));
  response.delay = 5s;
  HttpsServer& server = harness.serve(serving(std::move(response)));
  FetchConfig config = Harness::config_for(server.port());
  config.step_timeout = 5s;
  config.budget = 300ms;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::timeout);
  CHECK(result.out.stage == FetchStage::header);
  CHECK(result.out.detail == "the fetch's budget ran out");
  CHECK(result.out.tls);  // what came before the stall survives
  CHECK(result.out.status == 0);
  CHECK(result.out.elapsed >= 300ms);
  CHECK(result.wall < 1500ms);
}

TEST_CASE("Policy fetch: a step slower than its deadline times out within the budget",
          "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsResponse response = HttpsResponse::policy(std::string(good_policy));
  response.delay = 5s;
  HttpsServer& server = harness.serve(serving(std::move(response)));
  FetchConfig config = Harness::config_for(server.port());
  config.step_timeout = 200ms;
  config.budget = 10s;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::timeout);
  CHECK(result.out.stage == FetchStage::header);
  CHECK(result.out.detail == "the step's deadline passed");
  CHECK(result.wall < 1500ms);
}

TEST_CASE("Policy fetch: a DNS answer slower than the budget times out within the budget",
          "[loopback]") {
  Zone zone = zone_with(loopback4);
  mx::world::Behaviour slow;
  slow.delay = 3s;
  zone.set_behaviour(std::string(host), slow);
  Harness harness(zone);
  FetchConfig config = Harness::config_for(443);
  config.budget = 300ms;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::timeout);
  CHECK(result.out.stage == FetchStage::resolve);
  REQUIRE(result.out.a);
  CHECK(result.out.a->meta.outcome == mx::dns::Outcome::timeout);
  CHECK(result.out.detail == "the fetch's budget ran out during the A lookup");
  CHECK_FALSE(result.out.aaaa);
  CHECK(result.wall < 1500ms);
}

TEST_CASE("Policy fetch: DNS answers slower than the step deadline are both cut short",
          "[loopback]") {
  Zone zone = zone_with(loopback4);
  mx::world::Behaviour slow;
  slow.delay = 3s;
  zone.set_behaviour(std::string(host), slow);
  Harness harness(zone);
  FetchConfig config = Harness::config_for(443);
  config.step_timeout = 200ms;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::timeout);
  CHECK(result.out.stage == FetchStage::resolve);
  CHECK(result.out.detail == "the step's deadline passed during the A lookup");
  REQUIRE(result.out.a);
  CHECK(result.out.a->meta.outcome == mx::dns::Outcome::timeout);
  REQUIRE(result.out.aaaa);
  CHECK(result.out.aaaa->meta.outcome == mx::dns::Outcome::timeout);
  CHECK(result.out.elapsed >= 400ms);
  CHECK(result.wall < 2s);
}

TEST_CASE("Policy fetch: no address for the policy host", "[loopback]") {
  SECTION("NXDOMAIN: no address") {
    Harness harness(Zone{});
    const auto result = harness.run(Harness::config_for(443));
    REQUIRE(result.finished);
    INFO(text_of(result.out));
    CHECK(result.out.ending == FetchEnding::no_address);
    CHECK(result.out.stage == FetchStage::resolve);
    REQUIRE(result.out.a);
    CHECK(result.out.a->meta.outcome == mx::dns::Outcome::nxdomain);
    REQUIRE(result.out.aaaa);
    CHECK(result.out.aaaa->meta.outcome == mx::dns::Outcome::nxdomain);
    CHECK(result.out.attempts.empty());
  }
  SECTION("NODATA: no address") {
    Zone zone;
    zone.add_txt(std::string(host), {"not an address"});
    Harness harness(zone);
    const auto result = harness.run(Harness::config_for(443));
    REQUIRE(result.finished);
    INFO(text_of(result.out));
    CHECK(result.out.ending == FetchEnding::no_address);
    REQUIRE(result.out.a);
    CHECK(result.out.a->meta.outcome == mx::dns::Outcome::nodata);
  }
  SECTION("SERVFAIL: undetermined, not absent") {
    Zone zone;
    mx::world::Behaviour failing;
    failing.reply = mx::world::Behaviour::Reply::servfail;
    zone.set_behaviour(std::string(host), failing);
    Harness harness(zone);
    const auto result = harness.run(Harness::config_for(443));
    REQUIRE(result.finished);
    INFO(text_of(result.out));
    CHECK(result.out.ending == FetchEnding::dns_error);
    CHECK(result.out.stage == FetchStage::resolve);
    REQUIRE(result.out.a);
    CHECK(result.out.a->meta.outcome == mx::dns::Outcome::servfail);
  }
}

TEST_CASE("Policy fetch: a special-purpose address is refused without allow_private",
          "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsServer& server = harness.serve(serving(HttpsResponse::policy(std::string(good_policy))));
  FetchConfig config = Harness::config_for(server.port());
  config.allow_private = false;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::forbidden);
  CHECK(result.out.stage == FetchStage::connect);
  REQUIRE(result.out.attempts.size() == 1);
  CHECK(result.out.attempts[0].result == ConnectResult::forbidden);
  CHECK(result.out.attempts[0].detail.find("Loopback") != std::string::npos);
  CHECK_FALSE(result.out.tls);
  CHECK(server.connections_accepted() == 0);
}

TEST_CASE("Policy fetch: a policy host on ::1", "[loopback]") {
  Harness harness(zone_with(loopback6));
  HttpsServer& server =
      harness.serve(serving(HttpsResponse::policy(std::string(good_policy))), loopback6);
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  REQUIRE(result.out.attempts.size() == 1);
  CHECK(result.out.attempts[0].ip == loopback6);
  REQUIRE(result.out.policy);
  CHECK(result.out.policy->has_value());
}

TEST_CASE("Policy fetch: IPv4 first, then IPv6 when IPv4 refuses", "[loopback]") {
  Zone zone;
  zone.add_a(std::string(host), "127.0.0.2");  // nothing listens there
  zone.add_aaaa(std::string(host), "::1");
  Harness harness(zone);
  HttpsServer& server =
      harness.serve(serving(HttpsResponse::policy(std::string(good_policy))), loopback6);
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::completed);
  REQUIRE(result.out.attempts.size() == 2);
  CHECK(result.out.attempts[0].ip == asio::ip::make_address("127.0.0.2"));
  CHECK(result.out.attempts[0].result == ConnectResult::refused);
  CHECK(result.out.attempts[1].ip == loopback6);
  CHECK(result.out.attempts[1].result == ConnectResult::connected);
}

TEST_CASE("Policy fetch: every address refusing ends in refused", "[loopback]") {
  Zone zone;
  zone.add_a(std::string(host), "127.0.0.2");
  Harness harness(zone);
  // Any port does: nothing listens on 127.0.0.2.
  const auto result = harness.run(Harness::config_for(443));
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::refused);
  CHECK(result.out.stage == FetchStage::connect);
  REQUIRE(result.out.attempts.size() == 1);
  CHECK(result.out.attempts[0].result == ConnectResult::refused);
}

TEST_CASE("Policy fetch: a response that is not HTTP, or none at all", "[loopback]") {
  const bool garbage = GENERATE(true, false);
  Harness harness(zone_with(loopback4));
  HttpsServer& server =
      harness.serve(serving(HttpsResponse::raw(garbage ? "SSH-2.0-OpenSSH_9.2\r\n\r\n" : "")));
  const auto result = harness.run(Harness::config_for(server.port()));
  REQUIRE(result.finished);
  CHECK_FALSE(result.threw);
  INFO(text_of(result.out));
  CHECK(result.out.ending == (garbage ? FetchEnding::http_error : FetchEnding::closed));
  CHECK(result.out.stage == FetchStage::header);
  CHECK(result.out.status == 0);
}

TEST_CASE("Policy fetch: a header over its limit is an HTTP error", "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsResponse response = HttpsResponse::policy(std::string(good_policy));
  response.headers.emplace_back("X-Padding", std::string(2000, 'p'));
  HttpsServer& server = harness.serve(serving(std::move(response)));
  FetchConfig config = Harness::config_for(server.port());
  config.header_limit = 1024;
  const auto result = harness.run(config);
  REQUIRE(result.finished);
  INFO(text_of(result.out));
  CHECK(result.out.ending == FetchEnding::http_error);
  CHECK(result.out.stage == FetchStage::header);
}

TEST_CASE("Policy fetch: a cancellation ends the coroutine, the facts so far kept", "[loopback]") {
  Harness harness(zone_with(loopback4));
  HttpsResponse response = HttpsResponse::policy(std::string(good_policy));
  response.delay = 5s;
  HttpsServer& server = harness.serve(serving(std::move(response)));
  const auto result = harness.run(Harness::config_for(server.port()), 20s, 300ms);
  REQUIRE(result.finished);
  CHECK(result.threw);
  CHECK(result.out.ending == FetchEnding::io_error);
  CHECK(result.out.detail == "cancelled");
  CHECK(result.out.stage == FetchStage::header);
  CHECK(result.out.tls);
  CHECK(result.wall < 2s);
}

TEST_CASE("Policy fetch: a cancellation during the lookups ends the coroutine", "[loopback]") {
  Zone zone = zone_with(loopback4);
  mx::world::Behaviour slow;
  slow.delay = 3s;
  zone.set_behaviour(std::string(host), slow);
  Harness harness(zone);
  const auto result = harness.run(Harness::config_for(443), 20s, 200ms);
  REQUIRE(result.finished);
  CHECK(result.threw);
  CHECK(result.out.ending == FetchEnding::io_error);
  CHECK(result.out.detail == "cancelled");
  CHECK(result.out.stage == FetchStage::resolve);
  CHECK(result.wall < 2s);
}

TEST_CASE("Policy host: mta-sts. before the domain, without its trailing dot", "[unit]") {
  CHECK(mx::probes::mta_sts::policy_host("example.test") == "mta-sts.example.test");
  CHECK(mx::probes::mta_sts::policy_host("example.test.") == "mta-sts.example.test");
}

TEST_CASE("text/plain: the media type, any case, parameters allowed", "[unit]") {
  using mx::probes::mta_sts::is_text_plain;
  CHECK(is_text_plain("text/plain"));
  CHECK(is_text_plain("TEXT/PLAIN"));
  CHECK(is_text_plain("Text/Plain;charset=utf-8"));
  CHECK(is_text_plain("text/plain ; charset=\"utf-8\"; format=flowed"));
  CHECK(is_text_plain(" \ttext/plain\t"));
  CHECK_FALSE(is_text_plain(""));
  CHECK_FALSE(is_text_plain("text/html"));
  CHECK_FALSE(is_text_plain("text/plainx"));
  CHECK_FALSE(is_text_plain("text/plain, text/html"));
  CHECK_FALSE(is_text_plain("text / plain"));
  CHECK_FALSE(is_text_plain("text"));
  CHECK_FALSE(is_text_plain("application/octet-stream"));
}

TEST_CASE("Fetch endings for socket, TLS and HTTP errors", "[unit]") {
  using mx::probes::mta_sts::ending_for;
  namespace beast = boost::beast;
  namespace http = beast::http;
  CHECK(ending_for(FetchStage::connect, beast::error::timeout) == FetchEnding::timeout);
  CHECK(ending_for(FetchStage::body, beast::error::timeout) == FetchEnding::timeout);
  CHECK(ending_for(FetchStage::tls_handshake, beast::error::timeout) == FetchEnding::timeout);
  CHECK(ending_for(FetchStage::tls_handshake, asio::error::eof) == FetchEnding::tls_failed);
  CHECK(ending_for(FetchStage::connect, asio::error::connection_refused) == FetchEnding::refused);
  CHECK(ending_for(FetchStage::connect, asio::error::network_unreachable) ==
        FetchEnding::unreachable);
  CHECK(ending_for(FetchStage::connect, asio::error::host_unreachable) == FetchEnding::unreachable);
  CHECK(ending_for(FetchStage::header, asio::error::connection_reset) == FetchEnding::closed);
  CHECK(ending_for(FetchStage::header, asio::ssl::error::stream_truncated) == FetchEnding::closed);
  CHECK(ending_for(FetchStage::header, http::error::end_of_stream) == FetchEnding::closed);
  CHECK(ending_for(FetchStage::body, http::error::partial_message) == FetchEnding::closed);
  CHECK(ending_for(FetchStage::body, http::error::body_limit) == FetchEnding::too_large);
  CHECK(ending_for(FetchStage::header, http::error::header_limit) == FetchEnding::http_error);
  CHECK(ending_for(FetchStage::header, http::error::bad_version) == FetchEnding::http_error);
  CHECK(ending_for(FetchStage::body, http::error::bad_chunk) == FetchEnding::http_error);
  CHECK(ending_for(FetchStage::request,
                   boost::system::errc::make_error_code(boost::system::errc::io_error)) ==
        FetchEnding::io_error);
}

TEST_CASE("Fetch stages, endings and connect results print as their enumerator names", "[unit]") {
  using mx::probes::mta_sts::to_string;
  CHECK(to_string(FetchStage::not_started) == "not_started");
  CHECK(to_string(FetchStage::tls_handshake) == "tls_handshake");
  CHECK(to_string(FetchStage::done) == "done");
  CHECK(to_string(FetchEnding::no_address) == "no_address");
  CHECK(to_string(FetchEnding::too_large) == "too_large");
  CHECK(to_string(FetchEnding::http_error) == "http_error");
  CHECK(to_string(ConnectResult::connected) == "connected");
  CHECK(to_string(ConnectResult::forbidden) == "forbidden");
}
