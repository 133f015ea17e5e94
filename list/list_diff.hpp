#pragma once
// What changed between two policy lists, domain by domain (resolved policies, so an entry that
// moved to an alias with the same policy has no mode or pattern change, only `alias_changed`; the
// order of patterns is no change): `mxscan list diff OLD NEW`. Pure.

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "list/policy_list.hpp"

namespace mx::list {

struct EntryChange {
  enum class Kind : unsigned char { added, removed, changed };
  std::string domain;
  Kind kind = Kind::changed;
  std::optional<Entry> before;  // null when added
  std::optional<Entry> after;   // null when removed
  bool mode_changed = false;
  std::vector<std::string> patterns_added;    // in `after`'s order
  std::vector<std::string> patterns_removed;  // in `before`'s order
  bool alias_changed = false;                 // same policy, other alias (or none)
};

struct ListDiff {
  std::vector<EntryChange> changes;  // sorted by domain
  bool header_changed = false;       // timestamp, expires, author or version
};

[[nodiscard]] ListDiff diff_lists(const PolicyList& before, const PolicyList& after);

// One line of text per change ("+ example.com enforce .example.com", "- ...", "~ ... mode
// testing -> enforce, mxs +a -b"), then a summary line.
[[nodiscard]] std::string diff_text(const ListDiff& diff);

// The summary line, without a newline: "1 added, 0 removed, 2 changed" and whether the header
// changed.
[[nodiscard]] std::string diff_summary(const ListDiff& diff);

// One JSON object per change: {"domain", "change": "added|removed|changed", "before", "after",
// "mode": {"before","after"} | null, "mxs_added", "mxs_removed"}. An entry is {"mode", "mxs",
// "alias": NAME | null}; "alias": {"before","after"} | null says whether the alias changed.
[[nodiscard]] boost::json::object change_json(const EntryChange& change);

}  // namespace mx::list
