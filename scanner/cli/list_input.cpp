#include "scanner/cli/list_input.hpp"

#include <iostream>

#include <fmt/format.h>

namespace mx::cli {

std::optional<list::PolicyList> load_list(std::string_view command, const std::string& path) {
  auto read = list::read_list_file(path);
  for (const auto& problem : read.problems) {
    std::cerr << fmt::format("mxscan {}: {}: {}: {}\n", command, path, problem.path,
                             problem.reason);
  }
  if (!read.problems.empty()) {
    std::cerr << fmt::format(
        "mxscan {}: {} is not a valid policy list ({} problem{}); nothing "
        "was scanned or written\n",
        command, path, read.problems.size(), read.problems.size() == 1 ? "" : "s");
    return std::nullopt;
  }
  return std::move(read.list);
}

}  // namespace mx::cli
