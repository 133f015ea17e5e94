#include "list/policy_list.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include "list/atomic_file.hpp"
#include "list/bounded_read.hpp"
#include "list/rfc3339.hpp"
#include "scanner/dns/domain_name.hpp"

namespace mx::list {
namespace json = boost::json;
namespace {

using Problems = std::vector<Problem>;

// ---- JSON paths: `policies["a.example"].mxs[1]`; map entries always bracketed, since domain
// names hold dots.

std::string json_quoted(std::string_view text) {
  return json::serialize(json::string_view(text.data(), text.size()));
}

bool is_identifier(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string entry_path(std::string_view base, std::string_view key) {
  return fmt::format("{}[{}]", base, json_quoted(key));
}

std::string member_path(std::string_view base, std::string_view key) {
  if (!is_identifier(key)) {
    return entry_path(base, key);
  }
  return base.empty() ? std::string(key) : fmt::format("{}.{}", base, key);
}

std::string index_path(std::string_view base, std::size_t index) {
  return fmt::format("{}[{}]", base, index);
}

// A value as the reader typed it, short enough for one line of a report.
std::string shown(const json::value& value) {
  constexpr std::size_t max_shown = 60;
  std::string text = json::serialize(value);
  if (text.size() > max_shown) {
    text.resize(max_shown);
    text += "...";
  }
  return text;
}

// ---- Syntax, and keys repeated in one object, which boost::json::value cannot show (it keeps
// the last): a handler for Boost.JSON's SAX parser that tracks where it is.

class KeyWalker {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit KeyWalker(Problems& problems) : problems_(&problems) {}

  bool on_document_begin(json::error_code& /*ec*/) { return true; }
  bool on_document_end(json::error_code& /*ec*/) { return true; }
  bool on_array_begin(json::error_code& /*ec*/) { return begin(false); }
  bool on_array_end(std::size_t /*n*/, json::error_code& /*ec*/) { return end(); }
  bool on_object_begin(json::error_code& /*ec*/) { return begin(true); }
  bool on_object_end(std::size_t /*n*/, json::error_code& /*ec*/) { return end(); }
  bool on_string_part(json::string_view /*s*/, std::size_t /*n*/, json::error_code& /*ec*/) {
    return true;
  }
  bool on_string(json::string_view /*s*/, std::size_t /*n*/, json::error_code& /*ec*/) {
    return scalar();
  }
  bool on_key_part(json::string_view s, std::size_t /*n*/, json::error_code& /*ec*/) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t /*n*/, json::error_code& /*ec*/);
  bool on_number_part(json::string_view /*s*/, json::error_code& /*ec*/) { return true; }
  bool on_int64(std::int64_t /*i*/, json::string_view /*s*/, json::error_code& /*ec*/) {
    return scalar();
  }
  bool on_uint64(std::uint64_t /*u*/, json::string_view /*s*/, json::error_code& /*ec*/) {
    return scalar();
  }
  bool on_double(double /*d*/, json::string_view /*s*/, json::error_code& /*ec*/) {
    return scalar();
  }
  bool on_bool(bool /*b*/, json::error_code& /*ec*/) { return scalar(); }
  bool on_null(json::error_code& /*ec*/) { return scalar(); }
  bool on_comment_part(json::string_view /*s*/, json::error_code& /*ec*/) { return true; }
  bool on_comment(json::string_view /*s*/, json::error_code& /*ec*/) { return true; }

 private:
  struct Frame {
    std::string path;
    bool object = false;
    std::size_t index = 0;  // arrays: of the next element
    std::string key;        // objects: of the current member
    std::set<std::string> keys;
  };

  // Where the value that starts now sits; maps (the members of top-level objects) use brackets.
  [[nodiscard]] std::string value_path() const {
    if (frames_.empty()) {
      return {};
    }
    const Frame& parent = frames_.back();
    if (!parent.object) {
      return index_path(parent.path, parent.index);
    }
    return frames_.size() == 2 ? entry_path(parent.path, parent.key)
                               : member_path(parent.path, parent.key);
  }

  bool begin(bool object) {
    frames_.push_back({value_path(), object, 0, {}, {}});
    return true;
  }
  bool end() {
    frames_.pop_back();
    return scalar();
  }
  bool scalar() {
    if (!frames_.empty() && !frames_.back().object) {
      ++frames_.back().index;
    }
    return true;
  }

  Problems* problems_;
  std::vector<Frame> frames_;
  std::string key_;
};

bool KeyWalker::on_key(json::string_view s, std::size_t /*n*/, json::error_code& /*ec*/) {
  key_.append(s.data(), s.size());
  Frame& frame = frames_.back();
  frame.key = std::move(key_);
  key_.clear();
  if (!frame.keys.insert(frame.key).second) {
    problems_->push_back({value_path(), "the key appears more than once in its object"});
  }
  return true;
}

std::string line_column(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const auto line = std::count(before.begin(), before.end(), '\n') + 1;
  const auto last_newline = before.rfind('\n');
  const auto column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return fmt::format("{}:{}", line, column);
}

// Appends the syntax error alone, or else the repeated keys; false on a syntax error.
bool walk_document(std::string_view text, Problems& problems) {
  Problems repeated;
  json::basic_parser<KeyWalker> parser(json::parse_options{}, repeated);
  json::error_code ec;
  const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  // The SAX parser stops after one document; json::parse refuses what follows, and so do we.
  if (!ec && consumed < text.size()) {
    ec = json::error::extra_data;
  }
  if (ec) {
    problems.push_back({"$", fmt::format("{}: {}", line_column(text, consumed), ec.message())});
    return false;
  }
  problems.insert(problems.end(), repeated.begin(), repeated.end());
  return true;
}

// ---- The checks, each appending what it finds wrong; the list is kept only without problems.

class Reader {
 public:
  explicit Reader(Problems& problems) : problems_(&problems) {}

