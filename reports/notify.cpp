#include "reports/notify.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "list/pattern.hpp"
#include "list/queue.hpp"
#include "scanner/dns/domain_name.hpp"

namespace mx::reports {
namespace {

// RFC 5322 §2.1.1: a line SHOULD be at most 78 octets; RFC 2045 §6.7: an encoded line at most 76.
constexpr std::size_t kHeaderLine = 78;
constexpr std::size_t kEncodedLine = 76;
// "Message-ID: <" + local + "@mxscan.invalid>" within kHeaderLine.
constexpr std::size_t kMessageIdLocal = kHeaderLine - 29;
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string require_contact(std::string_view address, std::string_view field) {
  if (!list::valid_contact(address)) {
    throw std::invalid_argument(fmt::format("notice: {} is not a valid contact", field));
  }
  return std::string(address);
}

list::Rfc3339DateTime require_date(std::string_view text, std::string_view field) {
  const auto date = list::parse_rfc3339_date_time(text);
  if (!date) {
    throw std::invalid_argument(fmt::format("notice: {} is not an RFC 3339 date-time", field));
  }
  return *date;
}

// RFC 5322 §3.3: "Sat, 28 Nov 2026 13:00:00 +0000", in the offset the input was written in.
std::string rfc5322_date(const list::Rfc3339DateTime& t) {
  static constexpr std::string_view days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::chrono::weekday weekday{
      std::chrono::sys_days{std::chrono::year{t.year} / t.month / t.day}};
  const int offset = t.offset_minutes < 0 ? -t.offset_minutes : t.offset_minutes;
  const char sign = (t.offset_minutes < 0 || t.unknown_offset) ? '-' : '+';
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} {}{:02}{:02}",
                     days[weekday.c_encoding()], t.day, months[t.month - 1], t.year, t.hour,
                     t.minute, t.second, sign, offset / 60, offset % 60);
}

// The id-left of the Message-ID (RFC 5322 §3.6.4): a dot-atom of [A-Za-z0-9.-]. A local part too
// long for one line keeps its start and a hash of the whole, so that ids stay distinct.
std::string message_id_local(std::string_view text) {
  std::string local;
  for (const char c : text) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (!local.empty() && local.back() != '.') {
        local += '.';
      }
    } else {
      local += word ? c : '-';
    }
  }
  if (local.size() > kMessageIdLocal) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
    for (const char c : local) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    local = fmt::format("{}-{:016x}", local.substr(0, kMessageIdLocal - 17), hash);
  }
  while (local.ends_with('.')) {
    local.pop_back();
  }
  if (local.empty()) {
    throw std::invalid_argument("notice: the Message-ID has no usable character");
  }
  return local;
}

// One header field, folded (RFC 5322 §2.2.3) before a word that would take the line past 78
// octets. Words come from checked values and hold no CR or LF, so the field cannot end early.
void header(std::string& out, std::string_view name, const std::vector<std::string>& words) {
  out += name;
  out += ':';
  std::size_t column = name.size() + 1;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0 && column + 1 + words[i].size() > kHeaderLine) {
      out += "\r\n";
      column = 0;
    }
    out += ' ';
    out += words[i];
    column += 1 + words[i].size();
  }
  out += "\r\n";
}

