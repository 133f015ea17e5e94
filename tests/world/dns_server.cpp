#include "tests/world/dns_server.hpp"

#include <array>
#include <deque>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "tests/world/dns_answer.hpp"

namespace mx::world {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using Message = std::vector<std::uint8_t>;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Binding TCP on the port UDP got can lose a race with another process; a fresh port then.
constexpr int bind_attempts = 16;
constexpr std::size_t max_datagram = 65535;

// One accepted TCP connection. Replies can become ready out of order (delayed names), so they
// queue here and one writer at a time drains the queue.
struct TcpConnection {
  explicit TcpConnection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::deque<Message> outbox;  // length-prefixed replies
  bool writing = false;
};

// The zone being served. Each query takes a snapshot, so a replacement never changes a query
// already received; the mutex lets set_zone come from any thread.
class ZoneSlot {
 public:
  explicit ZoneSlot(Zone zone) : zone_(std::make_shared<const Zone>(std::move(zone))) {}

  [[nodiscard]] std::shared_ptr<const Zone> get() const {
    const std::lock_guard lock(mutex_);
    return zone_;
  }
  void set(Zone zone) {
    auto next = std::make_shared<const Zone>(std::move(zone));
    const std::lock_guard lock(mutex_);
    zone_.swap(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Zone> zone_;
};

}  // namespace

// Shared by the server object and every pending coroutine, so that destroying the server while
// operations are in flight only closes sockets: the coroutines finish with operation_aborted and
// release the last references. Everything but the counters and the zone runs on the io_context's
// thread.
struct DnsServer::Impl {
  Impl(asio::io_context& io, Zone served) : executor(io.get_executor()), zone(std::move(served)) {}

  void bind(const asio::ip::address& address, std::uint16_t port);
  void stop();
  void count_answer(Transport transport);
  void record_question(std::span<const std::uint8_t> query);

  static asio::awaitable<void> serve_udp(std::shared_ptr<Impl> self);
  static asio::awaitable<void> reply_udp(std::shared_ptr<Impl> self, udp::endpoint peer,
                                         DnsReply reply);
  static asio::awaitable<void> accept_tcp(std::shared_ptr<Impl> self);
  static asio::awaitable<void> serve_tcp(std::shared_ptr<Impl> self,
                                         std::shared_ptr<TcpConnection> connection);
  static asio::awaitable<void> reply_tcp_later(std::shared_ptr<Impl> self,
                                               std::shared_ptr<TcpConnection> connection,
                                               DnsReply reply);
  static asio::awaitable<void> drain_tcp(std::shared_ptr<Impl> self,
                                         std::shared_ptr<TcpConnection> connection);
  static asio::awaitable<bool> wait(std::shared_ptr<Impl> self, std::chrono::milliseconds delay);
  static void send_tcp(const std::shared_ptr<Impl>& self,
                       const std::shared_ptr<TcpConnection>& connection, Message message);

  asio::io_context::executor_type executor;
  udp::socket udp_socket{executor};
  tcp::acceptor acceptor{executor};
  udp::endpoint local;
  ZoneSlot zone;
  std::atomic<std::uint64_t> answered{0};
  std::atomic<std::uint64_t> tcp_answered{0};
  mutable std::mutex names_mutex;
  std::vector<std::string> names_asked;  // at most kNamesKept, read from any thread
  bool stopped = false;
  std::list<std::weak_ptr<TcpConnection>> connections;  // closed by stop()
  std::list<asio::steady_timer*> delays;  // pending delayed replies, cancelled by stop()
};

namespace {

// Keeps a delay timer in the server's list while it waits, so that stop() can cancel it.
class DelayRegistration {
 public:
  DelayRegistration(std::list<asio::steady_timer*>& delays, asio::steady_timer& timer)
      : delays_(delays), entry_(delays.insert(delays.end(), &timer)) {}
  ~DelayRegistration() { delays_.erase(entry_); }
  DelayRegistration(const DelayRegistration&) = delete;
  DelayRegistration& operator=(const DelayRegistration&) = delete;

