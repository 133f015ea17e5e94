#include "update/state_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include "list/atomic_file.hpp"
#include "publish/digest.hpp"

namespace mx::update {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCurrent = "current";
constexpr const char* kVersions = "versions";
constexpr const char* kList = "policy.json";
constexpr const char* kSignature = "policy.json.asc";

[[noreturn]] void fail(const fs::path& path, std::string_view what, int error) {
  throw StateError(path.string() + ": " + std::string(what) + ": " + std::strerror(error));
}

[[noreturn]] void fail(const fs::path& path, std::string_view what, const std::error_code& ec) {
  throw StateError(path.string() + ": " + std::string(what) + ": " + ec.message());
}

// A rename or a new entry is durable only once its directory is flushed.
void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    fail(dir, "open", errno);
  }
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) {
    fail(dir, "fsync", error);
  }
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail(path, "cannot read", errno);
  }
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    fail(path, "cannot read", errno);
  }
  return bytes;
}

// The version `current` names ("versions/<id>" gives <id>), nullopt when there is no `current`.
std::optional<std::string> current_version(const fs::path& dir) {
  const fs::path link = dir / kCurrent;
  std::error_code ec;
  const auto status = fs::symlink_status(link, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    fail(link, "cannot stat", ec);
  }
  if (!fs::exists(status)) {
    return std::nullopt;
  }
  if (!fs::is_symlink(status)) {
    throw StateError(link.string() +
                     ": not a symbolic link: this is not an update state directory");
  }
  const fs::path target = fs::read_symlink(link, ec);
  if (ec) {
    fail(link, "cannot read the link", ec);
  }
  if (target.parent_path() != kVersions || !target.has_filename()) {
    throw StateError(link.string() + ": points to " + target.string() + ", not into " + kVersions +
                     "/");
  }
  return target.filename().string();
}

}  // namespace

StateDir::StateDir(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    fail(dir_, "cannot create the state directory", ec);
  }
  const fs::path lock = dir_ / ".lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) {
    fail(lock, "cannot open", errno);
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (error == EWOULDBLOCK) {
      throw StateError(dir_.string() + ": another mxscan list update is running on it");
    }
    fail(lock, "cannot lock", error);
  }
}

StateDir::~StateDir() {
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the lock
  }
}

std::optional<HeldPair> StateDir::held() const {
  const auto version = current_version(dir_);
  if (!version) {
    return std::nullopt;
  }
  const fs::path files = dir_ / kVersions / *version;
  return HeldPair{read_whole(files / kList), read_whole(files / kSignature)};
}

void StateDir::point_current_to(const std::optional<std::string>& version) {
  const fs::path link = dir_ / kCurrent;
  std::error_code ec;
  if (!version) {
    fs::remove(link, ec);
    if (ec) {
      fail(link, "cannot remove", ec);
    }
    sync_directory(dir_);
    return;
  }
  // A symlink is made beside `current` and renamed over it: rename(2) replaces it atomically.
  const fs::path temp = dir_ / ".current.new";
  fs::remove(temp, ec);
  fs::create_symlink(fs::path(kVersions) / *version, temp, ec);
  if (ec) {
    fail(temp, "cannot create the link", ec);
  }
  fs::rename(temp, link, ec);
  if (ec) {
    fail(link, "cannot replace", ec);
  }
  sync_directory(dir_);
}

void StateDir::commit(const HeldPair& pair) {
  previous_ = current_version(dir_);
  const std::string version = publish::sha256_hex(pair.list).substr(0, 16) + "-" +
                              publish::sha256_hex(pair.signature).substr(0, 8);
  committed_ = true;
  if (previous_ == version) {
    return;  // the very same pair is held already
  }
  const fs::path versions = dir_ / kVersions;
  const fs::path files = versions / version;
  std::error_code ec;
  fs::remove_all(files, ec);  // what a crashed update left behind
  fs::create_directories(files, ec);
  if (ec) {
    committed_ = false;
    fail(files, "cannot create", ec);
  }
  try {
    list::write_file_atomically(files / kSignature, pair.signature);
    list::write_file_atomically(files / kList, pair.list);
    sync_directory(versions);
    point_current_to(version);
  } catch (const std::exception& e) {
    committed_ = false;
    fs::remove_all(files, ec);
    throw StateError(e.what());
  }
  for (const char* name : {kList, kSignature}) {
    const fs::path link = dir_ / name;
    if (!fs::exists(fs::symlink_status(link, ec))) {
      fs::create_symlink(fs::path(kCurrent) / name, link, ec);
      if (ec) {
        fail(link, "cannot create the link", ec);
      }
    }
  }
}

void StateDir::roll_back() {
  if (!committed_) {
    return;
  }
  const auto now = current_version(dir_);
  if (now == previous_) {
    committed_ = false;
    return;
  }
  point_current_to(previous_);
  committed_ = false;
  if (now) {
    std::error_code ec;
    fs::remove_all(dir_ / kVersions / *now, ec);
  }
}

void StateDir::finish() {
  committed_ = false;
  std::optional<std::string> current;
  try {
    current = current_version(dir_);
  } catch (const StateError&) {
    return;
  }
  std::error_code ec;
  for (auto entry = fs::directory_iterator(dir_ / kVersions, ec);
       !ec && entry != fs::directory_iterator(); entry.increment(ec)) {
    if (!current || entry->path().filename().string() != *current) {
      std::error_code ignored;
      fs::remove_all(entry->path(), ignored);
    }
  }
}

}  // namespace mx::update
