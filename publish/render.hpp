#pragma once
// MTA configuration rendered from the policy list (`mxscan list render --format F`). One Generator
// per MTA, each a function in its own file, all registered in generators() (render.cpp), the one
// place that lists them. Adding an MTA is one file and one line there.
//
// What every generator does:
// - It starts with comments naming the list it came from (source, author, timestamp, expires, the
//   SHA-256 of the list file's bytes) and how it was rendered (tool, format, choices).
// - `enforce` entries are enforced; `testing` entries are written as comments and change nothing:
//   a testing entry must never block mail.
// - An expired list (context.expired) enforces nothing: every entry is a comment, and a header
//   says why, so that mail falls back to opportunistic TLS (the MTA's own default) instead of being
//   blocked for domains that may have moved since.
// - Only canonical names (a-z, 0-9, ".", "-") are written outside comments, and free text (the
//   author, the source) only inside comments, printable ASCII only: no newline, space, comma or
//   colon from the list can reach the MTA's parser (config_name throws otherwise).
// - The output is a pure function of the list and the context (no clock), so that the same list
//   renders to the same bytes and a caller can tell "changed" from "unchanged" by comparing them.

#include <chrono>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "list/policy_list.hpp"

namespace mx::publish {

struct RenderContext {
  std::string source;    // where the list came from (a path or a URL), for the header
  std::string sha256;    // of the list file's bytes (publish/digest.hpp)
  std::string tool;      // what rendered it, e.g. "mxscan 0.1.0"
  bool expired = false;  // the list's `expires` has passed: enforce nothing
};

struct Generator {
  std::string_view name;         // the --format value
  std::string_view description;  // one line for --help
  std::string (*render)(const list::PolicyList& list, const RenderContext& context);
};

// Every generator, in a fixed order.
[[nodiscard]] std::span<const Generator> generators();

// The generator called `name`, or null.
[[nodiscard]] const Generator* find_generator(std::string_view name);

struct Rendered {
  std::string text;
  bool expired = false;  // rendered as the expired fallback: the caller must say so (exit 1)
};

// The whole step that `list render` and `list update` share: the digest of `list_bytes` (the file
// `list` was parsed from), whether `list` has expired at `now`, then the generator.
[[nodiscard]] Rendered render_list(const Generator& generator, const list::PolicyList& list,
                                   std::string_view list_bytes, std::string_view source,
                                   std::string_view tool,
                                   std::chrono::system_clock::time_point now);

// ---- For generators.

// A name about to be written into an MTA's configuration outside a comment. Throws UnsafeName
// unless it is canonical: 1 to 253 characters of a-z, 0-9, "." and "-", no empty label, not
// starting with "-"; a leading "." only when `pattern` (the list's wildcard).
class UnsafeName : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
const std::string& config_name(const std::string& name, bool pattern);

// `text` for a comment line: printable ASCII kept, every other byte (newline included) as \xNN.
[[nodiscard]] std::string comment_text(std::string_view text);

// The header every generator starts with: "# " lines naming the list and the tool, then, for an
// expired list, the warning; `how` (lines without "# ", which this adds) says how this generator
// renders entries.
[[nodiscard]] std::string header(const list::PolicyList& list, const RenderContext& context,
                                 std::string_view format, std::string_view how);

}  // namespace mx::publish
