// The c-ares bridge (STYLE §3.4): c-ares 1.18.1 builds, sends, retries and matches queries; Asio
// watches its sockets and its timeouts. c-ares creates its sockets through our socket functions,
// so each one is wrapped in a posix::stream_descriptor from birth and released (never closed by
// Asio) when c-ares closes it.
//
// Choices forced by c-ares 1.18.1 (its src/ares_process.c, src/ares_send.c):
// * ares_send takes the query ID from our buffer, so IDs are drawn here from OpenSSL's RNG and
//   kept unique among the queries in flight.
// * After SERVFAIL, NOTIMP or REFUSED from every server, the query fails with ARES_ECONNREFUSED,
//   the status of an unreachable server (later releases report ARES_ESERVFAIL/ARES_EREFUSED).
//   Our receive function therefore notes the last such RCODE each query got, so that the outcome
//   can say servfail or refused while c-ares keeps its retries and server failover.
// * Without ARES_FLAG_EDNS, c-ares treats a UDP answer over 512 octets as truncated and asks again
//   over TCP. The flag is not used because on SERVFAIL it flips EDNS off for the whole channel;
//   the EDNS0 OPT record (1232 octets) comes from ares_create_query instead.
// * A query's tries double their timeout after each round of servers, and a truncated answer
//   adds one TCP try at the current back-off: per_try_timeout() sizes the first try so that the
//   worst case fits the budget.
#include "scanner/dns/resolver.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <ares.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "scanner/dns/wire.hpp"

namespace mx::dns {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr int max_udp_size = 1232;  // the EDNS0 payload size of DNS flag day 2020
constexpr int udp_receive_buffer = 4 << 20;
constexpr std::uint8_t rcode_servfail = 2;
constexpr std::uint8_t rcode_notimp = 4;
constexpr std::uint8_t rcode_refused = 5;

// What one query ended with, as the awaiting coroutine receives it.
struct RawAnswer {
  int status = ARES_SUCCESS;       // c-ares' status; the message is set only for ARES_SUCCESS
  std::uint8_t failure_rcode = 0;  // the last SERVFAIL, NOTIMP or REFUSED the query got
  bool cancelled = false;          // the awaiting operation was cancelled
  std::vector<std::uint8_t> message;
};

RawAnswer with_status(int status) {
  RawAnswer answer;
  answer.status = status;
  return answer;
}

RawAnswer cancelled_answer() {
  RawAnswer answer;
  answer.cancelled = true;
  return answer;
}

using Handler = asio::any_completion_handler<void(RawAnswer)>;

std::once_flag library_once;

void init_library() {
  std::call_once(library_once, [] {
    if (const int status = ares_library_init(ARES_LIB_INIT_ALL); status != ARES_SUCCESS) {
      throw std::runtime_error(fmt::format("c-ares: {}", ares_strerror(status)));
    }
  });
}

std::chrono::milliseconds per_try_timeout(std::chrono::milliseconds budget, int tries,
                                          std::size_t servers) {
  // Tries × servers attempts; attempt k waits first_try << (k / servers); one TCP retry after a
  // truncated answer may add an attempt at the longest back-off, first_try << (tries - 1).
  const auto rounds = static_cast<long long>((1U << tries) - 1);
  const auto units = static_cast<long long>(servers) * rounds + (1LL << (tries - 1));
  return std::max(std::chrono::milliseconds{1}, std::chrono::milliseconds{budget.count() / units});
}

// Reassembles the DNS messages of one TCP stream (RFC 1035 §4.2.2: two-octet length, message) from
// the bytes c-ares reads, in order, in whatever pieces it reads them.
class TcpFramer {
 public:
  template <typename OnMessage>
  void feed(std::span<const std::uint8_t> bytes, OnMessage&& on_message) {
    while (!bytes.empty()) {
      if (length_octets_ < 2) {
        length_ = static_cast<std::size_t>((length_ << 8) | bytes.front());
        ++length_octets_;
        bytes = bytes.subspan(1);
        if (length_octets_ == 2 && length_ == 0) {
          length_octets_ = 0;
        }
        continue;
      }
      const std::size_t take = std::min(length_ - message_.size(), bytes.size());
      message_.insert(message_.end(), bytes.begin(), bytes.begin() + static_cast<long>(take));
      bytes = bytes.subspan(take);
      if (message_.size() == length_) {
        on_message(std::span<const std::uint8_t>(message_));
        message_.clear();
        length_octets_ = 0;
        length_ = 0;
      }
    }
  }

