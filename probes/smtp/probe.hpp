#pragma once
// The SMTP/STARTTLS probe: connects to ONE mail server address and records what a sending MTA
// experiences there (RFC 5321 for the dialogue, RFC 3207 for STARTTLS). It observes and never
// decides: the judge turns the Observation into verdicts.
//
//   1. Special-purpose address and no allow_private: ending forbidden at stage not_started, no
//      connection.
//   2. TCP connect (IPv4 or IPv6).
//   3. The whole greeting, multi-line included, within greeting_timeout (tarpits are common).
//   4. EHLO; a 5xx falls back to HELO, which carries no extensions and so ends in no_starttls.
//   5. No STARTTLS keyword in the EHLO reply: QUIT, ending no_starttls.
//   6. STARTTLS; after its 2xx any octet already received is plaintext injected before the
//      handshake (RFC 3207 §4.2): counted in plaintext_after_starttls, discarded, never given to
//      TLS.
//   7. TLS handshake on the same socket with SNI = host, by the observing TlsClient; version,
//      cipher, group and the served chain are recorded.
//   8. EHLO again inside TLS, with a fresh reply parser.
//   9. QUIT, waiting at most quit_timeout for 221 and skipping the TLS close_notify exchange.
//
// A complete reply that ends the dialogue (4xx, 5xx, an unexpected code, no STARTTLS) is followed
// by a best-effort QUIT on the still open connection, as an MTA does; a timeout, a close, a
// protocol violation or a failed handshake leaves nothing to say, and the socket is just closed.
// Every step has its own deadline (step_timeout; greeting_timeout for the greeting; quit_timeout
// for QUIT), covering the command and its whole reply.
//
// Peer failures are data: they end the probe with Observation::ending at Observation::stage,
// never with an exception. The probe writes each fact into `out` as soon as it is seen and sets
// `out.stage` before each step, so whatever was observed survives a cancellation.
//
// Cancellation by the caller (a budget, a stop: bind a cancellation slot to co_spawn) is the one
// way the coroutine ends with an exception, boost::system::system_error(operation_aborted), as
// Boost 1.81 does at a cancelled coroutine's next co_await. `out` then holds the facts seen so far,
// `stage` the step in progress, ending io_error and detail "cancelled". A cancellation during a
// final QUIT finds the observation complete and is left to the caller's next co_await.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe. The coroutine must run on the executor of the
// shard that owns `tls` and `out`.

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>

#include "probes/smtp/observation.hpp"
#include "probes/smtp/reply_parser.hpp"
#include "probes/tls/client.hpp"

namespace mx::probes::smtp {

struct ProbeConfig {
  std::string host;  // the MX host name, sent as SNI (a trailing dot is dropped; an IP never is)
  boost::asio::ip::address ip;
  std::uint16_t port = 25;
  std::string ehlo_name = "localhost";                 // the name sent in EHLO and HELO
  std::chrono::milliseconds step_timeout{10'000};      // connect, one command and its reply, TLS
  std::chrono::milliseconds greeting_timeout{30'000};  // the whole greeting
  std::chrono::milliseconds quit_timeout{1'000};       // QUIT and its 221
  Limits limits;                                       // caps on every reply, before and inside TLS
  bool allow_private = false;  // connect to special-purpose addresses (loopback, private, ...)
};

// Probes config.ip:config.port and fills `out` (reset first). `tls` and `out` are owned by the
// caller and must outlive the coroutine; `tls` may be shared by any number of concurrent probes
// of the same shard. Completes without throwing for anything the peer does; throws only when
// cancelled (see above).
boost::asio::awaitable<void> probe_smtp(ProbeConfig config, tls::TlsClient& tls, Observation& out);

// How a socket or TLS error ends the probe at `stage`: the deadline (beast::error::timeout) is
// `timeout`; a refused connection `refused`; no route `unreachable`; an orderly or abrupt close
// by the peer (eof, reset, aborted, broken pipe, a TLS stream truncated) `closed`; during the TLS
// handshake anything but the deadline is `tls_failed`, since the sending MTA's handshake failed
// whichever way the server broke it off; anything else `io_error`.
[[nodiscard]] Ending ending_for(Stage stage, const boost::system::error_code& ec);

}  // namespace mx::probes::smtp
