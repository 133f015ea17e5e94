#pragma once
// Opening a database for mxscan: WAL, foreign keys, and the schema brought up to date by the
// numbered migrations. A database of a newer schema than this mxscan knows is refused untouched.

#include <filesystem>

#include "store/db.hpp"

namespace mx::store {

// The schema version this mxscan writes.
[[nodiscard]] int schema_version();

// Opens (creating if missing) and migrates. Throws StoreError: unreadable, locked, not a
// database, or a newer schema ("... schema version 7 is newer than this mxscan's 1").
[[nodiscard]] Database open_for_writing(const std::filesystem::path& path);

// Opens an existing database read-only (reports, exports). Throws StoreError when missing, not a
// database, or of another schema version.
[[nodiscard]] Database open_for_reading(const std::filesystem::path& path);

}  // namespace mx::store
