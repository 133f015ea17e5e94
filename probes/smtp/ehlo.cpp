#include "probes/smtp/ehlo.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <system_error>
#include <utility>

namespace mx::probes::smtp {

namespace {

// Boost makes error_category's destructor protected and non-virtual on purpose (categories are
// never deleted through a base pointer); GCC still flags every derived category.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class EhloCategory final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "mx.smtp_ehlo"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<EhloError>(value)) {
      case EhloError::not_250:
        return "the EHLO reply is not 250";
    }
    return "unknown EHLO error";
  }
};
#pragma GCC diagnostic pop

// ASCII only: keywords are ASCII by grammar, and the locale must not change what we match.
bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t';
}

char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), to_upper);
  return result;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return to_upper(x) == to_upper(y); });
}

bool is_keyword(std::string_view word) {
  if (word.empty() || !(is_alpha(word.front()) || is_digit(word.front()))) {
    return false;
  }
  return std::all_of(word.begin() + 1, word.end(),
                     [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}

std::string_view trim_front(std::string_view text) {
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  return text;
}

// The first word of `text` and what follows it, both without the spaces between them.
std::pair<std::string_view, std::string_view> split_first(std::string_view text) {
  text = trim_front(text);
  std::size_t end = 0;
  while (end < text.size() && !is_space(text[end])) {
    ++end;
  }
  return {text.substr(0, end), trim_front(text.substr(end))};
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> result;
  text = trim_front(text);
  while (!text.empty()) {
    const auto [word, rest] = split_first(text);
    result.emplace_back(word);
    text = rest;
  }
  return result;
}

}  // namespace

std::string_view to_string(EhloError error) {
  switch (error) {
    case EhloError::not_250:
      return "not_250";
  }
  return "unknown";
}

const boost::system::error_category& ehlo_category() noexcept {
  static const EhloCategory category;
  return category;
}

boost::system::error_code make_error_code(EhloError error) noexcept {
  return {static_cast<int>(error), ehlo_category()};
}

const Extension* EhloCapabilities::find(std::string_view keyword) const {
  const auto found = std::find_if(
      extensions.begin(), extensions.end(),
      [keyword](const Extension& e) { return equals_ignoring_case(e.keyword, keyword); });
  return found == extensions.end() ? nullptr : &*found;
}

std::optional<std::uint64_t> EhloCapabilities::size() const {
  const Extension* extension = find("SIZE");
  if (extension == nullptr || extension->params.empty()) {
    return std::nullopt;
  }
  const std::string& param = extension->params.front();
  std::uint64_t limit = 0;
  const auto [end, error] = std::from_chars(param.data(), param.data() + param.size(), limit);
  if (error != std::errc() || end != param.data() + param.size()) {
    return std::nullopt;
  }
  return limit;
}

std::span<const std::string> EhloCapabilities::auth_mechanisms() const {
  const Extension* extension = find("AUTH");
  if (extension == nullptr) {
    return {};
  }
  return extension->params;
}

boost::system::result<EhloCapabilities> parse_ehlo(const Reply& reply) {
  if (reply.code != 250) {
    return make_error_code(EhloError::not_250);
  }
  EhloCapabilities caps;
  if (reply.lines.empty()) {
    return caps;
  }
  const auto [domain, greeting] = split_first(reply.lines.front());
  caps.domain = domain;
  caps.greeting = greeting;
  for (auto line = reply.lines.begin() + 1; line != reply.lines.end(); ++line) {
    std::vector<std::string> line_words = words(*line);
    if (line_words.empty() || !is_keyword(line_words.front())) {
      caps.invalid_lines.push_back(*line);
      continue;
    }
    std::string keyword = upper(line_words.front());
    if (caps.has(keyword)) {
      if (std::find(caps.duplicate_keywords.begin(), caps.duplicate_keywords.end(), keyword) ==
          caps.duplicate_keywords.end()) {
        caps.duplicate_keywords.push_back(std::move(keyword));
      }
      continue;
    }
    line_words.erase(line_words.begin());
    caps.extensions.push_back(Extension{std::move(keyword), std::move(line_words)});
  }
  return caps;
}

}  // namespace mx::probes::smtp