 private:
  std::size_t length_octets_ = 0;
  std::size_t length_ = 0;
  std::vector<std::uint8_t> message_;
};

struct ChannelDestroy {
  void operator()(ares_channel channel) const { ares_destroy(channel); }
};

}  // namespace

struct Resolver::Impl {
  // One socket c-ares opened. Wait handlers hold it by shared_ptr; `impl` is reset when c-ares
  // closes the socket or the resolver goes away, after which a handler touches nothing else.
  struct Socket {
    Socket(asio::io_context& io, int native, bool is_stream, Impl* owner)
        : descriptor(io), fd(native), stream(is_stream), impl(owner) {}
    asio::posix::stream_descriptor descriptor;
    int fd;
    bool stream;
    Impl* impl;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
    TcpFramer framer;
  };

  // One query from ares_send until c-ares calls back. `self` is c-ares' reference; the
  // cancellation handler holds another, so a cancelled query outlives its completion safely.
  struct Pending {
    // Handler is only ever move-constructed: Boost 1.81's any_completion_handler move assignment
    // recurses without end.
    Pending(Impl* owner, Handler completion)
        : impl(owner), executor(owner->io.get_executor()), handler(std::move(completion)) {}
    Impl* impl;
    asio::io_context::executor_type executor;
    std::string qname;
    RrType qtype = RrType::a;
    std::uint16_t id = 0;
    std::uint8_t failure_rcode = 0;
    Handler handler;
    asio::any_completion_executor work;
    asio::cancellation_slot slot;
    std::shared_ptr<Pending> self;
  };

  struct CancelPending {
    std::shared_ptr<Pending> pending;
    void operator()(asio::cancellation_type type) const {
      const auto accepted = asio::cancellation_type::terminal | asio::cancellation_type::partial |
                            asio::cancellation_type::total;
      if ((type & accepted) != asio::cancellation_type::none && pending->handler) {
        // c-ares cannot cancel one query: it runs on and its callback finds no handler.
        complete(*pending, cancelled_answer());
      }
    }
  };

  Impl(asio::io_context& context, ResolverOptions resolver_options);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Token-generic: completes with void(RawAnswer), always through a post.
  template <typename Token>
  auto async_lookup(std::string name, RrType type, Token&& token);
  void start(std::string name, RrType type, Handler handler);

  static void complete(Pending& pending, RawAnswer answer);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf,
                        int alen) noexcept;
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) noexcept;

  static ares_socket_t open_socket(int domain, int type, int protocol, void* data) noexcept;
  static int close_socket(ares_socket_t fd, void* data) noexcept;
  static int connect_socket(ares_socket_t fd, const sockaddr* address, ares_socklen_t length,
                            void* data) noexcept;
  static ares_ssize_t receive_from(ares_socket_t fd, void* buffer, std::size_t length, int flags,
                                   sockaddr* from, ares_socklen_t* from_length,
                                   void* data) noexcept;
  static ares_ssize_t send_vector(ares_socket_t fd, const iovec* vector, int count,
                                  void* data) noexcept;
  static constexpr ares_socket_functions socket_functions{open_socket, close_socket, connect_socket,
                                                          receive_from, send_vector};

  void create_channel(std::chrono::milliseconds try_timeout);
  [[nodiscard]] std::size_t server_count() const;
  void use_servers();
  std::uint16_t next_id();
  void note_failure_rcode(std::span<const std::uint8_t> message);

  static void wait_readable(std::shared_ptr<Socket> socket);
  static void wait_writable(std::shared_ptr<Socket> socket);
  static void on_ready(const std::shared_ptr<Socket>& socket, bool read,
                       const boost::system::error_code& ec);

  void arm_timer(Clock::time_point at);
  void arm_timer_for_new_query();
  void on_timer();

  asio::io_context& io;
  ResolverOptions options;
  int tries;
  std::chrono::milliseconds try_timeout{0};
  asio::steady_timer timer;
  std::optional<Clock::time_point> timer_expiry;  // set while a wait is pending on `timer`
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::unordered_map<int, std::shared_ptr<Socket>> sockets;
  std::unordered_map<std::uint16_t, Pending*> by_id;
  std::size_t in_flight = 0;
  std::array<std::uint16_t, 256> random_ids{};
  std::size_t random_ids_used = random_ids.size();
  // Last, so that it is destroyed first: ares_destroy calls back into the members above.
  std::unique_ptr<ares_channeldata, ChannelDestroy> channel;
};

