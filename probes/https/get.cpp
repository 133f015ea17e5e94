#include "probes/https/get.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <memory>
#include <tuple>
#include <utility>
#include <variant>

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/errc.hpp>
#include <boost/system/system_error.hpp>

#include "scanner/dns/resolver.hpp"
#include "scanner/net/deadline.hpp"
#include "scanner/net/socket_error.hpp"
#include "scanner/net/special_addresses.hpp"

namespace mx::probes::https {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using net::Clock;
using net::Deadlines;
using net::sleep_until;
using std::chrono::milliseconds;

using TlsStream = asio::ssl::stream<beast::tcp_stream&>;
using ResponseParser = http::response_parser<http::string_body>;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Room in the read buffer beyond the header limit: one read's worth, so that the header limit,
// not the buffer, is what a long header runs into, and no read takes more than this past the
// body limit.
constexpr std::size_t read_room = 16 * 1024;

// Cancellation comes from the caller (a budget, a stop), never from the peer: it ends the
// coroutine with an exception, as Boost 1.81 does anyway at the next co_await, so that the caller
// unwinds too. get() records it on the way out.
void rethrow_cancellation(const error_code& ec) {
  if (ec == asio::error::operation_aborted) {
    throw boost::system::system_error(ec);
  }
}

// Sets Fetch::elapsed however the fetch ends, cancellation included.
class ElapsedRecorder {
 public:
  explicit ElapsedRecorder(Fetch& out) : out_(out), start_(Clock::now()) {}
  ~ElapsedRecorder() {
    out_.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start_);
  }
  ElapsedRecorder(const ElapsedRecorder&) = delete;
  ElapsedRecorder& operator=(const ElapsedRecorder&) = delete;

 private:
  Fetch& out_;
  Clock::time_point start_;
};

using Lookup = asio::awaitable<dns::AddressAnswer> (dns::Resolver::*)(std::string);

// The answer, or nullopt when `deadline` came first (the lookup is then cancelled, and the
// resolver drops its answer). `resolver` belongs to the shard.
asio::awaitable<std::optional<dns::AddressAnswer>> lookup_until(dns::Resolver& resolver,
                                                                Lookup lookup, std::string host,
                                                                Clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  auto race = (resolver.*lookup)(std::move(host)) || sleep_until(deadline);
  auto result = co_await std::move(race);
  if (result.index() != 0) {
    co_return std::nullopt;
  }
  co_return std::move(std::get<0>(result));
}

// A lookup the fetch's deadlines cut short, recorded as the resolver records its own timeouts.
dns::AddressAnswer cut_short(const Deadlines& deadlines) {
  dns::AddressAnswer answer;
  answer.meta.outcome = dns::Outcome::timeout;
  answer.meta.detail = deadlines.timeout_detail();
  return answer;
}

bool says_no_address(const dns::AddressAnswer& answer) {
  return answer.meta.outcome == dns::Outcome::nxdomain ||
         answer.meta.outcome == dns::Outcome::nodata ||
         (answer.meta.outcome == dns::Outcome::data && answer.addresses.empty());
}

std::string describe(std::string_view type, const dns::AddressAnswer& answer) {
  std::string text(type);
  text += " ";
  text += dns::to_string(answer.meta.outcome);
  if (!answer.meta.detail.empty()) {
    text += " (";
    text += answer.meta.detail;
    text += ")";
  }
  return text;
}

asio::awaitable<void> throw_if_cancelled() {
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none) {
    throw boost::system::system_error(asio::error::operation_aborted);
  }
}

