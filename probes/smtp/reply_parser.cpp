#include "probes/smtp/reply_parser.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace mx::probes::smtp {

namespace {

// Boost makes error_category's destructor protected and non-virtual on purpose (categories are
// never deleted through a base pointer); GCC still flags every derived category.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ReplyCategory final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "mx.smtp_reply"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<Violation>(value)) {
      case Violation::not_smtp:
        return "the peer speaks another protocol than SMTP";
      case Violation::bad_code:
        return "a reply line does not start with a 2xx-5xx code";
      case Violation::bad_separator:
        return "a reply code is followed by neither space nor hyphen";
      case Violation::code_mismatch:
        return "the lines of a multi-line reply carry different codes";
      case Violation::line_too_long:
        return "a reply line exceeds the line length cap";
      case Violation::too_many_lines:
        return "a reply exceeds the line count cap";
      case Violation::reply_too_large:
        return "a reply exceeds the size cap";
      case Violation::nul_byte:
        return "a reply contains a NUL octet";
      case Violation::truncated:
        return "the input ended inside a reply";
      case Violation::trailing_data:
        return "octets follow a complete reply";
      case Violation::bare_lf:
        return "a reply line ends in LF without CR";
      case Violation::bare_cr:
        return "a reply line contains a CR not followed by LF";
    }
    return "unknown SMTP reply violation";
  }
};
#pragma GCC diagnostic pop

// Openings of other protocols' first message. A peer that sends one of these at the start of a
// reply is not an SMTP server that got a line wrong, and the judge reports it as such.
constexpr std::array<std::string_view, 9> foreign_openings = {
    std::string_view("HTTP/"),     // an HTTP response
    std::string_view("SSH-"),      // an SSH identification string (RFC 4253 §4.2)
    std::string_view("+OK"),       // a POP3 greeting
    std::string_view("-ERR"),      // a POP3 refusal
    std::string_view("* "),        // an IMAP untagged response: "* OK", "* BYE", "* PREAUTH"
    std::string_view("\x14\x03"),  // TLS records (RFC 8446 §5.1): change_cipher_spec,
    std::string_view("\x15\x03"),  // alert,
    std::string_view("\x16\x03"),  // handshake,
    std::string_view("\x17\x03"),  // application_data, all with legacy version 3.x
};

constexpr std::size_t longest_opening =
    std::max_element(foreign_openings.begin(), foreign_openings.end(),
                     [](std::string_view a, std::string_view b) { return a.size() < b.size(); })
        ->size();

// The octets of a line check_head() looks at: the code, the separator and any foreign opening.
constexpr std::size_t head_octets = std::max<std::size_t>(4, longest_opening);

enum class Opening : std::uint8_t { none, partial, foreign };

Opening match_opening(std::string_view head) {
  bool partial = false;
  for (const std::string_view opening : foreign_openings) {
    if (head.size() >= opening.size()) {
      if (head.starts_with(opening)) {
        return Opening::foreign;
      }
    } else if (opening.starts_with(head)) {
      partial = true;
    }
  }
  return partial ? Opening::partial : Opening::none;
}

// Whether head[pos] may be the pos-th digit of a reply code: 2-5, then 0-5, then 0-9.
bool is_code_digit(std::string_view head, std::size_t pos) {
  static constexpr std::array<char, 3> highest = {'5', '5', '9'};
  static constexpr std::array<char, 3> lowest = {'2', '0', '0'};
  const char octet = head[pos];
  return octet >= lowest.at(pos) && octet <= highest.at(pos);
}

bool is_code(std::string_view head) {
  return head.size() >= 3 && is_code_digit(head, 0) && is_code_digit(head, 1) &&
         is_code_digit(head, 2);
}

int code_of(std::string_view head) {
  return (head[0] - '0') * 100 + (head[1] - '0') * 10 + (head[2] - '0');
}

}  // namespace

std::string_view to_string(Violation violation) {
  switch (violation) {
    case Violation::not_smtp:
      return "not_smtp";
    case Violation::bad_code:
      return "bad_code";
    case Violation::bad_separator:
      return "bad_separator";
    case Violation::code_mismatch:
      return "code_mismatch";
    case Violation::line_too_long:
      return "line_too_long";
    case Violation::too_many_lines:
      return "too_many_lines";
    case Violation::reply_too_large:
      return "reply_too_large";
    case Violation::nul_byte:
      return "nul_byte";
    case Violation::truncated:
      return "truncated";
    case Violation::trailing_data:
      return "trailing_data";
    case Violation::bare_lf:
      return "bare_lf";
    case Violation::bare_cr:
      return "bare_cr";
  }
  return "unknown";
}

bool is_fatal(Violation violation) {
  return violation != Violation::bare_lf && violation != Violation::bare_cr;
}

const boost::system::error_category& reply_category() noexcept {
  static const ReplyCategory category;
  return category;
}

