#pragma once
// The run a command that reads the database works on (export, stats, report): the one asked for
// with --run, else the newest complete run, else (CONTRACT.md: export reads the latest run) the
// newest run, with a note on stderr that its figures are partial.

#include <cstdint>
#include <optional>
#include <string_view>

#include "store/db.hpp"

namespace mx::cli {

// `requested` 0 means the default. nullopt after a message on stderr naming the command and the
// database: no such run, or no run at all.
[[nodiscard]] std::optional<std::int64_t> choose_run(const store::Database& db,
                                                     std::int64_t requested,
                                                     std::string_view command);

}  // namespace mx::cli
