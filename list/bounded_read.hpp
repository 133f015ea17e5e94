#pragma once
// Reading a whole file that someone else wrote (a policy list, a queue, a signature, a keyring)
// with a cap, so that a runaway or hostile file is refused unread instead of filling memory.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace mx::list {

struct FileRead {
  std::optional<std::string> bytes;  // set when read whole
  bool missing = false;              // it does not exist
  std::string error;                 // why not, otherwise: "No such file or directory",
                                     // "not a regular file", "larger than 64 MiB; refused unread"
};

// Reads `path` whole when it is a regular file of at most `limit` bytes.
[[nodiscard]] FileRead read_file_bounded(const std::filesystem::path& path, std::size_t limit);

}  // namespace mx::list
