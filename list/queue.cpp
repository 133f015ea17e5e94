#include "list/queue.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <boost/json/basic_parser_impl.hpp>

#include "list/bounded_read.hpp"
#include "list/pattern.hpp"
#include "scanner/dns/domain_name.hpp"

namespace mx::list {
namespace {

constexpr std::size_t kMaxRaw = 300;
constexpr std::size_t kMaxQuoted = 64;
constexpr std::array<std::string_view, 5> kColumns = {"domain", "contact", "mxs", "mode",
                                                      "submitted_at"};

bool is_blank_char(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank_char(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_blank_char(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// `text` cut to at most `limit` bytes without splitting a UTF-8 sequence, so that the JSON that
// triage prints from it stays valid UTF-8.
std::string cut(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) {
    return std::string(text);
  }
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
    --end;
  }
  return std::string(text.substr(0, end));
}

// A piece of the input inside a reason: quoted, short, since reasons are printed per line, and
// with control characters (which JSON escapes can carry) written as \xNN, since reasons also go
// to terminals.
std::string excerpt(std::string_view text) {
  const std::string_view shown = text.substr(0, cut(text, kMaxQuoted).size());
  std::string out = "'";
  for (const char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  out += shown.size() < text.size() ? "'..." : "'";
  return out;
}

std::optional<std::size_t> first_control(std::string_view line) {
  const auto it = std::find_if(line.begin(), line.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7F;
  });
  if (it == line.end()) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(it - line.begin());
}

bool is_atext(char c) {
  static constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         specials.find(c) != std::string_view::npos;
}

std::optional<std::string> contact_problem(std::string_view address) {
  if (address.size() > 254) {
    return "longer than 254 octets";
  }
  if (std::any_of(address.begin(), address.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte >= 0x7F;
      })) {
    return "contains spaces, control characters or bytes other than printable ASCII";
  }
  const auto at = address.find('@');
  if (at == std::string_view::npos) {
    return "not an address (no '@')";
  }
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.empty() || local.size() > 64) {
    return "the local part must have 1 to 64 octets";
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return "the local part has a dot at an end or two dots in a row";
  }
  const auto bad =
      std::find_if(local.begin(), local.end(), [](char c) { return c != '.' && !is_atext(c); });
  if (bad != local.end()) {
    return fmt::format(
        "the local part has '{}': only a dot-atom is accepted (no quotes, commas or angle "
        "brackets)",
        *bad);
  }
  // normalise_domain forgives a trailing dot, an addr-spec (RFC 5322 §3.4.1) does not.
  if (domain.ends_with('.')) {
    return "the domain ends with '.'";
  }
  const auto name = dns::normalise_domain(domain);
  if (const auto* invalid = std::get_if<dns::InvalidName>(&name)) {
    return "the domain is not a domain name: " + invalid->reason;
  }
  return std::nullopt;
}

// The checks of one submission's fields, shared by both formats once they have the fields.
void check_domain(Submission& s, std::string_view text) {
  auto name = dns::normalise_domain(text);
  if (auto* canonical = std::get_if<std::string>(&name)) {
    s.domain = std::move(*canonical);
  } else {
    s.domain = std::string(text);
    s.problems.push_back({"domain", std::get<dns::InvalidName>(name).reason});
  }
}

void check_contact(Submission& s, std::string_view text) {
  s.contact = std::string(text);
  if (text.empty()) {
    return;
  }
  if (auto problem = contact_problem(text)) {
    s.problems.push_back({"contact", fmt::format("{} is not a usable address: {}", excerpt(text),
                                                 std::move(*problem))});
  }
}

void check_mxs(Submission& s, const std::vector<std::string_view>& patterns) {
  for (const std::string_view text : patterns) {
    auto pattern = normalise_pattern(text);
    if (!pattern) {
      s.problems.push_back(
          {"mxs", fmt::format("{} is not a pattern (a host name of at least two labels, "
                              "optionally with a leading '.' or '*.')",
                              excerpt(text))});
    } else if (std::find(s.mxs.begin(), s.mxs.end(), *pattern) == s.mxs.end()) {
      s.mxs.push_back(std::move(*pattern));
    }
  }
}

void check_mode(Submission& s, std::string_view text) {
  s.mode = text.empty() ? std::optional<Mode>(Mode::testing) : parse_mode(text);
  if (!s.mode) {
    s.problems.push_back(
        {"mode", fmt::format("{} is not a mode (testing or enforce, or empty for testing)",
                             excerpt(text))});
  }
}

void check_submitted_at(Submission& s, std::string_view text) {
  s.submitted_at = std::string(text);
  if (!text.empty() && !parse_rfc3339_date_time(text)) {
    s.problems.push_back(
        {"submitted_at", fmt::format("{} is not an RFC 3339 date-time", excerpt(text))});
  }
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start < text.size()) {
    if (is_blank_char(text[start])) {
      ++start;
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && !is_blank_char(text[end])) {
      ++end;
    }
    words.push_back(text.substr(start, end - start));
    start = end;
  }
  return words;
}

