#include "reports/html_escape.hpp"

#include "reports/utf8.hpp"

namespace mx::reports {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto point = decode_utf8(text, i);
    const auto value = point.value;
    const bool control =
        (value < 0x20 && value != '\t' && value != '\n') || (value >= 0x7F && value <= 0x9F);
    if (!point.valid || control) {
      out += kReplacementCharacter;
    } else if (value == '&') {
      out += "&amp;";
    } else if (value == '<') {
      out += "&lt;";
    } else if (value == '>') {
      out += "&gt;";
    } else if (value == '"') {
      out += "&quot;";
    } else if (value == '\'') {
      out += "&#39;";
    } else {
      out.append(text.substr(i, point.length));
    }
    i += point.length;
  }
  return out;
}

std::string shorten(std::string_view text, std::size_t max) {
  std::size_t end = 0;
  std::size_t points = 0;
  while (end < text.size() && points < max) {
    end += decode_utf8(text, end).length;
    ++points;
  }
  if (end >= text.size()) {
    return std::string(text);
  }
  // One code point gives way to the ellipsis, so that the result is at most `max` long.
  std::size_t keep = 0;
  for (std::size_t k = 0; k + 1 < max; ++k) {
    keep += decode_utf8(text, keep).length;
  }
  return std::string(text.substr(0, keep)) + "…";
}

}  // namespace mx::reports
