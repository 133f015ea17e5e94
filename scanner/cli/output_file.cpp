#include "scanner/cli/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <streambuf>
#include <vector>

namespace mx::cli {

// A streambuf writing to a file descriptor, remembering the first write error.
class OutputFile::Buffer : public std::streambuf {
 public:
  // A descriptor it owns is closed with it; standard output is not.
  Buffer(int descriptor, bool owned)
      : fd_(descriptor), owned_(owned), block_(std::size_t{64} * 1024) {
    setp(block_.data(), block_.data() + block_.size());
  }
  ~Buffer() override {
    if (owned_ && fd_ >= 0) {
      ::close(fd_);
    }
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] int error() const { return error_; }
  // Closes an owned descriptor; false with error() set when that fails.
  bool close() {
    const int closing = fd_;
    fd_ = -1;
    if (owned_ && closing >= 0 && ::close(closing) != 0) {
      error_ = errno;
      return false;
    }
    return true;
  }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) {
      return traits_type::eof();
    }
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* next = pbase();
    while (next < pptr()) {
      const auto n = ::write(fd_, next, static_cast<std::size_t>(pptr() - next));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        return false;
      }
      next += n;
    }
    setp(block_.data(), block_.data() + block_.size());
    return true;
  }

  int fd_;
  bool owned_;
  int error_ = 0;
  std::vector<char> block_;
};

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* step, int error) {
  throw std::runtime_error("cannot write " + (path.empty() ? "standard output" : path.string()) +
                           ": " + step + ": " + std::strerror(error));
}

}  // namespace

OutputFile::OutputFile(const std::filesystem::path& path) : path_(path) {
  int fd = STDOUT_FILENO;
  if (!path_.empty()) {
    const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
    temp_ = (dir / ("." + path_.filename().string() + ".XXXXXX")).string();
    fd = ::mkstemp(temp_.data());
    if (fd < 0) {
      const int error = errno;
      temp_.clear();
      fail(path_, "create a temporary file", error);
    }
    // mkstemp makes the file 0600; an export is for others to read, as list files are.
    if (::fchmod(fd, 0644) != 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp_.c_str());
      temp_.clear();
      fail(path_, "chmod", error);
    }
  }
  buffer_ = std::make_unique<Buffer>(fd, !path_.empty());
  stream_ = std::make_unique<std::ostream>(buffer_.get());
}

OutputFile::~OutputFile() {
  stream_.reset();
  buffer_.reset();
  if (!committed_ && !temp_.empty()) {
    ::unlink(temp_.c_str());
  }
}

std::ostream& OutputFile::stream() {
  return *stream_;
}

void OutputFile::commit() {
  stream_->flush();
  if (!*stream_) {
    fail(path_, "write", buffer_->error() != 0 ? buffer_->error() : EIO);
  }
  if (temp_.empty()) {
    committed_ = true;
    return;
  }
  if (::fsync(buffer_->fd()) != 0) {
    fail(path_, "fsync", errno);
  }
  if (!buffer_->close()) {
    fail(path_, "close", buffer_->error());
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    fail(path_, "rename", errno);
  }
  committed_ = true;
  const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
  const int directory = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    ::fsync(directory);  // the rename itself is durable only once the directory is
    ::close(directory);
  }
}

}  // namespace mx::cli
