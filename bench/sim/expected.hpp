#pragma once
// The verdict mxscan should reach on each planned domain, computed from the plan with the rules
// of CONTRACT.md and the judge (judge/): every check's status, the host and domain roll-ups (an
// `error` host counts as `warn` beside a host that delivers), and the sorted unique "check:code"
// of every check at any level that is warn, fail or error. Pure.

#include <string>
#include <vector>

#include "bench/sim/world_plan.hpp"

namespace mx::sim {

enum class Verdict : std::uint8_t { pass, warn, fail, error };

[[nodiscard]] std::string to_string(Verdict verdict);
// fail > error > warn > pass.
[[nodiscard]] Verdict worse(Verdict a, Verdict b);

struct Expected {
  Verdict status = Verdict::pass;
  std::vector<std::string> codes;  // sorted, unique "check:code"
};

[[nodiscard]] Expected expect(const PlannedDomain& domain);

// One line of expected.jsonl: {"domain": D, "status": S, "codes": [...]}.
[[nodiscard]] std::string expected_line(const PlannedDomain& domain);

}  // namespace mx::sim
