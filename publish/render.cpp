#include "publish/render.hpp"

#include <array>
#include <cstddef>

#include <fmt/format.h>

#include "publish/digest.hpp"
#include "publish/expiry.hpp"
#include "publish/generators.hpp"

namespace mx::publish {
namespace {

constexpr std::array<Generator, 2> registry{{
    {"postfix", "Postfix smtp_tls_policy_maps table (enforce: secure match=...)", &render_postfix},
    {"exim", "Exim lsearch file of domain: MX patterns, for the README's router and transport",
     &render_exim},
}};

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

std::span<const Generator> generators() {
  return registry;
}

const Generator* find_generator(std::string_view name) {
  for (const auto& generator : registry) {
    if (generator.name == name) {
      return &generator;
    }
  }
  return nullptr;
}

Rendered render_list(const Generator& generator, const list::PolicyList& list,
                     std::string_view list_bytes, std::string_view source, std::string_view tool,
                     std::chrono::system_clock::time_point now) {
  RenderContext context;
  context.source = std::string(source);
  context.sha256 = sha256_hex(list_bytes);
  context.tool = std::string(tool);
  context.expired = list_expired(list, now);
  return Rendered{generator.render(list, context), context.expired};
}

const std::string& config_name(const std::string& name, bool pattern) {
  constexpr std::size_t max_name = 253;
  std::string_view rest = name;
  if (pattern && !rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
  }
  bool ok = !rest.empty() && name.size() <= max_name && rest.front() != '-';
  char previous = '.';
  for (const char c : rest) {
    ok = ok && (name_char(c) || (c == '.' && previous != '.'));
    previous = c;
  }
  ok = ok && previous != '.';
  if (!ok) {
    throw UnsafeName(
        fmt::format("refusing to write {} \"{}\" into an MTA configuration: not a "
                    "canonical name (a-z, 0-9, '.', '-')",
                    pattern ? "the pattern" : "the domain", comment_text(name)));
  }
  return name;
}

std::string comment_text(std::string_view text) {
  std::string safe;
  safe.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      safe += c;
    } else {
      safe += fmt::format("\\x{:02x}", byte);
    }
  }
  return safe;
}

std::string header(const list::PolicyList& list, const RenderContext& context,
                   std::string_view format, std::string_view how) {
  std::size_t enforce = 0;
  std::size_t testing = 0;
  for (const auto& [domain, entry] : list.policies) {
    (entry.policy.mode == list::Mode::enforce ? enforce : testing) += 1;
  }
  std::string text = fmt::format(
      "# Rendered by {} (mxscan list render --format {}): do not edit, render again.\n"
      "# From the STARTTLS policy list {}\n"
      "#   author:    {}\n"
      "#   timestamp: {}\n"
      "#   expires:   {}\n"
      "#   sha256:    {} (of the list file's bytes)\n"
      "#   entries:   {} enforce, {} testing\n"
      "#\n",
      comment_text(context.tool), format, comment_text(context.source), comment_text(list.author),
      comment_text(list.timestamp), comment_text(list.expires), comment_text(context.sha256),
      enforce, testing);
  if (context.expired) {
    text += fmt::format(
        "# !!! THIS LIST EXPIRED at {}.\n"
        "# !!! NOTHING BELOW IS ENFORCED: every entry is commented out, so delivery falls back to\n"
        "# !!! opportunistic TLS (the MTA's own default). An expired list is never enforced:\n"
        "# !!! domains may have moved since. Fetch and verify a current list (mxscan list\n"
        "# !!! verify), then render it again.\n"
        "#\n",
        comment_text(list.expires));
  }
  std::string_view rest = how;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    text += line.empty() ? "#\n" : fmt::format("# {}\n", line);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  text += "#\n";
  return text;
}

}  // namespace mx::publish