  PolicyList read(const json::value& document);

 private:
  void problem(std::string path, std::string reason) {
    problems_->push_back({std::move(path), std::move(reason)});
  }

  const json::string* string_member(const json::object& root, std::string_view key);
  std::optional<Rfc3339DateTime> time_member(const json::object& root, std::string_view key,
                                             std::string& out);
  std::optional<Policy> policy(const json::object& object, const std::string& path);
  std::optional<Mode> mode(const json::value& value, const std::string& path);
  std::optional<std::vector<std::string>> patterns(const json::value& value,
                                                   const std::string& path);
  void aliases(const json::object& root, PolicyList& list, std::set<std::string>& defined);
  void policies(const json::object& root, PolicyList& list, const std::set<std::string>& defined);
  std::optional<Entry> alias_entry(const json::object& object, const std::string& path,
                                   const PolicyList& list, const std::set<std::string>& defined);

  Problems* problems_;
};

const json::string* Reader::string_member(const json::object& root, std::string_view key) {
  const json::value* value = root.if_contains(key);
  if (value == nullptr) {
    problem(std::string(key), "missing");
    return nullptr;
  }
  if (!value->is_string()) {
    problem(std::string(key), fmt::format("must be a string, not {}", shown(*value)));
    return nullptr;
  }
  return &value->get_string();
}

std::optional<Rfc3339DateTime> Reader::time_member(const json::object& root, std::string_view key,
                                                   std::string& out) {
  const json::string* text = string_member(root, key);
  if (text == nullptr) {
    return std::nullopt;
  }
  auto instant = parse_rfc3339_date_time(*text);
  if (!instant) {
    problem(std::string(key),
            fmt::format("{} is not an RFC 3339 date-time", shown(json::value(*text))));
    return std::nullopt;
  }
  out = *text;
  return instant;
}

std::optional<Mode> Reader::mode(const json::value& value, const std::string& path) {
  const auto* text = value.if_string();
  auto parsed = text == nullptr ? std::nullopt : parse_mode(*text);
  if (!parsed) {
    problem(path, fmt::format("must be \"testing\" or \"enforce\", not {}", shown(value)));
  }
  return parsed;
}

std::optional<std::vector<std::string>> Reader::patterns(const json::value& value,
                                                         const std::string& path) {
  const auto* array = value.if_array();
  if (array == nullptr) {
    problem(path, fmt::format("must be an array of patterns, not {}", shown(value)));
    return std::nullopt;
  }
  if (array->empty()) {
    problem(path, "must hold at least one pattern");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool valid = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* text = (*array)[i].if_string();
    auto pattern = text == nullptr ? std::nullopt : normalise_pattern(*text);
    if (!pattern) {
      problem(index_path(path, i),
              fmt::format("{} is not a host name or a .-wildcard pattern", shown((*array)[i])));
      valid = false;
    } else if (std::find(out.begin(), out.end(), *pattern) == out.end()) {
      out.push_back(std::move(*pattern));
    }
  }
  return valid ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<Policy> Reader::policy(const json::object& object, const std::string& path) {
  for (const auto& member : object) {
    if (member.key() != "mode" && member.key() != "mxs") {
      problem(member_path(path, member.key()), "unknown key: a policy has only mode and mxs");
    }
  }
  std::optional<Mode> parsed_mode;
  if (const auto* value = object.if_contains("mode")) {
    parsed_mode = mode(*value, member_path(path, "mode"));
  } else {
    problem(member_path(path, "mode"), "missing");
  }
  std::optional<std::vector<std::string>> mxs;
  if (const auto* value = object.if_contains("mxs")) {
    mxs = patterns(*value, member_path(path, "mxs"));
  } else {
    problem(member_path(path, "mxs"), "missing");
  }
  if (!parsed_mode || !mxs) {
    return std::nullopt;
  }
  return Policy{*parsed_mode, std::move(*mxs)};
}

void Reader::aliases(const json::object& root, PolicyList& list, std::set<std::string>& defined) {
  const json::value* value = root.if_contains("policy-aliases");
  if (value == nullptr) {
    return;
  }
  const auto* object = value->if_object();
  if (object == nullptr) {
    problem("policy-aliases", fmt::format("must be an object, not {}", shown(*value)));
    return;
  }
  for (const auto& [name, definition] : *object) {
    const std::string path = entry_path("policy-aliases", name);
    defined.emplace(name);
    const auto* fields = definition.if_object();
    if (name.empty()) {
      problem(path, "an alias needs a name");
    } else if (fields == nullptr) {
      problem(path, fmt::format("must be a policy object, not {}", shown(definition)));
    } else if (fields->contains("policy-alias")) {
      problem(member_path(path, "policy-alias"), "an alias cannot refer to another alias");
    } else if (auto parsed = policy(*fields, path)) {
      list.aliases.emplace(name, std::move(*parsed));
    }
  }
}

std::optional<Entry> Reader::alias_entry(const json::object& object, const std::string& path,
                                         const PolicyList& list,
                                         const std::set<std::string>& defined) {
  for (const auto& member : object) {
    if (member.key() != "policy-alias") {
      problem(member_path(path, member.key()), "unknown key beside policy-alias");
    }
  }
  const std::string alias_path = member_path(path, "policy-alias");
  const auto* name = object.at("policy-alias").if_string();
  if (name == nullptr) {
    problem(alias_path, fmt::format("must be a string, not {}", shown(object.at("policy-alias"))));
    return std::nullopt;
  }
  if (!defined.contains(std::string(*name))) {
    problem(alias_path, fmt::format("no alias {} in policy-aliases", json_quoted(*name)));
    return std::nullopt;
  }
  // A defined alias missing here was malformed, and said so.
  const auto alias = list.aliases.find(std::string(*name));
  if (alias == list.aliases.end()) {
    return std::nullopt;
  }
  return Entry{alias->second, alias->first};
}

void Reader::policies(const json::object& root, PolicyList& list,
                      const std::set<std::string>& defined) {
  const json::value* value = root.if_contains("policies");
  if (value == nullptr) {
    problem("policies", "missing");
    return;
  }
  const auto* object = value->if_object();
  if (object == nullptr) {
    problem("policies", fmt::format("must be an object, not {}", shown(*value)));
    return;
  }
  std::map<std::string, std::string> first_spelling;  // canonical domain -> key as written
  for (const auto& [key, definition] : *object) {
    const std::string path = entry_path("policies", key);
    auto name = dns::normalise_domain(key);
    if (const auto* invalid = std::get_if<dns::InvalidName>(&name)) {
      problem(path, fmt::format("not a domain name: {}", invalid->reason));
      continue;
    }
    auto& domain = std::get<std::string>(name);
    const auto [first, inserted] = first_spelling.emplace(domain, key);
    if (!inserted) {
      problem(path, fmt::format("the same domain as {} ({})", json_quoted(first->second), domain));
      continue;
    }
    const auto* fields = definition.if_object();
    std::optional<Entry> entry;
    if (fields == nullptr) {
      problem(path, fmt::format("must be a policy object, not {}", shown(definition)));
    } else if (fields->contains("policy-alias")) {
      entry = alias_entry(*fields, path, list, defined);
    } else if (auto parsed = policy(*fields, path)) {
      entry = Entry{std::move(*parsed), std::nullopt};
    }
    if (entry) {
      list.policies.emplace(std::move(domain), std::move(*entry));
    }
  }
}

PolicyList Reader::read(const json::value& document) {
  PolicyList list;
  const auto* root = document.if_object();
  if (root == nullptr) {
    problem("$", fmt::format("the list must be a JSON object, not {}", shown(document)));
    return list;
  }
  static constexpr std::string_view known[] = {"timestamp", "expires",        "version",
                                               "author",    "policy-aliases", "policies"};
  for (const auto& member : *root) {
    const std::string_view key = member.key();
    if (std::find(std::begin(known), std::end(known), key) == std::end(known)) {
      problem(member_path("", key), "unknown key");
    }
  }
  const auto timestamp = time_member(*root, "timestamp", list.timestamp);
  const auto expires = time_member(*root, "expires", list.expires);
  if (timestamp && expires && !timestamp->before(*expires)) {
    problem("expires", "must be later than timestamp");
  }
  if (const auto* version = string_member(*root, "version")) {
    if (*version != "0.1") {
      problem("version", fmt::format("{} is not a version this reader knows (\"0.1\")",
                                     shown(json::value(*version))));
    }
  }
  if (const auto* author = string_member(*root, "author")) {
    list.author = *author;
  }
  std::set<std::string> defined;
  aliases(*root, list, defined);
  policies(*root, list, defined);
  return list;
}

// ---- Writing: our own indentation over boost::json::value, keys sorted; scalars (strings above
// all, for their escaping) are Boost.JSON's.

void write_value(std::string& out, const json::value& value, std::size_t indent) {
  if (const auto* object = value.if_object(); object != nullptr && !object->empty()) {
    std::vector<const json::key_value_pair*> members;
    for (const auto& member : *object) {
      members.push_back(&member);
    }
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += "{\n";
    for (std::size_t i = 0; i < members.size(); ++i) {
      out.append(indent + 2, ' ');
      out += json::serialize(members[i]->key());
      out += ": ";
      write_value(out, members[i]->value(), indent + 2);
      out += i + 1 < members.size() ? ",\n" : "\n";
    }
    out.append(indent, ' ');
    out += '}';
  } else if (const auto* array = value.if_array(); array != nullptr && !array->empty()) {
    out += "[\n";
    for (std::size_t i = 0; i < array->size(); ++i) {
      out.append(indent + 2, ' ');
      write_value(out, (*array)[i], indent + 2);
      out += i + 1 < array->size() ? ",\n" : "\n";
    }
    out.append(indent, ' ');
    out += ']';
  } else {
    out += json::serialize(value);
  }
}

json::object policy_json(const Policy& policy) {
  json::array mxs;
  for (const auto& pattern : policy.mxs) {
    mxs.emplace_back(pattern);
  }
  return {{"mode", to_string(policy.mode)}, {"mxs", std::move(mxs)}};
}

}  // namespace

const Entry* PolicyList::find(std::string_view domain) const {
  const auto it = policies.find(std::string(domain));
  return it == policies.end() ? nullptr : &it->second;
}

ReadResult parse_list(std::string_view text) {
  ReadResult result;
  if (text.size() > max_list_octets) {
    result.problems.push_back(
        {"$", fmt::format("larger than {} MiB; refused unread", max_list_octets >> 20)});
    return result;
  }
  if (!walk_document(text, result.problems)) {
    return result;
  }
  const json::value document = json::parse(text);
  auto list = Reader(result.problems).read(document);
  if (result.problems.empty()) {
    result.list = std::move(list);
  }
  return result;
}

ReadResult read_list_file(const std::filesystem::path& path) {
  auto read = read_file_bounded(path, max_list_octets);
  if (!read.bytes) {
    return ReadResult{std::nullopt, {{"$", "cannot read: " + read.error}}};
  }
  return parse_list(*read.bytes);
}

std::string write_list(const PolicyList& list) {
  json::object aliases;
  for (const auto& [name, policy] : list.aliases) {
    aliases.emplace(name, policy_json(policy));
  }
  json::object policies;
  for (const auto& [domain, entry] : list.policies) {
    if (entry.alias) {
      policies.emplace(domain, json::object{{"policy-alias", *entry.alias}});
    } else {
      policies.emplace(domain, policy_json(entry.policy));
    }
  }
  const json::value document = {{"timestamp", list.timestamp},
                                {"expires", list.expires},
                                {"version", list.version},
                                {"author", list.author},
                                {"policy-aliases", std::move(aliases)},
                                {"policies", std::move(policies)}};
  std::string out;
  write_value(out, document, 0);
  out += '\n';
  return out;
}

void save_list(const PolicyList& list, const std::filesystem::path& path) {
  write_file_atomically(path, write_list(list));
}

}  // namespace mx::list
