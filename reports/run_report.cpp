#include "reports/run_report.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <boost/json.hpp>

#include "list/suggest.hpp"

namespace mx::reports {
namespace {

namespace json = boost::json;

// Domains per (check:code, status) among the domains of the tables, each domain counted once per
// code: the failure-code chart, which therefore agrees with the tables' reasons.
class CodeCounter {
 public:
  void add(const std::vector<Reason>& reasons) {
    std::set<std::string> seen;
    for (const auto& reason : reasons) {
      auto code = reason.check_code();
      if (seen.insert(code).second) {
        ++counts_[{std::move(code), reason.status}];
      }
    }
  }

  [[nodiscard]] BarChart chart(std::int64_t domains, std::size_t top) const {
    BarChart chart{"failures", "Top failure codes", "code", "domains", domains, {}, 0};
    for (const auto& [key, count] : counts_) {
      chart.bars.push_back({key.first, key.second, count});
    }
    std::stable_sort(chart.bars.begin(), chart.bars.end(),
                     [](const Bar& a, const Bar& b) { return a.value > b.value; });
    if (chart.bars.size() > top) {
      chart.hidden = static_cast<std::int64_t>(chart.bars.size() - top);
      chart.bars.resize(top);
    }
    return chart;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::int64_t> counts_;
};

std::vector<Reason> reasons_of(const std::string& result_json, std::string_view status) {
  boost::system::error_code ec;
  const auto parsed = json::parse(result_json, ec);
  if (ec || !parsed.is_object()) {
    return {};
  }
  return reasons_with_status(parsed.get_object(), status);
}

// A tally of store/stats.hpp as a chart; `coloured` gives each bar its key as status.
BarChart chart_of(std::string id, std::string title, std::string key, const store::Tally& tally,
                  bool coloured) {
  BarChart chart{std::move(id), std::move(title), std::move(key), tally.unit, tally.total, {}, 0};
  for (const auto& row : tally.rows) {
    chart.bars.push_back({row.key, coloured ? row.key : row.status, row.count});
  }
  chart.hidden = tally.distinct - static_cast<std::int64_t>(tally.rows.size());
  return chart;
}

std::int64_t count_of(const store::Tally& tally, std::initializer_list<std::string_view> keys) {
  std::int64_t n = 0;
  for (const auto& row : tally.rows) {
    if (std::find(keys.begin(), keys.end(), row.key) != keys.end()) {
      n += row.count;
    }
  }
  return n;
}

// Domains of a per-domain check tally whose worst MX host has one of `statuses`, out of the
// domains that have the check at all.
Figure check_figure(std::string id, std::string label, const store::Tally& tally,
                    std::initializer_list<std::string_view> statuses) {
  Figure figure{std::move(id), std::move(label), 0, 0};
  for (const auto& row : tally.rows) {
    if (row.key == store::kNotChecked) {
      continue;
    }
    figure.total += row.count;
    if (std::find(statuses.begin(), statuses.end(), row.status) != statuses.end()) {
      figure.count += row.count;
    }
  }
  return figure;
}

std::vector<Figure> figures_of(const store::RunStats& stats) {
  const auto domains = stats.status.total;
  return {
      {"passing", "domains that pass or only warn", count_of(stats.status, {"pass", "warn"}),
       domains},
      check_figure("starttls", "domains whose every MX host offers STARTTLS",
                   stats.starttls.domains, {"pass", "warn"}),
      check_figure("certificate", "domains whose every MX host has a valid certificate",
                   stats.certificate.domains, {"pass", "warn"}),
      {"mta-sts", "domains with an MTA-STS policy in enforce or testing mode",
       count_of(stats.mta_sts, {"enforce", "testing"}), domains},
      {"tlsrpt", "domains with a TLSRPT record", count_of(stats.tlsrpt, {"present"}), domains},
      check_figure("dane", "domains whose every MX host matches its authenticated TLSA records",
                   stats.dane.domains, {"pass"}),
  };
}

DomainTable validation_table(const ValidationSection& section, CodeCounter* codes) {
  DomainTable table{std::string(section.id), section.title, section.note, true, {}, 0};
  for (const auto* row : section.rows) {
    auto reasons = validation_reasons(*row);
    if (codes != nullptr) {
      codes->add(reasons);
    }
    table.rows.push_back({row->domain, row->status, row->mode, row->category, row->urgent,
                          since_text(*row), std::move(reasons)});
  }
  table.total = static_cast<std::int64_t>(table.rows.size());
  return table;
}

// The failing and the undetermined domains of a run, sorted by name, each table cut to
// `max_rows` (the failure codes still count every domain).
std::vector<DomainTable> scan_tables(const store::Database& db, std::int64_t run,
                                     std::size_t max_rows, CodeCounter& codes) {
  std::vector<DomainTable> tables{
      {"failing", "Failing domains", "", false, {}, 0},
      {"undetermined",
       "Undetermined domains",
       "Could not be determined (`error`), even after a second look; not a failure.",
       false,
       {},
       0}};
  auto query = db.prepare(
      "SELECT domain, status, result FROM domains WHERE run_id = ?1 AND status IN ('fail', "
      "'error') ORDER BY domain");
  query.bind(1, run);
  while (query.step()) {
    auto status = query.column_text(1);
    auto& table = tables[status == "fail" ? 0 : 1];
    auto reasons = reasons_of(query.column_text(2), status);
    codes.add(reasons);
    ++table.total;
    if (max_rows == 0 || table.rows.size() < max_rows) {
      table.rows.push_back(
          {query.column_text(0), std::move(status), "", "", false, "", std::move(reasons)});
    }
  }
  return tables;
}

}  // namespace

RunReport load_run_report(const store::Database& db, std::int64_t run,
                          const ReportOptions& options) {
  RunReport report;
  const store::ProviderOf provider_of = [](std::string_view host) {
    return list::registrable_domain(host);
  };
  report.stats = store::collect_stats(db, run, provider_of, {.top = options.top, .keep = {}});
  const auto& stats = report.stats;
  report.figures = figures_of(stats);

  CodeCounter codes;
  if (stats.run.kind == "validate") {
    auto validation = load_validation_report(db, run, options.remove_after);
    if (!validation.rows.empty()) {
      report.validation = std::move(validation);
    }
  }
  if (report.validation) {
    // Every failing or undetermined entry is in exactly one of the first four sections.
    const auto sections = validation_sections(*report.validation);
    for (const auto& section : sections) {
      const bool counted = section.id == "urgent" || section.id == "newly-failing" ||
                           section.id == "still-failing" || section.id == "undetermined";
      report.tables.push_back(validation_table(section, counted ? &codes : nullptr));
    }
    report.history =
        store::validation_history(db, report.validation->author, run, options.history_limit);
  } else {
    report.tables = scan_tables(db, run, options.max_rows, codes);
  }

  report.charts.push_back(chart_of("status", "Domains by status", "status", stats.status, true));
  report.charts.push_back(codes.chart(stats.status.total, options.top));
  report.charts.push_back(
      chart_of("tls-versions", "TLS versions", "version", stats.tls_versions, false));
  report.charts.push_back(chart_of("mta-sts", "MTA-STS mode", "mode", stats.mta_sts, false));
  report.charts.push_back(chart_of("providers", "Largest MX providers (registrable domain)",
                                   "provider", stats.providers, false));
  report.charts.push_back(
      chart_of("issuers", "Certificate issuers", "issuer", stats.issuers, false));
  return report;
}

}  // namespace mx::reports
