// Fuzzes the escaping that every report puts between stored peer text (banners, certificate
// names, policy bodies, check messages) and its readers: HTML (escape_html, shorten), Markdown
// table cells (markdown_cell), JSON strings (json_string) and CSV fields (write_csv_field).
// Properties, besides not crashing:
// - HTML: no '<', '>', '"' or '\'' in the output, every '&' starts one of the five references it
//   writes, the output is UTF-8 without control characters but tab and line feed, and reading the
//   references back gives the input with each invalid octet and control character as U+FFFD;
// - shorten: at most `max` code points, the input itself or a prefix of it followed by "…";
// - Markdown: one line, no '<', '>' or control octet, every character Markdown acts on
//   backslash-escaped, and unescaping gives the input with CR, LF and tab as spaces;
// - JSON: no raw '<', '>' or '&', and a JSON parser reads back the input with each invalid octet
//   as U+FFFD;
// - CSV: an RFC 4180 reader reads back exactly the input.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "reports/csv_field.hpp"
#include "reports/html_escape.hpp"
#include "reports/json_string.hpp"
#include "reports/utf8.hpp"
#include "reports/validation_report.hpp"

namespace {

using mx::reports::decode_utf8;
using mx::reports::kReplacementCharacter;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool is_control(std::uint32_t value) {
  return value < 0x20 || (value >= 0x7F && value <= 0x9F);
}

// The input with every octet that starts no UTF-8 sequence (and, with `controls`, every control
// character but tab and line feed) as U+FFFD.
std::string sanitised(std::string_view text, bool controls) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto point = decode_utf8(text, i);
    const bool replaced = !point.valid || (controls && is_control(point.value) &&
                                           point.value != '\t' && point.value != '\n');
    out += replaced ? kReplacementCharacter : text.substr(i, point.length);
    i += point.length;
  }
  return out;
}

void check_html(std::string_view text) {
  const std::string html = mx::reports::escape_html(text);
  std::string back;
  for (std::size_t i = 0; i < html.size();) {
    const auto point = decode_utf8(html, i);
    require(point.valid);
    require(!is_control(point.value) || point.value == '\t' || point.value == '\n');
    const char c = html[i];
    require(c != '<' && c != '>' && c != '"' && c != '\'');
    if (c != '&') {
      back.append(html, i, point.length);
      i += point.length;
      continue;
    }
    const std::string_view rest = std::string_view(html).substr(i);
    bool known = false;
    for (const auto& [reference, character] : {std::pair<std::string_view, char>{"&amp;", '&'},
                                               {"&lt;", '<'},
                                               {"&gt;", '>'},
                                               {"&quot;", '"'},
                                               {"&#39;", '\''}}) {
      if (rest.starts_with(reference)) {
        back += character;
        i += reference.size();
        known = true;
        break;
      }
    }
    require(known);
  }
  require(back == sanitised(text, true));
}

std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); i += decode_utf8(text, i).length) {
    ++count;
  }
  return count;
}

void check_shorten(std::string_view text, std::size_t max) {
  const std::string short_text = mx::reports::shorten(text, max);
  require(code_points(short_text) <= max);
  if (short_text != text) {
    constexpr std::string_view ellipsis = "…";
    require(short_text.ends_with(ellipsis));
    require(text.starts_with(
        std::string_view(short_text).substr(0, short_text.size() - ellipsis.size())));
  }
}

void check_markdown(std::string_view text) {
  constexpr std::string_view escaped = "|*_`[]\\#";
  const std::string cell = mx::reports::markdown_cell(text);
  std::string back;
  for (std::size_t i = 0; i < cell.size(); ++i) {
    const char c = cell[i];
    const auto byte = static_cast<unsigned char>(c);
    require(byte >= 0x20 && byte != 0x7f && c != '<' && c != '>');
    if (c == '&') {
      const std::string_view rest = std::string_view(cell).substr(i);
      if (rest.starts_with("&lt;")) {
        back += '<';
        i += 3;
      } else if (rest.starts_with("&gt;")) {
        back += '>';
        i += 3;
      } else {
        require(rest.starts_with("&amp;"));
        back += '&';
        i += 4;
      }
    } else if (c == '\\') {
      require(i + 1 < cell.size());
      const char next = cell[i + 1];
      if (next == 'x') {
        require(i + 3 < cell.size());
        back += static_cast<char>(std::stoi(std::string(cell, i + 2, 2), nullptr, 16));
        i += 3;
      } else {
        require(escaped.find(next) != std::string_view::npos);
        back += next;
        i += 1;
      }
    } else {
      require(escaped.find(c) == std::string_view::npos);
      back += c;
    }
  }
  std::string expected(text);
  for (char& c : expected) {
    if (c == '\r' || c == '\n' || c == '\t') {
      c = ' ';
    }
  }
  require(back == expected);
}

void check_json(std::string_view text) {
  const std::string literal = mx::reports::json_string(text);
  require(literal.find_first_of("<>&") == std::string::npos);
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(literal, ec);
  require(!ec && value.is_string());
  require(std::string_view(value.get_string()) == sanitised(text, false));
}

// One RFC 4180 field as a reader takes it, or nullopt when it is not one.
std::optional<std::string> read_csv_field(std::string_view field) {
  if (!field.starts_with('"')) {
    if (field.find_first_of(",\"\r\n") != std::string_view::npos) {
      return std::nullopt;
    }
    return std::string(field);
  }
  if (field.size() < 2 || !field.ends_with('"')) {
    return std::nullopt;
  }
  std::string out;
  const std::string_view inner = field.substr(1, field.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '"') {
      if (i + 1 >= inner.size() || inner[i + 1] != '"') {
        return std::nullopt;
      }
      ++i;
    }
    out += inner[i];
  }
  return out;
}

void check_csv(std::string_view text) {
  std::ostringstream out;
  mx::reports::write_csv_field(out, text);
  const std::string field = std::move(out).str();
  const auto back = read_csv_field(field);
  require(back && *back == text);
  // Readers that trim blanks, and the NULL convention (nothing written), leave a quoted field
  // alone.
  if (!field.starts_with('"')) {
    require(!field.empty() && field.front() != ' ' && field.front() != '\t' &&
            field.back() != ' ' && field.back() != '\t');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_html(text);
  check_shorten(text, 1);
  check_shorten(text, 1 + size / 3);
  check_shorten(text, 200);
  check_markdown(text);
  check_json(text);
  check_csv(text);
  return 0;
}
