#pragma once
// Reading a domain list for `mxscan scan`: one domain a line, `#` comments, blank lines, and
// `rank,domain` CSV lines (top-list files such as Tranco's); names normalised (IDNA to A-labels,
// lower case, no trailing dot), duplicates kept once in first-seen order. A malformed line is
// reported with its number and skipped. Pure apart from reading the stream.
//
// The list streams: a zone file of tens of millions of lines split over a thousand machines
// (--shard) costs each machine its shard's names, not the input's. Only the shard's names are
// kept, and only they need remembering for deduplication, since a name's duplicates fall in its
// shard.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

namespace mx::targets {

struct LineProblem {
  std::size_t line = 0;  // 1-based
  std::string text;      // the line as read, cut to 200 bytes
  std::string reason;
};

// --shard K/N: K in 0..N-1. The shard of a domain is a stable hash of its canonical name modulo
// N, the same on every machine and in every version of mxscan.
struct Shard {
  unsigned index = 0;
  unsigned count = 1;
};

struct DomainList {
  std::vector<std::string> domains;  // the shard's: canonical, unique, in first-seen order
  // Same index: the line number (from 1) of the domain's first occurrence in the whole input, so
  // that shards merged back together keep the input's order.
  std::vector<std::int64_t> positions;
  std::string digest;  // input_digest(domains), computed as they were read
  std::size_t problems = 0;
  std::size_t duplicates = 0;  // further occurrences of the shard's domains
  std::size_t lines = 0;
};

// Lines longer than this are problems, not domains (a domain name is at most 253 octets).
inline constexpr std::size_t kMaxLine = 4096;

// Called for each malformed line as it is read (in any shard: a malformed line has no shard).
using ProblemSink = std::function<void(const LineProblem&)>;

[[nodiscard]] DomainList read_domain_list(std::istream& in, const Shard& shard,
                                          const ProblemSink& on_problem);

// SHA-256 (hex) of the domains joined by '\n': identifies a run's input for --resume.
[[nodiscard]] std::string input_digest(const std::vector<std::string>& domains);
[[nodiscard]] bool parse_shard(const std::string& text, Shard& out);
[[nodiscard]] unsigned shard_of(const std::string& domain, unsigned count);

}  // namespace mx::targets
