#pragma once
// An SMTP server for the loopback test world, on Asio with asio::ssl. One server listens on one
// loopback address and port and plays the dialogue its SmtpBehaviour scripts: greeting, EHLO (or
// HELO), STARTTLS and the TLS handshake (certificate chosen by SNI, protocol versions limited),
// EHLO again inside TLS, QUIT. Each step can instead misbehave: a delayed, silent, multi-line,
// 4xx/5xx, raw (non-SMTP), over-long or endless reply, a close right after the reply, plaintext
// injected after the reply, or garbage where the TLS handshake should be. Replies can be written a
// few bytes at a time to exercise a client's reassembly, and dribbled (a pause before each piece).
//
// Dialogue rules, whatever the script: commands are read as lines ending in LF (CR LF or bare LF)
// of at most max_command_line bytes (a longer line gets "500 5.5.2 Line too long" and the
// connection closes); the verb is case-insensitive. QUIT gets "221 2.0.0 Bye" and the connection
// closes (after a TLS close_notify inside TLS). NOOP and RSET get "250 2.0.0 OK". Every other verb
// (MAIL, RCPT, DATA, ...) gets "502 5.5.1 Command not implemented". After a 5xx greeting that does
// not close, every command but QUIT gets "503 5.5.1 No service" (RFC 5321 §3.1). STARTTLS inside
// TLS gets "554 5.5.1 TLS already active". Plaintext the client pipelined behind STARTTLS is
// discarded before the handshake. The server never writes more than it must to a client that
// stops reading: long and endless replies are written in chunks and stop when the client closes.
// Every connection ends when the client closes, and stop() ends them all.
//
// Thread safety: the server runs on the single-threaded io_context it is given; construct, call
// set_behaviour() and stop(), and destroy it on that thread or while the io_context is not
// running. The counters and the records (commands(), sni_names()) may be read from any thread.
// Destroying the server with handlers pending is safe: they finish with operation_aborted.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tests/world/pki.hpp"
#include "tests/world/tls_listener.hpp"

namespace mx::world {

// What the server does at one step of the dialogue: the greeting, or its answer to a command.
struct SmtpResponse {
  enum class Kind {
    reply,      // an SMTP reply: `code` on every line of `lines`, "-" after it on all but the last
    raw,        // `bytes` exactly as given (an HTTP response, a TLS record, a malformed reply)
    silence,    // nothing, from here on: the server reads and ignores input until the client closes
    long_line,  // one line "<code> xxx...x\r\n" of `size` bytes in all (CR LF included)
    endless,    // "<code>-xxx...x\r\n" lines (76 bytes each) forever, until the client closes
  };

  Kind kind = Kind::reply;
  int code = 250;                  // reply, long_line, endless
  std::vector<std::string> lines;  // reply: the text of each line; no lines = "<code>\r\n"
  std::string bytes;               // raw
  std::size_t size = 0;            // long_line
  // Waited before writing anything (a slow greeting); the client may talk meanwhile, and its
  // commands are answered only afterwards.
  std::chrono::milliseconds delay{0};
  // Written in the same write as the reply, right behind it: e.g. "250 injected\r\n" after the
  // 220 to STARTTLS is a response injection that a client must discard before its handshake.
  std::string injected;
  // Close the connection once the response is written (e.g. a 554 greeting, a 220 to STARTTLS
  // followed by no handshake at all).
  bool close_after = false;
};

// Builders for the common responses. Their results are plain SmtpResponse values, so a test
// adjusts `delay`, `injected` or `close_after` on them afterwards.
[[nodiscard]] SmtpResponse smtp_reply(int code, std::vector<std::string> lines);
// The EHLO reply: 250, the host name on the first line, then one line per extension, in order
// and spelled exactly as given ("starttls", "XSTARTTLS", "SIZE 10240000").
[[nodiscard]] SmtpResponse ehlo_reply(std::vector<std::string> extensions,
                                      std::string host = "mx.test");
[[nodiscard]] SmtpResponse raw_response(std::string bytes);
[[nodiscard]] SmtpResponse silent_response();
[[nodiscard]] SmtpResponse long_line_response(int code, std::size_t size);
[[nodiscard]] SmtpResponse endless_response(int code);

// PEM files of a certificate chain (leaf first) and its private key.
struct SmtpCertificate {
  std::filesystem::path chain_file;
  std::filesystem::path key_file;

