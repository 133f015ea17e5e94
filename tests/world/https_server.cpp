#include "tests/world/https_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tuple>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace mx::world {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Bodies are written this much at a time, so a client that stops reading costs the server one
// piece of memory, not the whole body.
constexpr std::size_t bulk_chunk = 16 * 1024;
// The value of each header field an endless header sends (a line of about 80 octets).
constexpr std::size_t endless_field_size = 68;
// Room for a pipelined request behind the one being parsed; the parser's own limits come first.
constexpr std::size_t read_buffer_limit =
    HttpsServer::max_request_header + HttpsServer::max_request_body + 4096;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

const std::string& filler() {
  static const std::string block(bulk_chunk, 'x');
  return block;
}

std::string cut(std::string_view field) {
  return std::string(field.substr(0, HttpsServer::max_recorded_field));
}

// What is recorded for the tests, shared by the server and the TLS callbacks of every behaviour.
struct Records {
  mutable std::mutex mutex;
  std::vector<HttpsRequest> requests;
  std::vector<std::string> sni_names;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> handshakes{0};

  void request(HttpsRequest request) {
    const std::lock_guard lock(mutex);
    if (requests.size() < HttpsServer::max_recorded_requests) {
      requests.push_back(std::move(request));
    }
  }
  void sni(std::string name) {
    const std::lock_guard lock(mutex);
    sni_names.push_back(std::move(name));
  }
};

// One SSL_CTX per site. Every handshake starts on `fallback`; the SNI callback moves it to the
// context of the name the client asked for. All contexts share the version limits.
struct TlsContexts {
  std::shared_ptr<Records> records;
  std::optional<ssl::context> fallback;
  std::map<std::string, ssl::context> by_sni;  // lower-case names
};

int select_certificate(SSL* ssl, int* /*alert*/, void* arg) {
  auto* contexts = static_cast<TlsContexts*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const std::string sent = name != nullptr ? name : "";
  contexts->records->sni(sent);
  const auto found = contexts->by_sni.find(lower(sent));
  if (found != contexts->by_sni.end()) {
    SSL_set_SSL_CTX(ssl, found->second.native_handle());
  }
  return SSL_TLSEXT_ERR_OK;
}

ssl::context make_context(const HttpsCertificate& certificate, const HttpsBehaviour& behaviour,
                          TlsContexts* contexts) {
  ssl::context context =
      make_server_context(behaviour.min_version, behaviour.max_version, "HttpsServer");
  load_certificate_files(context, certificate.chain_file, certificate.key_file, "HttpsServer");
  SSL_CTX_set_tlsext_servername_callback(context.native_handle(), select_certificate);
  SSL_CTX_set_tlsext_servername_arg(context.native_handle(), contexts);
  return context;
}

void check_response(const HttpsResponse& response, std::string_view site) {
  // Beast refuses codes above 999 (by throwing from inside the connection); below 100 is no
  // HTTP status line at all.
  if (response.status < 100 || response.status > 999) {
    throw std::invalid_argument(
        fmt::format("HttpsServer: status {} of site '{}' is not 100..999", response.status, site));
  }
  if (response.kind == HttpsResponse::Kind::oversized && response.size < response.body.size()) {
    throw std::invalid_argument(
        fmt::format("HttpsServer: oversized size {} of site '{}' is below its body's {} bytes",
                    response.size, site, response.body.size()));
  }
}

// A behaviour with its sites keyed by lower-case name and its TLS contexts loaded. Connections
// hold it by shared_ptr, so a replaced behaviour lives until its last connection ends (the SNI
// callback points into its contexts, and a handshake needs them mutable).
struct Script {
  HttpsSite default_site;
  std::map<std::string, HttpsSite> sites;
  std::map<std::string, HttpsResponse> by_target;
  std::shared_ptr<TlsContexts> tls;
  // A host of a many-host server: its identity, served on a context it shares with others.
  std::optional<TlsIdentity> identity;
  ssl::context* shared_context = nullptr;

  [[nodiscard]] const HttpsSite& site(std::string_view sni) const {
    const auto found = sites.find(lower(sni));
    return found != sites.end() ? found->second : default_site;
  }
};