boost::system::error_code make_error_code(Violation violation) noexcept {
  return {static_cast<int>(violation), reply_category()};
}

std::string Reply::text() const {
  std::string joined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      joined.push_back('\n');
    }
    joined.append(lines[i]);
  }
  return joined;
}

Feed ReplyParser::feed(std::string_view bytes) {
  if (failure_) {
    return {0, FeedStatus::failed};
  }
  if (ready_) {
    return {0, FeedStatus::reply_ready};
  }
  std::size_t consumed = 0;
  while (consumed < bytes.size()) {
    const bool more = put(bytes[consumed]);
    ++consumed;
    if (!more) {
      break;
    }
  }
  const FeedStatus status = failure_ ? FeedStatus::failed
                            : ready_ ? FeedStatus::reply_ready
                                     : FeedStatus::need_more;
  return {consumed, status};
}

std::optional<Reply> ReplyParser::next() {
  if (!ready_) {
    return std::nullopt;
  }
  ready_ = false;
  return std::exchange(reply_, Reply{});
}

// Takes one octet; returns whether the parser can take another.
bool ReplyParser::put(char octet) {
  ++line_octets_;
  ++reply_octets_;
  if (line_octets_ > limits_.max_line_octets) {
    return fail(Violation::line_too_long);
  }
  if (reply_octets_ > limits_.max_reply_octets) {
    return fail(Violation::reply_too_large);
  }
  if (octet == '\n') {
    return end_line(std::exchange(pending_cr_, false));
  }
  if (pending_cr_) {
    pending_cr_ = false;
    tolerate(Violation::bare_cr);
    if (!append('\r')) {
      return false;
    }
  }
  if (octet == '\r') {
    pending_cr_ = true;
    return true;
  }
  if (octet == '\0') {
    return fail(Violation::nul_byte);
  }
  return append(octet);
}

bool ReplyParser::append(char octet) {
  line_.push_back(octet);
  return check_head();
}

// Checks the code and separator as soon as their octets arrive, so that a peer sending TLS or
// garbage without a line end is rejected at once instead of after a line's worth of octets.
bool ReplyParser::check_head() {
  const std::string_view head(line_);
  if (head.size() > head_octets) {
    return true;
  }
  if (reply_.lines.empty()) {
    const Opening opening = match_opening(head);
    if (opening == Opening::foreign) {
      return fail(Violation::not_smtp);
    }
    if (opening == Opening::partial) {
      return true;
    }
  }
  for (std::size_t pos = 0; pos < std::min<std::size_t>(head.size(), 3); ++pos) {
    if (!is_code_digit(head, pos)) {
      return fail(Violation::bad_code);
    }
  }
  if (head.size() == 3) {
    const int code = code_of(head);
    if (reply_.lines.empty()) {
      reply_.code = code;
    } else if (code != reply_.code) {
      return fail(Violation::code_mismatch);
    }
  }
  if (head.size() == 4 && head[3] != ' ' && head[3] != '-') {
    return fail(Violation::bad_separator);
  }
  return true;
}

bool ReplyParser::end_line(bool crlf) {
  if (!crlf) {
    tolerate(Violation::bare_lf);
  }
  // A short line, or one still looking like the start of another protocol, never got its code
  // checked by check_head().
  if (!is_code(line_)) {
    return fail(Violation::bad_code);
  }
  const bool last = line_.size() == 3 || line_[3] == ' ';
  reply_.lines.emplace_back(line_.size() > 4 ? line_.substr(4) : std::string());
  line_.clear();
  line_octets_ = 0;
  if (last) {
    reply_octets_ = 0;
    ready_ = true;
    return false;
  }
  if (reply_.lines.size() >= limits_.max_lines) {
    return fail(Violation::too_many_lines);
  }
  return true;
}

bool ReplyParser::fail(Violation violation) {
  failure_ = violation;
  reply_ = Reply{};
  line_.clear();
  line_.shrink_to_fit();
  line_octets_ = 0;
  reply_octets_ = 0;
  pending_cr_ = false;
  return false;
}

void ReplyParser::tolerate(Violation violation) {
  if (std::find(reply_.violations.begin(), reply_.violations.end(), violation) ==
      reply_.violations.end()) {
    reply_.violations.push_back(violation);
  }
}

boost::system::result<Reply> parse_reply(std::string_view whole, Limits limits) {
  ReplyParser parser(limits);
  const Feed fed = parser.feed(whole);
  switch (fed.status) {
    case FeedStatus::need_more:
      return make_error_code(Violation::truncated);
    case FeedStatus::failed:
      return make_error_code(*parser.failure());
    case FeedStatus::reply_ready:
      break;
  }
  if (fed.consumed != whole.size()) {
    return make_error_code(Violation::trailing_data);
  }
  return *parser.next();
}

}  // namespace mx::probes::smtp