Resolver::Impl::Impl(asio::io_context& context, ResolverOptions resolver_options)
    : io(context),
      options(std::move(resolver_options)),
      tries(std::clamp(options.tries, 1, 8)),
      timer(context) {
  init_library();
  const std::size_t servers = options.servers.empty() ? 1 : options.servers.size();
  create_channel(per_try_timeout(options.timeout, tries, servers));
  if (!options.servers.empty()) {
    use_servers();
  } else if (const std::size_t found = server_count(); found > 1) {
    // resolv.conf named several servers: size the tries for them.
    channel.reset();
    create_channel(per_try_timeout(options.timeout, tries, found));
  }
}

Resolver::Impl::~Impl() {
  // Pending queries end here with ARES_EDESTRUCTION (their handlers are posted, not run), and
  // every socket is closed through close_socket.
  channel.reset();
  *alive = false;
}

void Resolver::Impl::create_channel(std::chrono::milliseconds first_try) {
  ares_options ares{};
  ares.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  ares.timeout = static_cast<int>(std::min<long long>(first_try.count(), 1 << 30));
  ares.tries = tries;
  ares.sock_state_cb = &on_socket_state;
  ares.sock_state_cb_data = this;
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
                   ARES_OPT_NOROTATE;
  ares_channel created = nullptr;
  if (const int status = ares_init_options(&created, &ares, mask); status != ARES_SUCCESS) {
    throw std::runtime_error(fmt::format("c-ares channel: {}", ares_strerror(status)));
  }
  channel.reset(created);
  ares_set_socket_functions(channel.get(), &socket_functions, this);
  try_timeout = first_try;
}

std::size_t Resolver::Impl::server_count() const {
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel.get(), &servers) != ARES_SUCCESS) {
    return 1;
  }
  std::size_t count = 0;
  for (const auto* node = servers; node != nullptr; node = node->next) {
    ++count;
  }
  ares_free_data(servers);
  return count;
}

void Resolver::Impl::use_servers() {
  std::vector<ares_addr_port_node> nodes(options.servers.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const net::ServerAddress& server = options.servers[i];
    ares_addr_port_node& node = nodes[i];
    node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    if (server.ip.is_v4()) {
      node.family = AF_INET;
      const auto bytes = server.ip.to_v4().to_bytes();
      std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
    } else {
      node.family = AF_INET6;
      const auto bytes = server.ip.to_v6().to_bytes();
      std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
    }
    node.udp_port = server.port;
    node.tcp_port = server.port;
  }
  if (const int status = ares_set_servers_ports(channel.get(), nodes.data());
      status != ARES_SUCCESS) {
    throw std::runtime_error(fmt::format("c-ares servers: {}", ares_strerror(status)));
  }
}

std::uint16_t Resolver::Impl::next_id() {
  for (;;) {
    if (random_ids_used == random_ids.size()) {
      if (RAND_bytes(reinterpret_cast<unsigned char*>(random_ids.data()),
                     static_cast<int>(sizeof(random_ids))) != 1) {
        throw std::runtime_error("no random query IDs: OpenSSL RAND_bytes failed");
      }
      random_ids_used = 0;
    }
    const std::uint16_t id = random_ids[random_ids_used++];
    if (!by_id.contains(id)) {
      return id;
    }
  }
}

