#pragma once
// A file descriptor closed when it goes out of scope, for the list's file reads and writes.

#include <unistd.h>

#include <utility>

namespace mx::list {

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  [[nodiscard]] int get() const { return fd_; }
  // The descriptor, no longer closed here: for a close whose failure the caller must see.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace mx::list
