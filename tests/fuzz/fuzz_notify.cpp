// Fuzzes the failure notice with hostile text where servers and the list supply it: the input,
// split at '|', gives the recipient, the list's author, the Message-ID's local part, the removal
// line and failures of four fields each. A recipient that is not a valid contact must be refused
// with std::invalid_argument; everything else must render a message whose header is exactly the
// fixed fields, in order, each once, with CRLF lines only, and whose quoted-printable body has
// lines of at most 76 printable octets. A broken property aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "list/queue.hpp"
#include "reports/notify.hpp"

namespace {

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

std::vector<std::string> split(std::string_view bytes) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (;;) {
    const std::size_t bar = bytes.find('|', start);
    pieces.emplace_back(bytes.substr(start, bar - start));
    if (bar == std::string_view::npos) {
      return pieces;
    }
    start = bar + 1;
  }
}

void check_message(std::string_view message) {
  static const std::vector<std::string_view> expected = {
      "From",          "To",           "Subject",      "Date",
      "Message-ID",    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
      "Auto-Submitted"};
  std::vector<std::string_view> names;
  bool in_header = true;
  std::size_t start = 0;
  require(message.ends_with("\r\n"));
  while (start < message.size()) {
    const std::size_t end = message.find("\r\n", start);
    const std::string_view line = message.substr(start, end - start);
    start = end + 2;
    require(line.find_first_of("\r\n") == std::string_view::npos);
    for (const char c : line) {
      require((c >= '!' && c <= '~') || c == ' ');
    }
    if (!in_header) {
      require(line.size() <= 76 && !line.starts_with('.') && !line.starts_with("From ") &&
              !line.ends_with(' '));
    } else if (line.empty()) {
      in_header = false;
    } else {
      // A recipient of up to 254 octets cannot be folded; the other fields fit in 78 octets.
      require(line.size() <= (line.starts_with("To:") ? 998 : 78));
      if (!line.starts_with(' ')) {
        names.push_back(line.substr(0, line.find(':')));
      }
    }
  }
  require(!in_header);
  require(names == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> pieces =
      split(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto piece = [&](std::size_t i) { return i < pieces.size() ? pieces[i] : std::string(); };

  mx::reports::FailureNotice notice;
  notice.domain = "example.com";
  notice.from = "lists@list.example";
  notice.mode = size % 2 == 0 ? "enforce" : "testing";
  notice.failing_since = "2026-11-26T02:00:00Z";
  notice.date = "2026-11-28T13:00:00+01:00";
  notice.list_author = piece(1);
  notice.message_id = "run-1." + piece(2);
  notice.remove_command = piece(3);
  notice.mxs = {piece(1), piece(3)};
  for (std::size_t i = 4; i < pieces.size(); i += 4) {
    notice.failures.push_back({piece(i), piece(i + 1), piece(i + 2), piece(i + 3)});
  }

  notice.to = piece(0);
  try {
    check_message(mx::reports::render_notice(notice));
    require(notice.to.empty() || mx::list::valid_contact(notice.to));
  } catch (const std::invalid_argument&) {
    require(!mx::list::valid_contact(notice.to));
  }
  notice.to.clear();
  check_message(mx::reports::render_notice(notice));
  return 0;
}
