#include "scanner/cli/run_choice.hpp"

#include <iostream>

#include <fmt/format.h>

#include "store/stats.hpp"

namespace mx::cli {

std::optional<std::int64_t> choose_run(const store::Database& db, std::int64_t requested,
                                       std::string_view command) {
  const auto name = db.path().string();
  if (requested != 0) {
    if (!store::find_run(db, requested)) {
      std::cerr << fmt::format("mxscan {}: {} has no run {}\n", command, name, requested);
      return std::nullopt;
    }
    return requested;
  }
  if (const auto complete = store::newest_complete_run(db)) {
    return complete;
  }
  const auto newest = store::newest_run(db);
  if (!newest) {
    std::cerr << fmt::format("mxscan {}: {} holds no run\n", command, name);
    return std::nullopt;
  }
  // CONTRACT.md: without --run, export reads the latest run; a complete one is preferred, and
  // reading an unfinished one is said, since its figures are partial.
  const auto run = store::find_run(db, *newest);
  std::cerr << fmt::format(
      "mxscan {}: {} holds no complete run; reading the newest, run {}, which is {} (its domains "
      "so far)\n",
      command, name, *newest, run ? run->state : "gone");
  return newest;
}

}  // namespace mx::cli
