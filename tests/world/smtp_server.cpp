#include "tests/world/smtp_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mx::world {

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Long and endless replies are produced and written this much at a time, so a client that stops
// reading costs the server one chunk of memory, not the whole reply.
constexpr std::size_t bulk_chunk = 16 * 1024;
constexpr std::size_t endless_line_size = 76;
constexpr std::string_view crlf = "\r\n";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// What is recorded for the tests, shared by the server and the TLS callbacks of every script.
struct Records {
  mutable std::mutex mutex;
  std::vector<std::string> commands;
  std::vector<std::string> sni_names;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> handshakes{0};

  void command(std::string_view line) {
    const std::lock_guard lock(mutex);
    if (commands.size() < SmtpServer::max_recorded_commands) {
      commands.emplace_back(line.substr(0, SmtpServer::max_recorded_line));
    }
  }
  void sni(std::string name) {
    const std::lock_guard lock(mutex);
    sni_names.push_back(std::move(name));
  }
};

// One SSL_CTX per certificate. Every handshake starts on `fallback`; the SNI callback moves it to
// the context of the name the client asked for. All contexts share the version limits.
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

ssl::context make_context(const SmtpCertificate& certificate, const SmtpTls& tls,
                          TlsContexts* contexts) {
  ssl::context context = make_server_context(tls.min_version, tls.max_version, "SmtpServer");
  load_certificate_files(context, certificate.chain_file, certificate.key_file, "SmtpServer");
  SSL_CTX_set_tlsext_servername_callback(context.native_handle(), select_certificate);
  SSL_CTX_set_tlsext_servername_arg(context.native_handle(), contexts);
  return context;
}

// A script with its TLS contexts loaded. Connections hold it by shared_ptr, so a replaced
// script lives until its last connection ends (the SNI callback points into its contexts, and a
// handshake needs them mutable).
struct Script {
  SmtpBehaviour behaviour;
  std::shared_ptr<TlsContexts> tls;
  // A host of a many-host server: its identity, served on a context it shares with others.
  std::optional<TlsIdentity> identity;
  ssl::context* shared_context = nullptr;
};

std::shared_ptr<const Script> load_script(SmtpBehaviour behaviour,
                                          const std::shared_ptr<Records>& records) {
  auto script = std::make_shared<Script>();
  script->behaviour = std::move(behaviour);
  if (const auto& tls = script->behaviour.tls) {
    script->tls = std::make_shared<TlsContexts>();
    auto& contexts = *script->tls;
    contexts.records = records;
    contexts.fallback.emplace(make_context(tls->certificate, *tls, &contexts));
    for (const auto& [name, certificate] : tls->by_sni) {
      contexts.by_sni.emplace(lower(name), make_context(certificate, *tls, &contexts));
    }
  }
  return script;
}

std::string format_reply(int code, const std::vector<std::string>& lines) {
  if (lines.empty()) {
    return fmt::format("{}\r\n", code);
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const char separator = i + 1 == lines.size() ? ' ' : '-';
    out += fmt::format("{}{}{}\r\n", code, separator, lines[i]);
  }
  return out;
}

struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}

  void close() {
    boost::system::error_code ignored;
    if (tls) {
      tls->lowest_layer().close(ignored);
    }
    socket.close(ignored);
    timer.cancel();
  }

  tcp::socket socket;  // plaintext; moved into `tls` at STARTTLS
  std::optional<ssl::stream<tcp::socket>> tls;
  asio::steady_timer timer;                     // response delays
  std::string input;                            // received, not yet consumed
  std::chrono::milliseconds write_interval{0};  // the script's, before each written piece
};

using ConnectionPtr = std::shared_ptr<Connection>;

// How the dialogue goes on after a response.
enum class Next { proceed, close, silence };

// The server's own replies, outside the script. A function rather than a braced list at the call
// site: GCC 12 rejects initializer lists inside a co_await expression.
SmtpResponse fixed_reply(int code, std::string_view text) {
  return smtp_reply(code, {std::string(text)});
}

enum class LineStatus { line, closed, too_long };

struct ReadLine {
  LineStatus status = LineStatus::closed;
  std::string line;  // without the line end
};

}  // namespace

