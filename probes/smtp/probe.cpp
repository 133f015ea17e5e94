#include "probes/smtp/probe.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/system/errc.hpp>
#include <boost/system/system_error.hpp>

#include "scanner/net/socket_error.hpp"
#include "scanner/net/special_addresses.hpp"

namespace mx::probes::smtp {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using std::chrono::milliseconds;

using TlsStream = asio::ssl::stream<beast::tcp_stream&>;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// One read takes at most this much; the reply parser bounds what a reply can make us hold.
constexpr std::size_t read_chunk = 4096;

// Octets received from the peer and not yet taken by a reply parser. A read happens only once
// the parser has taken every pending octet (it consumes everything unless a reply completes or
// fails), so the buffer never holds more than one read.
class ReadBuffer {
 public:
  ReadBuffer() : storage_(read_chunk) {}

  [[nodiscard]] std::string_view pending() const {
    return {storage_.data() + begin_, end_ - begin_};
  }

  void consume(std::size_t octets) {
    begin_ += octets;
    if (begin_ == end_) {
      begin_ = end_ = 0;
    }
  }

  // Drops every pending octet and says how many there were.
  std::size_t discard() {
    const std::size_t dropped = end_ - begin_;
    begin_ = end_ = 0;
    return dropped;
  }

  // The space for the next read; only called while nothing is pending.
  [[nodiscard]] asio::mutable_buffer prepare() { return asio::buffer(storage_); }

  void commit(std::size_t octets) {
    begin_ = 0;
    end_ = octets;
  }

