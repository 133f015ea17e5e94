#pragma once
// A published list as an operator may use it: a good signature by a pinned key over its exact
// bytes, then a well-formed list (list/policy_list.hpp), then one not yet expired, checked in that
// order, so that nothing of an unauthenticated file is read past its signature. `mxscan list
// verify` reports it; `mxscan list update` is to call it on what it fetched before keeping it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "list/policy_list.hpp"
#include "publish/signature.hpp"

namespace mx::publish {

enum class Refusal {
  none,            // accepted
  signature,       // missing, bad, unknown key, wrong key, expired or revoked key: see `signature`
  unusable_trust,  // the trust anchor itself is unusable (a keyring with no key): a usage error
  malformed,       // authentic, but not a valid list
  expired,         // authentic and valid, but its `expires` has passed
};

[[nodiscard]] std::string_view to_string(Refusal refusal);

struct PublishedList {
  Refusal refusal = Refusal::none;
  std::vector<std::string> reasons;  // why it was refused, one line each; empty when accepted
  SignatureCheck signature;
  // The list: when accepted, and also when refused as expired (authentic and valid, so a caller
  // may say what it held); never for any other refusal.
  std::optional<list::PolicyList> list;
};

// `signature` is nullopt when there is no signature file. Throws GpgUnavailable when gpg cannot be
// run at all.
[[nodiscard]] PublishedList verify_published_list(std::string_view list_bytes,
                                                  std::optional<std::string_view> signature,
                                                  const TrustAnchor& trust,
                                                  std::chrono::system_clock::time_point now);

}  // namespace mx::publish
