#include "publish/verify.hpp"

#include <utility>

#include <fmt/format.h>

#include "publish/expiry.hpp"

namespace mx::publish {

std::string_view to_string(Refusal refusal) {
  switch (refusal) {
    case Refusal::none:
      return "accepted";
    case Refusal::signature:
      return "signature";
    case Refusal::unusable_trust:
      return "unusable-trust";
    case Refusal::malformed:
      return "malformed";
    case Refusal::expired:
      return "expired";
  }
  return "signature";
}

PublishedList verify_published_list(std::string_view list_bytes,
                                    std::optional<std::string_view> signature,
                                    const TrustAnchor& trust,
                                    std::chrono::system_clock::time_point now) {
  PublishedList published;
  if (!signature) {
    published.refusal = Refusal::signature;
    published.signature.verdict = SignatureVerdict::no_signature;
    published.signature.reason = "no signature";
    published.reasons.push_back(published.signature.reason);
    return published;
  }
  published.signature = verify_detached(list_bytes, *signature, trust);
  if (published.signature.verdict != SignatureVerdict::good) {
    published.refusal = published.signature.verdict == SignatureVerdict::unusable_trust
                            ? Refusal::unusable_trust
                            : Refusal::signature;
    published.reasons.push_back(published.signature.reason);
    return published;
  }

  auto read = list::parse_list(list_bytes);
  if (!read.list) {
    published.refusal = Refusal::malformed;
    for (const auto& problem : read.problems) {
      published.reasons.push_back(
          fmt::format("not a valid policy list: {}: {}", problem.path, problem.reason));
    }
    return published;
  }
  published.list = std::move(read.list);
  if (list_expired(*published.list, now)) {
    published.refusal = Refusal::expired;
    published.reasons.push_back(fmt::format(
        "the list expired at {}: an expired list must not be enforced", published.list->expires));
  }
  return published;
}

}  // namespace mx::publish
