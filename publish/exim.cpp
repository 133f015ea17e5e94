// Exim: an lsearch file, one line per enforce entry:
//   example.com: mx1.example.com:*.example.net
// read by the router and transport of mxscan's README ("Exim"): the router sends listed domains
// (`domains = ! +local_domains : lsearch;FILE`) to a transport that requires TLS and a certificate
// that verifies for the MX host's name, and that refuses to connect (event tcp:connect) to an MX
// host whose name does not `match_domain` the domain's line. Exim reads the file at each delivery:
// replacing it is enough, no reload.
// The choices, said again in the output's header:
// - Patterns are written in Exim's domain-list syntax: a name as itself (exact, caseless), and the
//   list's ".example.com" (exactly one more label) as "*.example.com", which Exim matches as a
//   suffix, so with any number of labels: slightly broader than the list, as for Postfix.
// - testing -> a comment: the domain is routed as if it were not listed.
#include <fmt/format.h>

#include "publish/generators.hpp"

namespace mx::publish {
namespace {

constexpr std::string_view how =
    "Exim lsearch file: DOMAIN: PATTERN:PATTERN for each enforce entry, the patterns in Exim\n"
    "domain-list syntax, matched (match_domain) against the MX host name by the router and\n"
    "transport of mxscan's README (\"Exim\"), which also require TLS and a certificate that\n"
    "verifies for that name.\n"
    "The list's \".example.com\" matches exactly one more label; it is written as Exim's\n"
    "\"*.example.com\", which matches any number of labels: slightly broader than the list.\n"
    "testing -> a comment, enforcing nothing: the domain is routed as if it were not listed.";

std::string policy_line(const std::string& domain, const list::Policy& policy) {
  if (policy.mxs.empty()) {
    throw UnsafeName(fmt::format("refusing to render {}: a policy without mx patterns", domain));
  }
  std::string patterns;
  for (const auto& pattern : policy.mxs) {
    patterns += patterns.empty() ? "" : ":";
    const auto& name = config_name(pattern, true);
    patterns += name.front() == '.' ? "*" + name : name;
  }
  return fmt::format("{}: {}", config_name(domain, false), patterns);
}

}  // namespace

std::string render_exim(const list::PolicyList& list, const RenderContext& context) {
  std::string text = header(list, context, "exim", how);
  for (const auto& [domain, entry] : list.policies) {
    const auto line = policy_line(domain, entry.policy);
    if (entry.policy.mode == list::Mode::testing) {
      text += "# testing, not enforced: " + line + "\n";
    } else if (context.expired) {
      text += "# list expired, not enforced: " + line + "\n";
    } else {
      text += line + "\n";
    }
  }
  return text;
}

}  // namespace mx::publish