void Resolver::Impl::start(std::string name, RrType type, Handler handler) {
  auto pending = std::make_shared<Pending>(this, std::move(handler));
  pending->qname = std::move(name);
  pending->qtype = type;
  pending->work = asio::prefer(asio::get_associated_executor(pending->handler, io.get_executor()),
                               asio::execution::outstanding_work.tracked);

  const std::uint16_t id = next_id();
  unsigned char* query = nullptr;
  int query_length = 0;
  const int status = ares_create_query(pending->qname.c_str(), class_in, static_cast<int>(type), id,
                                       1, &query, &query_length, max_udp_size);
  if (status != ARES_SUCCESS) {
    ares_free_string(query);
    complete(*pending, with_status(status));
    return;
  }
  query[3] |= 0x20;  // AD: ask the server to say whether it validated the answer (RFC 6840 §5.7)
  pending->id = id;
  pending->self = pending;
  by_id.emplace(id, pending.get());
  ++in_flight;
  if (auto slot = asio::get_associated_cancellation_slot(pending->handler); slot.is_connected()) {
    pending->slot = slot;
    slot.emplace<CancelPending>(CancelPending{pending});
  }
  arm_timer_for_new_query();
  ares_send(channel.get(), query, query_length, &on_answer, pending.get());
  ares_free_string(query);
}

void Resolver::Impl::complete(Pending& pending, RawAnswer answer) {
  // Always posted: c-ares calls back from inside ares_process_fd, where no coroutine may resume.
  asio::post(pending.executor, asio::append(std::move(pending.handler), std::move(answer)));
  pending.work = asio::any_completion_executor();
}

void Resolver::Impl::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                               int alen) noexcept {
  const std::shared_ptr<Pending> pending = std::move(static_cast<Pending*>(arg)->self);
  Impl& impl = *pending->impl;
  impl.by_id.erase(pending->id);
  if (--impl.in_flight == 0) {
    impl.timer.cancel();
    impl.timer_expiry.reset();
  }
  if (!pending->handler) {
    return;  // cancelled earlier
  }
  if (pending->slot.is_connected()) {
    pending->slot.clear();
  }
  RawAnswer answer = with_status(status);
  answer.failure_rcode = pending->failure_rcode;
  if (status == ARES_SUCCESS && abuf != nullptr && alen > 0) {
    answer.message.assign(abuf, abuf + alen);
  }
  complete(*pending, std::move(answer));
}

void Resolver::Impl::note_failure_rcode(std::span<const std::uint8_t> message) {
  if (message.size() < 12) {
    return;
  }
  const std::uint8_t rcode = message[3] & 0x0F;
  if (rcode != rcode_servfail && rcode != rcode_notimp && rcode != rcode_refused) {
    return;
  }
  const auto id = static_cast<std::uint16_t>((message[0] << 8) | message[1]);
  const auto found = by_id.find(id);
  if (found != by_id.end() &&
      question_matches(message, found->second->qname, found->second->qtype)) {
    found->second->failure_rcode = rcode;
  }
}

// --- sockets -----------------------------------------------------------------------------------

ares_socket_t Resolver::Impl::open_socket(int domain, int type, int protocol, void* data) noexcept {
  auto& impl = *static_cast<Impl*>(data);
  const int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    return ARES_SOCKET_BAD;
  }
  const bool stream = type == SOCK_STREAM;
  if (stream) {
    // A query is one small write awaiting its answer; Nagle would only delay it.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  } else {
    // c-ares 1.18 sends every UDP query to a server through one socket, so a burst of answers to
    // hundreds of queries in flight lands in one receive buffer; the default (~200 KiB, a few
    // hundred datagrams) would drop some and turn them into timeouts. The kernel caps the size at
    // net.core.rmem_max; a smaller buffer only costs retries.
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &udp_receive_buffer, sizeof(udp_receive_buffer));
  }
  auto socket = std::make_shared<Socket>(impl.io, fd, stream, &impl);
  boost::system::error_code ec;
  socket->descriptor.assign(fd, ec);
  if (ec) {
    ::close(fd);
    errno = ec.value();
    return ARES_SOCKET_BAD;
  }
  impl.sockets.insert_or_assign(fd, std::move(socket));
  return fd;
}

int Resolver::Impl::close_socket(ares_socket_t fd, void* data) noexcept {
  auto& impl = *static_cast<Impl*>(data);
  if (const auto found = impl.sockets.find(fd); found != impl.sockets.end()) {
    const std::shared_ptr<Socket> socket = std::move(found->second);
    impl.sockets.erase(found);
    socket->impl = nullptr;
    // Pending waits end with operation_aborted; the fd is c-ares' to close.
    socket->descriptor.release();
  }
  return ::close(fd);
}

int Resolver::Impl::connect_socket(ares_socket_t fd, const sockaddr* address, ares_socklen_t length,
                                   void* /*data*/) noexcept {
  return ::connect(fd, address, length);
}

