#pragma once
// The run a command that reads the database works on (export, stats): the one asked for with
// --run, else the newest complete run. A run still going or interrupted is never taken by
// default, since its figures would be partial without anyone noticing; the message says which
// --run would take it.

#include <cstdint>
#include <optional>
#include <string_view>

#include "store/db.hpp"

namespace mx::cli {

// `requested` 0 means the default. nullopt after a message on stderr naming the command and the
// database: no such run, no run at all, or no complete run.
[[nodiscard]] std::optional<std::int64_t> choose_run(const store::Database& db,
                                                     std::int64_t requested,
                                                     std::string_view command);

}  // namespace mx::cli
