#pragma once
// The STARTTLS policy list, format 0.1 (CONTRACT.md "The STARTTLS policy list"): read and checked
// whole (every problem reported with its JSON path, nothing half-read), written deterministically
// (sorted keys, two-space indent, one line per pattern) so that two lists diff cleanly. Domains
// are canonical as everywhere in mxscan (IDNA to A-labels, lower case, no trailing dot); patterns
// likewise, with a wildcard always written in the list's own form, a leading "." ("*.example.com"
// is read as ".example.com"). Pure.

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "list/pattern.hpp"

namespace mx::list {

struct Policy {
  Mode mode = Mode::testing;
  std::vector<std::string> mxs;  // canonical patterns, in the list's order, without duplicates
  bool operator==(const Policy&) const = default;
};

// A domain's entry: its own policy, or an alias's (resolved here; `alias` keeps the name so that
// writing the list back keeps the alias).
struct Entry {
  Policy policy;
  std::optional<std::string> alias;
  bool operator==(const Entry&) const = default;
};

struct PolicyList {
  std::string timestamp;  // RFC 3339, as written in the file
  std::string expires;    // RFC 3339
  std::string version = "0.1";
  std::string author;
  std::map<std::string, Policy> aliases;
  std::map<std::string, Entry> policies;  // by canonical domain

  // The entry of `domain` (canonical), or null.
  [[nodiscard]] const Entry* find(std::string_view domain) const;
  bool operator==(const PolicyList&) const = default;
};

// Larger input is refused unread: the real list is under 1 MiB, so this only stops a runaway file.
inline constexpr std::size_t max_list_octets = std::size_t{64} << 20;

// One problem of a malformed list: where (a JSON path such as `policies["a.example"].mxs[1]`, or
// `$` for the whole document) and why.
struct Problem {
  std::string path;
  std::string reason;
};

struct ReadResult {
  std::optional<PolicyList> list;  // set only when `problems` is empty
  std::vector<Problem> problems;
};

// Parses and checks a list: JSON syntax (path `$`, the reason starting "LINE:COLUMN: "), the
// top-level keys and their types, `version` "0.1", RFC 3339 times, every domain name and pattern,
// every mode, every alias (defined, not itself an alias), and duplicate domains after
// normalisation. Keys a policy does not define, and keys repeated in one object, are problems too:
// the list could not be written back as it was read.
[[nodiscard]] ReadResult parse_list(std::string_view json);

// parse_list of a file's contents; an unreadable file is one problem with path `$`.
[[nodiscard]] ReadResult read_list_file(const std::filesystem::path& path);

// The list as JSON text, deterministic: keys sorted, two-space indentation, a trailing newline.
// An entry with an alias is written as {"policy-alias": name}, whatever its resolved policy.
[[nodiscard]] std::string write_list(const PolicyList& list);

// Writes `write_list(list)` to `path` atomically (list/atomic_file.hpp: a temporary file beside
// it, fsync, rename, fsync of the directory; mode 0644).
// Throws std::runtime_error (naming the path) when it cannot.
void save_list(const PolicyList& list, const std::filesystem::path& path);

}  // namespace mx::list
