#include "judge/admission.hpp"

#include "list/pattern.hpp"

namespace mx::judge {

Admission decide_admission(const AdmissionInput& input) {
  Admission out;
  switch (input.status) {
    case Status::fail:
      out.decision = "reject";
      out.reasons = input.failing;
      break;
    case Status::error:
      out.decision = "retry";
      out.reasons = input.undetermined;
      break;
    case Status::skipped:
      // Wholly excluded (--exclude): nothing observed, nothing to decide.
      out.decision = "excluded";
      out.reasons = input.excluded;
      break;
    case Status::pass:
    case Status::warn:
      out.decision = "accept";
      break;
  }
  if (!input.mta_sts_mx) {
    out.mta_sts = "none";
    return out;
  }
  // The list's patterns and the domain's MTA-STS policy promise the same thing when each MX host
  // is covered by both or by neither.
  for (const auto& host : input.mx_hosts) {
    const bool listed = list::any_pattern_matches(input.judged_mxs, host);
    const bool in_policy = list::any_pattern_matches(*input.mta_sts_mx, host);
    if (listed != in_policy) {
      out.conflicts.push_back(host);
    }
  }
  out.mta_sts = out.conflicts.empty() ? "agree" : "conflict";
  return out;
}

}  // namespace mx::judge