// Shared by the server object and every pending coroutine, so that destroying the server while
// operations are in flight only closes sockets: the coroutines finish with operation_aborted and
// release the last references. Everything but `records` is used on the io_context's thread.
struct SmtpServer::Impl {
  explicit Impl(asio::io_context& io) : executor(io.get_executor()) {}

  void bind(const asio::ip::address& address, std::uint16_t port);
  void stop();
  // The script of the host a connection reached; nullptr when there is none.
  std::shared_ptr<const Script> host_script(const tcp::socket& socket);

  static asio::awaitable<void> accept(std::shared_ptr<Impl> self);
  static asio::awaitable<void> serve(std::shared_ptr<Impl> self, ConnectionPtr connection,
                                     std::shared_ptr<const Script> script);
  static asio::awaitable<Next> respond(std::shared_ptr<Impl> self, ConnectionPtr connection,
                                       SmtpResponse response, std::size_t chunk);
  static asio::awaitable<Next> start_tls(std::shared_ptr<Impl> self, ConnectionPtr connection,
                                         std::shared_ptr<const Script> script);
  static asio::awaitable<ReadLine> read_line(ConnectionPtr connection);
  static asio::awaitable<bool> write(ConnectionPtr connection, std::string data, std::size_t chunk);
  static asio::awaitable<void> drain(ConnectionPtr connection);
  static asio::awaitable<void> quit(ConnectionPtr connection, std::size_t chunk);

  asio::io_context::executor_type executor;
  tcp::acceptor acceptor{executor};
  tcp::endpoint local;
  std::shared_ptr<Records> records = std::make_shared<Records>();
  std::shared_ptr<const Script> script;
  bool stopped = false;
  std::list<std::weak_ptr<Connection>> connections;  // closed by stop()
  std::shared_ptr<SmtpHosts> hosts;                  // set: a many-host server
  ServerContexts shared_contexts{"SmtpServer"};
};

void SmtpServer::Impl::bind(const asio::ip::address& address, std::uint16_t port) {
  listen(acceptor, tcp::endpoint(address, port), false, "SmtpServer");
  local = acceptor.local_endpoint();
}

std::shared_ptr<const Script> SmtpServer::Impl::host_script(const tcp::socket& socket) {
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
  made->behaviour = std::move(host->behaviour);
  made->behaviour.tls.reset();
  if (host->identity) {
    made->identity = std::move(host->identity);
    made->shared_context = &shared_contexts.get(host->min_version, host->max_version);
  }
  return made;
}

