#pragma once
// A throwaway GNUPGHOME for the publish tests: keys are generated in it by gpg itself, gpg and
// mxscan run with GNUPGHOME set for the child only, and the destructor stops the gpg-agent that
// key generation started (`gpgconf --kill all`) before the directory goes. Nothing touches the
// user's keyring.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace mx::test {

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void spill(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class GpgHome {
 public:
  GpgHome() : home_(dir_.path() / "gnupg") {
    std::filesystem::create_directory(home_);
    std::filesystem::permissions(home_, std::filesystem::perms::owner_all);
  }
  ~GpgHome() { run_process(with_home({"gpgconf", "--kill", "all"})); }
  GpgHome(const GpgHome&) = delete;
  GpgHome& operator=(const GpgHome&) = delete;

  // A scratch directory beside the home, for lists and signatures.
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  [[nodiscard]] const std::filesystem::path& home() const { return home_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (dir() / name).string(); }

  // argv run with GNUPGHOME set to this home, through env(1).
  [[nodiscard]] std::vector<std::string> with_home(std::vector<std::string> argv) const {
    std::vector<std::string> full{"/usr/bin/env", "GNUPGHOME=" + home_.string()};
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
  }

  // gpg --batch ARGS...; throws when gpg fails.
  ProcessResult gpg(std::vector<std::string> args) const {
    args.insert(args.begin(), {"gpg", "--batch", "--yes"});
    auto result = run_process(with_home(std::move(args)));
    if (result.exit_code != 0) {
      throw std::runtime_error("gpg failed: " + result.err);
    }
    return result;
  }

  // A new key without passphrase; returns its primary fingerprint. `usage` and `expire` as
  // gpg --quick-gen-key takes them; `faked_time` ("20200101T000000") generates it in the past.
  std::string generate_key(const std::string& email, const std::string& usage = "sign",
                           const std::string& expire = "never",
                           const std::string& faked_time = "") const {
    std::vector<std::string> args{"--passphrase", ""};
    if (!faked_time.empty()) {
      args.insert(args.end(), {"--faked-system-time", faked_time});
    }
    args.insert(args.end(), {"--quick-gen-key", "Test <" + email + ">", "ed25519", usage, expire});
    gpg(args);
    return fingerprint_of(email);
  }

  std::string fingerprint_of(const std::string& email) const {
    const auto listing = gpg({"--with-colons", "--list-keys", "<" + email + ">"}).out;
    std::istringstream lines(listing);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("fpr:", 0) == 0) {
        // fpr:::::::::FINGERPRINT:
        const auto end = line.rfind(':');
        const auto start = line.rfind(':', end - 1) + 1;
        return line.substr(start, end - start);
      }
    }
    throw std::runtime_error("no key for " + email);
  }

  // The armoured public key (gpg --export --armor FPR).
  std::string export_public(const std::string& fingerprint) const {
    return gpg({"--armor", "--export", fingerprint}).out;
  }

  // mxscan ARGS... with GNUPGHOME set to this home.
  ProcessResult mxscan(std::vector<std::string> args) const {
    args.insert(args.begin(), MXSCAN_BINARY);
    return run_process(with_home(std::move(args)));
  }

 private:
  TempDir dir_;
  std::filesystem::path home_;
};

// A policy list as JSON: example.com enforce (an exact pattern and a wildcard), an alias in
// enforce, testing.example in testing.
inline std::string sample_list(const std::string& expires = "2099-01-01T00:00:00-07:00",
                               const std::string& author = "mxscan tests") {
  return R"({
  "timestamp": "2020-05-20T10:25:12.710034-07:00",
  "expires": ")" +
         expires + R"(",
  "version": "0.1",
  "author": ")" +
         author + R"(",
  "policy-aliases": {"hosted": {"mode": "enforce", "mxs": ["mx.hosting.example"]}},
  "policies": {
    "example.com": {"mode": "enforce", "mxs": ["mx1.example.com", ".example.net"]},
    "aliased.example": {"policy-alias": "hosted"},
    "testing.example": {"mode": "testing", "mxs": ["mx.testing.example"]}
  }
}
)";
}

// $MX_SHARED_DIR/data/NAME: the real list and its signature.
inline std::filesystem::path shared_data(const std::string& name) {
  const char* shared = std::getenv("MX_SHARED_DIR");
  if (shared == nullptr) {
    throw std::runtime_error("MX_SHARED_DIR is not set");
  }
  return std::filesystem::path(shared) / "data" / name;
}

// The EFF's list-signing key (the issuer of shared/data/eff-policy.json.asc), not on this machine.
inline constexpr const char* eff_fingerprint = "2C319DE47066C200DFDC4D6B842AEA40C5BCD6E1";

}  // namespace mx::test
