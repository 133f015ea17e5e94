#pragma once
// Files the list jobs write for others to read (a new list, a report, a notice) appear whole or
// not at all: written to a temporary file beside the target, flushed to disk, then renamed over
// it, and the directory flushed, so a crash or a full disk leaves the previous file as it was.

#include <filesystem>
#include <string_view>

namespace mx::list {

// Throws std::runtime_error naming `path` and the system's reason when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace mx::list
