#pragma once
// An HTTPS server for the loopback test world, on Boost.Beast and asio::ssl: what an MTA-STS
// policy host (`mta-sts.<domain>`, RFC 8461 §3.3) serves. One server listens on one loopback
// address and port; several sites may share it, each chosen by the SNI name of the TLS
// ClientHello, with its own certificate and its own response: a policy, a 404, a redirect, a 500,
// any Content-Type or none, a delay, an oversized body (declared with Content-Length), an endless
// chunked body, an endless header, or raw bytes where the HTTP response should be.
//
// Dialogue rules, whatever the behaviour: every connection starts with a TLS handshake (no
// plaintext HTTP). The site is the one whose name the client sent as SNI (case-insensitive), or
// the default site when it sent none or a name the behaviour lacks; the Host header is recorded
// but chooses nothing. Requests are HTTP/1.1 (or 1.0), read with Beast's request parser: headers
// of at most max_request_header bytes and a body of at most max_request_body bytes. A request
// over either limit, or malformed, gets "400 Bad Request" and the connection closes. Every valid
// request, whatever its method, gets the response for its target (HttpsBehaviour::by_target), or
// else the site's response. Connections are kept alive
// as HTTP/1.1 says (the client's Connection header or HTTP/1.0) and the response carries
// "Connection: close" when the server closes afterwards (with a TLS close_notify). Endless,
// endless-header and raw responses always end the connection. The server never writes more than it
// must to a client that stops reading: bodies leave in pieces of at most 16 KiB, each written once
// the previous one is taken, and oversized or endless bodies stop when the client closes. Every
// connection ends when the client closes, and stop() ends them all.
//
// Thread safety: the server runs on the single-threaded io_context it is given; construct, call
// set_behaviour() and stop(), and destroy it on that thread or while the io_context is not
// running. The counters and the records (requests(), sni_names()) may be read from any thread.
// Destroying the server with handlers pending is safe: they finish with operation_aborted.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tests/world/smtp_server.hpp"

namespace mx::world {

// PEM files of a certificate chain (leaf first) and its private key; HttpsCertificate::from(leaf)
// takes the leaf's chain file (leaf + intermediate when issued by it) and key file.
using HttpsCertificate = SmtpCertificate;

// What a site answers to every request.
struct HttpsResponse {
  enum class Kind {
    fixed,      // `body` with "Content-Length: <body size>"
    oversized,  // "Content-Length: <size>", then `body` followed by 'x' filler up to `size` bytes
    endless,    // "Transfer-Encoding: chunked": `body` as the first chunk (when not empty), then
                // chunks of 'x' filler forever, until the client closes
    raw,        // `bytes` exactly as given instead of an HTTP response (nothing, when empty), then
                // close_notify and close: a malformed response, a connection closed unanswered
    endless_header,  // the status line, then header fields ("X-Filler: xxx...") forever: the
                     // header never ends; `interval` apart, or as fast as the client reads
  };

  Kind kind = Kind::fixed;
  int status = 200;  // the status line says the standard reason phrase (any code is allowed)
  // The Content-Type header's value, written as given; empty = no Content-Type header at all (an
  // empty value can still be sent through `headers`).
  std::string content_type = "text/plain; charset=utf-8";
  // Further header fields, in order, after Content-Type and before the framing header
  // (Content-Length or Transfer-Encoding): e.g. {"Location", "https://elsewhere.test/"}.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;      // fixed, oversized, endless
  std::size_t size = 0;  // oversized: the declared and sent body size (at least body.size())
  std::string bytes;     // raw
  // Waited after the request is read and before anything is written; stop() cuts it short.
  std::chrono::milliseconds delay{0};
  // endless_header: waited before each header field after the status line (0: none).
  std::chrono::milliseconds interval{0};

