#include "judge/list_rules.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mx::judge {

Check judge_mx_pattern(const std::string& host, const ListPolicy& policy) {
  if (list::any_pattern_matches(policy.mxs, host)) {
    return Check{"policy.mx-pattern", Status::pass, "ok",
                 fmt::format("{} matches the list's patterns", host)};
  }
  return Check{"policy.mx-pattern", Status::fail, "mismatch",
               fmt::format("{} matches none of the list's patterns ({})", host,
                           fmt::join(policy.mxs, ", "))};
}

}  // namespace mx::judge