// Step 1. The addresses to try, IPv4 first; empty when the fetch ended here. `resolver`,
// `deadlines` and `out` belong to get()'s frame or the shard.
asio::awaitable<std::vector<asio::ip::address>> resolve(dns::Resolver& resolver,
                                                        const Deadlines& deadlines, Fetch& out) {
  out.stage = Stage::resolve;
  std::vector<asio::ip::address> addresses;
  std::string cut;  // which lookup the deadlines cut short, and why
  const std::optional<dns::AddressAnswer> a =
      co_await lookup_until(resolver, &dns::Resolver::a, out.host, deadlines.next_step());
  out.a = a ? *a : cut_short(deadlines);
  if (!a) {
    cut = deadlines.timeout_detail() + " during the A lookup";
    if (deadlines.budget_spent()) {
      out.ending = Ending::timeout;
      out.detail = cut;
      co_return addresses;
    }
  }
  const std::optional<dns::AddressAnswer> aaaa =
      co_await lookup_until(resolver, &dns::Resolver::aaaa, out.host, deadlines.next_step());
  out.aaaa = aaaa ? *aaaa : cut_short(deadlines);
  if (!aaaa && cut.empty()) {
    cut = deadlines.timeout_detail() + " during the AAAA lookup";
  }
  // A lookup cancelled by the caller completes as an error answer: no co_await may follow to
  // throw, so ask.
  co_await throw_if_cancelled();
  for (const auto* answer : {&*out.a, &*out.aaaa}) {
    if (answer->meta.outcome == dns::Outcome::data) {
      addresses.insert(addresses.end(), answer->addresses.begin(), answer->addresses.end());
    }
  }
  if (!addresses.empty()) {
    co_return addresses;
  }
  if (!cut.empty()) {
    out.ending = Ending::timeout;
    out.detail = cut;
    co_return addresses;
  }
  out.ending = says_no_address(*out.a) && says_no_address(*out.aaaa) ? Ending::no_address
                                                                     : Ending::dns_error;
  out.detail = "no address: " + describe("A", *out.a) + ", " + describe("AAAA", *out.aaaa);
  co_return addresses;
}

ConnectResult connect_result(Ending ending) {
  switch (ending) {
    case Ending::refused:
      return ConnectResult::refused;
    case Ending::unreachable:
      return ConnectResult::unreachable;
    case Ending::timeout:
      return ConnectResult::timeout;
    default:
      return ConnectResult::io_error;
  }
}

// Step 2. True once `socket` is connected. `config`, `deadlines`, `socket`, `addresses` and `out`
// belong to get()'s frame.
asio::awaitable<bool> connect(const GetConfig& config, const Deadlines& deadlines,
                              beast::tcp_stream& socket,
                              const std::vector<asio::ip::address>& addresses, Fetch& out) {
  out.stage = Stage::connect;
  bool tried = false;
  for (const asio::ip::address& ip : addresses) {
    if (const auto entry = config.exclude ? config.exclude->match(ip) : std::nullopt) {
      out.attempts.push_back(ConnectAttempt{
          .ip = ip, .result = ConnectResult::excluded, .detail = targets::describe(*entry)});
      continue;
    }
    if (!net::may_connect(ip, config.allow_private)) {
      out.attempts.push_back(
          ConnectAttempt{.ip = ip,
                         .result = ConnectResult::forbidden,
                         .detail = "special-purpose address: " + net::describe_special(ip)});
      continue;
    }
    if (deadlines.budget_spent()) {
      out.ending = Ending::timeout;
      out.detail = deadlines.timeout_detail();
      co_return false;
    }
    tried = true;
    // A fresh socket for each address: a failed connect may leave it open for another family.
    socket.close();
    socket.expires_at(deadlines.next_step());
    auto connected =
        co_await socket.async_connect(asio::ip::tcp::endpoint(ip, config.port), use_tuple);
    const error_code ec = std::get<0>(connected);
    rethrow_cancellation(ec);
    if (!ec) {
      out.attempts.push_back(
          ConnectAttempt{.ip = ip, .result = ConnectResult::connected, .detail = {}});
      co_return true;
    }
    out.ending = ending_for(Stage::connect, ec);
    out.detail = out.ending == Ending::timeout ? deadlines.timeout_detail() : ec.message();
    out.attempts.push_back(
        ConnectAttempt{.ip = ip, .result = connect_result(out.ending), .detail = out.detail});
  }
  const bool some_excluded =
      std::any_of(out.attempts.begin(), out.attempts.end(),
                  [](const ConnectAttempt& a) { return a.result == ConnectResult::excluded; });
  if (!tried && some_excluded) {
    // The operator's choice outranks a special-purpose block: nothing here is the host's fault.
    out.ending = Ending::excluded;
    out.detail = "every address of " + out.host + " is excluded or special-purpose";
    const char* separator = ": ";
    for (const ConnectAttempt& attempt : out.attempts) {
      out.detail += separator + attempt.ip.to_string() + " is " +
                    (attempt.result == ConnectResult::excluded ? attempt.detail
                                                               : net::describe_special(attempt.ip));
      separator = "; ";
    }
  } else if (!tried) {
    out.ending = Ending::forbidden;
    out.detail = "every address of " + out.host + " is special-purpose";
    // Each one and its block: the operator learns which records to fix (or where they point).
    const char* separator = ": ";
    for (const ConnectAttempt& attempt : out.attempts) {
      out.detail += separator + attempt.ip.to_string() + " is " + net::describe_special(attempt.ip);
      separator = "; ";
    }
  }
  co_return false;
}

