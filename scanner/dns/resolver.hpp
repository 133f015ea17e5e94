#pragma once
// An asynchronous stub resolver: one c-ares 1.18 channel driven by one io_context (its sockets
// watched by the io_context, its timer armed from ares_timeout). Queries are sent as absolute
// names with RD and AD set and an EDNS0 OPT record, so no search list ever applies and the AD bit
// of the answer is meaningful; truncated UDP answers are retried over TCP by c-ares.
//
// Thread safety: distinct objects safe; shared objects unsafe. A Resolver and every awaitable it
// returns must be used from the thread running its io_context (one resolver per shard thread).
//
// Every lookup ends in an answer, never an exception for what a server does:
// * Cancelled through its coroutine's cancellation slot (terminal, partial or total), a lookup
//   completes at once with Outcome::error and detail "cancelled"; c-ares keeps the query until it
//   ends and its answer is then dropped. As always in Boost 1.81, the cancelled coroutine's next
//   co_await throws operation_aborted.
// * A Resolver destroyed with lookups in flight completes them (through the io_context) with
//   Outcome::error and c-ares' "Channel is being destroyed". The io_context must outlive it.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "scanner/dns/answers.hpp"
#include "scanner/net/server_address.hpp"

namespace mx::dns {

struct ResolverOptions {
  // Servers to ask, in order; empty means /etc/resolv.conf.
  std::vector<net::ServerAddress> servers;
  // The budget of one query, all tries and the TCP retry included.
  std::chrono::milliseconds timeout{5000};
  int tries = 2;
};

class Resolver {
 public:
  // Throws std::runtime_error when the channel cannot be created (a startup error).
  Resolver(boost::asio::io_context& io, ResolverOptions options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // `name` may carry a trailing dot or not; it is always asked as an absolute name.
  boost::asio::awaitable<MxAnswer> mx(std::string name);
  boost::asio::awaitable<AddressAnswer> a(std::string name);
  boost::asio::awaitable<AddressAnswer> aaaa(std::string name);
  boost::asio::awaitable<TxtAnswer> txt(std::string name);
  boost::asio::awaitable<TlsaAnswer> tlsa(std::string name);

  // Queries c-ares still holds, cancelled ones included.
  [[nodiscard]] std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mx::dns