  // The leaf's chain file (leaf + intermediate when issued by it) and key file.
  [[nodiscard]] static SmtpCertificate from(const Leaf& leaf);
};

struct SmtpTls {
  // Served when the client sends no SNI or a name that by_sni lacks.
  SmtpCertificate certificate;
  // Exact host names (no trailing dot, no wildcards), compared case-insensitively.
  std::map<std::string, SmtpCertificate> by_sni;
  // The versions the server agrees to. The server always runs at OpenSSL security level 0 with
  // "DEFAULT:@SECLEVEL=0" ciphers, so TLS 1.0/1.1, SHA-1 signatures and 1024-bit RSA keys work.
  TlsVersion min_version = TlsVersion::tls1_0;
  TlsVersion max_version = TlsVersion::tls1_3;
};

// The script of one server. The defaults are a well-behaved server offering STARTTLS; STARTTLS
// answered 220 needs `tls` (or `garbage_instead_of_tls`): without either, the server answers
// STARTTLS with "454 4.7.0 TLS not available" whatever `starttls` says.
struct SmtpBehaviour {
  SmtpResponse greeting = smtp_reply(220, {"mx.test ESMTP mxscan test world"});
  SmtpResponse ehlo = ehlo_reply({"PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"});
  SmtpResponse helo = smtp_reply(250, {"mx.test"});
  // A 2xx code starts TLS once written (unless close_after); any other code leaves the dialogue
  // in plaintext (454, 5xx).
  SmtpResponse starttls = smtp_reply(220, {"2.0.0 Ready to start TLS"});
  // Non-empty: after a 2xx to STARTTLS, the server waits for the client's first bytes (its
  // ClientHello) and answers them with these bytes instead of a TLS handshake, then is silent
  // until the client closes. Answering the ClientHello, rather than writing right behind the 220,
  // makes the client's handshake see the garbage: a client discards what came with the 220.
  std::string garbage_instead_of_tls;
  std::optional<SmtpTls> tls;
  // The EHLO reply inside TLS.
  SmtpResponse ehlo_after_tls = ehlo_reply({"PIPELINING", "SIZE 10240000", "8BITMIME"});
  // Non-zero: every write (plaintext or TLS) carries at most this many bytes.
  std::size_t write_chunk = 0;
  // Non-zero: waited before each of those writes (of a reply, not of the TLS handshake), so that
  // write_chunk 1 and 1 s is a server that dribbles one byte a second; stop() cuts it short.
  std::chrono::milliseconds write_interval{0};
};

// One host of a server that serves many from one listener (SmtpHosts): its script, with its
// certificate in memory. behaviour.tls is not read: `identity`, when set, is served whatever the
// SNI name, with the versions below; without it STARTTLS gets 454 (unless garbage_instead_of_tls).
struct SmtpHost {
  SmtpBehaviour behaviour;
  std::optional<TlsIdentity> identity;
  TlsVersion min_version = TlsVersion::tls1_0;
  TlsVersion max_version = TlsVersion::tls1_3;
};

// Which host a connection reached, told by the local address it was accepted on (IPv4-mapped
// IPv6 addresses are given as IPv4). Called on the server's thread, once per connection.
class SmtpHosts {
 public:
  virtual ~SmtpHosts() = default;
  // nullopt: no host at that address; the connection is closed unanswered.
  [[nodiscard]] virtual std::optional<SmtpHost> host(const boost::asio::ip::address& local) = 0;
};

class SmtpServer {
 public:
  // Command lines longer than this (LF included) end the connection.
  static constexpr std::size_t max_command_line = 4096;
  // commands() keeps at most this many lines, each cut to max_recorded_line bytes.
  static constexpr std::size_t max_recorded_commands = 1000;
  static constexpr std::size_t max_recorded_line = 512;

  // Listens on exactly (address, port), which must be loopback (IPv4 or IPv6); port 0 picks a
  // free port. Servers on distinct 127.0.0.x addresses may share a port. Throws
  // std::invalid_argument for a non-loopback address, boost::system::system_error when the bind
  // fails, std::runtime_error (with OpenSSL's error queue) when a certificate or key file cannot
  // be loaded.
  SmtpServer(boost::asio::io_context& io, SmtpBehaviour behaviour, boost::asio::ip::address address,
             std::uint16_t port = 0);
  // Serves many hosts from one listener on `listen`, typically a wildcard address (0.0.0.0, or
  // [::] for both families): each connection plays the script of the host at its local address.
  // reuse_port lets one such server per thread share the port (SO_REUSEPORT). Throws
  // boost::system::system_error when the bind fails. set_behaviour() has no effect on it.
  SmtpServer(boost::asio::io_context& io, std::shared_ptr<SmtpHosts> hosts,
             const boost::asio::ip::tcp::endpoint& listen, bool reuse_port = false);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const;
  [[nodiscard]] std::uint16_t port() const;

  // Connections accepted since construction.
  [[nodiscard]] std::uint64_t connections_accepted() const;
  // TLS handshakes that completed (whatever happened afterwards).
  [[nodiscard]] std::uint64_t tls_handshakes_completed() const;
  // Every command line received, across connections in the order they arrived, without the line
  // end: plaintext and inside TLS alike (bounded, see max_recorded_commands).
  [[nodiscard]] std::vector<std::string> commands() const;
  // The SNI name of every TLS ClientHello received, in order; "" when the client sent none.
  [[nodiscard]] std::vector<std::string> sni_names() const;

  // Replaces the script for connections accepted afterwards; open connections keep theirs.
  // Throws like the constructor when a certificate cannot be loaded (the old script then stays).
  void set_behaviour(SmtpBehaviour behaviour);
  // Closes the acceptor and every connection, and cancels pending delays. Idempotent.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mx::world
