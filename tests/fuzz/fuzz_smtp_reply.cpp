// Fuzzes the SMTP reply parser with whatever a server could send. Besides not crashing, it must
// give the same replies whether the bytes arrive at once, one octet at a time or in uneven pieces,
// it must keep every reply within its caps, and parse_reply must agree with the stream parser.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/smtp/ehlo.hpp"
#include "probes/smtp/reply_parser.hpp"

namespace {

using mx::probes::smtp::Feed;
using mx::probes::smtp::FeedStatus;
using mx::probes::smtp::Limits;
using mx::probes::smtp::Reply;
using mx::probes::smtp::ReplyParser;
using mx::probes::smtp::Violation;

struct Transcript {
  std::vector<Reply> replies;
  std::optional<Violation> failure;
  std::size_t consumed = 0;
  std::size_t buffered = 0;
  bool operator==(const Transcript&) const = default;
};

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

// Feeds `bytes` in pieces whose sizes cycle through `sizes`, taking each reply as it completes.
Transcript run(std::string_view bytes, const Limits& limits,
               const std::vector<std::size_t>& sizes) {
  ReplyParser parser(limits);
  Transcript transcript;
  std::size_t offset = 0;
  std::size_t end = 0;
  std::size_t piece = 0;
  while (offset < bytes.size()) {
    if (end <= offset) {
      end = std::min(bytes.size(), offset + sizes[piece++ % sizes.size()]);
    }
    const Feed fed = parser.feed(bytes.substr(offset, end - offset));
    require(fed.consumed <= end - offset);
    offset += fed.consumed;
    if (fed.status == FeedStatus::failed) {
      require(parser.failure().has_value() && mx::probes::smtp::is_fatal(*parser.failure()));
      break;
    }
    if (fed.status == FeedStatus::reply_ready) {
      require(parser.buffered_bytes() == 0);
      const std::optional<Reply> reply = parser.next();
      require(reply.has_value());
      transcript.replies.push_back(*reply);
    } else {
      require(offset == end);
      require(parser.buffered_bytes() <= limits.max_reply_octets);
    }
  }
  transcript.failure = parser.failure();
  transcript.consumed = offset;
  transcript.buffered = parser.buffered_bytes();
  return transcript;
}

void check_reply(const Reply& reply, const Limits& limits) {
  require(reply.code >= 200 && reply.code <= 559 && reply.code % 100 <= 59);
  require(!reply.lines.empty() && reply.lines.size() <= limits.max_lines);
  std::size_t octets = 0;
  for (const auto& line : reply.lines) {
    // "NNN-" before the text and at least LF after it.
    require(line.size() + 5 <= limits.max_line_octets);
    require(line.find('\0') == std::string::npos);
    octets += line.size() + 5;
  }
  require(octets <= limits.max_reply_octets);
  for (const Violation violation : reply.violations) {
    require(!mx::probes::smtp::is_fatal(violation));
  }
  if (reply.code == 250) {
    const auto caps = mx::probes::smtp::parse_ehlo(reply);
    require(caps.has_value());
    require(caps->extensions.size() + caps->invalid_lines.size() <= reply.lines.size() - 1);
    require(caps->starttls() == caps->has("starttls"));
    static_cast<void>(caps->size());
  }
}

void check(std::string_view bytes, const Limits& limits) {
  const Transcript at_once = run(bytes, limits, {bytes.size() + 1});
  require(run(bytes, limits, {1}) == at_once);
  require(run(bytes, limits, {3, 1, 7, 2, 64, 5}) == at_once);
  require(at_once.buffered <= limits.max_reply_octets);
  for (const Reply& reply : at_once.replies) {
    check_reply(reply, limits);
  }

  const auto parsed = mx::probes::smtp::parse_reply(bytes, limits);
  const bool exactly_one = at_once.replies.size() == 1 && !at_once.failure &&
                           at_once.consumed == bytes.size() && at_once.buffered == 0;
  require(parsed.has_value() == exactly_one);
  if (parsed.has_value()) {
    require(*parsed == at_once.replies.front());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes, Limits{});
  // Small caps, so that short inputs reach every cap too.
  check(bytes, Limits{.max_line_octets = 24, .max_lines = 4, .max_reply_octets = 64});
  return 0;
}
