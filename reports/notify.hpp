#pragma once
// The message `validate --notify-dir` writes for a newly failing list entry: one RFC 5322
// message, ready for `sendmail -t`, to the contact recorded when the domain was admitted (else
// postmaster@<domain>), saying what failed, since when, what senders that enforce the list will
// do, and how to fix it or ask for removal.
//
// Everything in it but the fixed text comes from outside (domain names from the list, banners,
// certificate names and check messages from servers): header fields are built only from values
// checked here (a valid contact, a canonical domain, RFC 3339 dates, a token of [A-Za-z0-9.-]),
// so no header can be injected; the body is text/plain UTF-8 in quoted-printable, with control
// characters shown as U+FFFD, lines at most 76 octets. Pure.

#include <string>
#include <vector>

namespace mx::reports {

struct NoticeFailure {
  std::string where;  // "domain", "mx1.example.com" or "mx1.example.com 192.0.2.1"
  std::string check;  // "starttls"
  std::string code;   // "not-advertised"
  std::string message;
};

struct FailureNotice {
  std::string domain;       // canonical
  std::string to;           // a valid contact, or empty for postmaster@<domain>
  std::string from;         // the list maintainers' address (a valid contact)
  std::string list_author;  // shown in the text only
  std::string mode;         // "enforce" or "testing"
  std::vector<std::string> mxs;
  std::vector<NoticeFailure> failures;
  std::string failing_since;   // RFC 3339 UTC
  std::string date;            // RFC 3339 UTC: the validation's time
  std::string message_id;      // local part of the Message-ID (e.g. run id and domain, sanitised)
  std::string remove_command;  // how to ask for removal (e.g. the `mxscan challenge new` line)
};

// The message with CRLF line ends. Throws std::invalid_argument when `from` or `to` (if given) is
// not a valid contact, or the domain or dates are malformed: the caller has checked them, so this
// is a bug, never a header written from bad input.
[[nodiscard]] std::string render_notice(const FailureNotice& notice);

}  // namespace mx::reports