void SmtpServer::Impl::stop() {
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

asio::awaitable<void> SmtpServer::Impl::accept(std::shared_ptr<Impl> self) {
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
    boost::system::error_code ignored;
    // Fragmented replies must leave as separate segments, not be coalesced by Nagle.
    socket.set_option(tcp::no_delay(true), ignored);
    std::erase_if(self->connections, [](const auto& weak) { return weak.expired(); });
    auto script = self->hosts ? self->host_script(socket) : self->script;
    if (!script) {
      boost::system::error_code closed;
      socket.close(closed);
      continue;
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    self->connections.push_back(connection);
    asio::co_spawn(self->executor, serve(self, std::move(connection), std::move(script)),
                   asio::detached);
  }
}

asio::awaitable<void> SmtpServer::Impl::serve(std::shared_ptr<Impl> self, ConnectionPtr connection,
                                              std::shared_ptr<const Script> script) {
  const SmtpBehaviour& behaviour = script->behaviour;
  const std::size_t chunk = behaviour.write_chunk;
  connection->write_interval = behaviour.write_interval;
  Next next = co_await respond(self, connection, behaviour.greeting, chunk);
  const bool refused =
      behaviour.greeting.kind == SmtpResponse::Kind::reply && behaviour.greeting.code >= 500;
  while (next == Next::proceed) {
    const ReadLine read = co_await read_line(connection);
    if (read.status == LineStatus::closed || self->stopped) {
      next = Next::close;
      break;
    }
    if (read.status == LineStatus::too_long) {
      const std::string too_long = "500 5.5.2 Line too long\r\n";
      const bool wrote = co_await write(connection, too_long, chunk);
      static_cast<void>(wrote);
      next = Next::close;
      break;
    }
    self->records->command(read.line);
    const std::string verb = upper(std::string_view(read.line).substr(0, read.line.find(' ')));
    if (verb == "QUIT") {
      co_await quit(connection, chunk);
      next = Next::close;
    } else if (refused) {
      next = co_await respond(self, connection, fixed_reply(503, "5.5.1 No service"), chunk);
    } else if (verb == "EHLO") {
      const auto& ehlo = connection->tls ? behaviour.ehlo_after_tls : behaviour.ehlo;
      next = co_await respond(self, connection, ehlo, chunk);
    } else if (verb == "HELO") {
      next = co_await respond(self, connection, behaviour.helo, chunk);
    } else if (verb == "STARTTLS") {
      next = co_await start_tls(self, connection, script);
    } else if (verb == "NOOP" || verb == "RSET") {
      next = co_await respond(self, connection, fixed_reply(250, "2.0.0 OK"), chunk);
    } else {
      next = co_await respond(self, connection, fixed_reply(502, "5.5.1 Command not implemented"),
                              chunk);
    }
  }
  if (next == Next::silence) {
    co_await drain(connection);
  }
  connection->close();
}

asio::awaitable<Next> SmtpServer::Impl::start_tls(std::shared_ptr<Impl> self,
                                                  ConnectionPtr connection,
                                                  std::shared_ptr<const Script> script) {
  const SmtpBehaviour& behaviour = script->behaviour;
  const std::size_t chunk = behaviour.write_chunk;
  if (connection->tls) {
    const Next next =
        co_await respond(self, connection, fixed_reply(554, "5.5.1 TLS already active"), chunk);
    co_return next;
  }
  if (!script->tls && !script->identity && behaviour.garbage_instead_of_tls.empty()) {
    const Next next =
        co_await respond(self, connection, fixed_reply(454, "4.7.0 TLS not available"), chunk);
    co_return next;
  }
  const SmtpResponse& answer = behaviour.starttls;
  const Next next = co_await respond(self, connection, answer, chunk);
  const bool starts =
      answer.kind == SmtpResponse::Kind::reply && answer.code >= 200 && answer.code < 300;
  if (next != Next::proceed || !starts) {
    co_return next;
  }
  // Whatever the client pipelined behind STARTTLS was sent in plaintext: never let it count as
  // commands inside TLS.
  connection->input.clear();
  if (!behaviour.garbage_instead_of_tls.empty()) {
    std::array<char, 4096> client_hello{};
    const auto got =
        co_await connection->socket.async_read_some(asio::buffer(client_hello), use_tuple);
    if (std::get<0>(got) || self->stopped) {
      co_return Next::close;
    }
    const bool wrote = co_await write(connection, behaviour.garbage_instead_of_tls, chunk);
    co_return wrote ? Next::silence : Next::close;
  }
  if (script->identity) {
    connection->tls.emplace(std::move(connection->socket), *script->shared_context);
    try {
      use_identity(connection->tls->native_handle(), *script->identity);
    } catch (const std::runtime_error&) {
      co_return Next::close;
    }
  } else {
    connection->tls.emplace(std::move(connection->socket), *script->tls->fallback);
  }
  const auto shook = co_await connection->tls->async_handshake(ssl::stream_base::server, use_tuple);
  const auto& [ec] = shook;
  if (ec || self->stopped) {
    co_return Next::close;
  }
  self->records->handshakes.fetch_add(1, std::memory_order_relaxed);
  if (script->identity) {
    // A shared context has no SNI callback to record the name.
    const char* name =
        SSL_get_servername(connection->tls->native_handle(), TLSEXT_NAMETYPE_host_name);
    self->records->sni(name != nullptr ? name : "");
  }
  co_return Next::proceed;
}

asio::awaitable<Next> SmtpServer::Impl::respond(std::shared_ptr<Impl> self,
                                                ConnectionPtr connection, SmtpResponse response,
                                                std::size_t chunk) {
  if (response.delay.count() > 0) {
    connection->timer.expires_after(response.delay);
    const auto waited = co_await connection->timer.async_wait(use_tuple);
    const auto& [ec] = waited;
    if (ec || self->stopped) {
      co_return Next::close;
    }
  }
  bool wrote = true;
  switch (response.kind) {
    case SmtpResponse::Kind::silence:
      co_return Next::silence;
    case SmtpResponse::Kind::reply: {
      wrote = co_await write(
          connection, format_reply(response.code, response.lines) + response.injected, chunk);
      break;
    }
    case SmtpResponse::Kind::raw: {
      wrote = co_await write(connection, response.bytes + response.injected, chunk);
      break;
    }
    case SmtpResponse::Kind::long_line: {
      // "<code> " + filler + CR LF; a size too small for that still gets the code and line end.
      const std::string head = fmt::format("{} ", response.code);
      std::size_t filler =
          response.size > head.size() + crlf.size() ? response.size - head.size() - crlf.size() : 0;
      wrote = co_await write(connection, head, chunk);
      while (wrote && filler > 0) {
        const std::size_t piece = std::min(filler, bulk_chunk);
        wrote = co_await write(connection, std::string(piece, 'x'), chunk);
        filler -= piece;
      }
      if (wrote) {
        wrote = co_await write(connection, std::string(crlf) + response.injected, chunk);
      }
      break;
    }
    case SmtpResponse::Kind::endless: {
      const std::string head = fmt::format("{}-", response.code);
      const std::string line =
          head + std::string(endless_line_size - head.size() - crlf.size(), 'x') + "\r\n";
      std::string block;
      while (block.size() + line.size() <= bulk_chunk) {
        block += line;
      }
      // Ends only when a write fails: the client closed, or stop() closed the socket.
      while (wrote) {
        wrote = co_await write(connection, block, chunk);
      }
      break;
    }
  }
  if (!wrote || response.close_after || self->stopped) {
    co_return Next::close;
  }
  co_return Next::proceed;
}

asio::awaitable<ReadLine> SmtpServer::Impl::read_line(ConnectionPtr connection) {
  auto buffer = asio::dynamic_buffer(connection->input, max_command_line);
  boost::system::error_code ec;
  std::size_t size = 0;
  if (connection->tls) {
    const auto got = co_await asio::async_read_until(*connection->tls, buffer, '\n', use_tuple);
    std::tie(ec, size) = got;
  } else {
    const auto got = co_await asio::async_read_until(connection->socket, buffer, '\n', use_tuple);
    std::tie(ec, size) = got;
  }
  // read_until reports a full buffer without a line end as not_found.
  if (ec == asio::error::not_found) {
    co_return ReadLine{LineStatus::too_long, {}};
  }
  if (ec) {
    co_return ReadLine{LineStatus::closed, {}};
  }
  std::string line = connection->input.substr(0, size - 1);
  connection->input.erase(0, size);
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  co_return ReadLine{LineStatus::line, std::move(line)};
}

asio::awaitable<bool> SmtpServer::Impl::write(ConnectionPtr connection, std::string data,
                                              std::size_t chunk) {
  const std::size_t step = chunk == 0 ? data.size() : chunk;
  for (std::size_t offset = 0; offset < data.size(); offset += step) {
    const auto piece = asio::buffer(data.data() + offset, std::min(step, data.size() - offset));
    if (connection->write_interval.count() > 0) {
      // close() cancels the wait, so a dribbling server still stops at once.
      connection->timer.expires_after(connection->write_interval);
      const auto waited = co_await connection->timer.async_wait(use_tuple);
      if (std::get<0>(waited)) {
        co_return false;
      }
    }
    boost::system::error_code ec;
    if (connection->tls) {
      const auto wrote = co_await asio::async_write(*connection->tls, piece, use_tuple);
      ec = std::get<0>(wrote);
    } else {
      const auto wrote = co_await asio::async_write(connection->socket, piece, use_tuple);
      ec = std::get<0>(wrote);
    }
    if (ec) {
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<void> SmtpServer::Impl::drain(ConnectionPtr connection) {
  std::array<char, 4096> scratch{};
  for (;;) {
    boost::system::error_code ec;
    if (connection->tls) {
      const auto got = co_await connection->tls->async_read_some(asio::buffer(scratch), use_tuple);
      ec = std::get<0>(got);
    } else {
      const auto got =
          co_await connection->socket.async_read_some(asio::buffer(scratch), use_tuple);
      ec = std::get<0>(got);
    }
    if (ec) {
      co_return;
    }
  }
}

asio::awaitable<void> SmtpServer::Impl::quit(ConnectionPtr connection, std::size_t chunk) {
  const std::string bye = "221 2.0.0 Bye\r\n";
  const bool wrote = co_await write(connection, bye, chunk);
  if (wrote && connection->tls) {
    // Sends close_notify and waits for the client's, or for it to close the connection.
    const auto shut = co_await connection->tls->async_shutdown(use_tuple);
    static_cast<void>(shut);
  }
}

SmtpResponse smtp_reply(int code, std::vector<std::string> lines) {
  SmtpResponse response;
  response.kind = SmtpResponse::Kind::reply;
  response.code = code;
  response.lines = std::move(lines);
  return response;
}

SmtpResponse ehlo_reply(std::vector<std::string> extensions, std::string host) {
  extensions.insert(extensions.begin(), std::move(host));
  return smtp_reply(250, std::move(extensions));
}

SmtpResponse raw_response(std::string bytes) {
  SmtpResponse response;
  response.kind = SmtpResponse::Kind::raw;
  response.bytes = std::move(bytes);
  return response;
}

SmtpResponse silent_response() {
  SmtpResponse response;
  response.kind = SmtpResponse::Kind::silence;
  return response;
}

SmtpResponse long_line_response(int code, std::size_t size) {
  SmtpResponse response;
  response.kind = SmtpResponse::Kind::long_line;
  response.code = code;
  response.size = size;
  return response;
}

SmtpResponse endless_response(int code) {
  SmtpResponse response;
  response.kind = SmtpResponse::Kind::endless;
  response.code = code;
  return response;
}

SmtpCertificate SmtpCertificate::from(const Leaf& leaf) {
  return SmtpCertificate{leaf.chain_file, leaf.key_file};
}

SmtpServer::SmtpServer(asio::io_context& io, SmtpBehaviour behaviour, asio::ip::address address,
                       std::uint16_t port)
    : impl_(std::make_shared<Impl>(io)) {
  if (!address.is_loopback()) {
    throw std::invalid_argument("SmtpServer: the test world listens on loopback only, not " +
                                address.to_string());
  }
  impl_->script = load_script(std::move(behaviour), impl_->records);
  impl_->bind(address, port);
  asio::co_spawn(io, Impl::accept(impl_), asio::detached);
}

SmtpServer::SmtpServer(asio::io_context& io, std::shared_ptr<SmtpHosts> hosts,
                       const tcp::endpoint& listen_on, bool reuse_port)
    : impl_(std::make_shared<Impl>(io)) {
  impl_->hosts = std::move(hosts);
  listen(impl_->acceptor, listen_on, reuse_port, "SmtpServer");
  impl_->local = impl_->acceptor.local_endpoint();
  asio::co_spawn(io, Impl::accept(impl_), asio::detached);
}

SmtpServer::~SmtpServer() {
  stop();
}

tcp::endpoint SmtpServer::endpoint() const {
  return impl_->local;
}

std::uint16_t SmtpServer::port() const {
  return impl_->local.port();
}

std::uint64_t SmtpServer::connections_accepted() const {
  return impl_->records->accepted.load(std::memory_order_relaxed);
}

std::uint64_t SmtpServer::tls_handshakes_completed() const {
  return impl_->records->handshakes.load(std::memory_order_relaxed);
}

std::vector<std::string> SmtpServer::commands() const {
  const std::lock_guard lock(impl_->records->mutex);
  return impl_->records->commands;
}

std::vector<std::string> SmtpServer::sni_names() const {
  const std::lock_guard lock(impl_->records->mutex);
  return impl_->records->sni_names;
}

void SmtpServer::set_behaviour(SmtpBehaviour behaviour) {
  impl_->script = load_script(std::move(behaviour), impl_->records);
}

void SmtpServer::stop() {
  impl_->stop();
}

}  // namespace mx::world
