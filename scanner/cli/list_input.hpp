#pragma once
// Reading a policy list for a command: every problem of a malformed list reported on stderr as
// "mxscan COMMAND: FILE: PATH: reason", and nothing returned, so the command exits 2 before it
// writes anything.

#include <optional>
#include <string>
#include <string_view>

#include "list/policy_list.hpp"

namespace mx::cli {

[[nodiscard]] std::optional<list::PolicyList> load_list(std::string_view command,
                                                        const std::string& path);

}  // namespace mx::cli
