#pragma once
// UTF-8 read one code point at a time (RFC 3629), for renderers that must say what they do with
// text that is not UTF-8: database text from peers (banners, certificate names, policy bodies)
// holds whatever octets a server sent.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mx::reports {

struct CodePoint {
  std::uint32_t value = 0;
  std::size_t length = 1;  // octets consumed: 1 for an invalid octet
  bool valid = false;      // false: an octet that starts no well-formed sequence
};

// The code point starting at text[at] (at < text.size()). Overlong forms, surrogates and values
// past U+10FFFF are invalid, as are truncated sequences.
[[nodiscard]] CodePoint decode_utf8(std::string_view text, std::size_t at);

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace mx::reports
