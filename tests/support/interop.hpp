#pragma once
// Helpers for the interoperability tests (tests/interop): a private temporary directory, files,
// free loopback ports, and a real server (nginx, NSD, unbound) run in the foreground as a child
// process, waited for on its port and stopped with SIGTERM, all within deadlines.

#include <signal.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace mx::test::interop {

using mx::test::TempDir;

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

// A port free for both TCP and UDP on `ip` now; the server binds it moments later. The address
// is the test's own, so nothing else competes for it in between.
inline std::uint16_t free_port(const std::string& ip) {
  boost::asio::io_context io;
  const auto address = boost::asio::ip::make_address(ip);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const boost::asio::ip::tcp::acceptor acceptor(io, boost::asio::ip::tcp::endpoint(address, 0));
    const auto port = acceptor.local_endpoint().port();
    boost::asio::ip::udp::socket udp(io);
    boost::system::error_code ec;
    udp.open(boost::asio::ip::udp::v4(), ec);
    if (!ec) {
      udp.bind(boost::asio::ip::udp::endpoint(address, port), ec);
    }
    if (!ec) {
      return port;
    }
  }
  throw std::runtime_error("no port free for TCP and UDP on " + ip);
}

inline bool accepts_connections(const std::string& ip, std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(ip), port), ec);
  return !ec;
}

// A server program running in the foreground (its own option for that) as a child process,
// its stdout and stderr in out.txt and err.txt of `dir`. The destructor asks it to stop
// (SIGTERM, which lets a server that has children stop them) and kills it after a deadline.
class Daemon {
 public:
  Daemon(std::string name, const std::vector<std::string>& argv, const std::filesystem::path& dir)
      : name_(std::move(name)), dir_(dir), child_(argv, dir.string()) {}
  ~Daemon() { stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Whether (ip, port) accepts TCP connections within `limit`; false as soon as the program
  // exits.
  bool wait_ready(const std::string& ip, std::uint16_t port, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepts_connections(ip, port)) {
        return true;
      }
      const int code = child_.wait(std::chrono::milliseconds(50));
      if (code != -1) {
        exit_code_ = code;
        return false;
      }
    }
    return false;
  }

  // Stops the program: SIGTERM, then SIGKILL if it has not exited within 10 s. Idempotent.
  void stop() {
    if (stopped_) {
      return;
    }
    stopped_ = true;
    if (exit_code_) {
      return;
    }
    child_.signal(SIGTERM);
    child_.wait(std::chrono::seconds(10));
  }

  // For a failure message: how the program ended (if it did) and what it printed.
  [[nodiscard]] std::string describe() const {
    std::ostringstream text;
    text << name_;
    if (exit_code_) {
      text << " exited with status " << *exit_code_;
    } else {
      text << " is running or was killed";
    }
    text << "\n--- stdout:\n"
         << read_file(dir_ / "out.txt") << "--- stderr:\n"
         << read_file(dir_ / "err.txt");
    return text.str();
  }

 private:
  std::string name_;
  std::filesystem::path dir_;
  ChildProcess child_;
  std::optional<int> exit_code_;
  bool stopped_ = false;
};

}  // namespace mx::test::interop
