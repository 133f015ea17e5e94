#pragma once
// The test world's DNS server on a thread of its own, for the life of the object: it answers
// while the test thread runs a process or other servers keep their own thread busy.

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "tests/world/dns_server.hpp"
#include "tests/world/dns_zone.hpp"

namespace mx::test {

class BackgroundDns {
 public:
  explicit BackgroundDns(world::Zone zone)
      : server_(io_, std::move(zone), boost::asio::ip::make_address("127.0.0.1")),
        thread_([this] { io_.run(); }) {}
  ~BackgroundDns() {
    work_.reset();
    boost::asio::post(io_, [this] { server_.stop(); });
    thread_.join();
  }
  BackgroundDns(const BackgroundDns&) = delete;
  BackgroundDns& operator=(const BackgroundDns&) = delete;

  // The --resolver argument that reaches it.
  [[nodiscard]] std::string resolver() const { return server_.resolver_arg(); }
  [[nodiscard]] std::vector<std::string> names_asked() const { return server_.names_asked(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  world::DnsServer server_;
  std::thread thread_;
};

}  // namespace mx::test
