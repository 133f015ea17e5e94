#pragma once
// A minimal DNS client for the test world's own tests: a query builder, a response reader that
// renders records as text, and UDP/TCP exchanges with a deadline. Written apart from both the
// scanner's DNS code and the server's wire code, so that it checks them rather than agrees with
// them.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mx::world::dns_test {

namespace asio = boost::asio;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

namespace type {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t cname = 5;
inline constexpr std::uint16_t soa = 6;
inline constexpr std::uint16_t mx = 15;
inline constexpr std::uint16_t txt = 16;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t opt = 41;
inline constexpr std::uint16_t tlsa = 52;
inline constexpr std::uint16_t caa = 257;
}  // namespace type

namespace rcode {
inline constexpr int noerror = 0;
inline constexpr int formerr = 1;
inline constexpr int servfail = 2;
inline constexpr int nxdomain = 3;
inline constexpr int notimp = 4;
inline constexpr int refused = 5;
}  // namespace rcode

struct QueryOptions {
  bool recursion_desired = true;
  bool checking_disabled = false;
  std::optional<std::uint16_t> edns_payload{};  // adds an OPT record
  bool dnssec_ok = false;
  std::uint16_t klass = 1;
  std::uint8_t opcode = 0;
};

inline void put16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

inline void put_name(Bytes& out, std::string_view name) {
  while (!name.empty() && name != ".") {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
}

inline Bytes make_query(std::uint16_t id, std::string_view name, std::uint16_t qtype,
                        const QueryOptions& options = {}) {
  Bytes out;
  put16(out, id);
  const auto flags = (options.opcode << 11) | (options.recursion_desired ? 0x0100 : 0) |
                     (options.checking_disabled ? 0x0010 : 0);
  put16(out, static_cast<std::uint16_t>(flags));
  put16(out, 1);
  put16(out, 0);
  put16(out, 0);
  put16(out, options.edns_payload ? 1 : 0);
  put_name(out, name);
  put16(out, qtype);
  put16(out, options.klass);
  if (options.edns_payload) {
    out.push_back(0);
    put16(out, type::opt);
    put16(out, *options.edns_payload);
    put16(out, 0);
    put16(out, options.dnssec_ok ? 0x8000 : 0);
    put16(out, 0);
  }
  return out;
}

struct Rr {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::string data;  // presentation-like text: "192.0.2.1", "10 mx.example.test", "\"a\" \"b\""
};

struct Response {
  std::uint16_t id = 0;
  bool qr = false;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool ad = false;
  bool cd = false;
  int opcode = 0;
  int rcode = 0;
  std::size_t question_count = 0;
  std::string question_name;
  std::uint16_t question_type = 0;
  std::vector<Rr> answers;
  std::vector<Rr> authority;
  std::vector<Rr> additional;
  std::size_t size = 0;
};

// Reads the response format field by field; any overrun makes the whole read fail.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> message) : message_(message) {}

  bool ok() const { return ok_; }
  std::size_t offset() const { return offset_; }

  std::uint8_t u8() {
    if (!need(1)) {
      return 0;
    }
    return message_[offset_++];
  }
  std::uint16_t u16() {
    const auto high = u8();
    const auto low = u8();
    return static_cast<std::uint16_t>((high << 8) | low);
  }
  std::uint32_t u32() {
    const std::uint32_t high = u16();
    return (high << 16) | u16();
  }
  std::string name() { return name_at(offset_, true); }
  Bytes bytes(std::size_t count) {
    if (!need(count)) {
      return {};
    }
    Bytes out(message_.begin() + static_cast<std::ptrdiff_t>(offset_),
              message_.begin() + static_cast<std::ptrdiff_t>(offset_ + count));
    offset_ += count;
    return out;
  }

 private:
  bool need(std::size_t count) {
    if (!ok_ || message_.size() - offset_ < count) {
      ok_ = false;
      return false;
    }
    return true;
  }

  // Follows compression pointers (at most 64), advancing offset_ only past the first one.
  std::string name_at(std::size_t position, bool advance) {
    std::string text;
    for (int jumps = 0; jumps < 64; ++jumps) {
      for (;;) {
        if (position >= message_.size()) {
          ok_ = false;
          return text;
        }
        const std::uint8_t length = message_[position];
        if ((length & 0xC0) == 0xC0) {
          if (position + 1 >= message_.size()) {
            ok_ = false;
            return text;
          }
          if (advance) {
            offset_ = position + 2;
            advance = false;
          }
          position = static_cast<std::size_t>(((length & 0x3F) << 8) | message_[position + 1]);
          break;
        }
        if (length == 0) {
          if (advance) {
            offset_ = position + 1;
          }
          return text.empty() ? "." : text;
        }
        if (position + 1 + length > message_.size()) {
          ok_ = false;
          return text;
        }
        if (!text.empty()) {
          text += '.';
        }
        text.append(reinterpret_cast<const char*>(message_.data() + position + 1), length);
        position += 1 + length;
      }
    }
    ok_ = false;
    return text;
  }

  std::span<const std::uint8_t> message_;
  std::size_t offset_ = 0;
  bool ok_ = true;
};

