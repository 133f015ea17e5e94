#include "list/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "list/unique_fd.hpp"

namespace mx::list {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* step, int error) {
  throw std::runtime_error("cannot write " + path.string() + ": " + step + ": " +
                           std::strerror(error));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  UniqueFd fd(::mkstemp(temp.data()));
  if (fd.get() < 0) {
    fail(path, "create a temporary file", errno);
  }
  auto discard = [&](const char* step) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, step, error);
  };
  // mkstemp makes the file 0600; what we publish is for others to read.
  if (::fchmod(fd.get(), 0644) != 0) {
    discard("chmod");
  }
  for (std::size_t written = 0; written < content.size();) {
    const auto n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      discard("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    discard("fsync");
  }
  if (::close(fd.release()) != 0) {
    discard("close");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    discard("rename");
  }
  UniqueFd directory(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  if (directory.get() >= 0) {
    ::fsync(directory.get());  // the rename itself is durable only once the directory is
  }
}

}  // namespace mx::list
