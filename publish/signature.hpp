#pragma once
// Detached, ASCII-armoured OpenPGP signatures of the policy list, made and checked with GPGME (the
// library over gpg), so that `gpg --verify LIST.json.asc LIST.json` checks what `sign` wrote, as
// everyone who checks the list by hand does.
//
// Keys live where gpg keeps them: GNUPGHOME (or ~/.gnupg) unless a home is given. A keyring file
// given for verification is imported into a throwaway GNUPGHOME that is removed afterwards (its
// gpg-agent, if one started, is stopped), so verifying never touches the user's keyring. GPGME runs
// in offline mode: a verification never fetches keys from the network.
//
// @par Thread Safety
// Each call uses its own GPGME context; concurrent calls are safe.

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mx::publish {

// A full OpenPGP fingerprint (v4: 40 hex digits; v5: 64) in upper case without spaces, or nullopt.
// Case and spaces are ignored, as gpg prints "2C31 9DE4 7066 ..."; key IDs (16 digits) are refused.
[[nodiscard]] std::optional<std::string> normalise_fingerprint(std::string_view text);

// Where gpg keeps its keys; nullopt: as gpg does ($GNUPGHOME, else ~/.gnupg).
using GnupgHome = std::optional<std::filesystem::path>;

// GPGME or gpg cannot be used at all (not installed, too old).
class GpgUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SignOutcome {
  std::optional<std::string> signature;  // the armoured detached signature, on success
  std::string signer;                    // the signing (sub)key's fingerprint, on success
  std::string error;                     // why not, otherwise
  bool bad_key = false;  // `key` names no usable secret key: the caller's mistake, not gpg's
};

// Signs `data` (its bytes exactly: binary mode, no line-ending conversion) with `key` (a full
// fingerprint), or gpg's default secret key when nullopt. A passphrase, if the key has one, is
// asked for by gpg-agent's pinentry, as gpg would.
[[nodiscard]] SignOutcome sign_detached(std::string_view data,
                                        const std::optional<std::string>& key,
                                        const GnupgHome& home);

enum class SignatureVerdict {
  good,               // a valid signature by a pinned key
  no_signature,       // the signature file holds no OpenPGP signature
  bad_signature,      // the data is not what was signed
  unknown_key,        // the signer's public key is not available ("no public key")
  wrong_key,          // a valid signature, by a key other than the pinned ones
  key_expired,        // by a pinned key that has expired
  key_revoked,        // by a pinned key that has been revoked
  signature_expired,  // the signature itself has expired
  unusable_trust,     // the trust anchor is unusable: no fingerprint, a keyring with no key
  error,              // gpg failed otherwise
};

[[nodiscard]] std::string_view to_string(SignatureVerdict verdict);

// What a signature must be checked against.
struct TrustAnchor {
  // Normalised full fingerprints (normalise_fingerprint). A signature counts when its key, or the
  // primary key of the subkey that made it, is one of these. Empty with a keyring: every key of
  // the keyring is pinned.
  std::vector<std::string> fingerprints;
  // The contents of an exported public key file (`gpg --export [--armor]`): when set, only these
  // keys are known, in a throwaway GNUPGHOME; `home` is not used.
  std::optional<std::string> keyring;
  GnupgHome home;
};

struct SignatureCheck {
  SignatureVerdict verdict = SignatureVerdict::error;
  std::string reason;                  // one line, for humans; empty when good
  std::string fingerprint;             // the signer's primary key fingerprint, when known
  std::string signing_key;             // the (sub)key that made the signature, when known
  std::string user_id;                 // the signer's first user ID, when known
  std::chrono::sys_seconds created{};  // when the signature was made, when known
};

// Checks a detached signature of `data`. Never throws for what the signature or the keys are;
// throws GpgUnavailable when gpg cannot be run at all.
[[nodiscard]] SignatureCheck verify_detached(std::string_view data, std::string_view signature,
                                             const TrustAnchor& trust);

}  // namespace mx::publish