// The observing profile, tightened on one connection for a client that must trust what it reads:
// what the SSL object sets overrides its SSL_CTX. Level 2 refuses keys under 112 bits of security
// and SHA-1 signatures; a server without RFC 5746 renegotiation is refused again.
void harden(SSL* ssl) {
  SSL_set_min_proto_version(ssl, TLS1_2_VERSION);
  SSL_set_security_level(ssl, 2);
  SSL_clear_options(ssl, SSL_OP_LEGACY_SERVER_CONNECT);
}

void record_failure(Fetch& out, const Deadlines& deadlines, const error_code& ec) {
  out.ending = ending_for(out.stage, ec);
  out.detail = out.ending == Ending::timeout ? deadlines.timeout_detail() : ec.message();
}

std::optional<std::string> field(const http::response<http::string_body>& response,
                                 http::field name) {
  const auto found = response.find(name);
  if (found == response.end()) {
    return std::nullopt;
  }
  return std::string(found->value());
}

// Steps 3 to 6, on the connected `socket`. `config`, `deadlines`, `socket` and `out` belong to
// get()'s frame, `tls` and `trust` to the shard.
asio::awaitable<void> exchange(const GetConfig& config, const Deadlines& deadlines,
                               tls::TlsClient& tls, const tls::TrustStore& trust,
                               beast::tcp_stream& socket, Fetch& out) {
  out.stage = Stage::tls_handshake;
  TlsStream stream(socket, tls.context());
  if (config.require_trusted) {
    harden(stream.native_handle());
  }
  if (!tls::set_sni(stream.native_handle(), out.host)) {
    out.ending = Ending::tls_failed;
    out.tls_failure = "OpenSSL refused the host name as SNI";
    out.detail = out.tls_failure;
    co_return;
  }
  socket.expires_at(deadlines.next_step());
  auto handshake = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  const error_code handshake_error = std::get<0>(handshake);
  rethrow_cancellation(handshake_error);
  if (handshake_error) {
    out.ending = ending_for(out.stage, handshake_error);
    if (out.ending == Ending::timeout) {
      out.detail = deadlines.timeout_detail();
    } else {
      out.tls_failure = tls::handshake_failure_text(handshake_error);
      out.detail = out.tls_failure;
    }
    co_return;
  }
  out.tls = tls::read_session(stream.native_handle());
  if (!out.tls->chain.empty()) {
    out.certificate = tls::analyse_chain(out.tls->chain, out.host, trust.store(),
                                         std::chrono::system_clock::now(), out.tls->parsed.get());
  }
  out.tls->parsed.reset();
  if (config.require_trusted) {
    if (auto problem = certificate_problem(out.certificate, out.host)) {
      out.ending = Ending::tls_failed;
      out.tls_failure = "certificate refused: " + *problem;
      out.detail = out.tls_failure;
      co_return;
    }
  }

  out.stage = Stage::request;
  http::request<http::empty_body> request{
      http::verb::get, beast::string_view(config.path.data(), config.path.size()), 11};
  std::string host_field = out.host;
  if (config.port != 443) {
    host_field += ":" + std::to_string(config.port);
  }
  request.set(http::field::host, host_field);
  request.set(http::field::user_agent, "mxscan");
  request.set(http::field::connection, "close");
  socket.expires_at(deadlines.next_step());
  auto written = co_await http::async_write(stream, request, use_tuple);
  const error_code write_error = std::get<0>(written);
  rethrow_cancellation(write_error);
  if (write_error) {
    record_failure(out, deadlines, write_error);
    co_return;
  }

  out.stage = Stage::header;
  // On the heap: the parser and the buffer would make the coroutine frame large.
  auto parser = std::make_unique<ResponseParser>();
  parser->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(config.header_limit, std::numeric_limits<std::uint32_t>::max())));
  // The body limit applies to a 200 only; it is set once the status is known, so that a large
  // error page does not hide its status.
  parser->body_limit(boost::none);
  auto buffer = std::make_unique<beast::flat_buffer>(config.header_limit + read_room);
  socket.expires_at(deadlines.next_step());
  auto header = co_await http::async_read_header(stream, *buffer, *parser, use_tuple);
  const error_code header_error = std::get<0>(header);
  rethrow_cancellation(header_error);
  if (header_error) {
    record_failure(out, deadlines, header_error);
    co_return;
  }
  const http::response<http::string_body>& response = parser->get();
  out.status = response.result_int();
  out.reason = std::string(response.reason());
  out.location = field(response, http::field::location);
  out.content_type = field(response, http::field::content_type);
  if (const auto declared = parser->content_length()) {
    out.content_length = *declared;
  }
  out.chunked = parser->chunked();
  if (out.status != 200) {
    out.stage = Stage::done;
    out.ending = Ending::completed;
    co_return;
  }

  out.stage = Stage::body;
  if (out.content_length && *out.content_length > config.body_limit) {
    out.ending = Ending::too_large;
    out.detail = "Content-Length " + std::to_string(*out.content_length) + " exceeds " +
                 std::to_string(config.body_limit) + " octets";
    co_return;
  }
  parser->body_limit(config.body_limit);
  if (!parser->is_done()) {
    socket.expires_at(deadlines.next_step());
    auto read = co_await http::async_read(stream, *buffer, *parser, use_tuple);
    const error_code body_error = std::get<0>(read);
    rethrow_cancellation(body_error);
    out.body_octets = parser->get().body().size();
    if (body_error) {
      record_failure(out, deadlines, body_error);
      if (out.ending == Ending::too_large) {
        out.detail = "the body exceeds " + std::to_string(config.body_limit) + " octets";
      }
      co_return;
    }
  }
  out.body = std::move(parser->get().body());
  out.body_octets = out.body.size();
  out.stage = Stage::done;
  out.ending = Ending::completed;
}

