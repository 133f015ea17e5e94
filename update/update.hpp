#pragma once
// The operators' update channel (`mxscan list update`, issue 15): fetch the published list and its
// signature, keep it only when it is authentic, valid, unexpired and newer than the one held, and
// turn what is held into the MTA's configuration.
//
//   1. Download (download()): the list (at most list::max_list_octets) then, when that worked,
//      its signature (at most max_signature_octets), each by an HTTPS GET that requires a trusted
//      certificate for the URL's host (probes/https/get.hpp, require_trusted), follows no
//      redirect and refuses special-purpose addresses unless allowed. Anything but a whole 200 is
//      a refusal.
//   2. Judge (judge()): publish::verify_published_list against the pinned key (signature first,
//      then the list's syntax, then its expiry), then rollback protection: a list whose
//      `timestamp` is not strictly after the held one's is refused, however well signed (a
//      replay), unless its bytes are exactly the held ones (nothing new: unchanged).
//   3. Keep (StateDir::commit): an accepted pair becomes the held one in one atomic step.
//   4. Render (when asked) whatever is held afterwards, new or not, with publish::render_list: an
//      expired list renders as the fallback that enforces nothing. The output file is written
//      (atomically) only when its bytes change, and the reload command runs only then.
//
// Any failure keeps the previous state: a refused or undownloadable list changes nothing held;
// when writing the configuration or the reload fails after a list was accepted, the accepted
// list is rolled back and the previous configuration file restored, so that the next run tries
// the whole update again. A held list that has expired, with no newer one to be had, is rendered
// as the fallback and the update fails loudly: a broken channel degrades to opportunistic TLS
// instead of blocking mail to domains that may have moved.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "list/policy_list.hpp"
#include "probes/https/get.hpp"
#include "probes/https/url.hpp"
#include "probes/tls/trust_store.hpp"
#include "publish/render.hpp"
#include "publish/signature.hpp"
#include "scanner/net/server_address.hpp"
#include "update/state_dir.hpp"

namespace mx::update {

// The published signature is a few hundred octets; this only stops a runaway download.
inline constexpr std::size_t max_signature_octets = 64 * 1024;

struct FetchSettings {
  std::vector<net::ServerAddress> resolvers;  // empty: /etc/resolv.conf
  std::chrono::milliseconds step_timeout{10'000};
  std::chrono::milliseconds budget{60'000};  // of each file's GET
  bool allow_private = false;
};

struct Downloaded {
  probes::https::Fetch list;
  std::optional<probes::https::Fetch> signature;  // nullopt when the list's GET failed
};

// Step 1: runs its own io_context until both GETs have ended.
[[nodiscard]] Downloaded download(const probes::https::HttpsUrl& list_url,
                                  const probes::https::HttpsUrl& signature_url,
                                  const FetchSettings& settings,
                                  const probes::tls::TrustStore& trust);

// Why a GET did not bring a whole 200 response, or nullopt when it did.
[[nodiscard]] std::optional<std::string> download_failure(const probes::https::Fetch& fetch,
                                                          const probes::https::HttpsUrl& url);

// The held list, parsed.
struct Held {
  HeldPair pair;
  list::PolicyList list;
};

struct Judgement {
  enum class Verdict { accept, unchanged, refuse };
  Verdict verdict = Verdict::refuse;
  std::vector<std::string> reasons;  // why refused, one line each
  bool unusable_trust = false;  // refused because the pinned key or keyring cannot be used at all
  std::optional<list::PolicyList> list;  // the downloaded list, when accepted
};

// Step 2 on downloaded bytes: `held` is nullopt when none is held. Throws publish::GpgUnavailable
// when gpg cannot be run.
[[nodiscard]] Judgement judge(const std::optional<Held>& held, const HeldPair& downloaded,
                              const publish::TrustAnchor& trust,
                              std::chrono::system_clock::time_point now);

// Whether `candidate`'s timestamp is strictly after `held`'s (as instants, whatever the offsets
// they are written at). A timestamp that does not parse is never after anything.
[[nodiscard]] bool newer(const list::PolicyList& candidate, const list::PolicyList& held);

struct RenderTarget {
  const publish::Generator* generator = nullptr;
  std::filesystem::path out;
  std::string reload;  // empty: no reload command
};

struct UpdateConfig {
  probes::https::HttpsUrl list_url;
  probes::https::HttpsUrl signature_url;
  FetchSettings fetch;
  publish::TrustAnchor trust;
  std::filesystem::path state;
  std::optional<RenderTarget> render;
  std::string tool;  // "mxscan 0.1.0", for the rendered header
};

struct UpdateReport {
  enum class Outcome {
    updated,    // a newer list is held now
    unchanged,  // the list published is the one held
    refused,    // no newer list could be had; the held one (if any) is kept
    fallback,   // as refused, and the held list has expired: rendered with nothing enforced
    failed,     // the state directory or the configuration could not be used; nothing changed
  };
  Outcome outcome = Outcome::failed;
  std::string summary;                // one line, for stdout
  std::vector<std::string> problems;  // for stderr, one line each; empty when all went well
  bool rendered_changed = false;      // the output file's bytes changed
  bool reloaded = false;              // the reload command ran and succeeded
  bool usage_error = false;           // the pinned key or keyring is unusable (exit 2)
};

// Steps 1 to 4. `trust_store` holds the anchors HTTPS certificates are checked against.
[[nodiscard]] UpdateReport run_update(const UpdateConfig& config,
                                      const probes::tls::TrustStore& trust_store,
                                      std::chrono::system_clock::time_point now);

}  // namespace mx::update