 private:
  std::list<asio::steady_timer*>& delays_;
  std::list<asio::steady_timer*>::iterator entry_;
};

}  // namespace

void DnsServer::Impl::bind(const asio::ip::address& address, std::uint16_t port) {
  boost::system::error_code ec;
  for (int attempt = 0; attempt < bind_attempts; ++attempt) {
    const udp::endpoint wanted(address, port);
    udp_socket.open(wanted.protocol());
    // Bursts of a thousand queries must not overflow the kernel's default receive buffer.
    udp_socket.set_option(asio::socket_base::receive_buffer_size(4 << 20));
    udp_socket.bind(wanted);
    local = udp_socket.local_endpoint();
    const tcp::endpoint stream(address, local.port());
    acceptor.open(stream.protocol());
    // Lets a fixed port be reused while old connections linger in TIME_WAIT; Linux still refuses
    // a port that another socket listens on.
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(stream, ec);
    if (!ec) {
      acceptor.listen(asio::socket_base::max_listen_connections);
      return;
    }
    acceptor.close();
    udp_socket.close();
    if (port != 0) {
      break;
    }
  }
  throw boost::system::system_error(
      ec, fmt::format("DnsServer: cannot bind TCP beside UDP on {}:{}", address.to_string(), port));
}

void DnsServer::Impl::stop() {
  if (stopped) {
    return;
  }
  stopped = true;
  boost::system::error_code ignored;
  udp_socket.close(ignored);
  acceptor.close(ignored);
  for (const auto& weak : connections) {
    if (const auto connection = weak.lock()) {
      connection->socket.close(ignored);
    }
  }
  connections.clear();
  for (auto* timer : delays) {
    timer->cancel();
  }
}

void DnsServer::Impl::record_question(std::span<const std::uint8_t> query) {
  auto name = question_name(query);
  const std::lock_guard lock(names_mutex);
  if (names_asked.size() < kNamesKept) {
    names_asked.push_back(std::move(name));
  }
}

void DnsServer::Impl::count_answer(Transport transport) {
  answered.fetch_add(1, std::memory_order_relaxed);
  if (transport == Transport::tcp) {
    tcp_answered.fetch_add(1, std::memory_order_relaxed);
  }
}

asio::awaitable<bool> DnsServer::Impl::wait(std::shared_ptr<Impl> self,
                                            std::chrono::milliseconds delay) {
  asio::steady_timer timer(self->executor, delay);
  const DelayRegistration registration(self->delays, timer);
  const auto waited = co_await timer.async_wait(use_tuple);
  const auto& [ec] = waited;
  co_return !ec && !self->stopped;
}

asio::awaitable<void> DnsServer::Impl::serve_udp(std::shared_ptr<Impl> self) {
  Message datagram(max_datagram);
  for (;;) {
    udp::endpoint peer;
    const auto received =
        co_await self->udp_socket.async_receive_from(asio::buffer(datagram), peer, use_tuple);
    const auto& [ec, size] = received;
    if (self->stopped || !self->udp_socket.is_open()) {
      co_return;
    }
    if (ec) {
      continue;  // a datagram-level error (e.g. a truncated datagram) ends nothing
    }
    const auto zone = self->zone.get();
    self->record_question({datagram.data(), size});
    auto reply = answer_query({datagram.data(), size}, *zone, Transport::udp);
    if (!reply) {
      continue;
    }
    asio::co_spawn(self->executor, reply_udp(self, peer, std::move(*reply)), asio::detached);
  }
}

asio::awaitable<void> DnsServer::Impl::reply_udp(std::shared_ptr<Impl> self, udp::endpoint peer,
                                                 DnsReply reply) {
  if (reply.delay.count() > 0) {
    const bool waited = co_await wait(self, reply.delay);
    if (!waited) {
      co_return;
    }
  }
  if (self->stopped) {
    co_return;
  }
  // Counted before sending, so a client that has its answer also sees it counted.
  self->count_answer(Transport::udp);
  // A lost datagram is what UDP allows; the client retries or times out.
  const auto sent =
      co_await self->udp_socket.async_send_to(asio::buffer(reply.message), peer, use_tuple);
  static_cast<void>(sent);
}

asio::awaitable<void> DnsServer::Impl::accept_tcp(std::shared_ptr<Impl> self) {
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
    std::erase_if(self->connections, [](const auto& weak) { return weak.expired(); });
    auto connection = std::make_shared<TcpConnection>(std::move(socket));
    self->connections.push_back(connection);
    asio::co_spawn(self->executor, serve_tcp(self, std::move(connection)), asio::detached);
  }
}

asio::awaitable<void> DnsServer::Impl::serve_tcp(std::shared_ptr<Impl> self,
                                                 std::shared_ptr<TcpConnection> connection) {
  Message query;
  for (;;) {
    std::array<std::uint8_t, 2> prefix{};
    const auto got_prefix =
        co_await asio::async_read(connection->socket, asio::buffer(prefix), use_tuple);
    const auto& [prefix_ec, prefix_size] = got_prefix;
    if (prefix_ec || self->stopped) {
      co_return;  // the client closed (replies still queued are written by drain_tcp)
    }
    // The 2-byte prefix bounds a query to 65535 bytes; a zero length frames nothing.
    const std::size_t length = (std::size_t{prefix[0]} << 8) | prefix[1];
    if (length == 0) {
      co_return;
    }
    query.resize(length);
    const auto got_query =
        co_await asio::async_read(connection->socket, asio::buffer(query), use_tuple);
    const auto& [query_ec, query_size] = got_query;
    if (query_ec || self->stopped) {
      co_return;
    }
    const auto zone = self->zone.get();
    self->record_question(query);
    auto reply = answer_query(query, *zone, Transport::tcp);
    if (!reply) {
      continue;  // silent or unreadable: the connection stays open, unanswered
    }
    if (reply->delay.count() > 0) {
      asio::co_spawn(self->executor, reply_tcp_later(self, connection, std::move(*reply)),
                     asio::detached);
    } else {
      send_tcp(self, connection, std::move(reply->message));
    }
  }
}

asio::awaitable<void> DnsServer::Impl::reply_tcp_later(std::shared_ptr<Impl> self,
                                                       std::shared_ptr<TcpConnection> connection,
                                                       DnsReply reply) {
  const bool waited = co_await wait(self, reply.delay);
  if (waited) {
    send_tcp(self, connection, std::move(reply.message));
  }
}

void DnsServer::Impl::send_tcp(const std::shared_ptr<Impl>& self,
                               const std::shared_ptr<TcpConnection>& connection, Message message) {
  if (self->stopped) {
    return;
  }
  self->count_answer(Transport::tcp);
  Message framed;
  framed.reserve(message.size() + 2);
  framed.push_back(static_cast<std::uint8_t>(message.size() >> 8));
  framed.push_back(static_cast<std::uint8_t>(message.size() & 0xFF));
  framed.insert(framed.end(), message.begin(), message.end());
  connection->outbox.push_back(std::move(framed));
  if (!connection->writing) {
    connection->writing = true;
    asio::co_spawn(self->executor, drain_tcp(self, connection), asio::detached);
  }
}

asio::awaitable<void> DnsServer::Impl::drain_tcp(std::shared_ptr<Impl> self,
                                                 std::shared_ptr<TcpConnection> connection) {
  while (!connection->outbox.empty()) {
    // A deque keeps references to its front valid while send_tcp appends behind it.
    const auto wrote = co_await asio::async_write(
        connection->socket, asio::buffer(connection->outbox.front()), use_tuple);
    const auto& [ec, size] = wrote;
    if (ec || self->stopped) {
      connection->outbox.clear();
      break;
    }
    connection->outbox.pop_front();
  }
  connection->writing = false;
}

DnsServer::DnsServer(asio::io_context& io, Zone zone, asio::ip::address address, std::uint16_t port)
    : impl_(std::make_shared<Impl>(io, std::move(zone))) {
  if (!address.is_loopback()) {
    throw std::invalid_argument("DnsServer: the test world listens on loopback only, not " +
                                address.to_string());
  }
  impl_->bind(address, port);
  asio::co_spawn(io, Impl::serve_udp(impl_), asio::detached);
  asio::co_spawn(io, Impl::accept_tcp(impl_), asio::detached);
}

DnsServer::~DnsServer() {
  stop();
}

udp::endpoint DnsServer::endpoint() const {
  return impl_->local;
}

std::string DnsServer::resolver_arg() const {
  const auto& local = impl_->local;
  if (local.address().is_v6()) {
    return fmt::format("[{}]:{}", local.address().to_string(), local.port());
  }
  return fmt::format("{}:{}", local.address().to_string(), local.port());
}

std::uint64_t DnsServer::queries_answered() const {
  return impl_->answered.load(std::memory_order_relaxed);
}

std::vector<std::string> DnsServer::names_asked() const {
  const std::lock_guard lock(impl_->names_mutex);
  return impl_->names_asked;
}

std::uint64_t DnsServer::tcp_queries_answered() const {
  return impl_->tcp_answered.load(std::memory_order_relaxed);
}

void DnsServer::set_zone(Zone zone) {
  impl_->zone.set(std::move(zone));
}

void DnsServer::stop() {
  impl_->stop();
}

}  // namespace mx::world
