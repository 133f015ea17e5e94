#include "list/suggest.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <variant>

#include <libpsl.h>

#include "scanner/dns/domain_name.hpp"

// libpsl applies the Public Suffix List's implicit "*" rule: a top-level domain the list does not
// name is a public suffix like any other. So `test` (RFC 6761, the test world's TLD), `example`,
// `invalid` and `localhost` are public suffixes, `d1.test` is a registrable domain, and
// mx1.provider3.test and mx2.provider3.test give ".provider3.test" while a.test and b.test stay
// two names: the same answers as for a real TLD, which is why the rule is kept
// (PSL_TYPE_NO_STAR_RULE would make `test` an ordinary name and let ".test" through).

namespace mx::list {
namespace {

struct PslFree {
  void operator()(psl_ctx_t* psl) const { psl_free(psl); }
};

// psl_latest(NULL) loads the newer of the list Debian's publicsuffix package installs (kept
// current by package updates) and the copy built into libpsl, so it works without the package.
// Loading takes milliseconds, so once per process; a function-local static is initialised once
// even when threads race to it, and libpsl only reads the context afterwards. Without any list
// (null), libpsl calls every name a public suffix: no wildcard is ever suggested.
const psl_ctx_t* psl() {
  static const std::unique_ptr<psl_ctx_t, PslFree> latest(psl_latest(nullptr));
  return latest ? latest.get() : psl_builtin();
}

std::optional<std::string> canonical(std::string_view host) {
  auto name = dns::normalise_domain(host);
  if (auto* text = std::get_if<std::string>(&name)) {
    return std::move(*text);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> registrable_domain(std::string_view host) {
  const auto name = canonical(host);
  if (!name) {
    return std::nullopt;
  }
  const char* registrable = psl_registrable_domain(psl(), name->c_str());
  if (registrable == nullptr) {
    return std::nullopt;
  }
  return std::string(registrable);
}

bool is_public_suffix(std::string_view name) {
  // Not normalise_domain: a single label ("com") is a public suffix but no mail domain.
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  if (name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte == 0x7F;
      })) {
    return false;
  }
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return psl_is_public_suffix(psl(), lower.c_str()) != 0;
}

std::vector<std::string> suggest_patterns(const std::vector<std::string>& hosts) {
  std::map<std::string, std::set<std::string>> by_parent;
  for (const std::string& host : hosts) {
    // normalise_domain refuses single labels, so every name kept has a parent.
    if (auto name = canonical(host)) {
      std::string parent = name->substr(name->find('.') + 1);
      by_parent[std::move(parent)].insert(std::move(*name));
    }
  }
  std::set<std::string> patterns;
  for (const auto& [parent, children] : by_parent) {
    // ".parent" only when the parent lies inside one registrable domain and every host is
    // registered under it: then the wildcard covers names of one owner, never a public suffix
    // (co.uk, blogspot.com) or a suffix's child that someone else registered.
    const auto owner = registrable_domain(parent);
    const bool one_owner =
        children.size() > 1 && owner &&
        std::all_of(children.begin(), children.end(),
                    [&](const std::string& host) { return registrable_domain(host) == owner; });
    if (one_owner) {
      patterns.insert("." + parent);
    } else {
      patterns.insert(children.begin(), children.end());
    }
  }
  return {patterns.begin(), patterns.end()};
}

}  // namespace mx::list