  // Builders for the common responses. Their results are plain HttpsResponse values, so a test
  // adjusts `content_type`, `headers` or `delay` on them afterwards.
  // 200, text/plain; charset=utf-8, the policy text as the body.
  [[nodiscard]] static HttpsResponse policy(std::string body);
  // The status (404, 500, ...) with a short text/html body naming it.
  [[nodiscard]] static HttpsResponse error(int status);
  // The status (301, 302, 307, 308) with a Location header and a short text/html body.
  [[nodiscard]] static HttpsResponse redirect(int status, std::string location);
  // 200, text/plain; charset=utf-8, "Content-Length: <size>" and that many bytes.
  [[nodiscard]] static HttpsResponse oversized(std::size_t size);
  // 200, text/plain; charset=utf-8, a chunked body that never ends.
  [[nodiscard]] static HttpsResponse endless();
  [[nodiscard]] static HttpsResponse raw(std::string bytes);
  // "HTTP/1.1 200 OK" and header fields that never end, each `interval` after the previous one.
  [[nodiscard]] static HttpsResponse endless_header(
      std::chrono::milliseconds interval = std::chrono::milliseconds{0});
};

// One host name's certificate and response.
struct HttpsSite {
  HttpsCertificate certificate;
  HttpsResponse response = HttpsResponse::error(404);
};

struct HttpsBehaviour {
  // Served when the client sends no SNI or a name that by_sni lacks.
  HttpsSite default_site;
  // Exact host names (no trailing dot, no wildcards), compared case-insensitively.
  std::map<std::string, HttpsSite> by_sni;
  // Request targets ("/list.json", compared exactly, the query included) answered with a response
  // of their own whatever the site, for a server that serves several files; every other target
  // gets its site's response.
  std::map<std::string, HttpsResponse> by_target;
  // The versions the server agrees to, for every site. The server runs at OpenSSL security level
  // 0 with "DEFAULT:@SECLEVEL=0" ciphers, so TLS 1.0/1.1, SHA-1 signatures and 1024-bit RSA keys
  // work.
  TlsVersion min_version = TlsVersion::tls1_0;
  TlsVersion max_version = TlsVersion::tls1_3;
};

// One request as the server received it.
struct HttpsRequest {
  std::string method;  // as sent: "GET"
  std::string target;  // as sent: "/.well-known/mta-sts.txt"
  std::string host;    // the Host header's value; "" when absent
  std::string sni;     // the connection's SNI name; "" when the client sent none
};

// One host of a server that serves many from one listener (HttpsHosts): its identity (certificate
// in memory, served whatever the SNI name), the versions it agrees to, and its response.
struct HttpsHost {
  TlsIdentity identity;
  HttpsResponse response = HttpsResponse::error(404);
  TlsVersion min_version = TlsVersion::tls1_0;
  TlsVersion max_version = TlsVersion::tls1_3;
};

// Which host a connection reached, told by the local address it was accepted on (IPv4-mapped
// IPv6 addresses are given as IPv4). Called on the server's thread, once per connection.
class HttpsHosts {
 public:
  virtual ~HttpsHosts() = default;
  // nullopt: no host at that address; the connection is closed unanswered.
  [[nodiscard]] virtual std::optional<HttpsHost> host(const boost::asio::ip::address& local) = 0;
};

class HttpsServer {
 public:
  // Request headers (request line included) longer than this get 400 and a close.
  static constexpr std::size_t max_request_header = 8 * 1024;
  // Request bodies longer than this get 400 and a close.
  static constexpr std::size_t max_request_body = 16 * 1024;
  // requests() keeps at most this many requests, each field cut to max_recorded_field bytes.
  static constexpr std::size_t max_recorded_requests = 1000;
  static constexpr std::size_t max_recorded_field = 512;

  // Listens on exactly (address, port), which must be loopback (IPv4 or IPv6); port 0 picks a
  // free port. Servers on distinct 127.0.0.x addresses may share a port. Throws
  // std::invalid_argument for a non-loopback address, a status outside 100..999 or an oversized
  // `size` below its body's, boost::system::system_error when the bind fails,
  // std::runtime_error (with OpenSSL's error queue) when a certificate or key file cannot be
  // loaded.
  HttpsServer(boost::asio::io_context& io, HttpsBehaviour behaviour,
              boost::asio::ip::address address, std::uint16_t port = 0);
  // Serves many hosts from one listener on `listen`, typically a wildcard address (0.0.0.0, or
  // [::] for both families): each connection gets the identity and response of the host at its
  // local address. reuse_port lets one such server per thread share the port (SO_REUSEPORT).
  // Throws boost::system::system_error when the bind fails. set_behaviour() has no effect on it;
  // a host's response that the constructor above would refuse gets 500 instead.
  HttpsServer(boost::asio::io_context& io, std::shared_ptr<HttpsHosts> hosts,
              const boost::asio::ip::tcp::endpoint& listen, bool reuse_port = false);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  [[nodiscard]] boost::asio::ip::tcp::endpoint endpoint() const;
  [[nodiscard]] std::uint16_t port() const;

  // Connections accepted since construction.
  [[nodiscard]] std::uint64_t connections_accepted() const;
  // TLS handshakes that completed (whatever happened afterwards).
  [[nodiscard]] std::uint64_t tls_handshakes_completed() const;
  // Every valid request received, across connections in the order they arrived (bounded, see
  // max_recorded_requests).
  [[nodiscard]] std::vector<HttpsRequest> requests() const;
  // The SNI name of every TLS ClientHello received, in order; "" when the client sent none.
  [[nodiscard]] std::vector<std::string> sni_names() const;

  // Replaces the behaviour for connections accepted afterwards; open connections keep theirs.
  // Throws like the constructor when a certificate cannot be loaded (the old behaviour then
  // stays).
  void set_behaviour(HttpsBehaviour behaviour);
  // Closes the acceptor and every connection, and cancels pending delays. Idempotent.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace mx::world
