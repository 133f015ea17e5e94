#include "probes/mta_sts/txt_fields.hpp"

#include <algorithm>

namespace mx::probes::mta_sts {

namespace {

// ASCII only: the grammar is ASCII, and the locale must not change what we accept.
bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// What follows a version token: *WSP, then ";" or nothing.
bool ends_version(std::string_view rest) {
  while (!rest.empty() && is_wsp(rest.front())) {
    rest.remove_prefix(1);
  }
  return rest.empty() || rest.front() == ';';
}

}  // namespace

std::string_view trim_wsp(std::string_view text) noexcept {
  while (!text.empty() && is_wsp(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_wsp(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

bool is_ext_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 32 || !is_alnum(name.front())) {
    return false;
  }
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; });
}

bool is_ext_value(std::string_view value) noexcept {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return c >= '\x21' && c <= '\x7e' && c != '=' && c != ';';
  });
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return lower(x) == lower(y); });
}

bool begins_with_version(std::string_view record, std::string_view version) noexcept {
  return record.starts_with(version) && ends_version(record.substr(version.size()));
}

bool begins_with_version_ignoring_case(std::string_view record, std::string_view version) noexcept {
  return record.size() >= version.size() &&
         equals_ignoring_case(record.substr(0, version.size()), version) &&
         ends_version(record.substr(version.size()));
}

FieldList split_fields(std::string_view rest) {
  FieldList list;
  const std::size_t first = rest.find(';');
  if (first == std::string_view::npos) {
    list.trailing_whitespace = !rest.empty();
    return list;
  }
  list.space_before_first_delimiter = first > 0;
  rest.remove_prefix(first + 1);
  while (true) {
    const std::size_t end = rest.find(';');
    const bool last = end == std::string_view::npos;
    const std::string_view segment = last ? rest : rest.substr(0, end);
    const std::string_view field = trim_wsp(segment);
    if (!field.empty()) {
      list.fields.push_back(field);
      list.trailing_whitespace = last && is_wsp(segment.back());
    } else if (!last) {
      // A lone trailing delimiter is grammatical; an empty field before another one is not.
      list.empty_field = true;
    }
    if (last) {
      return list;
    }
    rest.remove_prefix(end + 1);
  }
}

std::string quoted(std::string_view text, std::size_t max_octets) {
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text.substr(0, max_octets)) {
    if (c >= '\x20' && c <= '\x7e' && c != '"' && c != '\\') {
      out += c;
    } else {
      const auto octet = static_cast<unsigned char>(c);
      out += "\\x";
      out += hex[octet >> 4U];
      out += hex[octet & 0x0fU];
    }
  }
  if (text.size() > max_octets) {
    out += "...";
  }
  out += '"';
  return out;
}

Selection select_records(std::span<const std::string> records, std::string_view version) {
  Selection out;
  for (const std::string& record : records) {
    if (begins_with_version(record, version)) {
      out.records.push_back(record);
    }
  }
  if (out.records.empty()) {
    out.reason = "no TXT record begins with " + std::string(version);
    for (const std::string& record : records) {
      if (begins_with_version_ignoring_case(record, version)) {
        out.reason += " (the version is case-sensitive: " + quoted(record) + ")";
        break;
      }
    }
  } else if (out.records.size() > 1) {
    out.reason =
        std::to_string(out.records.size()) + " TXT records begin with " + std::string(version);
  }
  return out;
}

}  // namespace mx::probes::mta_sts