std::shared_ptr<const Script> load_script(HttpsBehaviour behaviour,
                                          const std::shared_ptr<Records>& records) {
  check_response(behaviour.default_site.response, "(default)");
  for (const auto& [name, site] : behaviour.by_sni) {
    check_response(site.response, name);
  }
  for (const auto& [target, response] : behaviour.by_target) {
    check_response(response, target);
  }
  auto script = std::make_shared<Script>();
  script->tls = std::make_shared<TlsContexts>();
  auto& contexts = *script->tls;
  contexts.records = records;
  contexts.fallback.emplace(make_context(behaviour.default_site.certificate, behaviour, &contexts));
  for (const auto& [name, site] : behaviour.by_sni) {
    contexts.by_sni.emplace(lower(name), make_context(site.certificate, behaviour, &contexts));
  }
  script->default_site = std::move(behaviour.default_site);
  for (auto& [name, site] : behaviour.by_sni) {
    script->sites.emplace(lower(name), std::move(site));
  }
  script->by_target = std::move(behaviour.by_target);
  return script;
}

struct Connection {
  Connection(tcp::socket socket, ssl::context& context)
      : stream(std::move(socket), context), timer(stream.get_executor()) {}

  void close() {
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
    timer.cancel();
  }

  ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;  // response delays
  boost::beast::flat_buffer input{read_buffer_limit};
};

using ConnectionPtr = std::shared_ptr<Connection>;

enum class ReadStatus { request, closed, bad_request };

struct ReadRequest {
  ReadStatus status = ReadStatus::closed;
  HttpsRequest request;
  bool keep_alive = false;
};

}  // namespace

// Shared by the server object and every pending coroutine, so that destroying the server while
// operations are in flight only closes sockets: the coroutines finish with operation_aborted and
// release the last references. Everything but `records` is used on the io_context's thread.
struct HttpsServer::Impl {
  explicit Impl(asio::io_context& io) : executor(io.get_executor()) {}

  void bind(const asio::ip::address& address, std::uint16_t port);
  void stop();
  // The script of the host a connection reached; nullptr when there is none.
  std::shared_ptr<const Script> host_script(const tcp::socket& socket);

  static asio::awaitable<void> accept(std::shared_ptr<Impl> self);
  static asio::awaitable<void> serve(std::shared_ptr<Impl> self, ConnectionPtr connection,
                                     std::shared_ptr<const Script> script);
  static asio::awaitable<ReadRequest> read_request(ConnectionPtr connection);
  // Writes the response; true when the connection stays open for another request.
  static asio::awaitable<bool> respond(std::shared_ptr<Impl> self, ConnectionPtr connection,
                                       HttpsResponse response, bool keep_alive);
  // `data` views bytes owned by the awaiting caller's frame (or the static filler), which
  // outlive the write.
  static asio::awaitable<bool> write(ConnectionPtr connection, std::string_view data);
  static asio::awaitable<bool> write_chunk(ConnectionPtr connection, std::string_view data);
  static asio::awaitable<bool> write_endless_header(std::shared_ptr<Impl> self,
                                                    ConnectionPtr connection,
                                                    std::chrono::milliseconds interval);

  asio::io_context::executor_type executor;
  tcp::acceptor acceptor{executor};
  tcp::endpoint local;
  std::shared_ptr<Records> records = std::make_shared<Records>();
  std::shared_ptr<const Script> script;
  bool stopped = false;
  std::list<std::weak_ptr<Connection>> connections;  // closed by stop()
  std::shared_ptr<HttpsHosts> hosts;                 // set: a many-host server
  ServerContexts shared_contexts{"HttpsServer"};
};

void HttpsServer::Impl::bind(const asio::ip::address& address, std::uint16_t port) {
  listen(acceptor, tcp::endpoint(address, port), false, "HttpsServer");
  local = acceptor.local_endpoint();
}