 private:
  std::vector<char> storage_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

// One layer of the dialogue, plaintext then TLS: where commands go and replies come from. Each
// layer has its own parser, since TLS starts a new reply stream. Owned by probe_smtp's frame,
// which outlives every coroutine handed a reference to it.
template <class Stream>
struct Layer {
  Stream& stream;
  beast::tcp_stream& socket;  // the lowest layer, whose deadline bounds the operations above it
  ReadBuffer& buffer;
  ReplyParser parser;
};

// A reply, or why none came: a socket error or a violation of the reply grammar.
struct ReplyRead {
  std::optional<Reply> reply;
  error_code error;
  std::optional<Violation> violation;
};

// Cancellation comes from the caller (a budget, a stop), never from the peer: it ends the
// coroutine with an exception, as Boost 1.81 does anyway at the next co_await, so that the caller
// unwinds too. probe_smtp records it in the observation on the way out.
void rethrow_cancellation(const error_code& ec) {
  if (ec == asio::error::operation_aborted) {
    throw boost::system::system_error(ec);
  }
}

bool is_close(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

// Reads one whole reply, under the deadline the caller set on layer.socket.
template <class Stream>
asio::awaitable<ReplyRead> read_reply(Layer<Stream>& layer) {
  for (;;) {
    if (!layer.buffer.pending().empty()) {
      const Feed feed = layer.parser.feed(layer.buffer.pending());
      layer.buffer.consume(feed.consumed);
      if (feed.status == FeedStatus::reply_ready) {
        co_return ReplyRead{.reply = layer.parser.next(), .error = {}, .violation = {}};
      }
      if (feed.status == FeedStatus::failed) {
        co_return ReplyRead{.reply = {}, .error = {}, .violation = layer.parser.failure()};
      }
    }
    auto result = co_await layer.stream.async_read_some(layer.buffer.prepare(), use_tuple);
    auto& [ec, octets] = result;
    rethrow_cancellation(ec);
    if (ec) {
      // A close in the middle of a reply is the peer's malformed reply, not just a close.
      if (is_close(ec) && layer.parser.buffered_bytes() != 0) {
        co_return ReplyRead{.reply = {}, .error = ec, .violation = Violation::truncated};
      }
      co_return ReplyRead{.reply = {}, .error = ec, .violation = {}};
    }
    layer.buffer.commit(octets);
  }
}

// Sends `command` (without its CRLF) and reads the reply, both within `timeout`. `command` must
// outlive the coroutine: a literal or a local of the caller's frame.
template <class Stream>
asio::awaitable<ReplyRead> exchange(Layer<Stream>& layer, std::string_view command,
                                    milliseconds timeout) {
  layer.socket.expires_after(timeout);
  std::string line(command);
  line += "\r\n";
  auto written = co_await asio::async_write(layer.stream, asio::buffer(line), use_tuple);
  const error_code write_error = std::get<0>(written);
  rethrow_cancellation(write_error);
  if (write_error) {
    co_return ReplyRead{.reply = {}, .error = write_error, .violation = {}};
  }
  ReplyRead read = co_await read_reply(layer);
  co_return read;
}

// Best effort, as an MTA leaves: whatever becomes of QUIT does not change the observation, which
// is complete by then; even a cancellation meanwhile is left to the caller's next co_await.
template <class Stream>
asio::awaitable<void> quit(Layer<Stream>& layer, milliseconds timeout) {
  try {
    const ReplyRead ignored = co_await exchange(layer, "QUIT", timeout);
    static_cast<void>(ignored);
  } catch (const boost::system::system_error& error) {
    if (error.code() != asio::error::operation_aborted) {
      throw;
    }
  }
}

void record_failure(Observation& out, const ReplyRead& read) {
  if (read.violation) {
    out.ending = Ending::protocol;
    out.violation = read.violation;
    out.detail = make_error_code(*read.violation).message();
    return;
  }
  out.ending = ending_for(out.stage, read.error);
  out.detail = read.error.message();
}

// A complete reply that is not the one the step needs.
void record_refusal(Observation& out, const Reply& reply) {
  if (reply.is_transient_negative()) {
    out.ending = Ending::deferred;
  } else if (reply.is_permanent_negative()) {
    out.ending = Ending::rejected;
  } else {
    out.ending = Ending::protocol;
  }
  out.detail = std::to_string(reply.code) + " " + reply.text();
}

// HELO's reply carries no extensions (RFC 5321 §4.1.1.1), so only its first line counts.
std::optional<EhloCapabilities> helo_capabilities(const Reply& reply) {
  Reply first_line{.code = reply.code, .lines = {}, .violations = {}};
  if (!reply.lines.empty()) {
    first_line.lines.push_back(reply.lines.front());
  }
  auto parsed = parse_ehlo(first_line);
  if (!parsed) {
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::optional<EhloCapabilities> ehlo_capabilities(const Reply& reply) {
  auto parsed = parse_ehlo(reply);
  if (!parsed) {
    return std::nullopt;
  }
  return std::move(*parsed);
}

// Sets Observation::elapsed however the probe ends, cancellation included.
class ElapsedRecorder {
 public:
  explicit ElapsedRecorder(Observation& out)
      : out_(out), start_(std::chrono::steady_clock::now()) {}
  ~ElapsedRecorder() {
    out_.elapsed =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start_);
  }
  ElapsedRecorder(const ElapsedRecorder&) = delete;
  ElapsedRecorder& operator=(const ElapsedRecorder&) = delete;

 private:
  Observation& out_;
  std::chrono::steady_clock::time_point start_;
};

// Steps 3 to 6 (greeting, EHLO or HELO, STARTTLS). True when STARTTLS was accepted and the
// handshake comes next. `config`, `layer` and `out` belong to probe_smtp's frame.
asio::awaitable<bool> plaintext_dialogue(const ProbeConfig& config, Layer<beast::tcp_stream>& layer,
                                         Observation& out) {
  out.stage = Stage::greeting;
  layer.socket.expires_after(config.greeting_timeout);
  const ReplyRead greeting = co_await read_reply(layer);
  if (!greeting.reply) {
    record_failure(out, greeting);
    co_return false;
  }
  out.greeting = greeting.reply;
  if (!greeting.reply->is_positive_completion()) {
    record_refusal(out, *greeting.reply);
    co_await quit(layer, config.quit_timeout);
    co_return false;
  }

  out.stage = Stage::ehlo;
  const std::string ehlo_command = "EHLO " + config.ehlo_name;
  const ReplyRead ehlo = co_await exchange(layer, ehlo_command, config.step_timeout);
  if (!ehlo.reply) {
    record_failure(out, ehlo);
    co_return false;
  }
  out.ehlo = ehlo.reply;
  if (ehlo.reply->is_permanent_negative()) {
    out.stage = Stage::helo;
    const std::string helo_command = "HELO " + config.ehlo_name;
    const ReplyRead helo = co_await exchange(layer, helo_command, config.step_timeout);
    if (!helo.reply) {
      record_failure(out, helo);
      co_return false;
    }
    out.helo = helo.reply;
    if (helo.reply->is_positive_completion()) {
      out.capabilities = helo_capabilities(*helo.reply);
      out.ending = Ending::no_starttls;
      out.detail = "EHLO refused; HELO offers no extensions";
    } else {
      record_refusal(out, *helo.reply);
    }
    co_await quit(layer, config.quit_timeout);
    co_return false;
  }
  out.capabilities = ehlo_capabilities(*ehlo.reply);
  if (!out.capabilities) {
    record_refusal(out, *ehlo.reply);
    co_await quit(layer, config.quit_timeout);
    co_return false;
  }
  if (!out.capabilities->starttls()) {
    out.ending = Ending::no_starttls;
    out.detail = "the EHLO reply offers no STARTTLS";
    co_await quit(layer, config.quit_timeout);
    co_return false;
  }

  out.stage = Stage::starttls;
  const ReplyRead starttls = co_await exchange(layer, "STARTTLS", config.step_timeout);
  if (!starttls.reply) {
    record_failure(out, starttls);
    co_return false;
  }
  out.starttls = starttls.reply;
  if (!starttls.reply->is_positive_completion()) {
    record_refusal(out, *starttls.reply);
    co_await quit(layer, config.quit_timeout);
    co_return false;
  }
  out.plaintext_after_starttls = layer.buffer.discard();
  co_return true;
}

// Steps 7 to 9 (handshake, EHLO inside TLS, QUIT). `config`, `layer` and `out` belong to
// probe_smtp's frame.
asio::awaitable<void> tls_dialogue(const ProbeConfig& config, Layer<TlsStream>& layer,
                                   Observation& out) {
  out.stage = Stage::tls_handshake;
  TlsObservation& facts = out.tls.emplace();
  if (!tls::set_sni(layer.stream.native_handle(), config.host)) {
    out.ending = Ending::tls_failed;
    facts.failure = "OpenSSL refused the host name as SNI";
    out.detail = facts.failure;
    co_return;
  }
  layer.socket.expires_after(config.step_timeout);
  auto handshake = co_await layer.stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
  const error_code ec = std::get<0>(handshake);
  rethrow_cancellation(ec);
  if (ec) {
    out.ending = ending_for(out.stage, ec);
    facts.failure = tls::handshake_failure_text(ec);
    out.detail = facts.failure;
    co_return;
  }
  tls::Session session = tls::read_session(layer.stream.native_handle());
  facts.version = std::move(session.version);
  facts.version_number = session.version_number;
  facts.cipher = std::move(session.cipher);
  facts.group = std::move(session.group);
  facts.chain = std::move(session.chain);
  facts.parsed = std::move(session.parsed);

  out.stage = Stage::ehlo_tls;
  const std::string ehlo_command = "EHLO " + config.ehlo_name;
  const ReplyRead ehlo = co_await exchange(layer, ehlo_command, config.step_timeout);
  if (!ehlo.reply) {
    record_failure(out, ehlo);
    co_return;
  }
  out.ehlo_tls = ehlo.reply;
  out.capabilities_tls = ehlo_capabilities(*ehlo.reply);
  if (!out.capabilities_tls) {
    record_refusal(out, *ehlo.reply);
    co_await quit(layer, config.quit_timeout);
    co_return;
  }

  // The TLS close_notify exchange is skipped: the peer sees the socket close after QUIT, and
  // servers expect that (their read ends in a truncated stream, which they ignore).
  out.stage = Stage::quit;
  co_await quit(layer, config.quit_timeout);
  out.stage = Stage::done;
  out.ending = Ending::completed;
}

}  // namespace

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
  return Ending::io_error;
}

asio::awaitable<void> probe_smtp(ProbeConfig config, tls::TlsClient& tls, Observation& out) {
  out = Observation{};
  out.host = config.host;
  out.ip = config.ip;
  out.port = config.port;

  if (!net::may_connect(config.ip, config.allow_private)) {
    out.ending = Ending::forbidden;
    out.detail = "special-purpose address: " + net::describe_special(config.ip);
    co_return;
  }

  out.stage = Stage::connect;
  const ElapsedRecorder elapsed(out);
  try {
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    beast::tcp_stream socket(executor);
    socket.expires_after(config.step_timeout);
    const asio::ip::tcp::endpoint peer(config.ip, config.port);
    auto connected = co_await socket.async_connect(peer, use_tuple);
    const error_code ec = std::get<0>(connected);
    rethrow_cancellation(ec);
    if (ec) {
      out.ending = ending_for(out.stage, ec);
      out.detail = ec.message();
      co_return;
    }

    ReadBuffer buffer;
    Layer<beast::tcp_stream> plaintext{
        .stream = socket, .socket = socket, .buffer = buffer, .parser = ReplyParser(config.limits)};
    const bool start_tls = co_await plaintext_dialogue(config, plaintext, out);
    if (!start_tls) {
      co_return;
    }

    TlsStream stream(socket, tls.context());
    Layer<TlsStream> secure{
        .stream = stream, .socket = socket, .buffer = buffer, .parser = ReplyParser(config.limits)};
    co_await tls_dialogue(config, secure, out);
  } catch (const boost::system::system_error& error) {
    if (error.code() == asio::error::operation_aborted) {
      out.ending = Ending::io_error;
      out.detail = "cancelled";
    }
    throw;
  }
}

}  // namespace mx::probes::smtp