bool is_http_error(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category();
}

}  // namespace

std::string_view to_string(Stage stage) {
  switch (stage) {
    case Stage::not_started:
      return "not_started";
    case Stage::resolve:
      return "resolve";
    case Stage::connect:
      return "connect";
    case Stage::tls_handshake:
      return "tls_handshake";
    case Stage::request:
      return "request";
    case Stage::header:
      return "header";
    case Stage::body:
      return "body";
    case Stage::done:
      return "done";
  }
  return "unknown";
}

std::string_view to_string(Ending ending) {
  switch (ending) {
    case Ending::completed:
      return "completed";
    case Ending::no_address:
      return "no_address";
    case Ending::dns_error:
      return "dns_error";
    case Ending::forbidden:
      return "forbidden";
    case Ending::excluded:
      return "excluded";
    case Ending::refused:
      return "refused";
    case Ending::unreachable:
      return "unreachable";
    case Ending::timeout:
      return "timeout";
    case Ending::closed:
      return "closed";
    case Ending::tls_failed:
      return "tls_failed";
    case Ending::http_error:
      return "http_error";
    case Ending::too_large:
      return "too_large";
    case Ending::io_error:
      return "io_error";
  }
  return "unknown";
}

std::string_view to_string(ConnectResult result) {
  switch (result) {
    case ConnectResult::connected:
      return "connected";
    case ConnectResult::forbidden:
      return "forbidden";
    case ConnectResult::excluded:
      return "excluded";
    case ConnectResult::refused:
      return "refused";
    case ConnectResult::unreachable:
      return "unreachable";
    case ConnectResult::timeout:
      return "timeout";
    case ConnectResult::io_error:
      return "io_error";
  }
  return "unknown";
}