std::shared_ptr<const Script> HttpsServer::Impl::host_script(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto address = socket.local_endpoint(ec).address();
  if (ec) {
    return nullptr;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  auto host = hosts->host(address);
  if (!host) {
    return nullptr;
  }
  auto made = std::make_shared<Script>();
  try {
    check_response(host->response, address.to_string());
    made->default_site.response = std::move(host->response);
  } catch (const std::invalid_argument&) {
    made->default_site.response = HttpsResponse::error(500);
  }
  made->identity = std::move(host->identity);
  made->shared_context = &shared_contexts.get(host->min_version, host->max_version);
  return made;
}

void HttpsServer::Impl::stop() {
  if (stopped) {
    return;
  }
  stopped = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  for (const auto& weak : connections) {
    if (const auto connection = weak.lock()) {
      connection->close();
    }
  }
  connections.clear();
}

asio::awaitable<void> HttpsServer::Impl::accept(std::shared_ptr<Impl> self) {
  for (;;) {
    auto accepted = co_await self->acceptor.async_accept(use_tuple);
    auto& [ec, socket] = accepted;
    if (self->stopped) {
      co_return;
    }
    if (ec == asio::error::connection_aborted) {
      continue;  // the client gave up before we accepted
    }
    if (ec) {
      co_return;  // e.g. out of descriptors: stop accepting rather than spin
    }
    self->records->accepted.fetch_add(1, std::memory_order_relaxed);
    std::erase_if(self->connections, [](const auto& weak) { return weak.expired(); });
    auto script = self->hosts ? self->host_script(socket) : self->script;
    if (!script) {
      boost::system::error_code closed;
      socket.close(closed);
      continue;
    }
    auto connection = std::make_shared<Connection>(
        std::move(socket), script->identity ? *script->shared_context : *script->tls->fallback);
    if (script->identity) {
      try {
        use_identity(connection->stream.native_handle(), *script->identity);
      } catch (const std::runtime_error&) {
        connection->close();
        continue;
      }
    }
    self->connections.push_back(connection);
    asio::co_spawn(self->executor, serve(self, std::move(connection), std::move(script)),
                   asio::detached);
  }
}

asio::awaitable<void> HttpsServer::Impl::serve(std::shared_ptr<Impl> self, ConnectionPtr connection,
                                               std::shared_ptr<const Script> script) {
  const auto shook =
      co_await connection->stream.async_handshake(ssl::stream_base::server, use_tuple);
  const auto& [handshake_ec] = shook;
  if (handshake_ec || self->stopped) {
    connection->close();
    co_return;
  }
  self->records->handshakes.fetch_add(1, std::memory_order_relaxed);
  const char* name =
      SSL_get_servername(connection->stream.native_handle(), TLSEXT_NAMETYPE_host_name);
  const std::string sni = name != nullptr ? name : "";
  if (script->identity) {
    self->records->sni(sni);  // a shared context has no SNI callback to record the name
  }
  const HttpsSite& site = script->site(sni);
  bool open = true;
  while (open) {
    ReadRequest read = co_await read_request(connection);
    if (read.status == ReadStatus::closed || self->stopped) {
      break;
    }
    if (read.status == ReadStatus::bad_request) {
      const bool kept = co_await respond(self, connection, HttpsResponse::error(400), false);
      static_cast<void>(kept);
      break;
    }
    read.request.sni = cut(sni);
    const auto routed = script->by_target.find(read.request.target);
    HttpsResponse response = routed != script->by_target.end() ? routed->second : site.response;
    self->records->request(std::move(read.request));
    open = co_await respond(self, connection, std::move(response), read.keep_alive);
  }
  connection->close();
}

asio::awaitable<ReadRequest> HttpsServer::Impl::read_request(ConnectionPtr connection) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(max_request_header);
  parser.body_limit(max_request_body);
  const auto got =
      co_await http::async_read(connection->stream, connection->input, parser, use_tuple);
  const auto& [ec, size] = got;
  static_cast<void>(size);
  if (ec) {
    // The client closed (between requests or in the middle of one) or the socket failed: nobody
    // is left to read a 400. Every other HTTP error is the request's fault.
    const bool request_fault =
        ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message;
    co_return ReadRequest{request_fault ? ReadStatus::bad_request : ReadStatus::closed, {}, false};
  }
  const auto& request = parser.get();
  const auto host = request.find(http::field::host);
  ReadRequest read;
  read.status = ReadStatus::request;
  read.request.method = cut(request.method_string());
  read.request.target = cut(request.target());
  read.request.host = host != request.end() ? cut(host->value()) : std::string();
  read.keep_alive = request.keep_alive();
  co_return read;
}

