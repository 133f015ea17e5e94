#include "publish/signature.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <gpgme.h>

extern char** environ;

namespace mx::publish {
namespace {

struct ContextDeleter {
  void operator()(gpgme_ctx_t ctx) const { gpgme_release(ctx); }
};
using Context = std::unique_ptr<gpgme_context, ContextDeleter>;

struct DataDeleter {
  void operator()(gpgme_data_t data) const { gpgme_data_release(data); }
};
using Data = std::unique_ptr<gpgme_data, DataDeleter>;

struct KeyDeleter {
  void operator()(gpgme_key_t key) const { gpgme_key_unref(key); }
};
using Key = std::unique_ptr<_gpgme_key, KeyDeleter>;

std::string describe(gpgme_error_t err) {
  std::array<char, 256> buffer{};
  gpgme_strerror_r(err, buffer.data(), buffer.size());
  return buffer.data();
}

std::string upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return result;
}

void initialise() {
  static const std::string failure = [] {
    if (gpgme_check_version(nullptr) == nullptr) {
      return std::string("GPGME failed to initialise");
    }
    if (const auto err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP); err != 0) {
      return "gpg cannot be used: " + describe(err);
    }
    return std::string();
  }();
  if (!failure.empty()) {
    throw GpgUnavailable(failure);
  }
}

Context new_context(const GnupgHome& home) {
  initialise();
  gpgme_ctx_t raw = nullptr;
  if (const auto err = gpgme_new(&raw); err != 0) {
    throw GpgUnavailable("gpgme_new: " + describe(err));
  }
  Context ctx(raw);
  if (const auto err = gpgme_set_protocol(ctx.get(), GPGME_PROTOCOL_OpenPGP); err != 0) {
    throw GpgUnavailable("gpgme_set_protocol: " + describe(err));
  }
  if (home) {
    const auto err =
        gpgme_ctx_set_engine_info(ctx.get(), GPGME_PROTOCOL_OpenPGP, nullptr, home->c_str());
    if (err != 0) {
      throw GpgUnavailable("gpgme_ctx_set_engine_info: " + describe(err));
    }
  }
  // No dirmngr: a verification must not fetch keys (auto-key-retrieve, WKD) from the network.
  gpgme_set_offline(ctx.get(), 1);
  return ctx;
}

Data data_from(std::string_view bytes) {
  gpgme_data_t raw = nullptr;
  // copy = 1: GPGME keeps its own copy, so `bytes` need not outlive the object.
  if (const auto err = gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 1); err != 0) {
    throw std::runtime_error("gpgme_data_new_from_mem: " + describe(err));
  }
  return Data(raw);
}

Data empty_data() {
  gpgme_data_t raw = nullptr;
  if (const auto err = gpgme_data_new(&raw); err != 0) {
    throw std::runtime_error("gpgme_data_new: " + describe(err));
  }
  return Data(raw);
}

std::string take(Data data) {
  std::size_t length = 0;
  char* raw = gpgme_data_release_and_get_mem(data.release(), &length);
  std::string text = raw == nullptr ? std::string() : std::string(raw, length);
  gpgme_free(raw);
  return text;
}