std::optional<std::string> certificate_problem(
    const std::optional<tls::CertificateFacts>& certificate, std::string_view host) {
  if (!certificate || !certificate->parsed) {
    return "no parsable certificate was served";
  }
  const tls::CertificateFacts& c = *certificate;
  if (!c.trusted) {
    std::string problem = "no chain to a trust anchor";
    if (c.self_signed) {
      problem += " (self-signed)";
    }
    if (!c.verify_error_text.empty()) {
      problem += ": " + c.verify_error_text;
    }
    return problem;
  }
  if (c.expired) {
    return "expired " + c.not_after;
  }
  if (c.not_yet_valid) {
    return "not valid before " + c.not_before;
  }
  if (c.chain_expired) {
    return std::string("a certificate of the served chain above the leaf is out of date");
  }
  if (!c.name_matches) {
    return "no subjectAltName covers " + std::string(host);
  }
  return std::nullopt;
}

Ending ending_for(Stage stage, const error_code& ec) {
  const net::SocketFailure failure = net::socket_failure(ec);
  if (failure == net::SocketFailure::timeout) {
    return Ending::timeout;
  }
  if (stage == Stage::tls_handshake) {
    return Ending::tls_failed;
  }
  if (const auto ending = net::ending_of<Ending>(failure)) {
    return *ending;
  }
  // Beast's parser ends a message cut short with its own errors.
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return Ending::closed;
  }
  if (ec == http::error::body_limit) {
    return Ending::too_large;
  }
  if (is_http_error(ec)) {
    return Ending::http_error;
  }
  return Ending::io_error;
}

asio::awaitable<void> get(GetConfig config, tls::TlsClient& tls, const tls::TrustStore& trust,
                          dns::Resolver& resolver, Fetch& out) {
  out = Fetch{};
  out.host = config.host;
  if (out.host.ends_with('.')) {
    out.host.pop_back();
  }
  out.port = config.port;
  const ElapsedRecorder elapsed(out);
  const Deadlines deadlines(config.step_timeout, config.budget, "fetch");
  if (const auto entry = config.exclude ? config.exclude->match(out.host) : std::nullopt) {
    out.ending = Ending::excluded;
    out.detail = out.host + " is " + targets::describe(*entry);
    co_return;
  }
  try {
    const std::vector<asio::ip::address> addresses = co_await resolve(resolver, deadlines, out);
    if (addresses.empty()) {
      co_return;
    }
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    beast::tcp_stream socket(executor);
    const bool connected = co_await connect(config, deadlines, socket, addresses, out);
    if (!connected) {
      co_return;
    }
    co_await exchange(config, deadlines, tls, trust, socket, out);
  } catch (const boost::system::system_error& error) {
    if (error.code() == asio::error::operation_aborted) {
      out.ending = Ending::io_error;
      out.detail = "cancelled";
    }
    throw;
  }
}

}  // namespace mx::probes::https
