#include "reports/json_string.hpp"

#include <sstream>

#include <fmt/format.h>

#include "reports/utf8.hpp"

namespace mx::reports {
namespace {

// The escape for an ASCII octet, or empty when it stands for itself.
std::string_view ascii_escape(char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '<':
      return "\\u003c";
    case '>':
      return "\\u003e";
    case '&':
      return "\\u0026";
    default:
      return {};
  }
}

}  // namespace

void write_json_string(std::ostream& out, std::string_view text) {
  out << '"';
  // Runs of octets that need no escape are written at once.
  std::size_t plain = 0;
  std::size_t i = 0;
  auto flush = [&] { out.write(text.data() + plain, static_cast<std::streamsize>(i - plain)); };
  while (i < text.size()) {
    const auto octet = static_cast<unsigned char>(text[i]);
    if (octet >= 0x80) {
      const auto point = decode_utf8(text, i);
      if (point.valid && point.value != 0x2028 && point.value != 0x2029) {
        i += point.length;
        continue;
      }
      flush();
      out << (point.valid ? fmt::format("\\u{:04x}", point.value) : "\\ufffd");
      i += point.length;
      plain = i;
      continue;
    }
    const auto escape = ascii_escape(text[i]);
    if (escape.empty() && octet >= 0x20) {
      ++i;
      continue;
    }
    flush();
    if (escape.empty()) {
      out << fmt::format("\\u{:04x}", octet);
    } else {
      out << escape;
    }
    ++i;
    plain = i;
  }
  flush();
  out << '"';
}

std::string json_string(std::string_view text) {
  std::ostringstream out;
  write_json_string(out, text);
  return std::move(out).str();
}

}  // namespace mx::reports
