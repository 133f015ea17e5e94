#include "tests/world/https_server.hpp"
#include "tests/support/temp_dir.hpp"

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
#include <utility>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

namespace {

using mx::test::TempDir;

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using asio::ip::tcp;
using mx::world::HttpsBehaviour;
using mx::world::HttpsCertificate;
using mx::world::HttpsRequest;
using mx::world::HttpsResponse;
using mx::world::HttpsServer;
using mx::world::HttpsSite;
using mx::world::Leaf;
using mx::world::leaf_named;
using mx::world::Pki;
using mx::world::TlsVersion;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view well_known = "/.well-known/mta-sts.txt";
constexpr std::string_view policy_text =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.a.test\r\nmax_age: 86400\r\n";
const auto localhost = asio::ip::make_address("127.0.0.1");

// A PKI with the default site's certificate and two MTA-STS hosts'.
struct Certificates {
  Certificates()
      : pki(dir.path()),
        fallback(pki.issue(leaf_named({"default.test"}), "default")),
        a(pki.issue(leaf_named({"mta-sts.a.test"}), "a")),
        b(pki.issue(leaf_named({"mta-sts.b.test", "alt.b.test"}), "b")) {}

  // Every site serves `response`: the default one under default.test's certificate.
  [[nodiscard]] HttpsBehaviour serving(const HttpsResponse& response) const {
    HttpsBehaviour behaviour;
    behaviour.default_site = HttpsSite{HttpsCertificate::from(fallback), response};
    behaviour.by_sni = {{"mta-sts.a.test", HttpsSite{HttpsCertificate::from(a), response}}};
    return behaviour;
  }

  TempDir dir;
  Pki pki;
  Leaf fallback;
  Leaf a;
  Leaf b;
};

struct VisitOptions {
  std::string sni = "mta-sts.a.test";   // "" = none
  std::string host = "mta-sts.a.test";  // the Host header; "" = none
  // One request per target on one connection, kept alive but for the last.
  std::vector<std::string> targets{std::string(well_known)};
  http::verb method = http::verb::get;
  std::string padding;  // the value of an X-Padding header, when not empty
  bool header_only = false;
  std::size_t body_limit = 1024 * 1024;
  int max_version = TLS1_3_VERSION;
  // Not empty: the chain must verify up to this root, for the host name `sni`.
  std::filesystem::path trust_file;
};

struct Exchange {
  boost::system::error_code ec;
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // in the order received
  std::string body;

