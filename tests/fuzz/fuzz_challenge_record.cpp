// Fuzzes what `mxscan challenge verify` does with the TXT records a domain's DNS serves at
// _starttls-policy.<domain>: the match against the expected value and the display of what was
// found. The input is taken as one record (its strings joined); its first line also serves as a
// token. Properties, besides not crashing:
// - a record matches exactly when, without surrounding blanks, it is the expected value: a record
//   that matches holds the value as a whole, never merely a prefix, a substring or a case variant;
// - the value made from a token matches itself, padded with blanks or not, and nothing longer
//   (unless the token ends in blanks, which ours never do: then it matches nothing);
// - what is displayed is printable ASCII only (no escape sequence reaches a terminal), at most
//   4 octets per shown byte plus "...", and decodes back to exactly the bytes it shows.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "scanner/cli/challenge_record.hpp"

namespace {

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_blank(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// The bytes a displayed record stands for, or nullopt when it is not something printable_record
// writes.
std::optional<std::string> undisplay(std::string_view shown) {
  std::string out;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const char c = shown[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 < shown.size() && shown[i + 1] == '\\') {
      out += '\\';
      ++i;
      continue;
    }
    if (i + 3 >= shown.size() || shown[i + 1] != 'x') {
      return std::nullopt;
    }
    const int high = hex_value(shown[i + 2]);
    const int low = hex_value(shown[i + 3]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    const auto byte = static_cast<unsigned char>(high * 16 + low);
    // Only the bytes that are not printable ASCII are written as \xNN.
    if (byte >= 0x20 && byte < 0x7f) {
      return std::nullopt;
    }
    out += static_cast<char>(byte);
    i += 3;
  }
  return out;
}

void check_display(std::string_view record, std::size_t limit) {
  const std::string shown = mx::cli::printable_record(record, limit);
  for (const char c : shown) {
    require(c >= 0x20 && c < 0x7f);
  }
  const bool cut = record.size() > limit;
  const std::size_t kept = cut ? limit : record.size();
  require(shown.size() <= 4 * kept + (cut ? 3 : 0));
  std::string_view body = shown;
  if (cut) {
    require(body.ends_with("..."));
    body.remove_suffix(3);
  }
  const auto bytes = undisplay(body);
  require(bytes.has_value() && *bytes == record.substr(0, kept));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view record(reinterpret_cast<const char*>(data), size);

  // Against the value of a real request (a token is 64 lowercase hex digits).
  const std::string expected = mx::cli::challenge_record_value(
      "remove", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  const bool matches = mx::cli::challenge_record_matches(record, expected);
  require(matches == (trimmed(record) == expected));
  if (matches) {
    require(record.find(expected) != std::string_view::npos);
  }

  // Against a value made from the input's first line as the token.
  const std::string_view token = record.substr(0, record.find('\n'));
  for (const std::string_view action : {"remove", "update"}) {
    const std::string value = mx::cli::challenge_record_value(action, token);
    require(value.starts_with("v=STARTTLS-POLICY1; action="));
    // A value ending in blanks (never one of ours: tokens are hex) cannot be matched at all.
    const bool matchable = trimmed(value) == value;
    require(mx::cli::challenge_record_matches(value, value) == matchable);
    require(mx::cli::challenge_record_matches(" \t" + value + "\r\n", value) == matchable);
    require(!mx::cli::challenge_record_matches(value + "x", value));
    require(mx::cli::challenge_record_matches(record, value) == (trimmed(record) == value));
  }
  require(mx::cli::challenge_record_name(token) == "_starttls-policy." + std::string(token));

  check_display(record, 200);
  check_display(record, size / 2);
  check_display(record, 0);
  return 0;
}
