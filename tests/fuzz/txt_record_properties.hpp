#pragma once
// What the fuzz targets of the two TXT-record parsers (MTA-STS, TLSRPT) check alike: the
// selection rule (absent, multiple, one record), findings, printable reasons, and the input's
// split into the records of an answer. A broken property aborts, which libFuzzer and the corpus
// replay both report.

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "probes/severity.hpp"

namespace mx::fuzz {

inline void require(bool property) {
  if (!property) {
    std::abort();
  }
}

inline bool is_printable(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '\x20' && c <= '\x7e'; });
}

// Tolerated findings only, each once.
template <typename Finding>
void check_findings(const std::vector<Finding>& findings) {
  for (auto it = findings.begin(); it != findings.end(); ++it) {
    require(severity(*it) != probes::Severity::invalid);
    require(std::find(it + 1, findings.end(), *it) == findings.end());
  }
}

// `selected`: how many records of the answer begin with the version.
template <typename Failure>
void check_failure(const Failure& failure, std::size_t selected) {
  using Error = decltype(failure.error);
  require(is_printable(failure.reason));
  switch (failure.error) {
    case Error::absent:
      require(selected == 0 && failure.records.empty() && !failure.finding.has_value());
      break;
    case Error::multiple:
      require(selected >= 2 && failure.records.size() == selected);
      require(!failure.finding.has_value());
      break;
    case Error::syntax:
      require(selected == 1 && failure.records.size() == 1);
      require(failure.finding.has_value() &&
              severity(*failure.finding) == probes::Severity::invalid);
      break;
  }
}

// The input split at each LF: the records of one answer.
inline std::vector<std::string> split_records(std::string_view bytes) {
  std::vector<std::string> records;
  while (!bytes.empty()) {
    const std::size_t end = std::min(bytes.find('\n'), bytes.size());
    records.emplace_back(bytes.substr(0, end));
    bytes.remove_prefix(std::min(end + 1, bytes.size()));
  }
  return records;
}

}  // namespace mx::fuzz
