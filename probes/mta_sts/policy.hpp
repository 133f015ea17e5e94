#pragma once
// The MTA-STS policy file served at https://mta-sts.<domain>/.well-known/mta-sts.txt
// (RFC 8461 §3.2), parsed from its body. Pure: the fetcher has checked the HTTP status, the
// Content-Type and the size (RFC 8461 §3.3) before calling.
//
//   sts-policy-record      = sts-policy-field *WSP
//                            *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
//   sts-policy-field       = version / mode / max_age / mx / extension
//   sts-policy-field-delim = ":" *WSP
//   version  = %s"version" ":" *WSP %s"STSv1"                        ; required once
//   mode     = %s"mode" ":" *WSP (%s"testing" / %s"enforce" / %s"none")  ; required once
//   max_age  = %s"max_age" ":" *WSP 1*10(DIGIT)                      ; required once
//   mx       = %s"mx" ":" *WSP ["*."] Domain     ; RFC 5321 Domain; required unless mode none
//   sts-policy-term        = LF / CRLF
//
// Field order is free. Names and keyword values are case-sensitive. Unknown fields are ignored
// (kept as extensions); a repeated field other than mx keeps its first value, with a warning; every
// mx line counts. Where the RFC is ambiguous, mxscan decides as GOTCHAS.md says: blank lines are
// accepted with a warning, a UTF-8 byte order mark makes the policy invalid, an invalid mx entry is
// reported and the others are used, and a max_age above 31557600 (the text's cap, although the
// ABNF allows 10 digits) is invalid. Also accepted with a warning: a line indented with WSP (the
// ABNF has no leading WSP) and an mx pattern with a trailing dot (which matching ignores).
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "probes/mta_sts/txt_fields.hpp"
#include "probes/severity.hpp"

namespace mx::probes::mta_sts {

// RFC 8461 §3.2: max_age is at most one year.
inline constexpr std::uint32_t max_age_cap = 31557600;
// RFC 8461 §3.3 suggests a 64 KiB cap on the body; the fetcher enforces it, the parser too.
inline constexpr std::size_t max_policy_octets = 64 * 1024;

enum class Mode : std::uint8_t { enforce, testing, none };

[[nodiscard]] std::string_view to_string(Mode mode);

// Why a body yields no policy. to_string() gives the check code of CONTRACT.md's `mta-sts.policy`.
enum class PolicyError : std::uint8_t {
  syntax = 1,  // the body breaks the grammar or lacks a required field
  too_large,   // the body exceeds max_policy_octets
};

[[nodiscard]] std::string_view to_string(PolicyError error);
[[nodiscard]] const boost::system::error_category& policy_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(PolicyError error) noexcept;

// What the parser saw in the body. to_string() gives the enumerator's name.
enum class PolicyFinding : std::uint8_t {
  // Severity::notice

  unknown_field,       // a well-formed field the RFC does not define; ignored
  mixed_line_endings,  // some lines end in CRLF and others in LF

  // Severity::warning: the policy is used.

  blank_line,          // an empty or all-WSP line
  leading_whitespace,  // a line that starts with WSP
  repeated_field,      // version, mode or max_age again; the first one counts
  invalid_mx,          // an mx value that is not ["*."] Domain; the other patterns are used
  mx_trailing_dot,     // an mx pattern ending in "."; used, matching ignores the dot

  // Severity::invalid: the policy is `syntax` (or `too_large`).

  too_large,        // more than max_policy_octets
  byte_order_mark,  // the body starts with a UTF-8 BOM
  malformed_line,   // a line that is not name ":" value with a valid field name
  missing_version,
  invalid_version,  // a version other than STSv1
  missing_mode,
  invalid_mode,  // a mode other than enforce, testing or none
  missing_max_age,
  invalid_max_age,    // not 1 to 10 digits
  max_age_above_cap,  // more than max_age_cap
  missing_mx,         // no valid mx pattern while the mode is not none
};

[[nodiscard]] std::string_view to_string(PolicyFinding finding);
[[nodiscard]] Severity severity(PolicyFinding finding);

struct Policy {
  std::string version;  // "STSv1"
  Mode mode = Mode::none;
  std::uint32_t max_age = 0;            // seconds, at most max_age_cap
  std::vector<std::string> mx;          // valid patterns, in order, as written (WSP trimmed)
  std::vector<std::string> invalid_mx;  // the other mx values, in order, as written: any octet
  std::vector<Extension> extensions;    // unknown fields, in order; values unchecked, any octet
  std::vector<PolicyFinding> findings;  // tolerated findings, each once, in order of occurrence

  bool operator==(const Policy&) const = default;
};

struct PolicyFailure {
  PolicyError error = PolicyError::syntax;
  PolicyFinding finding = PolicyFinding::malformed_line;  // the first invalid finding
  std::string reason;  // for humans, with the line number; quotes peer text through quoted()

  bool operator==(const PolicyFailure&) const = default;
};

// Lets result<Policy, PolicyFailure>::value() throw boost::system::system_error.
[[noreturn]] void throw_exception_from_error(const PolicyFailure& failure,
                                             const boost::source_location& location);

// ["*."] Domain, where Domain is RFC 5321's: LDH labels of 1 to 63 octets that start and end with
// a letter or digit, at most 253 octets in all, no trailing dot.
[[nodiscard]] bool is_mx_pattern(std::string_view pattern) noexcept;

// `body`: the response body, bytes as received. Stops at the first invalid finding.
[[nodiscard]] boost::system::result<Policy, PolicyFailure> parse_policy(std::string_view body);

}  // namespace mx::probes::mta_sts

template <>
struct boost::system::is_error_code_enum<mx::probes::mta_sts::PolicyError> : std::true_type {};
