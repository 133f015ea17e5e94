#pragma once
// A triage queue (CONTRACT.md "Nightly validation and triage"): CSV with the header
// `domain,contact,mxs,mode,submitted_at` (RFC 4180 quoting; `mxs` separated by spaces; `mode`
// testing or enforce, empty meaning testing) or JSON Lines with those keys (`mxs` a list). The
// format is told by the first non-blank line. A malformed line is never dropped: it is a
// submission with problems (triage decides it `invalid`), reported with its line number. Only a
// file that is not a queue at all (unreadable, no header, neither CSV nor JSON Lines) is refused.
// Pure apart from reading the file.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "list/policy_list.hpp"
#include "list/rfc3339.hpp"

namespace mx::list {

// What is wrong with one field of a submission. `field` is one of domain, contact, mxs, mode,
// submitted_at, or `line` for a line that could not be split into fields.
struct FieldProblem {
  std::string field;
  std::string reason;
};

struct Submission {
  std::size_t line = 0;          // 1-based line of the queue file
  std::string raw;               // the line as read, cut to 300 bytes
  std::string domain;            // canonical when valid, else as written
  std::string contact;           // an addr-spec, or empty (then postmaster@<domain> is written to)
  std::vector<std::string> mxs;  // canonical patterns; empty: none submitted
  std::optional<Mode> mode;      // the requested mode (empty field: testing); null when invalid
  std::string submitted_at;      // RFC 3339, as written (may be empty)
  std::vector<FieldProblem> problems;  // empty: a valid submission

  [[nodiscard]] bool valid() const { return problems.empty(); }
};

struct QueueRead {
  std::vector<Submission> submissions;  // every line but blanks and the CSV header, in order
  std::string error;  // set when the input is not a queue at all; then `submissions` is empty
};

// Lines longer than this are a `line` problem (a submission line is a few hundred bytes).
inline constexpr std::size_t kMaxQueueLine = 8192;
// A queue file larger than this is refused unread (a million submissions take about 100 MiB).
inline constexpr std::size_t kMaxQueueOctets = std::size_t{256} << 20;

[[nodiscard]] QueueRead parse_queue(std::string_view text);
// parse_queue of a file; `error` names the file when it cannot be read.
[[nodiscard]] QueueRead read_queue_file(const std::filesystem::path& path);

// Whether `address` is an RFC 5321 Mailbox we are willing to write to and to put in a header:
// local-part "@" domain, dot-atom local part only (no quoted strings), printable ASCII, no
// whitespace or control characters, at most 254 octets, a domain that normalise_domain accepts.
[[nodiscard]] bool valid_contact(std::string_view address);

}  // namespace mx::list
