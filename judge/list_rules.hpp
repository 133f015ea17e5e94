#pragma once
// The list entry's rule (CONTRACT.md `policy.mx-pattern`): every MX host of a listed domain must
// match one of its entry's patterns, whatever the entry's mode; a host that matches none is a
// fail, since senders that enforce the list refuse to deliver to it. Pure.

#include <string>
#include <vector>

#include "judge/status.hpp"
#include "list/pattern.hpp"

namespace mx::judge {

// The judged list entry (CONTRACT.md `policy` of the domain object).
struct ListPolicy {
  list::Mode mode = list::Mode::testing;
  std::vector<std::string> mxs;
  bool operator==(const ListPolicy&) const = default;
};

// `host`: an MX host name from DNS (for an implicit MX, the domain itself).
[[nodiscard]] Check judge_mx_pattern(const std::string& host, const ListPolicy& policy);

}  // namespace mx::judge
