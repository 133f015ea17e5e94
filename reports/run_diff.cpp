#include "reports/run_diff.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace mx::reports {
namespace {

using CheckKey = std::tuple<std::string, std::string, std::string, std::string>;

// Domain, host, address: the order in which a reader follows a domain down to its endpoints.
int subject_rank(const std::string& subject) {
  if (subject == "domain") {
    return 0;
  }
  return subject == "host" ? 1 : 2;
}

RunSummary summarise(const store::Database& db, std::int64_t run) {
  RunSummary out;
  out.run = run;
  auto info = db.prepare("SELECT kind, state, started_at FROM runs WHERE id = ?1");
  info.bind(1, run);
  if (info.step()) {
    out.kind = info.column_text(0);
    out.state = info.column_text(1);
    out.started_at = info.column_text(2);
  }
  auto counts = db.prepare(
      "SELECT status, count(*) FROM domains WHERE run_id = ?1 GROUP BY status ORDER BY status");
  counts.bind(1, run);
  while (counts.step()) {
    const auto n = counts.column_int(1);
    out.by_status[counts.column_text(0)] = n;
    out.domains += n;
  }
  return out;
}

std::map<std::string, std::string> statuses(const store::Database& db, std::int64_t run) {
  auto query = db.prepare("SELECT domain, status FROM domains WHERE run_id = ?1");
  query.bind(1, run);
  std::map<std::string, std::string> out;
  while (query.step()) {
    out.emplace(query.column_text(0), query.column_text(1));
  }
  return out;
}

std::map<CheckKey, CheckState> checks_of(store::Statement& query, std::int64_t run,
                                         const std::string& domain) {
  query.reset();
  query.bind(1, run).bind(2, std::string_view(domain));
  std::map<CheckKey, CheckState> out;
  while (query.step()) {
    out.emplace(CheckKey{query.column_text(0), query.column_text(1), query.column_text(2),
                         query.column_text(3)},
                CheckState{query.column_text(4), query.column_text(5)});
  }
  return out;
}

std::vector<CheckChange> check_changes(const std::map<CheckKey, CheckState>& before,
                                       const std::map<CheckKey, CheckState>& after) {
  std::vector<CheckChange> out;
  auto add = [&out](const CheckKey& key, std::optional<CheckState> b, std::optional<CheckState> a) {
    out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key),
                   std::move(b), std::move(a)});
  };
  for (const auto& [key, state] : before) {
    const auto other = after.find(key);
    if (other == after.end()) {
      add(key, state, std::nullopt);
    } else if (!(other->second == state)) {
      add(key, state, other->second);
    }
  }
  for (const auto& [key, state] : after) {
    if (!before.contains(key)) {
      add(key, std::nullopt, state);
    }
  }
  std::sort(out.begin(), out.end(), [](const CheckChange& l, const CheckChange& r) {
    return std::tuple(subject_rank(l.subject), l.host, l.ip, l.name) <
           std::tuple(subject_rank(r.subject), r.host, r.ip, r.name);
  });
  return out;
}

std::string state_text(const std::optional<CheckState>& state) {
  return state ? state->status + " " + state->code : "(none)";
}

boost::json::value state_json(const std::optional<CheckState>& state) {
  if (!state) {
    return nullptr;
  }
  return boost::json::object{{"status", state->status}, {"code", state->code}};
}

boost::json::value optional_json(const std::optional<std::string>& text) {
  if (!text) {
    return nullptr;
  }
  return boost::json::string(*text);
}

}  // namespace

std::optional<std::int64_t> run_before(const store::Database& db, std::int64_t run) {
  auto query = db.prepare("SELECT max(id) FROM runs WHERE id < ?1");
  query.bind(1, run);
  if (!query.step() || query.column_is_null(0)) {
    return std::nullopt;
  }
  return query.column_int(0);
}

RunDiff diff_runs(const store::Database& db, std::int64_t from, std::int64_t to) {
  RunDiff diff{summarise(db, from), summarise(db, to), {}};
  const auto before = statuses(db, from);
  const auto after = statuses(db, to);
  auto checks = db.prepare(
      "SELECT subject, host, ip, name, status, code FROM checks "
      "WHERE run_id = ?1 AND domain = ?2");
  auto changed = [&](const std::string& domain, std::optional<std::string> b,
                     std::optional<std::string> a) {
    const auto old_checks = b ? checks_of(checks, from, domain) : std::map<CheckKey, CheckState>{};
    const auto new_checks = a ? checks_of(checks, to, domain) : std::map<CheckKey, CheckState>{};
    diff.changed.push_back(
        {domain, std::move(b), std::move(a), check_changes(old_checks, new_checks)});
  };
  // Both maps are sorted by domain: one merge pass keeps the output in domain order.
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      changed(b->first, b->second, std::nullopt);
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      changed(a->first, std::nullopt, a->second);
      ++a;
    } else {
      if (b->second != a->second) {
        changed(b->first, b->second, a->second);
      }
      ++b;
      ++a;
    }
  }
  return diff;
}

std::string summary_line(const RunSummary& summary) {
  std::string counts;
  for (const auto& [status, n] : summary.by_status) {
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", status, n);
  }
  return fmt::format("run {} ({}, {}, {}): {} domains{}{}", summary.run, summary.kind,
                     summary.state, summary.started_at, summary.domains, counts.empty() ? "" : ": ",
                     counts);
}

void write_diff_text(const RunDiff& diff, std::ostream& out) {
  out << "from " << summary_line(diff.from) << '\n';
  out << "to   " << summary_line(diff.to) << '\n';
  std::size_t status_changes = 0;
  std::size_t added = 0;
  std::size_t removed = 0;
  for (const auto& change : diff.changed) {
    if (!change.before) {
      ++added;
    } else if (!change.after) {
      ++removed;
    } else {
      ++status_changes;
    }
  }
  out << fmt::format("{} domains changed status, {} added, {} removed\n", status_changes, added,
                     removed);
  for (const auto& change : diff.changed) {
    out << change.domain << ": " << change.before.value_or("(added)") << " → "
        << change.after.value_or("(removed)") << '\n';
    for (const auto& check : change.checks) {
      std::string where = check.subject;
      if (!check.host.empty()) {
        where += " " + check.host;
      }
      if (!check.ip.empty()) {
        where += " " + check.ip;
      }
      out << "  " << where << ": " << check.name << ' ' << state_text(check.before) << " → "
          << state_text(check.after) << '\n';
    }
  }
}

void write_diff_jsonl(const RunDiff& diff, std::ostream& out) {
  for (const auto& change : diff.changed) {
    boost::json::array checks;
    for (const auto& check : change.checks) {
      checks.push_back(boost::json::object{{"subject", check.subject},
                                           {"host", check.host},
                                           {"ip", check.ip},
                                           {"name", check.name},
                                           {"before", state_json(check.before)},
                                           {"after", state_json(check.after)}});
    }
    const boost::json::object line{{"domain", change.domain},
                                   {"before", optional_json(change.before)},
                                   {"after", optional_json(change.after)},
                                   {"checks", std::move(checks)}};
    out << boost::json::serialize(line) << '\n';
  }
}

}  // namespace mx::reports
