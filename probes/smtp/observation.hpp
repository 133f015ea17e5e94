#pragma once
// What the SMTP/STARTTLS probe observed at one mail server address: facts only, no verdicts (the
// judge decides). Filled step by step as the dialogue goes, so that whatever was seen before a
// failure, a timeout or a cancellation survives (partial results).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "probes/smtp/ehlo.hpp"
#include "probes/smtp/reply_parser.hpp"
#include "probes/tls/certificate.hpp"

namespace mx::probes::smtp {

// The step the probe was at; recorded before each step is attempted.
enum class Stage : std::uint8_t {
  not_started,
  connect,
  greeting,
  ehlo,
  helo,  // EHLO got a 5xx: HELO fallback
  starttls,
  tls_handshake,
  ehlo_tls,  // EHLO again inside TLS
  quit,
  done,
};

// How the probe ended at `stage`.
enum class Ending : std::uint8_t {
  completed,    // the whole dialogue ran: stage == done (QUIT's own fate does not matter)
  forbidden,    // special-purpose address and no --allow-private: never connected
  excluded,     // covered by the operator's --exclude list: never connected (detail: the entry)
  refused,      // connection refused (RST)
  unreachable,  // network or host unreachable, no route
  timeout,      // the step's deadline passed (connect, greeting, a reply, the handshake)
  closed,       // the peer closed the connection before the step's reply was complete
  protocol,     // the peer's bytes are not valid SMTP: see `violation`
  rejected,     // the reply at `stage` was 5xx
  deferred,     // the reply at `stage` was 4xx
  no_starttls,  // EHLO (or the HELO fallback) offers no STARTTLS: the probe stopped there
  tls_failed,   // the TLS handshake failed: see tls->failure
  io_error,     // any other socket error: see `detail`
};

[[nodiscard]] std::string_view to_string(Stage stage);
[[nodiscard]] std::string_view to_string(Ending ending);

struct TlsObservation {
  std::string version;                           // "TLSv1.3", "TLSv1.2", ... as negotiated
  int version_number = 0;                        // 0x0304, 0x0303, ...; 0 when the handshake failed
  std::string cipher;                            // "TLS_AES_256_GCM_SHA384"
  std::string group;                             // key exchange group, "X25519"; empty when unknown
  std::vector<std::vector<std::uint8_t>> chain;  // DER, leaf first, exactly as served
  std::string failure;  // OpenSSL's reason when the handshake failed, else empty
  // The handshake's parse of `chain`, for tls::analyse_chain; whoever analyses the chain drops it
  // (it is not a fact, and holding it for a whole scan would cost memory).
  std::shared_ptr<const tls::ParsedChain> parsed;
};

struct Observation {
  std::string host;  // the MX host name: the SNI and the name certificates are checked against
  boost::asio::ip::address ip;
  std::uint16_t port = 25;

  Stage stage = Stage::not_started;
  Ending ending = Ending::completed;
  std::string detail;                  // human-readable cause of the ending
  std::optional<Violation> violation;  // when ending == protocol

  std::optional<Reply> greeting;
  std::optional<Reply> ehlo;                     // the reply to EHLO before TLS (any code)
  std::optional<Reply> helo;                     // the reply to the HELO fallback
  std::optional<EhloCapabilities> capabilities;  // from ehlo (or helo) when 250
  std::optional<Reply> starttls;                 // the reply to STARTTLS
  std::size_t plaintext_after_starttls = 0;      // octets after "220" to STARTTLS, discarded
  std::optional<TlsObservation> tls;             // set once a handshake was attempted
  std::optional<Reply> ehlo_tls;                 // the reply to EHLO inside TLS
  std::optional<EhloCapabilities> capabilities_tls;

  std::chrono::milliseconds elapsed{0};  // connect to end
};

}  // namespace mx::probes::smtp
