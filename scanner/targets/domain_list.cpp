#include "scanner/targets/domain_list.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <stdexcept>
#include <unordered_set>
#include <variant>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "scanner/dns/domain_name.hpp"

namespace mx::targets {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::array<unsigned char, 32> sha256(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

std::string hex(const std::array<unsigned char, 32>& digest) {
  std::string out;
  for (const auto byte : digest) {
    out += fmt::format("{:02x}", byte);
  }
  return out;
}

// input_digest() fed one domain at a time.
class StreamedDigest {
 public:
  StreamedDigest() : context_(EVP_MD_CTX_new()) {
    if (!context_ || EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("SHA-256 is not available");
    }
  }
  void add(std::string_view domain) {
    EVP_DigestUpdate(context_.get(), domain.data(), domain.size());
    EVP_DigestUpdate(context_.get(), "\n", 1);
  }
  std::string finish() {
    std::array<unsigned char, 32> digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_.get(), digest.data(), &size);
    return hex(digest);
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> context_;
};

}  // namespace

DomainList read_domain_list(std::istream& in, const Shard& shard, const ProblemSink& on_problem) {
  DomainList out;
  StreamedDigest digest;
  std::unordered_set<std::string> seen;  // the shard's names only
  std::string line;
  while (std::getline(in, line)) {
    ++out.lines;
    auto problem = [&](std::string reason) {
      ++out.problems;
      on_problem({out.lines, line.substr(0, 200), std::move(reason)});
    };
    if (line.size() > kMaxLine) {
      problem("line too long");
      continue;
    }
    std::string_view text(line);
    if (out.lines == 1 && text.starts_with("\xEF\xBB\xBF")) {
      text.remove_prefix(3);  // a UTF-8 BOM, as spreadsheets write
    }
    if (const auto hash = text.find('#'); hash != std::string_view::npos) {
      text = text.substr(0, hash);
    }
    text = trim(text);
    if (text.empty()) {
      continue;
    }
    if (const auto comma = text.find(','); comma != std::string_view::npos) {
      const auto rank = trim(text.substr(0, comma));
      const auto rest = trim(text.substr(comma + 1));
      if (out.lines == 1 && !all_digits(rank)) {
        continue;  // a CSV header such as "rank,domain"
      }
      if (!all_digits(rank) || rest.find(',') != std::string_view::npos) {
        problem("not 'domain' or 'rank,domain'");
        continue;
      }
      text = rest;
    }
    auto normalised = dns::normalise_domain(text);
    if (const auto* invalid = std::get_if<dns::InvalidName>(&normalised)) {
      problem(invalid->reason);
      continue;
    }
    auto& domain = std::get<std::string>(normalised);
    if (shard.count > 1 && shard_of(domain, shard.count) != shard.index) {
      continue;
    }
    if (!seen.insert(domain).second) {
      ++out.duplicates;
      continue;
    }
    digest.add(domain);
    out.domains.push_back(std::move(domain));
    out.positions.push_back(static_cast<std::int64_t>(out.lines));
  }
  out.digest = digest.finish();
  return out;
}

std::string input_digest(const std::vector<std::string>& domains) {
  StreamedDigest digest;
  for (const auto& domain : domains) {
    digest.add(domain);
  }
  return digest.finish();
}

bool parse_shard(const std::string& text, Shard& out) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) {
    return false;
  }
  unsigned index = 0;
  unsigned count = 0;
  const auto* begin = text.data();
  const auto [p1, e1] = std::from_chars(begin, begin + slash, index);
  const auto [p2, e2] = std::from_chars(begin + slash + 1, begin + text.size(), count);
  if (e1 != std::errc{} || p1 != begin + slash || e2 != std::errc{} || p2 != begin + text.size() ||
      count == 0 || index >= count) {
    return false;
  }
  out = {index, count};
  return true;
}

unsigned shard_of(const std::string& domain, unsigned count) {
  const auto digest = sha256(domain);
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value = (value << 8) | digest[static_cast<std::size_t>(i)];
  }
  return static_cast<unsigned>(value % count);
}

}  // namespace mx::targets
