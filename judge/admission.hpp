#pragma once
// Triage's verdict on a submission that was scanned (CONTRACT.md "Nightly validation and
// triage"): accept when the domain passes (or warns) with the patterns it was judged against,
// reject naming each failing check, retry when undetermined; and whether those patterns agree
// with the domain's own MTA-STS policy, which a maintainer wants to see before admitting it. Pure.

#include <optional>
#include <string>
#include <vector>

#include "judge/status.hpp"

namespace mx::judge {

struct AdmissionInput {
  Status status = Status::pass;           // the domain's status, judged with `judged_mxs`
  std::vector<std::string> failing;       // "check:code" of its fail checks
  std::vector<std::string> undetermined;  // "check:code" of its error checks
  std::vector<std::string> excluded;      // "check:excluded" of the checks --exclude skipped
  std::vector<std::string> mx_hosts;      // the MX hosts seen in DNS
  std::vector<std::string> judged_mxs;    // the list patterns it was judged against
  std::optional<std::vector<std::string>> mta_sts_mx;  // the MTA-STS policy's mx, when one parsed
};

struct Admission {
  std::string decision;                // accept, reject, retry, excluded
  std::vector<std::string> reasons;    // reject: failing; retry: undetermined; excluded: excluded
  std::string mta_sts;                 // none, agree, conflict
  std::vector<std::string> conflicts;  // MX hosts matched by one side only
};

[[nodiscard]] Admission decide_admission(const AdmissionInput& input);

}  // namespace mx::judge
