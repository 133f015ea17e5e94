#include "list/bounded_read.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "list/unique_fd.hpp"

namespace mx::list {
namespace {

std::string size_text(std::size_t bytes) {
  return bytes % (std::size_t{1} << 20) == 0 ? fmt::format("{} MiB", bytes >> 20)
                                             : fmt::format("{} bytes", bytes);
}

}  // namespace

FileRead read_file_bounded(const std::filesystem::path& path, std::size_t limit) {
  FileRead read;
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    read.missing = errno == ENOENT;
    read.error = std::strerror(errno);
    return read;
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    read.error = "not a regular file";
    return read;
  }
  // The size is checked before reading and again while reading: the file may grow meanwhile.
  const auto refused = fmt::format("larger than {}; refused unread", size_text(limit));
  if (static_cast<std::size_t>(info.st_size) > limit) {
    read.error = refused;
    return read;
  }
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(info.st_size));
  std::array<char, 65536> buffer{};
  while (true) {
    const auto got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      read.error = std::strerror(errno);
      return read;
    }
    if (got == 0) {
      break;
    }
    bytes.append(buffer.data(), static_cast<std::size_t>(got));
    if (bytes.size() > limit) {
      read.error = refused;
      return read;
    }
  }
  read.bytes = std::move(bytes);
  return read;
}

}  // namespace mx::list
