#include "list/list_diff.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace mx::list {
namespace {

// Patterns of `from` missing in `to`, in `from`'s order (a policy holds a handful of patterns).
std::vector<std::string> missing(const std::vector<std::string>& from,
                                 const std::vector<std::string>& to) {
  std::vector<std::string> out;
  std::copy_if(from.begin(), from.end(), std::back_inserter(out), [&](const std::string& p) {
    return std::find(to.begin(), to.end(), p) == to.end();
  });
  return out;
}

std::optional<EntryChange> compare(const std::string& domain, const Entry& before,
                                   const Entry& after) {
  EntryChange change;
  change.domain = domain;
  change.before = before;
  change.after = after;
  change.mode_changed = before.policy.mode != after.policy.mode;
  change.patterns_added = missing(after.policy.mxs, before.policy.mxs);
  change.patterns_removed = missing(before.policy.mxs, after.policy.mxs);
  change.alias_changed = before.alias != after.alias;
  if (!change.mode_changed && change.patterns_added.empty() && change.patterns_removed.empty() &&
      !change.alias_changed) {
    return std::nullopt;
  }
  return change;
}

std::string alias_name(const std::optional<std::string>& alias) {
  return alias ? *alias : "(none)";
}

std::string describe(const Entry& entry) {
  std::string text =
      fmt::format("{} {}", to_string(entry.policy.mode), fmt::join(entry.policy.mxs, " "));
  if (entry.alias) {
    text += fmt::format(" (alias {})", *entry.alias);
  }
  return text;
}

std::string change_line(const EntryChange& change) {
  switch (change.kind) {
    case EntryChange::Kind::added:
      return fmt::format("+ {} {}", change.domain, describe(*change.after));
    case EntryChange::Kind::removed:
      return fmt::format("- {} {}", change.domain, describe(*change.before));
    case EntryChange::Kind::changed:
      break;
  }
  std::vector<std::string> parts;
  if (change.mode_changed) {
    parts.push_back(fmt::format("mode {} -> {}", to_string(change.before->policy.mode),
                                to_string(change.after->policy.mode)));
  }
  if (!change.patterns_added.empty() || !change.patterns_removed.empty()) {
    std::vector<std::string> patterns;
    for (const auto& p : change.patterns_added) {
      patterns.push_back("+" + p);
    }
    for (const auto& p : change.patterns_removed) {
      patterns.push_back("-" + p);
    }
    parts.push_back(fmt::format("mxs {}", fmt::join(patterns, " ")));
  }
  if (change.alias_changed) {
    parts.push_back(fmt::format("alias {} -> {}", alias_name(change.before->alias),
                                alias_name(change.after->alias)));
  }
  return fmt::format("~ {} {}", change.domain, fmt::join(parts, ", "));
}

boost::json::value entry_json(const std::optional<Entry>& entry) {
  if (!entry) {
    return nullptr;
  }
  return {{"mode", to_string(entry->policy.mode)},
          {"mxs", boost::json::value_from(entry->policy.mxs)},
          {"alias", entry->alias ? boost::json::value(*entry->alias) : nullptr}};
}

std::string_view kind_name(EntryChange::Kind kind) {
  switch (kind) {
    case EntryChange::Kind::added:
      return "added";
    case EntryChange::Kind::removed:
      return "removed";
    case EntryChange::Kind::changed:
      break;
  }
  return "changed";
}

}  // namespace

ListDiff diff_lists(const PolicyList& before, const PolicyList& after) {
  ListDiff diff;
  diff.header_changed = before.timestamp != after.timestamp || before.expires != after.expires ||
                        before.author != after.author || before.version != after.version;
  auto old_it = before.policies.begin();
  auto new_it = after.policies.begin();
  // Both maps are sorted by domain: one merge pass.
  while (old_it != before.policies.end() || new_it != after.policies.end()) {
    if (new_it == after.policies.end() ||
        (old_it != before.policies.end() && old_it->first < new_it->first)) {
      EntryChange change;
      change.domain = old_it->first;
      change.kind = EntryChange::Kind::removed;
      change.before = old_it->second;
      change.patterns_removed = old_it->second.policy.mxs;
      diff.changes.push_back(std::move(change));
      ++old_it;
    } else if (old_it == before.policies.end() || new_it->first < old_it->first) {
      EntryChange change;
      change.domain = new_it->first;
      change.kind = EntryChange::Kind::added;
      change.after = new_it->second;
      change.patterns_added = new_it->second.policy.mxs;
      diff.changes.push_back(std::move(change));
      ++new_it;
    } else {
      if (auto change = compare(old_it->first, old_it->second, new_it->second)) {
        diff.changes.push_back(std::move(*change));
      }
      ++old_it;
      ++new_it;
    }
  }
  return diff;
}

std::string diff_summary(const ListDiff& diff) {
  std::size_t added = 0;
  std::size_t removed = 0;
  for (const auto& change : diff.changes) {
    added += change.kind == EntryChange::Kind::added ? 1 : 0;
    removed += change.kind == EntryChange::Kind::removed ? 1 : 0;
  }
  return fmt::format("{} added, {} removed, {} changed; header {}", added, removed,
                     diff.changes.size() - added - removed,
                     diff.header_changed ? "changed" : "unchanged");
}

std::string diff_text(const ListDiff& diff) {
  std::string text;
  for (const auto& change : diff.changes) {
    text += change_line(change);
    text += '\n';
  }
  text += diff_summary(diff);
  text += '\n';
  return text;
}

boost::json::object change_json(const EntryChange& change) {
  const bool changed = change.kind == EntryChange::Kind::changed;
  boost::json::value mode = nullptr;
  if (change.mode_changed) {
    mode = {{"before", to_string(change.before->policy.mode)},
            {"after", to_string(change.after->policy.mode)}};
  }
  boost::json::value alias = nullptr;
  if (changed && change.alias_changed) {
    alias = {{"before", change.before->alias ? boost::json::value(*change.before->alias) : nullptr},
             {"after", change.after->alias ? boost::json::value(*change.after->alias) : nullptr}};
  }
  return {{"domain", change.domain},
          {"change", kind_name(change.kind)},
          {"before", entry_json(change.before)},
          {"after", entry_json(change.after)},
          {"mode", std::move(mode)},
          {"mxs_added", boost::json::value_from(change.patterns_added)},
          {"mxs_removed", boost::json::value_from(change.patterns_removed)},
          {"alias", std::move(alias)}};
}

}  // namespace mx::list
