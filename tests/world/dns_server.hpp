#pragma once
// An authoritative DNS server for the loopback test world, on Asio, UDP and TCP on one port of
// any loopback address. It answers from a Zone: NXDOMAIN vs NODATA (with an SOA in the authority
// section for negative answers), CNAME chains followed inside the zone (loops stop), and the
// per-name behaviours of Behaviour. It counts the queries it answers.
//
// Thread safety: the server runs on the io_context it is given; queries_answered() may be read
// from any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

#include "tests/world/dns_zone.hpp"

namespace mx::world {

class DnsServer {
 public:
  // Binds UDP and TCP on (address, port); port 0 picks a free port, the same for both.
  DnsServer(boost::asio::io_context& io, Zone zone, boost::asio::ip::address address,
            std::uint16_t port = 0);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  [[nodiscard]] boost::asio::ip::udp::endpoint endpoint() const;
  // "IP:PORT" (IPv6 in brackets), ready for --resolver.
  [[nodiscard]] std::string resolver_arg() const;
  [[nodiscard]] std::uint64_t queries_answered() const;
  [[nodiscard]] std::uint64_t tcp_queries_answered() const;
  // The question names of the queries received (answered or not), in order, as sent; the first
  // kNamesKept only.
  [[nodiscard]] std::vector<std::string> names_asked() const;
  static constexpr std::size_t kNamesKept = 100'000;
  // Replaces the zone; takes effect for queries received afterwards. Safe from any thread.
  void set_zone(Zone zone);
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mx::world
