#pragma once
// What changed between two policy lists, domain by domain (resolved policies, so an entry that
// moved to an alias with the same policy is unchanged): `mxscan list diff OLD NEW`. Pure.

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

// One JSON object per change: {"domain", "change": "added|removed|changed", "before", "after",
// "mode": {"before","after"} | null, "mxs_added", "mxs_removed"}.
[[nodiscard]] boost::json::object change_json(const EntryChange& change);

}  // namespace mx::list