ares_ssize_t Resolver::Impl::receive_from(ares_socket_t fd, void* buffer, std::size_t length,
                                          int flags, sockaddr* from, ares_socklen_t* from_length,
                                          void* data) noexcept {
  const ares_ssize_t received = ::recvfrom(fd, buffer, length, flags, from, from_length);
  if (received <= 0) {
    return received;
  }
  auto& impl = *static_cast<Impl*>(data);
  const std::span<const std::uint8_t> bytes(static_cast<const std::uint8_t*>(buffer),
                                            static_cast<std::size_t>(received));
  const auto found = impl.sockets.find(fd);
  if (found == impl.sockets.end()) {
    return received;
  }
  if (found->second->stream) {
    found->second->framer.feed(bytes, [&impl](std::span<const std::uint8_t> message) {
      impl.note_failure_rcode(message);
    });
  } else {
    impl.note_failure_rcode(bytes);
  }
  return received;
}

ares_ssize_t Resolver::Impl::send_vector(ares_socket_t fd, const iovec* vector, int count,
                                         void* /*data*/) noexcept {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(vector);
  message.msg_iovlen = static_cast<std::size_t>(count);
  // MSG_NOSIGNAL: a server that closed its TCP end must not raise SIGPIPE.
  return ::sendmsg(fd, &message, MSG_NOSIGNAL);
}

void Resolver::Impl::on_socket_state(void* data, ares_socket_t fd, int readable,
                                     int writable) noexcept {
  auto& impl = *static_cast<Impl*>(data);
  const auto found = impl.sockets.find(fd);
  if (found == impl.sockets.end()) {
    return;
  }
  const std::shared_ptr<Socket>& socket = found->second;
  socket->want_read = readable != 0;
  socket->want_write = writable != 0;
  if (socket->want_read && !socket->reading) {
    wait_readable(socket);
  }
  if (socket->want_write && !socket->writing) {
    wait_writable(socket);
  }
}

void Resolver::Impl::wait_readable(std::shared_ptr<Socket> socket) {
  socket->reading = true;
  auto& descriptor = socket->descriptor;
  descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                        [socket = std::move(socket)](const boost::system::error_code& ec) {
                          on_ready(socket, true, ec);
                        });
}

void Resolver::Impl::wait_writable(std::shared_ptr<Socket> socket) {
  socket->writing = true;
  auto& descriptor = socket->descriptor;
  descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                        [socket = std::move(socket)](const boost::system::error_code& ec) {
                          on_ready(socket, false, ec);
                        });
}

void Resolver::Impl::on_ready(const std::shared_ptr<Socket>& socket, bool read,
                              const boost::system::error_code& ec) {
  (read ? socket->reading : socket->writing) = false;
  if (socket->impl == nullptr) {
    return;  // closed by c-ares, or the resolver is gone
  }
  Impl& impl = *socket->impl;
  if (read) {
    ares_process_fd(impl.channel.get(), socket->fd, ARES_SOCKET_BAD);
  } else {
    ares_process_fd(impl.channel.get(), ARES_SOCKET_BAD, socket->fd);
  }
  // A failed wait is not re-armed: c-ares' own timeout then moves the query on.
  if (ec || socket->impl == nullptr) {
    return;
  }
  if (read && socket->want_read && !socket->reading) {
    wait_readable(socket);
  } else if (!read && socket->want_write && !socket->writing) {
    wait_writable(socket);
  }
}

// --- timer -------------------------------------------------------------------------------------
// ares_timeout walks every query in c-ares 1.18, so it is not asked after each socket event. A new
// query's first timeout is exactly one try_timeout away, which only needs the timer to be armed no
// later than that; the timer's own expiry asks ares_timeout for the next one.

void Resolver::Impl::arm_timer(Clock::time_point at) {
  timer_expiry = at;
  timer.expires_at(at);
  timer.async_wait([this, token = alive](const boost::system::error_code& ec) {
    if (!ec && *token) {
      on_timer();
    }
  });
}

void Resolver::Impl::arm_timer_for_new_query() {
  const auto deadline = Clock::now() + try_timeout;
  if (!timer_expiry || deadline < *timer_expiry) {
    arm_timer(deadline);
  }
}