asio::awaitable<bool> HttpsServer::Impl::respond(std::shared_ptr<Impl> self,
                                                 ConnectionPtr connection, HttpsResponse response,
                                                 bool keep_alive) {
  if (response.delay.count() > 0) {
    connection->timer.expires_after(response.delay);
    const auto waited = co_await connection->timer.async_wait(use_tuple);
    const auto& [ec] = waited;
    if (ec || self->stopped) {
      co_return false;
    }
  }
  using Kind = HttpsResponse::Kind;
  if (response.kind == Kind::endless_header) {
    const bool ended = co_await write_endless_header(self, connection, response.interval);
    static_cast<void>(ended);
    co_return false;
  }
  if (response.kind == Kind::raw) {
    const bool wrote = co_await write(connection, response.bytes);
    if (wrote) {
      const auto shut = co_await connection->stream.async_shutdown(use_tuple);
      static_cast<void>(shut);
    }
    co_return false;
  }
  const bool keep = keep_alive && response.kind != Kind::endless;
  http::response<http::empty_body> head;
  head.version(11);
  head.result(static_cast<unsigned>(response.status));
  if (!response.content_type.empty()) {
    head.set(http::field::content_type, response.content_type);
  }
  for (const auto& [field, value] : response.headers) {
    head.insert(field, value);
  }
  head.keep_alive(keep);
  if (response.kind == Kind::endless) {
    head.chunked(true);
  } else {
    const std::size_t length =
        response.kind == Kind::oversized ? response.size : response.body.size();
    head.content_length(length);
  }
  http::response_serializer<http::empty_body> serializer(head);
  const auto headed = co_await http::async_write_header(connection->stream, serializer, use_tuple);
  bool wrote = !std::get<0>(headed);
  switch (response.kind) {
    case Kind::fixed:
      if (wrote) {
        wrote = co_await write(connection, response.body);
      }
      break;
    case Kind::oversized: {
      if (wrote) {
        wrote = co_await write(connection, response.body);
      }
      std::size_t left = response.size - response.body.size();
      while (wrote && left > 0 && !self->stopped) {
        const std::size_t piece = std::min(left, bulk_chunk);
        wrote = co_await write(connection, std::string_view(filler()).substr(0, piece));
        left -= piece;
      }
      break;
    }
    case Kind::endless:
      if (wrote && !response.body.empty()) {
        wrote = co_await write_chunk(connection, response.body);
      }
      // Ends only when a write fails: the client closed, or stop() closed the socket.
      while (wrote && !self->stopped) {
        wrote = co_await write_chunk(connection, filler());
      }
      break;
    case Kind::raw:
    case Kind::endless_header:
      break;
  }
  if (!wrote || self->stopped) {
    co_return false;
  }
  if (!keep) {
    // Sends close_notify and waits for the client's, or for it to close the connection.
    const auto shut = co_await connection->stream.async_shutdown(use_tuple);
    static_cast<void>(shut);
  }
  co_return keep;
}