// Text from outside (server messages, names, the list's author) as UTF-8 holding no control
// character: invalid UTF-8 and every C0, DEL and C1 code point become U+FFFD, so that the text
// neither breaks the body's lines nor leaves the charset the message declares.
std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      length = 1;
      code = lead;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1FU;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0FU;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07U;
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0U) == 0x80U;
      code = (code << 6U) | (next & 0x3FU);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 (RFC 3629 §3).
    static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    valid =
        valid && code >= smallest[length] && (code < 0xD800 || code > 0xDFFF) && code <= 0x10FFFF;
    if (!valid) {
      out += kReplacement;
      ++i;
    } else if (code < 0x20 || (code >= 0x7F && code <= 0x9F)) {
      out += kReplacement;
      i += length;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

// RFC 2045 §6.7 with CRLF line ends: `text`'s "\n" become hard breaks; other bytes outside
// printable ASCII, "=", blanks before a break, and a "." or "From " opening a line (which SMTP's
// dot-stuffing and mbox's "From " quoting would touch) are encoded; soft breaks keep every line
// at 76 octets or fewer.
std::string quoted_printable(std::string_view text) {
  std::string out;
  std::string line;
  const auto flush = [&](bool soft) {
    out += line;
    out += soft ? "=\r\n" : "\r\n";
    line.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      flush(false);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    const bool at_end = i + 1 == text.size() || text[i + 1] == '\n';
    const bool literal =
        (byte >= 0x21 && byte <= 0x7E && c != '=') || ((c == ' ' || c == '\t') && !at_end);
    std::string token = literal ? std::string(1, c) : fmt::format("={:02X}", byte);
    // The last token of a line may use the column a soft break would need.
    const std::size_t room = at_end ? kEncodedLine : kEncodedLine - 1;
    if (line.size() + token.size() > room) {
      flush(true);
    }
    if (line.empty() && (c == '.' || text.substr(i).starts_with("From "))) {
      token = fmt::format("={:02X}", byte);
    }
    line += token;
  }
  if (!line.empty()) {
    flush(false);
  }
  return out;
}

std::string advice(std::string_view check, std::string_view code) {
  if (check == "certificate") {
    if (code == "expired") {
      return "Renew the certificate of the MX host and install the new one.";
    }
    if (code == "not-yet-valid") {
      return "The certificate is not valid yet: check the server's clock, or serve the\n"
             "previous certificate until the new one becomes valid.";
    }
    if (code == "name-mismatch") {
      return "Use a certificate that names the MX host (in subjectAltName) as the MX\n"
             "record spells it.";
    }
    return "Use a certificate from a CA that senders trust and serve the full chain:\n"
           "the certificate followed by its intermediates. A self-signed certificate\n"
           "is not enough.";
  }
  if (check == "starttls") {
    return "Enable STARTTLS on the SMTP server of every MX host, offered in reply to\n"
           "EHLO on port 25.";
  }
  if (check == "tls") {
    return "Enable TLS 1.2 or later on the SMTP server, with a certificate and cipher\n"
           "suites that common mail servers support.";
  }
  if (check == "policy.mx-pattern") {
    return "An MX host matches none of the list's patterns. If your MX hosts changed,\n"
           "ask for an update of the patterns (see below).";
  }
  if (check == "mx") {
    return "Publish MX records for hosts that accept mail, or ask for removal if the\n"
           "domain no longer receives mail.";
  }
  if (check == "dane") {
    return "Update the TLSA records so that they match the certificate chain, or remove\n"
           "them.";
  }
  if (check.starts_with("mta-sts") || check.starts_with("tlsrpt")) {
    return "Fix the record or policy named above (RFC 8461 for MTA-STS, RFC 8460 for\n"
           "TLS reporting).";
  }
  return "See the messages above: every MX host must have an address, accept\n"
         "connections on port 25 and greet with 220.";
}

std::string body(const FailureNotice& n, list::Mode mode) {
  std::string text = fmt::format("To the postmaster of {},\n\n", n.domain);
  text += fmt::format("{} is on the STARTTLS policy list{}\nin {} mode, with the MX patterns\n",
                      n.domain, n.list_author.empty() ? "" : " of " + clean(n.list_author),
                      list::to_string(mode));
  for (const std::string& pattern : n.mxs) {
    text += "  " + clean(pattern) + "\n";
  }
  if (n.mxs.empty()) {
    text += "  (none)\n";
  }
  text += fmt::format("\nIt has failed its policy since {}.\nThe validation of {} found:\n\n",
                      n.failing_since, n.date);
  std::vector<std::string> fixes;
  for (const NoticeFailure& f : n.failures) {
    text += fmt::format("  - {}: {}:{}\n    {}\n", clean(f.where), clean(f.check), clean(f.code),
                        clean(f.message));
    std::string fix = advice(f.check, f.code);
    if (std::find(fixes.begin(), fixes.end(), fix) == fixes.end()) {
      fixes.push_back(std::move(fix));
    }
  }
  text += "\nWhat senders will do\n\n";
  if (mode == list::Mode::enforce) {
    text += fmt::format(
        "The entry is in enforce mode. Senders that enforce the list will not\n"
        "deliver mail to {} while this lasts: they defer delivery, the\n"
        "mail waits in their queues, and it bounces when it has waited too long.\n",
        n.domain);
  } else {
    text +=
        "The entry is in testing mode. Senders that use the list only report the\n"
        "failure and still deliver mail; in enforce mode they would stop delivering.\n";
  }
  text += "\nHow to fix it\n\n";
  for (const std::string& fix : fixes) {
    text += fix + "\n\n";
  }
  text += "How to ask for removal or an update\n\n";
  if (!n.remove_command.empty()) {
    text += clean(n.remove_command) + "\n\n";
  }
  text += fmt::format(
      "Questions: write to {}.\n\n"
      "This message was generated automatically by mxscan's nightly validation.\n",
      n.from);
  return text;
}

}  // namespace

std::string render_notice(const FailureNotice& notice) {
  const std::string from = require_contact(notice.from, "from");
  const auto name = dns::normalise_domain(notice.domain);
  const auto* canonical = std::get_if<std::string>(&name);
  if (canonical == nullptr || *canonical != notice.domain) {
    throw std::invalid_argument("notice: the domain is not a canonical domain name");
  }
  const std::string to =
      notice.to.empty() ? "postmaster@" + notice.domain : require_contact(notice.to, "to");
  require_date(notice.failing_since, "failing_since");
  const std::string date = rfc5322_date(require_date(notice.date, "date"));
  const auto mode = list::parse_mode(notice.mode);
  if (!mode) {
    throw std::invalid_argument("notice: the mode is neither testing nor enforce");
  }

  std::string out;
  header(out, "From", {from});
  header(out, "To", {to});
  header(out, "Subject", {"[STARTTLS", "policy", "list]", notice.domain, "fails", "its", "policy"});
  header(out, "Date", {date});
  header(out, "Message-ID", {"<" + message_id_local(notice.message_id) + "@mxscan.invalid>"});
  header(out, "MIME-Version", {"1.0"});
  header(out, "Content-Type", {"text/plain;", "charset=utf-8"});
  header(out, "Content-Transfer-Encoding", {"quoted-printable"});
  header(out, "Auto-Submitted", {"auto-generated"});
  out += "\r\n";
  out += quoted_printable(body(notice, *mode));
  return out;
}

}  // namespace mx::reports