inline std::string hex(const Bytes& data) {
  std::string out;
  for (const auto byte : data) {
    out += fmt::format("{:02x}", byte);
  }
  return out;
}

inline std::string rdata_text(Reader& reader, std::uint16_t rr_type, std::size_t length) {
  const auto end = reader.offset() + length;
  std::string text;
  switch (rr_type) {
    case type::a: {
      const auto raw = reader.bytes(4);
      asio::ip::address_v4::bytes_type address{};
      std::copy(raw.begin(), raw.end(), address.begin());
      text = asio::ip::address_v4(address).to_string();
      break;
    }
    case type::aaaa: {
      const auto raw = reader.bytes(16);
      asio::ip::address_v6::bytes_type address{};
      std::copy(raw.begin(), raw.end(), address.begin());
      text = asio::ip::address_v6(address).to_string();
      break;
    }
    case type::mx: {
      const auto preference = reader.u16();
      text = fmt::format("{} {}", preference, reader.name());
      break;
    }
    case type::cname:
      text = reader.name();
      break;
    case type::txt:
      while (reader.ok() && reader.offset() < end) {
        const auto size = reader.u8();
        const auto chunk = reader.bytes(size);
        text += fmt::format("{}\"{}\"", text.empty() ? "" : " ",
                            std::string(chunk.begin(), chunk.end()));
      }
      break;
    case type::soa: {
      const auto mname = reader.name();
      const auto rname = reader.name();
      const auto serial = reader.u32();
      const auto refresh = reader.u32();
      const auto retry = reader.u32();
      const auto expire = reader.u32();
      const auto minimum = reader.u32();
      text = fmt::format("{} {} {} {} {} {} {}", mname, rname, serial, refresh, retry, expire,
                         minimum);
      break;
    }
    case type::tlsa: {
      const auto usage = reader.u8();
      const auto selector = reader.u8();
      const auto matching = reader.u8();
      const auto data = reader.bytes(length - 3);
      text = fmt::format("{} {} {} {}", usage, selector, matching, hex(data));
      break;
    }
    default:
      text = hex(reader.bytes(length));
      break;
  }
  if (reader.ok() && reader.offset() != end) {
    text += " (RDLENGTH MISMATCH)";
  }
  return text;
}

inline std::optional<Response> read_response(std::span<const std::uint8_t> message) {
  Reader reader(message);
  Response r;
  r.size = message.size();
  r.id = reader.u16();
  const auto flags = reader.u16();
  r.qr = (flags & 0x8000) != 0;
  r.opcode = (flags >> 11) & 0x0F;
  r.aa = (flags & 0x0400) != 0;
  r.tc = (flags & 0x0200) != 0;
  r.rd = (flags & 0x0100) != 0;
  r.ra = (flags & 0x0080) != 0;
  r.ad = (flags & 0x0020) != 0;
  r.cd = (flags & 0x0010) != 0;
  r.rcode = flags & 0x0F;
  r.question_count = reader.u16();
  const auto counts = std::array{reader.u16(), reader.u16(), reader.u16()};
  for (std::size_t i = 0; i < r.question_count; ++i) {
    r.question_name = reader.name();
    r.question_type = reader.u16();
    reader.u16();
  }
  const auto sections = std::array{&r.answers, &r.authority, &r.additional};
  for (std::size_t s = 0; s < sections.size(); ++s) {
    for (std::size_t i = 0; i < counts[s] && reader.ok(); ++i) {
      Rr rr;
      rr.name = reader.name();
      rr.type = reader.u16();
      rr.klass = reader.u16();
      rr.ttl = reader.u32();
      const auto length = reader.u16();
      rr.data = rdata_text(reader, rr.type, length);
      sections[s]->push_back(std::move(rr));
    }
  }
  if (!reader.ok() || reader.offset() != message.size()) {
    return std::nullopt;
  }
  return r;
}

struct Received {
  Bytes message;
  std::chrono::milliseconds after{0};  // since the queries were sent
};

// Collects up to `expected` datagrams into `out` (shared, so that what arrived survives the
// deadline cancelling this coroutine).
inline asio::awaitable<void> collect_udp(std::shared_ptr<asio::ip::udp::socket> socket,
                                         std::size_t expected, Clock::time_point start,
                                         std::shared_ptr<std::vector<Received>> out) {
  Bytes buffer(65535);
  while (out->size() < expected) {
    asio::ip::udp::endpoint from;
    const auto received = co_await socket->async_receive_from(asio::buffer(buffer), from,
                                                              asio::as_tuple(asio::use_awaitable));
    const auto& [ec, size] = received;
    if (ec) {
      co_return;
    }
    out->push_back(Received{
        .message = Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size)),
        .after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)});
  }
}

