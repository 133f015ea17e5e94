#pragma once
// The MTA-STS policy fetch (RFC 8461 §3.3): GET https://mta-sts.<domain>/.well-known/mta-sts.txt
// and record what happened at each step. It observes and never decides: the judge maps the
// PolicyFetch onto CONTRACT.md's `mta-sts.policy` codes (fetch-failed, http-status, redirect,
// content-type, too-large, certificate, syntax, mode-none, mode-testing).
//
// The fetch is an observing HTTPS GET (probes/https/get.hpp, which numbers the steps: lookups,
// connect, handshake, request, header, body, their deadlines and their endings) of the policy
// host, plus two facts of its own:
//   - whether the Content-Type's media type is text/plain (RFC 8461 §3.3), derived from the
//     recorded Content-Type however the fetch ends, cancellation included;
//   - the parse of a 200's whole body with parse_policy (policy.hpp), whatever its Content-Type:
//     the judge checks the Content-Type (is_text_plain) before the policy.
// The certificate is analysed and never refused (require_trusted off), so that the response is
// observed too; redirects are never followed (RFC 8461 §3.3); the body is capped at 64 KiB.
//
// Peer failures are data, and cancellation by the caller is the one way the coroutine ends with
// an exception, after recording what was observed (get.hpp).
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

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "probes/https/get.hpp"
#include "probes/mta_sts/policy.hpp"
#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"

namespace mx::dns {
class Resolver;
}  // namespace mx::dns

namespace mx::probes::mta_sts {

// RFC 8461 §3.3: the policy's one place.
inline constexpr std::string_view policy_path = "/.well-known/mta-sts.txt";

struct FetchConfig {
  std::string domain;  // the mail domain (a trailing dot is dropped); the host is mta-sts.<domain>
  std::uint16_t https_port = 443;
  std::chrono::milliseconds step_timeout{10'000};  // each lookup, connect, handshake, read, write
  std::chrono::milliseconds budget{60'000};    // the whole fetch (RFC 8461 §3.3 suggests 1 min)
  std::size_t body_limit = max_policy_octets;  // RFC 8461 §3.3 suggests 64 KiB
  std::size_t header_limit = 8 * 1024;         // the response's status line and fields
  bool allow_private = false;  // connect to special-purpose addresses (loopback, private, ...)
  const targets::ExcludeList* exclude = nullptr;  // --exclude, owned by the caller; null: none
};

// The fetch's vocabulary is the HTTPS client's.
using FetchStage = https::Stage;
using FetchEnding = https::Ending;
using ConnectResult = https::ConnectResult;
using ConnectAttempt = https::ConnectAttempt;
using https::ending_for;
using https::to_string;

// An HTTPS GET of the policy (host: mta-sts.<domain>) and what the policy fetch adds to it.
struct PolicyFetch : https::Fetch {
  bool text_plain = false;  // content_type's media type is text/plain

  // The parse of a 200's whole body; nullopt when no whole body was read.
  std::optional<boost::system::result<Policy, PolicyFailure>> policy;
};

// "mta-sts." followed by `domain` without its trailing dot.
[[nodiscard]] std::string policy_host(std::string_view domain);

// Whether a Content-Type value has the media type text/plain (RFC 8461 §3.3; RFC 9110 §8.3.1):
// type and subtype compared case-insensitively, optional whitespace around them, parameters
// (charset and any other) allowed after a ';' and not checked.
[[nodiscard]] bool is_text_plain(std::string_view content_type);

// Fetches the policy of config.domain and fills `out` (reset first). `tls`, `trust`, `resolver`
// and `out` are owned by the caller (the shard) and must outlive the coroutine; `tls` and
// `resolver` may be shared by any number of concurrent probes of the same shard. The certificate
// is judged against `trust`, the store SMTP certificates are judged against, at the time the
// chain is received. Completes without throwing for anything a peer does; throws only when
// cancelled (see above).
boost::asio::awaitable<void> fetch_policy(FetchConfig config, tls::TlsClient& tls,
                                          const tls::TrustStore& trust, dns::Resolver& resolver,
                                          PolicyFetch& out);

}  // namespace mx::probes::mta_sts