// A GNUPGHOME of our own, removed with everything in it when the object goes, after stopping any
// daemon gpg started there (importing public keys starts none; this is for the case it did).
class ThrowawayHome {
 public:
  ThrowawayHome() {
    std::string name = (std::filesystem::temp_directory_path() / "mxscan-gnupg-XXXXXX").string();
    if (mkdtemp(name.data()) == nullptr) {  // mode 0700, as gpg wants its home
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + name);
    }
    path_ = name;
  }
  ~ThrowawayHome() {
    stop_daemons();
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ThrowawayHome(const ThrowawayHome&) = delete;
  ThrowawayHome& operator=(const ThrowawayHome&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  // `gpgconf --homedir DIR --kill all`: stops gpg-agent and dirmngr of DIR; starts nothing.
  void stop_daemons() const noexcept {
    const char* gpgconf = gpgme_get_dirinfo("gpgconf-name");
    if (gpgconf == nullptr) {
      return;
    }
    std::string program = gpgconf;
    std::string home = path_.string();
    std::string homedir_flag = "--homedir";
    std::string kill_flag = "--kill";
    std::string all = "all";
    std::array<char*, 6> argv{program.data(),   homedir_flag.data(), home.data(),
                              kill_flag.data(), all.data(),          nullptr};
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0) {
      return;
    }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc == 0) {
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  std::filesystem::path path_;
};

// One signature of a verify result, copied out: the result is GPGME's until the context's next
// operation, and judging a signature lists keys.
struct SignatureFacts {
  std::string fpr;  // the signing (sub)key's fingerprint, or its key ID when the key is unknown
  gpgme_error_t status = 0;
  unsigned int summary = 0;
  unsigned long timestamp = 0;
};

bool contains(const std::vector<std::string>& fingerprints, const std::string& fpr) {
  return !fpr.empty() &&
         std::find(fingerprints.begin(), fingerprints.end(), fpr) != fingerprints.end();
}

std::string pinned_text(const std::vector<std::string>& pinned) {
  return pinned.size() == 1 ? "the pinned key " + pinned.front()
                            : fmt::format("any of the {} pinned keys", pinned.size());
}

SignatureCheck judge(gpgme_ctx_t keys, const SignatureFacts& facts,
                     const std::vector<std::string>& pinned) {
  SignatureCheck check;
  check.signing_key = upper(facts.fpr);
  check.created = std::chrono::sys_seconds{std::chrono::seconds{facts.timestamp}};
  const auto code = gpgme_err_code(facts.status);
  // The verdict comes from the status; the key's validity in gpg's web of trust does not count,
  // since the key is pinned by fingerprint.
  if (code == GPG_ERR_BAD_SIGNATURE) {
    check.verdict = SignatureVerdict::bad_signature;
    check.reason = fmt::format(
        "BAD signature (by key {}): the list is not what was signed (altered or truncated), or "
        "the signature is of another file",
        check.signing_key);
    return check;
  }
  if (code == GPG_ERR_NO_PUBKEY) {
    check.verdict = SignatureVerdict::unknown_key;
    check.reason = contains(pinned, check.signing_key)
                       ? fmt::format(
                             "no public key: signed by {}, the pinned key, whose public key is not "
                             "available to check it",
                             check.signing_key)
                       : fmt::format("no public key: signed by the unknown key {}, not by {}",
                                     check.signing_key, pinned_text(pinned));
    return check;
  }

  // The key is known: its primary fingerprint, its state and the subkey that signed.
  gpgme_key_t raw = nullptr;
  const auto lookup = gpgme_get_key(keys, facts.fpr.c_str(), &raw, 0);
  const Key key(lookup == 0 ? raw : nullptr);
  gpgme_subkey_t subkey = nullptr;
  if (key) {
    check.fingerprint = upper(key->fpr != nullptr ? key->fpr : key->subkeys->fpr);
    if (key->uids != nullptr && key->uids->uid != nullptr) {
      check.user_id = key->uids->uid;
    }
    for (auto* sub = key->subkeys; sub != nullptr; sub = sub->next) {
      if (sub->fpr != nullptr && upper(sub->fpr) == check.signing_key) {
        subkey = sub;
      }
    }
  }
  const std::string signer = check.user_id.empty()
                                 ? check.signing_key
                                 : fmt::format("{} ({})", check.fingerprint, check.user_id);
  if (!contains(pinned, check.fingerprint) && !contains(pinned, check.signing_key)) {
    check.verdict = SignatureVerdict::wrong_key;
    check.reason = fmt::format("signed by {}, not by {}", signer, pinned_text(pinned));
    return check;
  }
  if (code == GPG_ERR_CERT_REVOKED || (facts.summary & GPGME_SIGSUM_KEY_REVOKED) != 0 ||
      (key && key->revoked) || (subkey != nullptr && subkey->revoked)) {
    check.verdict = SignatureVerdict::key_revoked;
    check.reason = fmt::format("the signing key {} has been revoked", signer);
    return check;
  }
  if (code == GPG_ERR_KEY_EXPIRED || (facts.summary & GPGME_SIGSUM_KEY_EXPIRED) != 0 ||
      (key && key->expired) || (subkey != nullptr && subkey->expired)) {
    check.verdict = SignatureVerdict::key_expired;
    check.reason = fmt::format("the signing key {} has expired", signer);
    return check;
  }
  if (code == GPG_ERR_SIG_EXPIRED || (facts.summary & GPGME_SIGSUM_SIG_EXPIRED) != 0) {
    check.verdict = SignatureVerdict::signature_expired;
    check.reason = fmt::format("the signature by {} has expired", signer);
    return check;
  }
  if (code != GPG_ERR_NO_ERROR) {
    check.verdict = SignatureVerdict::error;
    check.reason =
        fmt::format("the signature by {} cannot be checked: {}", signer, describe(facts.status));
    return check;
  }
  if (!key || key->disabled || key->invalid) {
    check.verdict = SignatureVerdict::error;
    check.reason = fmt::format("the signing key {} is {}", signer,
                               key ? "disabled or invalid" : "not in the keyring");
    return check;
  }
  check.verdict = SignatureVerdict::good;
  return check;
}

// Which failure to report when no signature is good: the most specific.
int rank(SignatureVerdict verdict) {
  switch (verdict) {
    case SignatureVerdict::bad_signature:
      return 0;
    case SignatureVerdict::key_revoked:
      return 1;
    case SignatureVerdict::key_expired:
      return 2;
    case SignatureVerdict::signature_expired:
      return 3;
    case SignatureVerdict::wrong_key:
      return 4;
    case SignatureVerdict::unknown_key:
      return 5;
    default:
      return 6;
  }
}

SignatureCheck refused(SignatureVerdict verdict, std::string reason) {
  SignatureCheck check;
  check.verdict = verdict;
  check.reason = std::move(reason);
  return check;
}

}  // namespace

