#pragma once
// SMTP replies (RFC 5321 §4.2, §4.5.3.1.5) parsed from untrusted bytes. Pure: no I/O, no clock.
//
// The STARTTLS probe feeds the parser whatever each read returns, in fragments of any size, and
// takes complete replies one at a time. The parser stops right after the last line of a reply, so
// the bytes that follow stay with the caller: after "220" to STARTTLS any such byte is plaintext
// injected before the handshake (RFC 3207 §4.2 — the "NO STARTTLS" class of bugs).
//
// Every cap is enforced per octet: whatever a peer sends, the parser never holds more than
// Limits::max_reply_octets, and a line longer than Limits::max_line_octets fails at the first
// octet beyond it.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace mx::probes::smtp {

// What a peer got wrong. to_string() gives the enumerator's name, which is the string stored and
// logged; the error_code message is a sentence for humans. Values start at 1 because an
// error_code of 0 means success.
enum class Violation : std::uint8_t {
  // Fatal: parsing stops at the offending octet.

  // The peer speaks something else: an HTTP response, a TLS record, an SSH, POP3 or IMAP
  // greeting at the start of a reply.
  not_smtp = 1,
  // A line does not open with a three-digit code 2xx–5xx whose second digit is 0–5, or is shorter
  // than three octets.
  bad_code,
  // The octet after the code is neither ' ' (last line) nor '-' (more lines follow).
  bad_separator,
  // A line of a multi-line reply carries a different code than the first line.
  code_mismatch,
  // A line, terminator included, exceeds Limits::max_line_octets.
  line_too_long,
  // A reply would have more than Limits::max_lines lines.
  too_many_lines,
  // A reply, terminators included, exceeds Limits::max_reply_octets.
  reply_too_large,
  // A NUL octet: never valid in SMTP text and a classic truncation trick.
  nul_byte,
  // The input ended inside a reply: parse_reply() reports it, and so does the probe when the peer
  // closes while ReplyParser::buffered_bytes() is not zero.
  truncated,
  // Octets follow a complete reply where none may: parse_reply()'s input holds more than one
  // reply, or plaintext follows "220" to STARTTLS.
  trailing_data,

  // Tolerated: recorded in Reply::violations, parsing continues.

  // A line ends in LF without CR. Many servers do it.
  bare_lf,
  // A CR not followed by LF inside a line; it is kept in the text as received.
  bare_cr,
};

[[nodiscard]] std::string_view to_string(Violation violation);

// Whether parsing stops at this violation. Only bare_lf and bare_cr are tolerated.
[[nodiscard]] bool is_fatal(Violation violation);

[[nodiscard]] const boost::system::error_category& reply_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(Violation violation) noexcept;

// Caps on what a peer can make us hold. RFC 5321 §4.5.3.1.5 says 512 octets per reply line; real
// servers exceed it a little, so the default accepts more, but never an unbounded amount.
struct Limits {
  std::size_t max_line_octets = 1000;        // one line, CRLF included
  std::size_t max_lines = 100;               // lines of one reply
  std::size_t max_reply_octets = 64 * 1024;  // one reply, every CRLF included
};

struct Reply {
  int code = 0;                       // 200..559, the same on every line
  std::vector<std::string> lines;     // text after "NNN-" / "NNN ", without the terminator
  std::vector<Violation> violations;  // tolerated violations in this reply, each once, in order

  // The first digit: 2 positive completion, 3 positive intermediate, 4 transient negative,
  // 5 permanent negative (RFC 5321 §4.2.1).
  [[nodiscard]] int klass() const noexcept { return code / 100; }
  [[nodiscard]] bool is_positive_completion() const noexcept { return klass() == 2; }
  [[nodiscard]] bool is_positive_intermediate() const noexcept { return klass() == 3; }
  [[nodiscard]] bool is_transient_negative() const noexcept { return klass() == 4; }
  [[nodiscard]] bool is_permanent_negative() const noexcept { return klass() == 5; }
  // The lines joined with '\n'.
  [[nodiscard]] std::string text() const;

  bool operator==(const Reply&) const = default;
};

enum class FeedStatus : std::uint8_t {
  need_more,    // every octet was consumed and no reply is complete yet
  reply_ready,  // a reply is complete: take it with next(); the octets after it were not consumed
  failed,       // a fatal violation: see failure(); nothing more is consumed
};

struct Feed {
  std::size_t consumed = 0;  // octets taken from the front of the input
  FeedStatus status = FeedStatus::need_more;
};

// An incremental, resumable reply parser: one per connection and per TLS layer (after STARTTLS,
// start a new one). It holds at most one complete reply: until next() takes it, feed() consumes
// nothing.
class ReplyParser {
 public:
  explicit ReplyParser(Limits limits = {}) noexcept : limits_(limits) {}

  // Consumes octets up to the end of the first complete reply, or up to and including the octet
  // that makes parsing fail, or all of them.
  [[nodiscard]] Feed feed(std::string_view bytes);

  // The complete reply, once feed() has returned reply_ready; nullopt otherwise.
  [[nodiscard]] std::optional<Reply> next();

  // The fatal violation that stopped parsing, if any. It stays set.
  [[nodiscard]] std::optional<Violation> failure() const noexcept { return failure_; }

  // Octets consumed towards a reply that is not complete yet: zero between replies.
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return reply_octets_; }

  [[nodiscard]] const Limits& limits() const noexcept { return limits_; }

 private:
  bool put(char octet);
  bool append(char octet);
  bool check_head();
  bool end_line(bool crlf);
  bool fail(Violation violation);
  void tolerate(Violation violation);

  Limits limits_;
  Reply reply_;                   // the reply being assembled, or the complete one
  std::string line_;              // the current line so far, without terminator or pending CR
  std::size_t line_octets_ = 0;   // octets of the current line so far, a pending CR included
  std::size_t reply_octets_ = 0;  // octets of the reply being assembled so far
  bool pending_cr_ = false;       // the last octet was a CR: CRLF or a bare CR, the next decides
  bool ready_ = false;
  std::optional<Violation> failure_;
};

// Parses `whole` as exactly one reply: missing lines give `truncated`, octets after the last line
// give `trailing_data`, and any fatal violation is the error. For tests, fuzzing and one-shot use.
[[nodiscard]] boost::system::result<Reply> parse_reply(std::string_view whole, Limits limits = {});

}  // namespace mx::probes::smtp

template <>
struct boost::system::is_error_code_enum<mx::probes::smtp::Violation> : std::true_type {};