// --- CSV (RFC 4180) ---------------------------------------------------------------------------

struct CsvFields {
  std::vector<std::string> fields;
  std::string error;  // set when the line cannot be split into fields
};

// One line's fields. A record is one line: no field of a submission may hold a line break, and a
// quote left open must not swallow the lines after it (each is a submission to report). Blanks
// around a field are dropped, since no field has meaningful ones.
CsvFields split_csv(std::string_view line) {
  CsvFields out;
  std::size_t i = 0;
  const auto skip_blanks = [&] {
    while (i < line.size() && is_blank_char(line[i])) {
      ++i;
    }
  };
  for (;;) {
    std::string field;
    skip_blanks();
    if (i < line.size() && line[i] == '"') {
      bool closed = false;
      for (++i; i < line.size(); ++i) {
        if (line[i] != '"') {
          field += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          closed = true;
          ++i;
          break;
        }
      }
      if (!closed) {
        out.error = fmt::format("unterminated quote in field {}", out.fields.size() + 1);
        return out;
      }
      skip_blanks();
      if (i < line.size() && line[i] != ',') {
        out.error = fmt::format("text after the closing quote of field {}", out.fields.size() + 1);
        return out;
      }
    } else {
      const std::size_t end = std::min(line.find(',', i), line.size());
      const std::string_view text = trim(line.substr(i, end - i));
      if (text.find('"') != std::string_view::npos) {
        out.error = fmt::format(
            "a quote inside unquoted field {} (RFC 4180: quote the field and "
            "double the quote)",
            out.fields.size() + 1);
        return out;
      }
      field = std::string(text);
      i = end;
    }
    out.fields.push_back(std::move(field));
    if (i >= line.size()) {
      return out;
    }
    ++i;  // the comma
  }
}

bool is_csv_header(std::string_view line) {
  const CsvFields header = split_csv(line);
  if (!header.error.empty() || header.fields.size() != kColumns.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    const std::string& name = header.fields[i];
    if (!std::equal(name.begin(), name.end(), kColumns[i].begin(), kColumns[i].end(),
                    [](char a, char b) {
                      return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
                    })) {
      return false;
    }
  }
  return true;
}

void parse_csv_line(Submission& s, std::string_view line) {
  CsvFields split = split_csv(line);
  if (!split.error.empty()) {
    s.problems.push_back({"line", std::move(split.error)});
    return;
  }
  auto& fields = split.fields;
  if (fields.size() != kColumns.size()) {
    s.domain = fields.front();
    s.problems.push_back(
        {"line", fmt::format("expected 5 fields (domain,contact,mxs,mode,submitted_at), found {}",
                             fields.size())});
    return;
  }
  check_domain(s, fields[0]);
  check_contact(s, fields[1]);
  check_mxs(s, split_words(fields[2]));
  check_mode(s, fields[3]);
  check_submitted_at(s, fields[4]);
}

// --- JSON Lines -------------------------------------------------------------------------------

// A value of the submission object, as far as a submission's keys can use it.
struct JsonValue {
  enum class Kind : unsigned char { string, null, strings, other };
  Kind kind = Kind::other;
  std::string text;                // Kind::string
  std::vector<std::string> items;  // Kind::strings
};