std::optional<std::string> normalise_fingerprint(std::string_view text) {
  std::string hex;
  for (const char c : text) {
    if (c == ' ' || c == '\t') {
      continue;
    }
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return std::nullopt;
    }
    hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 40 && hex.size() != 64) {
    return std::nullopt;
  }
  return hex;
}

std::string_view to_string(SignatureVerdict verdict) {
  switch (verdict) {
    case SignatureVerdict::good:
      return "good";
    case SignatureVerdict::no_signature:
      return "no-signature";
    case SignatureVerdict::bad_signature:
      return "bad-signature";
    case SignatureVerdict::unknown_key:
      return "unknown-key";
    case SignatureVerdict::wrong_key:
      return "wrong-key";
    case SignatureVerdict::key_expired:
      return "key-expired";
    case SignatureVerdict::key_revoked:
      return "key-revoked";
    case SignatureVerdict::signature_expired:
      return "signature-expired";
    case SignatureVerdict::unusable_trust:
      return "unusable-trust";
    case SignatureVerdict::error:
      return "error";
  }
  return "error";
}

SignOutcome sign_detached(std::string_view data, const std::optional<std::string>& key,
                          const GnupgHome& home) {
  SignOutcome outcome;
  const auto ctx = new_context(home);
  gpgme_set_armor(ctx.get(), 1);
  gpgme_set_textmode(ctx.get(), 0);
  if (key) {
    gpgme_key_t raw = nullptr;
    const auto err = gpgme_get_key(ctx.get(), key->c_str(), &raw, 1);
    const Key secret(err == 0 ? raw : nullptr);
    if (!secret) {
      outcome.bad_key = true;
      outcome.error = fmt::format("no secret key {} in the keyring ({})", *key,
                                  err == 0 ? "not found" : describe(err));
      return outcome;
    }
    if (secret->revoked || secret->expired || secret->disabled || secret->invalid ||
        !secret->can_sign) {
      outcome.bad_key = true;
      outcome.error = fmt::format(
          "the key {} cannot sign: revoked, expired, disabled or without a signing subkey", *key);
      return outcome;
    }
    if (const auto added = gpgme_signers_add(ctx.get(), secret.get()); added != 0) {
      outcome.error = "gpgme_signers_add: " + describe(added);
      return outcome;
    }
  }
  const auto in = data_from(data);
  auto out = empty_data();
  if (const auto err = gpgme_op_sign(ctx.get(), in.get(), out.get(), GPGME_SIG_MODE_DETACH);
      err != 0) {
    outcome.error = "gpg could not sign: " + describe(err);
    const auto code = gpgme_err_code(err);
    outcome.bad_key = !key && (code == GPG_ERR_NO_SECKEY || code == GPG_ERR_UNUSABLE_SECKEY ||
                               code == GPG_ERR_EOF);
    if (outcome.bad_key) {
      outcome.error += " (no default secret key: give --key or set default-key in gpg.conf)";
    }
    return outcome;
  }
  const auto* result = gpgme_op_sign_result(ctx.get());
  if (result == nullptr || result->invalid_signers != nullptr || result->signatures == nullptr ||
      result->signatures->fpr == nullptr) {
    outcome.error = "gpg made no signature";
    return outcome;
  }
  outcome.signer = upper(result->signatures->fpr);
  outcome.signature = take(std::move(out));
  return outcome;
}

