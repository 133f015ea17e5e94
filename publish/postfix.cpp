// Postfix: an smtp_tls_policy_maps table (postconf(5), TLS_README), one line per enforce entry:
//   example.com secure match=mx1.example.com:.example.net
// The choices, said again in the output's header:
// - enforce -> "secure match=PATTERNS": TLS required and the certificate verified, with a name
//   that a pattern matches. Patterns are matched against the certificate's names, not against the
//   MX host name from DNS, which "secure" does not trust (postconf(5),
//   smtp_tls_secure_cert_match).
// - A list pattern ".example.com" matches exactly one more label. In a Postfix match list
//   ".example.com" matches "a non-zero number of labels followed by .example.com", and Postfix has
//   no way to say "one label": we write ".example.com", slightly broader than the list. The
//   alternative, dropping such patterns, would block mail the list allows.
// - testing -> a comment. Not "may": a "may" entry would lower a stricter global level (encrypt,
//   dane) for the domain, while a comment leaves Postfix's own default in force.
// - The table's keys are the list's domains exactly: Postfix matches ".parent" keys for
//   subdomains, and we write none, so a listed domain's subdomains are not affected.
#include <fmt/format.h>

#include "publish/generators.hpp"

namespace mx::publish {
namespace {

constexpr std::string_view how =
    "Postfix smtp_tls_policy_maps table. Install it as /etc/postfix/starttls-policy, then:\n"
    "  postmap hash:/etc/postfix/starttls-policy\n"
    "  postconf -e smtp_tls_policy_maps=hash:/etc/postfix/starttls-policy\n"
    "  (\"secure\" needs trust anchors: smtp_tls_CApath = /etc/ssl/certs, Debian's default)\n"
    "enforce -> DOMAIN secure match=PATTERN:PATTERN. TLS is required and the server's\n"
    "  certificate must verify and carry a name that a pattern matches (postconf(5)).\n"
    "  The list's \".example.com\" matches exactly one more label; Postfix's \".example.com\"\n"
    "  matches any number of labels and Postfix cannot say \"one label\", so it is written as\n"
    "  \".example.com\": slightly broader than the list.\n"
    "testing -> a comment, enforcing nothing: Postfix's own smtp_tls_security_level applies,\n"
    "  as if the domain were not listed.";

std::string policy_line(const std::string& domain, const list::Policy& policy) {
  if (policy.mxs.empty()) {
    throw UnsafeName(fmt::format("refusing to render {}: a policy without mx patterns", domain));
  }
  std::string match;
  for (const auto& pattern : policy.mxs) {
    match += match.empty() ? "" : ":";
    match += config_name(pattern, true);
  }
  return fmt::format("{} secure match={}", config_name(domain, false), match);
}

}  // namespace

std::string render_postfix(const list::PolicyList& list, const RenderContext& context) {
  std::string text = header(list, context, "postfix", how);
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