asio::awaitable<bool> HttpsServer::Impl::write(ConnectionPtr connection, std::string_view data) {
  for (std::size_t offset = 0; offset < data.size(); offset += bulk_chunk) {
    const std::string_view piece = data.substr(offset, bulk_chunk);
    const auto wrote = co_await asio::async_write(
        connection->stream, asio::buffer(piece.data(), piece.size()), use_tuple);
    if (std::get<0>(wrote)) {
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<bool> HttpsServer::Impl::write_endless_header(std::shared_ptr<Impl> self,
                                                              ConnectionPtr connection,
                                                              std::chrono::milliseconds interval) {
  const std::string field = "X-Filler: " + std::string(endless_field_size, 'x') + "\r\n";
  std::string block;
  // Without an interval the fields leave a bulk chunk at a time, as fast as the client reads.
  while (block.size() + field.size() <= bulk_chunk) {
    block += field;
  }
  const std::string_view piece = interval.count() > 0 ? std::string_view(field) : block;
  bool wrote = co_await write(connection, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
  // Ends only when a write fails (the client closed) or stop() ends the wait or the socket.
  while (wrote && !self->stopped) {
    if (interval.count() > 0) {
      connection->timer.expires_after(interval);
      const auto waited = co_await connection->timer.async_wait(use_tuple);
      if (std::get<0>(waited) || self->stopped) {
        co_return false;
      }
    }
    wrote = co_await write(connection, piece);
  }
  co_return false;
}

asio::awaitable<bool> HttpsServer::Impl::write_chunk(ConnectionPtr connection,
                                                     std::string_view data) {
  for (std::size_t offset = 0; offset < data.size(); offset += bulk_chunk) {
    const std::string_view piece = data.substr(offset, bulk_chunk);
    const auto wrote = co_await asio::async_write(
        connection->stream, http::make_chunk(asio::buffer(piece.data(), piece.size())), use_tuple);
    if (std::get<0>(wrote)) {
      co_return false;
    }
  }
  co_return true;
}

HttpsResponse HttpsResponse::policy(std::string body) {
  HttpsResponse response;
  response.body = std::move(body);
  return response;
}

HttpsResponse HttpsResponse::error(int status) {
  HttpsResponse response;
  response.status = status;
  response.content_type = "text/html";
  response.body = fmt::format("<html><body><h1>{} {}</h1></body></html>\n", status,
                              std::string_view(http::obsolete_reason(http::int_to_status(
                                  static_cast<unsigned>(std::max(status, 0))))));
  return response;
}

HttpsResponse HttpsResponse::redirect(int status, std::string location) {
  HttpsResponse response = error(status);
  response.headers.emplace_back("Location", std::move(location));
  return response;
}

HttpsResponse HttpsResponse::oversized(std::size_t size) {
  HttpsResponse response;
  response.kind = Kind::oversized;
  response.size = size;
  return response;
}

HttpsResponse HttpsResponse::endless() {
  HttpsResponse response;
  response.kind = Kind::endless;
  return response;
}

HttpsResponse HttpsResponse::raw(std::string bytes) {
  HttpsResponse response;
  response.kind = Kind::raw;
  response.bytes = std::move(bytes);
  return response;
}

HttpsResponse HttpsResponse::endless_header(std::chrono::milliseconds interval) {
  HttpsResponse response;
  response.kind = Kind::endless_header;
  response.interval = interval;
  return response;
}

HttpsServer::HttpsServer(asio::io_context& io, HttpsBehaviour behaviour, asio::ip::address address,
                         std::uint16_t port)
    : impl_(std::make_shared<Impl>(io)) {
  if (!address.is_loopback()) {
    throw std::invalid_argument("HttpsServer: the test world listens on loopback only, not " +
                                address.to_string());
  }
  impl_->script = load_script(std::move(behaviour), impl_->records);
  impl_->bind(address, port);
  asio::co_spawn(io, Impl::accept(impl_), asio::detached);
}

HttpsServer::HttpsServer(asio::io_context& io, std::shared_ptr<HttpsHosts> hosts,
                         const tcp::endpoint& listen_on, bool reuse_port)
    : impl_(std::make_shared<Impl>(io)) {
  impl_->hosts = std::move(hosts);
  listen(impl_->acceptor, listen_on, reuse_port, "HttpsServer");
  impl_->local = impl_->acceptor.local_endpoint();
  asio::co_spawn(io, Impl::accept(impl_), asio::detached);
}

HttpsServer::~HttpsServer() {
  stop();
}

tcp::endpoint HttpsServer::endpoint() const {
  return impl_->local;
}

std::uint16_t HttpsServer::port() const {
  return impl_->local.port();
}

std::uint64_t HttpsServer::connections_accepted() const {
  return impl_->records->accepted.load(std::memory_order_relaxed);
}

std::uint64_t HttpsServer::tls_handshakes_completed() const {
  return impl_->records->handshakes.load(std::memory_order_relaxed);
}

std::vector<HttpsRequest> HttpsServer::requests() const {
  const std::lock_guard lock(impl_->records->mutex);
  return impl_->records->requests;
}

std::vector<std::string> HttpsServer::sni_names() const {
  const std::lock_guard lock(impl_->records->mutex);
  return impl_->records->sni_names;
}

void HttpsServer::set_behaviour(HttpsBehaviour behaviour) {
  impl_->script = load_script(std::move(behaviour), impl_->records);
}

void HttpsServer::stop() {
  impl_->stop();
}

}  // namespace mx::world
