// Fuzzes the triage queue reader with whatever a submitter could put in a queue file. Besides
// never throwing, it must keep the promises triage relies on: a refused input has no submissions;
// submissions come in line order with their raw line cut to 300 bytes; a problem names one of the
// known fields and says why in printable text; and a submission without problems is canonical
// (domain, patterns, contact and time as the list and the notices would check them) with a mode. A
// broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "list/pattern.hpp"
#include "list/queue.hpp"
#include "scanner/dns/domain_name.hpp"

namespace {

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool is_canonical_domain(const std::string& name) {
  const auto normalised = mx::dns::normalise_domain(name);
  const auto* text = std::get_if<std::string>(&normalised);
  return text != nullptr && *text == name;
}

void check_submission(const mx::list::Submission& s) {
  require(s.raw.size() <= 300);
  for (const auto& problem : s.problems) {
    static constexpr std::string_view fields[] = {"domain", "contact",      "mxs",
                                                  "mode",   "submitted_at", "line"};
    require(std::find(std::begin(fields), std::end(fields), problem.field) != std::end(fields));
    require(!problem.reason.empty());
    require(std::none_of(problem.reason.begin(), problem.reason.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == '\x7f';
    }));
  }
  for (auto it = s.mxs.begin(); it != s.mxs.end(); ++it) {
    require(mx::list::normalise_pattern(*it) == *it);
    require(std::find(it + 1, s.mxs.end(), *it) == s.mxs.end());
  }
  if (s.valid()) {
    require(is_canonical_domain(s.domain));
    require(s.mode.has_value());
    require(s.contact.empty() || mx::list::valid_contact(s.contact));
    require(s.submitted_at.empty() || mx::list::parse_rfc3339_date_time(s.submitted_at));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  const mx::list::QueueRead read = mx::list::parse_queue(bytes);
  require(read.error.empty() || read.submissions.empty());
  std::size_t previous = 0;
  for (const auto& s : read.submissions) {
    require(s.line > previous);
    previous = s.line;
    check_submission(s);
  }

  // The helpers on the raw bytes as well: an accepted contact is a printable mailbox, and an
  // accepted time has its fields in range.
  if (mx::list::valid_contact(bytes)) {
    require(bytes.size() <= 254 && bytes.find('@') != std::string_view::npos);
    require(std::all_of(bytes.begin(), bytes.end(), [](char c) { return c > ' ' && c < '\x7f'; }));
  }
  if (const auto t = mx::list::parse_rfc3339_date_time(bytes)) {
    require(t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31);
    require(t->hour <= 23 && t->minute <= 59 && t->second <= 60);
    require(t->offset_minutes > -24 * 60 && t->offset_minutes < 24 * 60);
  }
  return 0;
}
