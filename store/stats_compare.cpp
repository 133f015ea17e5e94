#include "store/stats_compare.hpp"

#include <algorithm>

namespace mx::store {
namespace {

ComparedTally compare_tally(const NamedTally& from, const NamedTally& to) {
  ComparedTally out;
  out.id = to.id;
  out.title = to.title;
  out.unit = to.tally->unit;
  out.from_total = from.tally->total;
  out.to_total = to.tally->total;
  for (const auto& row : to.tally->rows) {
    out.rows.push_back({row.key, row.status, 0, row.count, 0, percent(row.count, out.to_total)});
  }
  for (const auto& row : from.tally->rows) {
    auto found = std::find_if(out.rows.begin(), out.rows.end(), [&](const ComparedRow& r) {
      return r.key == row.key && r.status == row.status;
    });
    if (found == out.rows.end()) {
      out.rows.push_back({row.key, row.status, 0, 0, 0, 0});
      found = std::prev(out.rows.end());
    }
    found->from = row.count;
    found->from_percent = percent(row.count, out.from_total);
  }
  return out;
}

std::set<std::string> keys(const Tally& tally) {
  std::set<std::string> out;
  for (const auto& row : tally.rows) {
    out.insert(row.key);
  }
  return out;
}

}  // namespace

RunComparison compare_stats(const RunStats& from, const RunStats& to) {
  RunComparison comparison;
  comparison.from = from.run;
  comparison.to = to.run;
  const auto from_tallies = named_tallies(from);
  const auto to_tallies = named_tallies(to);
  for (std::size_t i = 0; i < to_tallies.size(); ++i) {
    comparison.tallies.push_back(compare_tally(from_tallies.at(i), to_tallies.at(i)));
  }
  return comparison;
}

RunComparison compare_runs(const Database& db, std::int64_t from, std::int64_t to,
                           const ProviderOf& provider_of, std::size_t top) {
  StatsOptions options;
  options.top = top;
  auto from_stats = collect_stats(db, from, provider_of, options);
  auto to_stats = collect_stats(db, to, provider_of, options);
  // A provider or issuer among one run's largest is counted in the other run too, even where it
  // ranks lower there: its change is what the comparison is for.
  options.keep = keys(from_stats.providers);
  options.keep.merge(keys(to_stats.providers));
  options.keep.merge(keys(from_stats.issuers));
  options.keep.merge(keys(to_stats.issuers));
  from_stats.providers = collect_providers(db, from, provider_of, options);
  to_stats.providers = collect_providers(db, to, provider_of, options);
  from_stats.issuers = collect_issuers(db, from, options);
  to_stats.issuers = collect_issuers(db, to, options);
  return compare_stats(from_stats, to_stats);
}

}  // namespace mx::store