// Sends every query from one socket, then returns the replies that arrive within `patience`
// (stopping early once `expected` have come).
inline asio::awaitable<std::vector<Received>> exchange_udp(asio::ip::udp::endpoint server,
                                                           std::vector<Bytes> queries,
                                                           std::size_t expected,
                                                           std::chrono::milliseconds patience) {
  using namespace asio::experimental::awaitable_operators;
  const auto executor = co_await asio::this_coro::executor;
  auto socket = std::make_shared<asio::ip::udp::socket>(
      executor, asio::ip::udp::endpoint(server.protocol(), 0));
  const auto start = Clock::now();
  for (const auto& query : queries) {
    const auto sent = co_await socket->async_send_to(asio::buffer(query), server,
                                                     asio::as_tuple(asio::use_awaitable));
    static_cast<void>(sent);
  }
  auto out = std::make_shared<std::vector<Received>>();
  asio::steady_timer deadline(executor, patience);
  const auto raced = co_await (collect_udp(socket, expected, start, out) ||
                               deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  static_cast<void>(raced);
  co_return std::move(*out);
}

inline asio::awaitable<void> collect_tcp(std::shared_ptr<asio::ip::tcp::socket> socket,
                                         std::size_t expected, Clock::time_point start,
                                         std::shared_ptr<std::vector<Received>> out) {
  while (out->size() < expected) {
    std::array<std::uint8_t, 2> prefix{};
    const auto got_prefix = co_await asio::async_read(*socket, asio::buffer(prefix),
                                                      asio::as_tuple(asio::use_awaitable));
    const auto& [prefix_ec, prefix_size] = got_prefix;
    if (prefix_ec) {
      co_return;
    }
    Bytes message((std::size_t{prefix[0]} << 8) | prefix[1]);
    const auto got_message = co_await asio::async_read(*socket, asio::buffer(message),
                                                       asio::as_tuple(asio::use_awaitable));
    const auto& [message_ec, message_size] = got_message;
    if (message_ec) {
      co_return;
    }
    out->push_back(Received{
        .message = std::move(message),
        .after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)});
  }
}

// Connects to `server`; empty if the connection failed.
inline asio::awaitable<std::shared_ptr<asio::ip::tcp::socket>> connect_tcp(
    asio::ip::tcp::endpoint server) {
  const auto executor = co_await asio::this_coro::executor;
  auto socket = std::make_shared<asio::ip::tcp::socket>(executor);
  const auto connected =
      co_await socket->async_connect(server, asio::as_tuple(asio::use_awaitable));
  const auto& [ec] = connected;
  if (ec) {
    socket.reset();
  }
  co_return socket;
}

// Like exchange_udp on an open TCP connection, the queries pipelined with 2-byte length
// prefixes. The connection stays open for the caller.
inline asio::awaitable<std::vector<Received>> exchange_on(
    std::shared_ptr<asio::ip::tcp::socket> socket, std::vector<Bytes> queries, std::size_t expected,
    std::chrono::milliseconds patience) {
  using namespace asio::experimental::awaitable_operators;
  const auto start = Clock::now();
  Bytes framed;
  for (const auto& query : queries) {
    put16(framed, static_cast<std::uint16_t>(query.size()));
    framed.insert(framed.end(), query.begin(), query.end());
  }
  const auto wrote = co_await asio::async_write(*socket, asio::buffer(framed),
                                                asio::as_tuple(asio::use_awaitable));
  static_cast<void>(wrote);
  auto out = std::make_shared<std::vector<Received>>();
  asio::steady_timer deadline(socket->get_executor(), patience);
  const auto raced = co_await (collect_tcp(socket, expected, start, out) ||
                               deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  static_cast<void>(raced);
  co_return std::move(*out);
}

// exchange_on over a fresh connection, closed afterwards; empty if the connection failed.
inline asio::awaitable<std::vector<Received>> exchange_tcp(asio::ip::tcp::endpoint server,
                                                           std::vector<Bytes> queries,
                                                           std::size_t expected,
                                                           std::chrono::milliseconds patience) {
  const auto socket = co_await connect_tcp(server);
  if (!socket) {
    co_return std::vector<Received>{};
  }
  auto received = co_await exchange_on(socket, std::move(queries), expected, patience);
  co_return received;
}

// Runs one task to completion on `io`, at most `cap` long; empty if it did not finish in time.
template <class T>
std::optional<T> run_io(asio::io_context& io, asio::awaitable<T> task,
                        std::chrono::milliseconds cap = std::chrono::seconds(5)) {
  auto result = std::make_shared<std::optional<T>>();
  io.restart();
  asio::co_spawn(io, std::move(task), [result, &io](const std::exception_ptr& error, T value) {
    if (!error) {
      *result = std::move(value);
    }
    io.stop();
  });
  io.run_for(cap);
  return std::move(*result);
}

}  // namespace mx::world::dns_test
