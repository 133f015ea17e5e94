#pragma once
// One HTTPS GET, recorded step by step: the client that the MTA-STS policy fetch
// (probes/mta_sts/fetch.hpp) and the list's update channel (`mxscan list update`) share. It knows
// nothing of what it fetches.
//
//   1. A, then AAAA, of the host, with the shard's resolver. No address: ending no_address when
//      both answers say the name has none (NXDOMAIN, NODATA), timeout when the fetch's deadlines
//      cut a lookup short, dns_error when a lookup failed otherwise (SERVFAIL, the resolver's own
//      timeout, ...): both leave the question open.
//   2. The addresses in order, IPv4 first: a special-purpose address is skipped unless
//      allow_private (attempt forbidden); the others are connected to on `port` until one
//      connects. Every address tried is recorded in `attempts`.
//   3. TLS handshake with SNI = the host, by the observing TlsClient; the served chain is recorded
//      and analysed against the trust store for the host (RFC 6125 names, RFC 5280 paths). An
//      observer (require_trusted off) goes on whatever the certificate, so that the response is
//      observed too. A client that must trust what it reads (require_trusted on) offers TLS 1.2
//      or later at OpenSSL security level 2 only, and ends in tls_failed before sending anything
//      when the certificate is not trusted, not in date, or names another host.
//   4. "GET <path> HTTP/1.1" with Host (and the port when not 443) and "Connection: close".
//   5. The response header, at most header_limit octets: status, reason, Location and
//      Content-Type are recorded. Redirects are never followed: a 3xx is recorded with its
//      Location like any other status. A status other than 200 ends the fetch here (ending
//      completed): a body that is not the resource is not read.
//   6. A 200's body, at most body_limit octets, counted on the octets received: a declared
//      Content-Length above the limit ends in too_large before any body is read, a chunked or
//      close-delimited body once its octets pass the limit; nothing more than the limit plus one
//      read buffer is taken from the peer. A body cut short (Content-Length not reached, a chunk
//      missing) ends in closed, and is not kept.
//
// Deadlines: every step (the lookups, connecting to one address, the handshake, the request, the
// header, the body) has step_timeout, and the whole fetch one budget: no step outlives the budget,
// which starts when the coroutine does. A step cut short by either ends in timeout; the detail
// says which. The TLS close_notify exchange is skipped: the socket is closed once the response is
// read.
//
// Peer failures are data: the fetch ends with Fetch::ending at Fetch::stage, never with an
// exception. Each fact is written into `out` as soon as it is seen and `out.stage` is set before
// each step, so whatever was observed survives a cancellation. Cancellation by the caller (bind a
// cancellation slot to co_spawn) is the one way the coroutine ends with an exception,
// boost::system::system_error(operation_aborted), after setting ending io_error and detail
// "cancelled".
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe. The coroutine must run on the executor of the
// shard that owns `tls`, `resolver` and `out` (the resolver's io_context thread).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>

#include "probes/tls/certificate.hpp"
#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "scanner/dns/answers.hpp"
#include "scanner/targets/exclude_list.hpp"

namespace mx::dns {
class Resolver;
}  // namespace mx::dns

