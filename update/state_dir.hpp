#pragma once
// The update channel's state directory: the list it holds and that list's signature, switched
// together in one atomic step, so that a crash at any point leaves either the previous pair or
// the new one, never one file of each (the pattern of Kubernetes' AtomicWriter):
//
//   DIR/.lock                          flock(2) by the one update running on DIR
//   DIR/versions/<id>/policy.json      a held list's bytes, exactly as fetched
//   DIR/versions/<id>/policy.json.asc  its detached signature, exactly as fetched
//   DIR/current -> versions/<id>       the commit point: one rename(2) of a symlink
//   DIR/policy.json -> current/policy.json, DIR/policy.json.asc -> current/policy.json.asc
//
// so that `gpg --verify DIR/policy.json.asc DIR/policy.json` checks what is held. A new version
// is written whole (each file fsynced) before `current` moves to it; the version it replaced
// stays until finish(), so that roll_back() can restore it when a later step of the update
// fails.
//
// @par Thread Safety
// One StateDir per directory per process; the lock keeps other processes out.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace mx::update {

// The directory cannot be used (cannot be created, locked, read or written): the message names
// the path and the system's reason.
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HeldPair {
  std::string list;       // the bytes of policy.json
  std::string signature;  // the bytes of policy.json.asc
};

class StateDir {
 public:
  // Creates `dir` when missing and takes its lock; throws StateError when it cannot, or when
  // another process holds the lock.
  explicit StateDir(std::filesystem::path dir);
  ~StateDir();
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return dir_; }
  [[nodiscard]] std::filesystem::path list_path() const { return dir_ / "policy.json"; }
  [[nodiscard]] std::filesystem::path signature_path() const { return dir_ / "policy.json.asc"; }

  // The pair `current` points to; nullopt when nothing was ever committed. Throws StateError when
  // `current` exists and its files cannot be read.
  [[nodiscard]] std::optional<HeldPair> held() const;

  // Writes the pair as a new version and makes it current. Throws StateError when it cannot;
  // `current` then still points to the previous version (or to none).
  void commit(const HeldPair& pair);
  // After commit(): makes the previous version current again (or, when there was none, removes
  // `current`). Throws StateError when it cannot.
  void roll_back();
  // After commit(): removes every version but the current one. Best effort: a version left
  // behind is removed by the next update's finish().
  void finish();

 private:
  void point_current_to(const std::optional<std::string>& version);

  std::filesystem::path dir_;
  int lock_fd_ = -1;
  std::optional<std::string> previous_;  // the version current pointed to before commit()
  bool committed_ = false;
};

}  // namespace mx::update
