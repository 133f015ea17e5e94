#pragma once
// A small HTML tokenizer after the WHATWG tokenizer's states that matter for injection: tags and
// their attributes (quoted or not), comments, markup declarations and CDATA sections, raw text
// in <script> and <style> up to their end tag, and RCDATA in <title> (where a browser sees no
// tags). The report tests read the report's structure with it, to prove that no element,
// attribute, comment or CDATA section came from the database.

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mx::test {

struct HtmlToken {
  enum class Kind { start_tag, end_tag, text, comment, declaration, cdata };
  Kind kind = Kind::text;
  std::string name;                                             // tags, lower case
  std::vector<std::pair<std::string, std::string>> attributes;  // values as written (escaped)
  std::string text;  // text (escaped, as written), comment, declaration, raw element content

  [[nodiscard]] const std::string* attribute(std::string_view wanted) const {
    for (const auto& [key, value] : attributes) {
      if (key == wanted) {
        return &value;
      }
    }
    return nullptr;
  }
};

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

inline std::vector<HtmlToken> tokenize_html(std::string_view html) {
  using Kind = HtmlToken::Kind;
  std::vector<HtmlToken> out;
  std::size_t i = 0;
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  };
  const auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  std::string text;
  const auto flush_text = [&] {
    if (!text.empty()) {
      out.push_back({Kind::text, "", {}, text});
      text.clear();
    }
  };
  while (i < html.size()) {
    if (html[i] != '<' || i + 1 >= html.size()) {
      text += html[i++];
      continue;
    }
    const char next = html[i + 1];
    if (html.substr(i, 4) == "<!--") {
      flush_text();
      const auto end = html.find("-->", i + 4);
      out.push_back({Kind::comment, "", {}, std::string(html.substr(i + 4, end - i - 4))});
      i = end == std::string_view::npos ? html.size() : end + 3;
    } else if (html.substr(i, 9) == "<![CDATA[") {
      flush_text();
      const auto end = html.find("]]>", i + 9);
      out.push_back({Kind::cdata, "", {}, std::string(html.substr(i + 9, end - i - 9))});
      i = end == std::string_view::npos ? html.size() : end + 3;
    } else if (next == '!' || next == '?') {
      flush_text();
      const auto end = html.find('>', i);
      out.push_back({Kind::declaration, "", {}, std::string(html.substr(i + 2, end - i - 2))});
      i = end == std::string_view::npos ? html.size() : end + 1;
    } else if (next == '/' && i + 2 < html.size() && alpha(html[i + 2])) {
      flush_text();
      auto j = i + 2;
      while (j < html.size() && !is_space(html[j]) && html[j] != '>' && html[j] != '/') {
        ++j;
      }
      HtmlToken token{Kind::end_tag, lower(html.substr(i + 2, j - i - 2)), {}, ""};
      const auto end = html.find('>', j);
      i = end == std::string_view::npos ? html.size() : end + 1;
      out.push_back(std::move(token));
    } else if (alpha(next)) {
      flush_text();
      auto j = i + 1;
      while (j < html.size() && !is_space(html[j]) && html[j] != '>' && html[j] != '/') {
        ++j;
      }
      HtmlToken token{Kind::start_tag, lower(html.substr(i + 1, j - i - 1)), {}, ""};
      while (j < html.size() && html[j] != '>') {
        if (is_space(html[j]) || html[j] == '/') {
          ++j;
          continue;
        }
        auto k = j;
        while (k < html.size() && !is_space(html[k]) && html[k] != '>' && html[k] != '/' &&
               html[k] != '=') {
          ++k;
        }
        std::string key = lower(html.substr(j, k - j));
        std::string value;
        while (k < html.size() && is_space(html[k])) {
          ++k;
        }
        if (k < html.size() && html[k] == '=') {
          ++k;
          while (k < html.size() && is_space(html[k])) {
            ++k;
          }
          if (k < html.size() && (html[k] == '"' || html[k] == '\'')) {
            const auto close = html.find(html[k], k + 1);
            value = std::string(html.substr(k + 1, close - k - 1));
            k = close == std::string_view::npos ? html.size() : close + 1;
          } else {
            auto v = k;
            while (v < html.size() && !is_space(html[v]) && html[v] != '>') {
              ++v;
            }
            value = std::string(html.substr(k, v - k));
            k = v;
          }
        }
        token.attributes.emplace_back(std::move(key), std::move(value));
        j = k;
      }
      i = j < html.size() ? j + 1 : html.size();
      const auto name = token.name;
      out.push_back(std::move(token));
      // Raw text runs to its end tag, whatever it holds. (RCDATA in an HTML <title> is read as
      // markup here: stricter than a browser, which finds no tags there, and it must hold none.)
      if (name == "script" || name == "style") {
        const auto lowered = lower(html.substr(i));
        const auto end = lowered.find("</" + name);
        const auto content = html.substr(i, end == std::string::npos ? html.size() - i : end);
        if (!content.empty()) {
          out.push_back({Kind::text, name, {}, std::string(content)});
        }
        i += content.size();
      }
    } else {
      text += html[i++];
    }
  }
  flush_text();
  return out;
}

// The character references the report writes, decoded.
inline std::string decode_entities(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [entity, character] :
         std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}}) {
      if (text.substr(i, entity.size()) == entity) {
        out += character;
        i += entity.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace mx::test
