#include "probes/mta_sts/mx_match.hpp"

#include <algorithm>

#include "probes/mta_sts/txt_fields.hpp"

namespace mx::probes::mta_sts {

namespace {

std::string_view without_trailing_dot(std::string_view name) {
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  return name;
}

}  // namespace

bool mx_pattern_matches(std::string_view pattern, std::string_view host) noexcept {
  pattern = without_trailing_dot(pattern);
  host = without_trailing_dot(host);
  if (pattern.empty() || pattern == "*" || host.empty()) {
    return false;
  }
  if (!pattern.starts_with("*.")) {
    return equals_ignoring_case(pattern, host);
  }
  const std::string_view suffix = pattern.substr(1);  // ".example.com"
  if (suffix.size() < 2 || host.size() <= suffix.size()) {
    return false;
  }
  const std::string_view label = host.substr(0, host.size() - suffix.size());
  return label.find('.') == std::string_view::npos &&
         equals_ignoring_case(host.substr(label.size()), suffix);
}

std::vector<std::string> unmatched_hosts(std::span<const std::string> hosts,
                                         std::span<const std::string> patterns) {
  std::vector<std::string> unmatched;
  for (const std::string& host : hosts) {
    const bool matched = std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
      return mx_pattern_matches(p, host);
    });
    if (!matched) {
      unmatched.push_back(host);
    }
  }
  return unmatched;
}

}  // namespace mx::probes::mta_sts