void Resolver::Impl::on_timer() {
  timer_expiry.reset();
  ares_process_fd(channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  if (in_flight == 0 || timer_expiry) {
    return;
  }
  timeval next{};
  if (ares_timeout(channel.get(), nullptr, &next) != nullptr) {
    arm_timer(Clock::now() + std::chrono::seconds{next.tv_sec} +
              std::chrono::microseconds{next.tv_usec});
  } else {
    arm_timer(Clock::now() + try_timeout);
  }
}

// --- lookups -----------------------------------------------------------------------------------

template <typename Token>
auto Resolver::Impl::async_lookup(std::string name, RrType type, Token&& token) {
  return asio::async_initiate<Token, void(RawAnswer)>(
      [](auto handler, Impl* resolver, std::string qname, RrType qtype) {
        resolver->start(std::move(qname), qtype, Handler(std::move(handler)));
      },
      token, this, std::move(name), type);
}

namespace {

AnswerMeta meta_without_message(const RawAnswer& raw, std::string_view name) {
  AnswerMeta meta;
  meta.canonical_name = fold_name(name);
  if (raw.cancelled) {
    meta.detail = "cancelled";
    return meta;
  }
  switch (raw.status) {
    case ARES_ETIMEOUT:
      meta.outcome = Outcome::timeout;
      return meta;
    case ARES_ESERVFAIL:
      meta.outcome = Outcome::servfail;
      return meta;
    case ARES_EREFUSED:
      meta.outcome = Outcome::refused;
      return meta;
    case ARES_ENOTIMP:
      meta.detail = "NOTIMP";
      return meta;
    case ARES_ECONNREFUSED:
      if (raw.failure_rcode == rcode_servfail) {
        meta.outcome = Outcome::servfail;
        return meta;
      }
      if (raw.failure_rcode == rcode_refused) {
        meta.outcome = Outcome::refused;
        return meta;
      }
      if (raw.failure_rcode == rcode_notimp) {
        meta.detail = "NOTIMP";
        return meta;
      }
      break;
    default:
      break;
  }
  meta.detail = ares_strerror(raw.status);
  return meta;
}

template <typename Answer, typename Parse>
Answer to_answer(const RawAnswer& raw, std::string_view name, Parse parse) {
  if (!raw.cancelled && raw.status == ARES_SUCCESS) {
    return parse(std::span<const std::uint8_t>(raw.message), name);
  }
  Answer answer;
  answer.meta = meta_without_message(raw, name);
  return answer;
}

}  // namespace

Resolver::Resolver(asio::io_context& io, ResolverOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

Resolver::~Resolver() = default;

std::size_t Resolver::in_flight() const {
  return impl_->in_flight;
}

asio::awaitable<MxAnswer> Resolver::mx(std::string name) {
  const RawAnswer raw = co_await impl_->async_lookup(name, RrType::mx, asio::use_awaitable);
  co_return to_answer<MxAnswer>(raw, name, &parse_mx_answer);
}

asio::awaitable<AddressAnswer> Resolver::a(std::string name) {
  const RawAnswer raw = co_await impl_->async_lookup(name, RrType::a, asio::use_awaitable);
  co_return to_answer<AddressAnswer>(raw, name, [](auto message, std::string_view qname) {
    return parse_address_answer(message, qname, RrType::a);
  });
}

asio::awaitable<AddressAnswer> Resolver::aaaa(std::string name) {
  const RawAnswer raw = co_await impl_->async_lookup(name, RrType::aaaa, asio::use_awaitable);
  co_return to_answer<AddressAnswer>(raw, name, [](auto message, std::string_view qname) {
    return parse_address_answer(message, qname, RrType::aaaa);
  });
}

asio::awaitable<TxtAnswer> Resolver::txt(std::string name) {
  const RawAnswer raw = co_await impl_->async_lookup(name, RrType::txt, asio::use_awaitable);
  co_return to_answer<TxtAnswer>(raw, name, &parse_txt_answer);
}

asio::awaitable<TlsaAnswer> Resolver::tlsa(std::string name) {
  const RawAnswer raw = co_await impl_->async_lookup(name, RrType::tlsa, asio::use_awaitable);
  co_return to_answer<TlsaAnswer>(raw, name, &parse_tlsa_answer);
}

}  // namespace mx::dns
