#pragma once
// Where a streamed export goes: standard output, or a file that appears whole or not at all.
// A file is written to a temporary file beside it (so that the rename stays in one file system),
// flushed to disk, then renamed over the target; until commit() succeeds the target is untouched,
// and a failure or an exception removes the temporary file. Output is buffered in 64 KiB blocks
// written straight to the descriptor (list/atomic_file.hpp does the same for whole strings).

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

namespace mx::cli {

class OutputFile {
 public:
  // An empty path is standard output.
  explicit OutputFile(const std::filesystem::path& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  [[nodiscard]] std::ostream& stream();
  // Flushes; a file is then fsynced and renamed over the target. Throws std::runtime_error naming
  // the target and the system's reason (a full disk, a closed pipe).
  void commit();

 private:
  class Buffer;
  std::filesystem::path path_;
  std::string temp_;  // empty for standard output
  std::unique_ptr<Buffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
  bool committed_ = false;
};

}  // namespace mx::cli