// A boost::json::basic_parser handler that keeps one flat object's members in order. Unlike
// boost::json::parse, which keeps the last of duplicate keys silently, it sees every key, so that
// {"domain":"a.example","domain":"b.example"} is reported rather than read as b.example.
class FlatObject {
 public:
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;

  [[nodiscard]] bool is_object() const { return is_object_; }
  [[nodiscard]] const std::vector<std::pair<std::string, JsonValue>>& members() const {
    return members_;
  }

  bool on_document_begin(error_code& /*ec*/) { return true; }
  bool on_document_end(error_code& /*ec*/) { return true; }
  bool on_object_begin(error_code& /*ec*/) {
    if (depth_ == 0) {
      is_object_ = true;
    } else {
      value(JsonValue::Kind::other, {});
    }
    ++depth_;
    return true;
  }
  bool on_object_end(std::size_t /*n*/, error_code& /*ec*/) {
    --depth_;
    return true;
  }
  bool on_array_begin(error_code& /*ec*/) {
    if (depth_ == 1 && is_object_) {
      members_.back().second.kind = JsonValue::Kind::strings;
    } else {
      value(JsonValue::Kind::other, {});
    }
    ++depth_;
    return true;
  }
  bool on_array_end(std::size_t /*n*/, error_code& /*ec*/) {
    --depth_;
    return true;
  }
  bool on_key_part(string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    part_.append(s.data(), s.size());
    if (depth_ == 1) {
      members_.emplace_back(std::move(part_), JsonValue{});
    }
    part_.clear();
    return true;
  }
  bool on_string_part(string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    part_.append(s.data(), s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t /*n*/, error_code& /*ec*/) {
    part_.append(s.data(), s.size());
    value(JsonValue::Kind::string, std::move(part_));
    part_.clear();
    return true;
  }
  bool on_number_part(string_view /*s*/, error_code& /*ec*/) { return true; }
  bool on_int64(std::int64_t /*i*/, string_view /*s*/, error_code& /*ec*/) { return other(); }
  bool on_uint64(std::uint64_t /*u*/, string_view /*s*/, error_code& /*ec*/) { return other(); }
  bool on_double(double /*d*/, string_view /*s*/, error_code& /*ec*/) { return other(); }
  bool on_bool(bool /*b*/, error_code& /*ec*/) { return other(); }
  bool on_null(error_code& /*ec*/) {
    value(JsonValue::Kind::null, {});
    return true;
  }
  bool on_comment_part(string_view /*s*/, error_code& /*ec*/) { return true; }
  bool on_comment(string_view /*s*/, error_code& /*ec*/) { return true; }

 private:
  bool other() {
    value(JsonValue::Kind::other, {});
    return true;
  }

  // A value at the current depth: a member's value at depth 1, an item of a member's array at
  // depth 2 (where anything but a string spoils the array); deeper ones only nest in those. In a
  // document that is not an object there are no members to give values to.
  void value(JsonValue::Kind kind, std::string text) {
    if (!is_object_) {
      return;
    }
    if (depth_ == 1) {
      members_.back().second = JsonValue{kind, std::move(text), {}};
    } else if (depth_ == 2) {
      JsonValue& member = members_.back().second;
      if (member.kind == JsonValue::Kind::strings && kind == JsonValue::Kind::string) {
        member.items.push_back(std::move(text));
      } else {
        member.kind = JsonValue::Kind::other;
      }
    }
  }

  std::size_t depth_ = 0;
  bool is_object_ = false;
  std::string part_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

void parse_json_line(Submission& s, std::string_view line) {
  boost::json::basic_parser<FlatObject> parser(boost::json::parse_options{});
  boost::json::error_code ec;
  const std::size_t used = parser.write_some(false, line.data(), line.size(), ec);
  if (ec) {
    s.problems.push_back(
        {"line", fmt::format("not JSON: {} (at byte {})", ec.message(), used + 1)});
    return;
  }
  if (used < line.size()) {
    s.problems.push_back({"line", fmt::format("text after the JSON value (at byte {})", used + 1)});
    return;
  }
  const FlatObject& object = parser.handler();
  if (!object.is_object()) {
    s.problems.push_back({"line", "not a JSON object"});
    return;
  }
  std::array<const JsonValue*, kColumns.size()> values{};
  for (const auto& [key, value] : object.members()) {
    const auto column = std::find(kColumns.begin(), kColumns.end(), key);
    if (column == kColumns.end()) {
      s.problems.push_back({"line", fmt::format("unknown key {}", excerpt(key))});
    } else if (auto& slot = values.at(static_cast<std::size_t>(column - kColumns.begin()))) {
      s.problems.push_back({"line", fmt::format("key {} appears more than once", excerpt(key))});
    } else {
      slot = &value;
    }
  }
  // A string member: its text, "" when absent or null (except for the domain), or a problem.
  const auto text = [&](std::size_t column) -> std::optional<std::string_view> {
    const JsonValue* value = values.at(column);
    if (value == nullptr || value->kind == JsonValue::Kind::null) {
      if (column == 0) {
        s.problems.push_back({"domain", "missing"});
        return std::nullopt;
      }
      return std::string_view();
    }
    if (value->kind != JsonValue::Kind::string) {
      s.problems.push_back({std::string(kColumns.at(column)), "must be a string"});
      return std::nullopt;
    }
    return value->text;
  };
  if (const auto domain = text(0)) {
    check_domain(s, *domain);
  }
  if (const auto contact = text(1)) {
    check_contact(s, *contact);
  }
  if (const JsonValue* mxs = values[2]; mxs == nullptr || mxs->kind == JsonValue::Kind::null) {
    check_mxs(s, {});
  } else if (mxs->kind == JsonValue::Kind::strings) {
    check_mxs(s, std::vector<std::string_view>(mxs->items.begin(), mxs->items.end()));
  } else {
    s.problems.push_back({"mxs", "must be a list of strings"});
  }
  if (const auto mode = text(3)) {
    check_mode(s, *mode);
  }
  if (const auto submitted_at = text(4)) {
    check_submitted_at(s, *submitted_at);
  }
}

bool is_blank_line(std::string_view line) {
  return std::all_of(line.begin(), line.end(), is_blank_char);
}

}  // namespace

bool valid_contact(std::string_view address) {
  return !contact_problem(address);
}

QueueRead parse_queue(std::string_view text) {
  // Spreadsheets write CSV with a byte order mark; it is no part of the header.
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  QueueRead out;
  enum class Format : unsigned char { unknown, csv, json_lines } format = Format::unknown;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (is_blank_line(line)) {
      continue;
    }
    if (format == Format::unknown) {
      if (trim(line).starts_with('{')) {
        format = Format::json_lines;
      } else if (line.size() <= kMaxQueueLine && is_csv_header(line)) {
        format = Format::csv;
        continue;
      } else {
        out.error = fmt::format(
            "not a triage queue: line {} is neither the CSV header "
            "'domain,contact,mxs,mode,submitted_at' nor a JSON object",
            number);
        return out;
      }
    }
    Submission& s = out.submissions.emplace_back();
    s.line = number;
    s.raw = cut(line, kMaxRaw);
    if (line.size() > kMaxQueueLine) {
      s.problems.push_back({"line", fmt::format("longer than {} bytes", kMaxQueueLine)});
    } else if (const auto control = first_control(line)) {
      s.problems.push_back(
          {"line", fmt::format("control character 0x{:02x} at byte {}",
                               static_cast<unsigned char>(line[*control]), *control + 1)});
    } else if (format == Format::csv) {
      parse_csv_line(s, line);
    } else {
      parse_json_line(s, line);
    }
  }
  if (format == Format::unknown) {
    out.error = "not a triage queue: no header (the input is empty)";
  }
  return out;
}

QueueRead read_queue_file(const std::filesystem::path& path) {
  QueueRead out;
  auto read = read_file_bounded(path, kMaxQueueOctets);
  if (!read.bytes) {
    out.error = fmt::format("{}: cannot be read: {}", path.string(), read.error);
    return out;
  }
  out = parse_queue(*read.bytes);
  if (!out.error.empty()) {
    out.error = fmt::format("{}: {}", path.string(), out.error);
  }
  return out;
}

}  // namespace mx::list