SignatureCheck verify_detached(std::string_view data, std::string_view signature,
                               const TrustAnchor& trust) {
  std::optional<ThrowawayHome> throwaway;
  GnupgHome home = trust.home;
  if (trust.keyring) {
    throwaway.emplace();
    home = throwaway->path();
  }
  const auto ctx = new_context(home);
  std::vector<std::string> pinned = trust.fingerprints;
  if (trust.keyring) {
    const auto keys = data_from(*trust.keyring);
    if (const auto err = gpgme_op_import(ctx.get(), keys.get()); err != 0) {
      return refused(SignatureVerdict::unusable_trust,
                     "the keyring cannot be imported: " + describe(err));
    }
    std::vector<std::string> imported;
    const auto* result = gpgme_op_import_result(ctx.get());
    for (auto* status = result != nullptr ? result->imports : nullptr; status != nullptr;
         status = status->next) {
      if (status->result == 0 && status->fpr != nullptr &&
          !contains(imported, upper(status->fpr))) {
        imported.push_back(upper(status->fpr));
      }
    }
    if (imported.empty()) {
      return refused(SignatureVerdict::unusable_trust, "the keyring holds no OpenPGP public key");
    }
    if (pinned.empty()) {
      pinned = std::move(imported);
    }
  }
  if (pinned.empty()) {
    return refused(SignatureVerdict::unusable_trust, "no key is pinned");
  }

  const auto signature_data = data_from(signature);
  const auto signed_data = data_from(data);
  const auto err = gpgme_op_verify(ctx.get(), signature_data.get(), signed_data.get(), nullptr);
  if (gpgme_err_code(err) == GPG_ERR_NO_DATA) {
    return refused(SignatureVerdict::no_signature, "the signature file holds no OpenPGP signature");
  }
  if (err != 0) {
    return refused(SignatureVerdict::error, "gpg cannot check the signature: " + describe(err));
  }
  std::vector<SignatureFacts> signatures;
  const auto* result = gpgme_op_verify_result(ctx.get());
  for (auto* sig = result != nullptr ? result->signatures : nullptr; sig != nullptr;
       sig = sig->next) {
    signatures.push_back(SignatureFacts{sig->fpr != nullptr ? sig->fpr : "", sig->status,
                                        static_cast<unsigned int>(sig->summary), sig->timestamp});
  }
  if (signatures.empty()) {
    return refused(SignatureVerdict::no_signature, "the signature file holds no OpenPGP signature");
  }

  // A file may hold several signatures: one bad one refuses it (something was altered); otherwise
  // one good one by a pinned key accepts it.
  std::optional<SignatureCheck> good;
  std::optional<SignatureCheck> worst;
  for (const auto& facts : signatures) {
    auto check = judge(ctx.get(), facts, pinned);
    if (check.verdict == SignatureVerdict::good) {
      if (!good) {
        good = std::move(check);
      }
    } else if (!worst || rank(check.verdict) < rank(worst->verdict)) {
      worst = std::move(check);
    }
  }
  if (worst && worst->verdict == SignatureVerdict::bad_signature) {
    return *worst;
  }
  return good ? *good : *worst;
}

}  // namespace mx::publish