  [[nodiscard]] std::optional<std::string> field(std::string_view name) const {
    for (const auto& [key, value] : fields) {
      if (key == name) {
        return value;
      }
    }
    return std::nullopt;
  }
};

struct Visit {
  std::string outcome;  // "connect failed", "tls failed" or "tls"
  std::string tls_version;
  std::string leaf_names;  // the DNS names of the leaf the server showed, comma-separated
  std::vector<Exchange> exchanges;
  Clock::duration elapsed{};
};

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

// A client accepting any TLS version and, without a trust file, any certificate: most tests look
// at what it was shown rather than let OpenSSL judge it.
std::shared_ptr<ssl::context> client_context(const VisitOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_security_level(native, 0);
  SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(native, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(native, options.max_version);
  if (options.trust_file.empty()) {
    context->set_verify_mode(ssl::verify_none);
  } else {
    context->load_verify_file(options.trust_file.string());
    context->set_verify_mode(ssl::verify_peer);
    context->set_verify_callback(ssl::host_name_verification(options.sni));
  }
  return context;
}

// One request, and its response read with Beast's parser, bounded by `body_limit`. `stream` and
// `buffer` live in the calling visit()'s frame, which awaits this one.
asio::awaitable<Exchange> exchange(ssl::stream<tcp::socket>& stream,
                                   boost::beast::flat_buffer& buffer, VisitOptions options,
                                   std::string target, bool last) {
  Exchange result;
  http::request<http::empty_body> request(options.method, target, 11);
  if (!options.host.empty()) {
    request.set(http::field::host, options.host);
  }
  if (!options.padding.empty()) {
    request.set("X-Padding", options.padding);
  }
  request.keep_alive(!last);
  const auto wrote = co_await http::async_write(stream, request, use_tuple);
  if (std::get<0>(wrote)) {
    result.ec = std::get<0>(wrote);
    co_return result;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.body_limit);
  if (options.header_only) {
    const auto read = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    result.ec = std::get<0>(read);
  } else {
    const auto read = co_await http::async_read(stream, buffer, parser, use_tuple);
    result.ec = std::get<0>(read);
  }
  if (parser.is_header_done()) {
    const auto& response = parser.get();
    result.status = response.result_int();
    for (const auto& field : response) {
      result.fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.body = response.body();
  }
  co_return result;
}

// Connects, shakes hands and plays the requests; the connection closes abruptly afterwards, in
// the middle of a body when the reading stopped there.
asio::awaitable<Visit> visit(tcp::endpoint endpoint, VisitOptions options) {
  const auto start = Clock::now();
  const auto executor = co_await asio::this_coro::executor;
  const auto context = client_context(options);
  Visit result;
  ssl::stream<tcp::socket> stream(executor, *context);
  const auto connected = co_await stream.lowest_layer().async_connect(endpoint, use_tuple);
  if (std::get<0>(connected)) {
    result.outcome = "connect failed";
    co_return result;
  }
  if (!options.sni.empty()) {
    SSL_set_tlsext_host_name(stream.native_handle(), options.sni.c_str());
  }
  const auto shook = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (std::get<0>(shook)) {
    result.outcome = "tls failed";
    co_return result;
  }
  result.outcome = "tls";
  result.tls_version = SSL_get_version(stream.native_handle());
  result.leaf_names = leaf_names(stream.native_handle());
  boost::beast::flat_buffer buffer;
  for (std::size_t i = 0; i < options.targets.size(); ++i) {
    const bool last = i + 1 == options.targets.size();
    auto got = co_await exchange(stream, buffer, options, options.targets[i], last);
    const bool failed = static_cast<bool>(got.ec);
    result.exchanges.push_back(std::move(got));
    if (failed) {
      break;
    }
  }
  result.elapsed = Clock::now() - start;
  co_return result;
}

// Runs the io_context until `task` finishes, within a generous cap; the server's accept loop
// never runs out of work, so the completion stops the loop.
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

Visit visit_with(asio::io_context& io, const HttpsServer& server, VisitOptions options = {}) {
  auto result = run(io, visit(server.endpoint(), std::move(options)));
  REQUIRE(result);
  return std::move(*result);
}

// The one exchange of a visit that got through TLS.
Exchange only_exchange(const Visit& visited) {
  REQUIRE(visited.outcome == "tls");
  REQUIRE(visited.exchanges.size() == 1);
  return visited.exchanges.front();
}

using Fields = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("HttpsServer serves a policy as text/plain with a chain that verifies", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  HttpsServer server(io, certificates.serving(HttpsResponse::policy(std::string(policy_text))),
                     localhost);
  VisitOptions options;
  options.trust_file = certificates.pki.trust_file();
  const auto got = only_exchange(visit_with(io, server, options));
  CHECK_FALSE(got.ec);
  CHECK(got.status == 200);
  CHECK(got.fields == Fields{{"Content-Type", "text/plain; charset=utf-8"},
                             {"Connection", "close"},
                             {"Content-Length", std::to_string(policy_text.size())}});
  CHECK(got.body == policy_text);
}

TEST_CASE("HttpsServer answers 404 and 500 with a short text/html page", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  const int status = GENERATE(404, 500);
  HttpsServer server(io, certificates.serving(HttpsResponse::error(status)), localhost);
  const auto got = only_exchange(visit_with(io, server));
  CHECK_FALSE(got.ec);
  CHECK(got.status == static_cast<unsigned>(status));
  CHECK(got.field("Content-Type") == "text/html");
  CHECK(got.body.find(std::to_string(status)) != std::string::npos);
}

TEST_CASE("HttpsServer redirects with a Location header", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  const int status = GENERATE(301, 302);
  HttpsServer server(
      io,
      certificates.serving(HttpsResponse::redirect(status, "https://elsewhere.test/policy.txt")),
      localhost);
  const auto got = only_exchange(visit_with(io, server));
  CHECK_FALSE(got.ec);
  CHECK(got.status == static_cast<unsigned>(status));
  CHECK(got.field("Location") == "https://elsewhere.test/policy.txt");
}

TEST_CASE("HttpsServer sends the Content-Type chosen, or none, and extra headers in order",
          "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  auto response = HttpsResponse::policy(std::string(policy_text));
  SECTION("no Content-Type at all") {
    response.content_type.clear();
    HttpsServer server(io, certificates.serving(response), localhost);
    const auto got = only_exchange(visit_with(io, server));
    CHECK(got.status == 200);
    CHECK_FALSE(got.field("Content-Type"));
    CHECK(got.body == policy_text);
  }
  SECTION("text/html and extra headers") {
    response.content_type = "text/html";
    response.headers = {{"Cache-Control", "no-store"}, {"X-Test", "1"}};
    HttpsServer server(io, certificates.serving(response), localhost);
    const auto got = only_exchange(visit_with(io, server));
    CHECK(got.fields == Fields{{"Content-Type", "text/html"},
                               {"Cache-Control", "no-store"},
                               {"X-Test", "1"},
                               {"Connection", "close"},
                               {"Content-Length", std::to_string(policy_text.size())}});
  }
}

TEST_CASE("HttpsServer picks the site and its certificate by SNI, else the default", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  HttpsBehaviour behaviour;
  behaviour.default_site.certificate = HttpsCertificate::from(certificates.fallback);
  behaviour.by_sni = {{"mta-sts.a.test", HttpsSite{HttpsCertificate::from(certificates.a),
                                                   HttpsResponse::policy("site a\n")}},
                      {"MTA-STS.b.test", HttpsSite{HttpsCertificate::from(certificates.b),
                                                   HttpsResponse::policy("site b\n")}}};
  HttpsServer server(io, behaviour, localhost);

  const auto sni_of = [&](std::string sni) {
    VisitOptions options;
    options.sni = std::move(sni);
    options.host = "whatever.test";  // the Host header chooses nothing
    return visit_with(io, server, options);
  };
  const auto a = sni_of("mta-sts.a.test");
  CHECK(a.leaf_names == "mta-sts.a.test");
  CHECK(only_exchange(a).body == "site a\n");
  const auto b = sni_of("Mta-Sts.B.Test");
  CHECK(b.leaf_names == "mta-sts.b.test,alt.b.test");
  CHECK(only_exchange(b).body == "site b\n");
  const auto unknown = sni_of("mta-sts.c.test");
  CHECK(unknown.leaf_names == "default.test");
  CHECK(only_exchange(unknown).status == 404);
  const auto none = sni_of("");
  CHECK(none.leaf_names == "default.test");
  CHECK(only_exchange(none).status == 404);
  CHECK(server.sni_names() ==
        std::vector<std::string>{"mta-sts.a.test", "Mta-Sts.B.Test", "mta-sts.c.test", ""});
}

TEST_CASE("HttpsServer delays its response, and stop() cuts the delay short", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  auto response = HttpsResponse::policy(std::string(policy_text));
  SECTION("a delay before responding") {
    response.delay = 150ms;
    HttpsServer server(io, certificates.serving(response), localhost);
    const auto visited = visit_with(io, server);
    CHECK(only_exchange(visited).body == policy_text);
    CHECK(visited.elapsed >= 150ms);
  }
  SECTION("stop() during the delay closes the connection unanswered") {
    response.delay = 60s;
    HttpsServer server(io, certificates.serving(response), localhost);
    asio::steady_timer stopper(io, 100ms);
    stopper.async_wait([&server](const boost::system::error_code&) { server.stop(); });
    const auto visited = visit_with(io, server);
    const auto got = only_exchange(visited);
    CHECK(got.ec);
    CHECK(got.status == 0);
    CHECK(visited.elapsed < 3s);
    CHECK(server.requests().size() == 1);
  }
}

TEST_CASE("HttpsServer declares an oversized body with Content-Length and sends it all",
          "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  constexpr std::size_t size = 100 * 1024;
  auto response = HttpsResponse::oversized(size);
  response.body = std::string(policy_text);
  HttpsServer server(io, certificates.serving(response), localhost);

  VisitOptions header_only;
  header_only.header_only = true;
  const auto header = only_exchange(visit_with(io, server, header_only));
  CHECK_FALSE(header.ec);
  CHECK(header.status == 200);
  CHECK(header.field("Content-Length") == std::to_string(size));
  CHECK(header.field("Content-Type") == "text/plain; charset=utf-8");

  VisitOptions limited;
  limited.body_limit = 64 * 1024;
  const auto refused = only_exchange(visit_with(io, server, limited));
  CHECK(refused.ec == http::error::body_limit);
  CHECK(refused.body.empty());

  const auto whole = only_exchange(visit_with(io, server));
  CHECK_FALSE(whole.ec);
  REQUIRE(whole.body.size() == size);
  CHECK(whole.body.starts_with(policy_text));
  CHECK(whole.body.find_first_not_of('x', policy_text.size()) == std::string::npos);
  CHECK(server.connections_accepted() == 3);
}

TEST_CASE("HttpsServer sends an endless chunked body until the client closes", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  auto response = HttpsResponse::endless();
  response.body = std::string(policy_text);
  HttpsServer server(io, certificates.serving(response), localhost);
  VisitOptions options;
  options.body_limit = 48 * 1024;
  for (int round = 0; round < 2; ++round) {
    const auto got = only_exchange(visit_with(io, server, options));
    CHECK(got.ec == http::error::body_limit);
    CHECK(got.status == 200);
    CHECK(got.field("Transfer-Encoding") == "chunked");
    CHECK_FALSE(got.field("Content-Length"));
    CHECK(got.body.starts_with(policy_text));
    CHECK(got.body.size() > policy_text.size());
    CHECK(got.body.size() <= options.body_limit);
  }
  // The first connection's endless writer gave up when its client closed: the server stays
  // responsive to the next one.
  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("HttpsServer records requests and SNI names, and keeps connections alive", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  HttpsServer server(io, certificates.serving(HttpsResponse::policy(std::string(policy_text))),
                     localhost);
  VisitOptions kept;
  kept.targets = {std::string(well_known), "/other?x=1"};
  const auto first = visit_with(io, server, kept);
  REQUIRE(first.exchanges.size() == 2);
  CHECK(first.exchanges[0].field("Connection") == std::nullopt);
  CHECK(first.exchanges[0].body == policy_text);
  CHECK(first.exchanges[1].field("Connection") == "close");
  CHECK(first.exchanges[1].body == policy_text);

  VisitOptions bare;
  bare.sni.clear();
  bare.host.clear();
  bare.method = http::verb::post;
  CHECK(only_exchange(visit_with(io, server, bare)).status == 200);

  const auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  const auto fields_of = [](const HttpsRequest& r) {
    return std::vector<std::string>{r.method, r.target, r.host, r.sni};
  };
  CHECK(fields_of(requests[0]) == std::vector<std::string>{"GET", std::string(well_known),
                                                           "mta-sts.a.test", "mta-sts.a.test"});
  CHECK(fields_of(requests[1]) ==
        std::vector<std::string>{"GET", "/other?x=1", "mta-sts.a.test", "mta-sts.a.test"});
  CHECK(fields_of(requests[2]) ==
        std::vector<std::string>{"POST", std::string(well_known), "", ""});
  CHECK(server.sni_names() == std::vector<std::string>{"mta-sts.a.test", ""});
  CHECK(server.connections_accepted() == 2);
  CHECK(server.tls_handshakes_completed() == 2);
}

TEST_CASE("HttpsServer answers an over-long request header with 400 and closes", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  HttpsServer server(io, certificates.serving(HttpsResponse::policy(std::string(policy_text))),
                     localhost);
  VisitOptions options;
  options.padding = std::string(HttpsServer::max_request_header, 'p');
  options.targets = {std::string(well_known), std::string(well_known)};
  const auto visited = visit_with(io, server, options);
  REQUIRE_FALSE(visited.exchanges.empty());
  CHECK(visited.exchanges[0].status == 400);
  CHECK(visited.exchanges[0].field("Connection") == "close");
  CHECK(server.requests().empty());
}

TEST_CASE("HttpsServer sends raw bytes instead of a response, then closes", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  SECTION("an HTTP/1.0 response delimited by the close") {
    HttpsServer server(
        io,
        certificates.serving(HttpsResponse::raw("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                                                "\r\nversion: STSv1\r\n")),
        localhost);
    const auto got = only_exchange(visit_with(io, server));
    CHECK_FALSE(got.ec);
    CHECK(got.status == 200);
    CHECK(got.body == "version: STSv1\r\n");
  }
  SECTION("nothing at all") {
    HttpsServer server(io, certificates.serving(HttpsResponse::raw("")), localhost);
    const auto got = only_exchange(visit_with(io, server));
    CHECK(got.ec == http::error::end_of_stream);
  }
}

TEST_CASE("HttpsServer limits TLS versions", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  auto behaviour = certificates.serving(HttpsResponse::policy(std::string(policy_text)));
  SECTION("a TLS 1.2 server") {
    behaviour.max_version = TlsVersion::tls1_2;
    HttpsServer server(io, behaviour, localhost);
    const auto visited = visit_with(io, server);
    CHECK(visited.tls_version == "TLSv1.2");
    CHECK(only_exchange(visited).body == policy_text);
  }
  SECTION("a TLS 1.3 server and a TLS 1.2 client") {
    behaviour.min_version = TlsVersion::tls1_3;
    HttpsServer server(io, behaviour, localhost);
    VisitOptions options;
    options.max_version = TLS1_2_VERSION;
    CHECK(visit_with(io, server, options).outcome == "tls failed");
    CHECK(server.connections_accepted() == 1);
    CHECK(server.tls_handshakes_completed() == 0);
  }
}

TEST_CASE("HttpsServer listens on IPv6 ::1", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  const auto address = asio::ip::make_address("::1");
  HttpsServer server(io, certificates.serving(HttpsResponse::policy(std::string(policy_text))),
                     address);
  CHECK(server.endpoint().address() == address);
  const auto visited = visit_with(io, server);
  CHECK(visited.leaf_names == "mta-sts.a.test");
  CHECK(only_exchange(visited).body == policy_text);
}

TEST_CASE("HttpsServer set_behaviour changes new connections only", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  HttpsServer server(io, certificates.serving(HttpsResponse::policy("old\n")), localhost);
  CHECK(only_exchange(visit_with(io, server)).body == "old\n");
  server.set_behaviour(certificates.serving(HttpsResponse::error(404)));
  CHECK(only_exchange(visit_with(io, server)).status == 404);
}

TEST_CASE("HttpsServer refuses bad addresses, statuses, sizes and certificates", "[unit]") {
  const Certificates certificates;
  asio::io_context io;
  const auto good = certificates.serving(HttpsResponse::policy("x"));
  CHECK_THROWS_AS(HttpsServer(io, good, asio::ip::make_address("192.0.2.1")),
                  std::invalid_argument);
  auto bad_status = good;
  bad_status.by_sni.begin()->second.response.status = 1000;
  CHECK_THROWS_AS(HttpsServer(io, bad_status, localhost), std::invalid_argument);
  auto bad_size = good;
  bad_size.default_site.response = HttpsResponse::oversized(2);
  bad_size.default_site.response.body = "too long";
  CHECK_THROWS_AS(HttpsServer(io, bad_size, localhost), std::invalid_argument);
  auto missing = good;
  missing.default_site.certificate.key_file = certificates.dir.path() / "missing.key";
  CHECK_THROWS_AS(HttpsServer(io, missing, localhost), std::runtime_error);
  HttpsServer server(io, good, localhost);
  CHECK_THROWS_AS(server.set_behaviour(missing), std::runtime_error);
  CHECK(only_exchange(visit_with(io, server)).body == "x");
}

TEST_CASE("HttpsServer answers the targets of by_target with their own responses", "[loopback]") {
  const Certificates certificates;
  asio::io_context io;
  HttpsBehaviour behaviour = certificates.serving(HttpsResponse::error(404));
  behaviour.by_target = {{"/list.json", HttpsResponse::policy("{}")},
                         {"/list.json.asc", HttpsResponse::policy("signature")}};
  HttpsServer server(io, std::move(behaviour), localhost);
  VisitOptions files;
  files.targets = {"/list.json", "/list.json.asc", "/list.json?x", "/"};
  const auto got = visit_with(io, server, files);
  REQUIRE(got.exchanges.size() == 4);
  CHECK(got.exchanges[0].status == 200);
  CHECK(got.exchanges[0].body == "{}");
  CHECK(got.exchanges[1].status == 200);
  CHECK(got.exchanges[1].body == "signature");
  CHECK(got.exchanges[2].status == 404);
  CHECK(got.exchanges[3].status == 404);
  CHECK(server.requests().size() == 4);
}