namespace mx::probes::https {

struct GetConfig {
  std::string host;  // a DNS name (a trailing dot is dropped): SNI, Host, and the certificate's
  std::uint16_t port = 443;
  std::string path = "/";                          // the request target, sent as is
  std::chrono::milliseconds step_timeout{10'000};  // each lookup, connect, handshake, read, write
  std::chrono::milliseconds budget{60'000};        // the whole fetch
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 8 * 1024;  // the response's status line and fields
  bool allow_private = false;    // connect to special-purpose addresses (loopback, private, ...)
  bool require_trusted = false;  // refuse a certificate the trust store does not accept (step 3)
  // Names and addresses never looked up or contacted (--exclude); owned by the caller, who keeps
  // it alive for the whole fetch. Null: none.
  const targets::ExcludeList* exclude = nullptr;
};

// The step the fetch was at; recorded before each step is attempted.
enum class Stage : std::uint8_t {
  not_started,
  resolve,        // A and AAAA of the host
  connect,        // the addresses, one after the other
  tls_handshake,  // with the first address that connected (and, when required, the certificate)
  request,        // writing the GET
  header,         // reading the response's status line and header fields
  body,           // reading a 200's body
  done,           // the response was read (a 200's body whole)
};

// How the fetch ended at `stage`.
enum class Ending : std::uint8_t {
  completed,    // a response was read: see status (and for a 200, the body)
  no_address,   // the host has no A and no AAAA record (NXDOMAIN or NODATA)
  dns_error,    // no address, and a lookup failed (SERVFAIL, REFUSED, timeout, ...): undetermined
  forbidden,    // every address is special-purpose and allow_private is off: never connected
                // (detail names each address and its block)
  excluded,     // the host, or every address not forbidden, is on the operator's exclude list:
                // never looked up (stage not_started) or never connected (detail: the entries)
  refused,      // connection refused by the last address tried
  unreachable,  // network or host unreachable at the last address tried
  timeout,      // a step's deadline or the budget passed: see detail
  closed,       // the peer closed the connection before the response was whole
  tls_failed,   // the TLS handshake failed, or the certificate was refused: see tls_failure
  http_error,   // the response is not HTTP/1.x, or its header exceeds header_limit
  too_large,    // a 200's body is declared or received beyond body_limit
  io_error,     // any other socket error: see detail
};

// What became of one address of the host.
enum class ConnectResult : std::uint8_t {
  connected,
  forbidden,  // special-purpose and no allow_private: skipped
  excluded,   // on the operator's exclude list: skipped
  refused,
  unreachable,
  timeout,  // the step's deadline or the budget passed
  io_error,
};

[[nodiscard]] std::string_view to_string(Stage stage);
[[nodiscard]] std::string_view to_string(Ending ending);
[[nodiscard]] std::string_view to_string(ConnectResult result);

struct ConnectAttempt {
  boost::asio::ip::address ip;
  ConnectResult result = ConnectResult::connected;
  std::string detail;  // why it failed; the special-purpose block(s) when forbidden

  bool operator==(const ConnectAttempt&) const = default;
};

// What one GET observed.
struct Fetch {
  std::string host;  // the SNI, the Host and the name certificates are checked against
  std::uint16_t port = 443;

  Stage stage = Stage::not_started;
  Ending ending = Ending::completed;
  std::string detail;  // human-readable cause of the ending; empty when completed

  // The answers for the host; nullopt when not asked (the budget ran out, or a cancellation
  // came, before). A lookup that step_timeout or the budget cut short is recorded as outcome
  // timeout, its detail saying which.
  std::optional<dns::AddressAnswer> a;
  std::optional<dns::AddressAnswer> aaaa;
  std::vector<ConnectAttempt> attempts;  // in order; the last one is `connected` on success

  std::optional<tls::Session> tls;  // once a handshake completed
  std::string tls_failure;  // OpenSSL's reason when the handshake failed, or why the certificate
                            // was refused (require_trusted); else empty
  std::optional<tls::CertificateFacts> certificate;  // when a chain was served

  unsigned status = 0;                      // the response's status code; 0 until a header was read
  std::string reason;                       // the status line's reason phrase, as sent (any octet)
  std::optional<std::string> location;      // the Location field, as sent (any octet)
  std::optional<std::string> content_type;  // the first Content-Type field, as sent; nullopt
                                            // when absent
  std::optional<std::uint64_t> content_length;  // as declared
  bool chunked = false;                         // Transfer-Encoding: chunked
  std::string body;               // a 200's whole body, as received; empty unless read whole
  std::uint64_t body_octets = 0;  // body octets received, also when the body was not read whole

  std::chrono::milliseconds elapsed{0};  // start to end, the lookups included
};

// Why a certificate may not be trusted for `host` (no chain to an anchor, out of date, another
// name: checked in that order), or nullopt when it may: what require_trusted refuses.
[[nodiscard]] std::optional<std::string> certificate_problem(
    const std::optional<tls::CertificateFacts>& certificate, std::string_view host);

// GETs config.path from config.host and fills `out` (reset first). `tls`, `trust`, `resolver`
// and `out` are owned by the caller (the shard) and must outlive the coroutine; `tls` and
// `resolver` may be shared by any number of concurrent fetches of the same shard. The certificate
// is judged against `trust` at the time the chain is received. Completes without throwing for
// anything a peer does; throws only when cancelled (see above).
boost::asio::awaitable<void> get(GetConfig config, tls::TlsClient& tls,
                                 const tls::TrustStore& trust, dns::Resolver& resolver, Fetch& out);

// How a socket, TLS or HTTP error ends the fetch at `stage`: the deadline (beast::error::timeout)
// is `timeout`; during the handshake anything else is `tls_failed`; a refused connection
// `refused`; no route `unreachable`; the peer closing (eof, reset, aborted, broken pipe, a TLS
// stream truncated, an HTTP message cut short) `closed`; the body limit `too_large`; any other
// HTTP parse error (a bad status line or field, a header over its limit, bad chunking)
// `http_error`; anything else `io_error`.
[[nodiscard]] Ending ending_for(Stage stage, const boost::system::error_code& ec);

}  // namespace mx::probes::https
