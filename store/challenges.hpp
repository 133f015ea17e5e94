#pragma once
// Emergency change requests to the list (`mxscan challenge`), authenticated by a TXT record at
// _starttls-policy.<domain>. A request goes pending -> verified -> applied, or ends expired or
// superseded; rows are never deleted, so the table is the audit trail of every request.
// Times are RFC 3339 UTC strings of one fixed width, so that comparing them as text orders them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mx::store {

struct Challenge {
  std::int64_t id = 0;
  std::string domain;            // canonical (dns::normalise_domain)
  std::string action;            // "remove" or "update"
  std::vector<std::string> mxs;  // the new patterns of an update, canonical; empty for a removal
  std::string token;
  std::string created_at, expires_at;
  std::optional<std::string> verified_at, applied_at;
  std::optional<std::int64_t> applied_run;  // the triage run whose --out applied it
  std::string outcome;                      // pending, verified, applied, expired, superseded
};

struct ChallengeRequest {
  std::string domain;
  std::string action;
  std::vector<std::string> mxs;
  std::string token;
  std::string created_at, expires_at;
};

struct CreatedChallenge {
  std::int64_t id = 0;
  std::vector<std::int64_t> superseded;  // the domain's requests that were pending until now
};

// Records a pending request and marks the domain's older pending requests superseded, in one
// transaction. Requests already verified stay: an unauthenticated request must not cancel an
// authenticated one. Throws StoreError (a token already used, among others).
CreatedChallenge create_challenge(Database& db, const ChallengeRequest& request);

// The domain's newest pending request, expired or not.
[[nodiscard]] std::optional<Challenge> newest_pending(const Database& db,
                                                      const std::string& domain);

// pending -> verified, or false when the request is no longer pending (a newer request of the
// domain superseded it meanwhile): it is then left as it is.
[[nodiscard]] bool mark_verified(Database& db, std::int64_t id, const std::string& now);
// pending -> expired, or false, as mark_verified.
[[nodiscard]] bool mark_expired(Database& db, std::int64_t id);

// Every request, oldest first; only `domain`'s when given.
[[nodiscard]] std::vector<Challenge> list_challenges(
    const Database& db, const std::optional<std::string>& domain = std::nullopt);

// What `triage --out` applies: verified, not applied, not superseded, expires_at > now, oldest
// first (so that a domain's later request wins).
[[nodiscard]] std::vector<Challenge> verified_unapplied(const Database& db, const std::string& now);

// verified -> applied by the triage run `run`. Throws StoreError when the request is not verified
// (applied already, or never verified): applying it would be a change nobody authenticated.
void mark_applied(Database& db, std::int64_t id, std::int64_t run, const std::string& now);

}  // namespace mx::store
