#pragma once
// JSON string literals (RFC 8259) for exports and statistics, safe to embed anywhere: besides
// '"', '\' and control characters, '<', '>', '&', U+2028 and U+2029 are written as \u escapes, so
// a value holding "</script>" or "<!--" stays inert when the JSON is pasted into HTML or a
// script, and parses back to the same text. Octets that are not UTF-8 (a banner can hold any)
// cannot be carried by JSON: each becomes U+FFFD.

#include <ostream>
#include <string>
#include <string_view>

namespace mx::reports {

void write_json_string(std::ostream& out, std::string_view text);
[[nodiscard]] std::string json_string(std::string_view text);

}  // namespace mx::reports
