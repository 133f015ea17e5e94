#include "scanner/cli/triage_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include "judge/admission.hpp"
#include "judge/domain_rules.hpp"
#include "list/atomic_file.hpp"
#include "list/policy_list.hpp"
#include "list/queue.hpp"
#include "list/suggest.hpp"
#include "reports/domain_reasons.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/list_input.hpp"
#include "scanner/cli/stored_run.hpp"
#include "scanner/engine/store_rows.hpp"
#include "scanner/targets/domain_list.hpp"
#include "store/challenges.hpp"
#include "store/schema.hpp"
#include "store/submissions.hpp"
#include "store/validations.hpp"

namespace mx::cli {
namespace {

namespace json = boost::json;

// A triage needs this many clean validations, besides --promote-after days of them
// (CONTRACT.md).
constexpr int kPromoteMinValidations = 4;

json::array string_array(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& value : values) {
    out.emplace_back(value);
  }
  return out;
}

std::vector<std::string> strings_of(const json::value* value) {
  std::vector<std::string> out;
  if (value != nullptr && value->is_array()) {
    for (const auto& item : value->get_array()) {
      if (item.is_string()) {
        out.emplace_back(item.get_string());
      }
    }
  }
  return out;
}

// "YYYY-MM-DDTHH:MM:SSZ" and the same time `days` later, or nullopt when `time` is not of that
// form.
std::optional<std::string> plus_days(const std::string& time, int days) {
  int y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  unsigned h = 0;
  unsigned mi = 0;
  unsigned s = 0;
  char z = 0;
  if (time.size() != 20 ||
      std::sscanf(time.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 ||
      z != 'Z' || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{mo},
                                         std::chrono::day{d}};
  if (!date.ok()) {
    return std::nullopt;
  }
  const std::chrono::year_month_day later{std::chrono::sys_days{date} + std::chrono::days{days}};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(later.year()),
                     static_cast<unsigned>(later.month()), static_cast<unsigned>(later.day()), h,
                     mi, s);
}

// What was stored for a scanned domain, read back as the decision needs it.
struct Scanned {
  json::object result;
  judge::Admission admission;
  std::vector<std::string> suggested;
  std::vector<std::string> judged_mxs;
};

Scanned decide(json::object result, const std::string& status) {
  Scanned out;
  std::vector<std::string> hosts;
  if (const auto* mx = result.if_contains("mx"); mx != nullptr && mx->is_array()) {
    for (const auto& host : mx->get_array()) {
      if (const auto* name = host.as_object().if_contains("host"); name && name->is_string()) {
        hosts.emplace_back(name->get_string());
      }
    }
  }
  out.suggested = list::suggest_patterns(hosts);
  if (const auto* policy = result.if_contains("policy"); policy != nullptr && policy->is_object()) {
    out.judged_mxs = strings_of(policy->get_object().if_contains("mxs"));
  }
  judge::AdmissionInput input;
  input.status = judge::parse_status(status).value_or(judge::Status::error);
  input.failing = reports::check_codes(reports::reasons_with_status(result, "fail"));
  input.undetermined = reports::check_codes(reports::reasons_with_status(result, "error"));
  for (auto& code : reports::check_codes(reports::reasons_with_status(result, "skipped"))) {
    if (code.ends_with(":excluded")) {
      input.excluded.push_back(std::move(code));
    }
  }
  input.mx_hosts = hosts;
  input.judged_mxs = out.judged_mxs;
  if (const auto* sts = result.if_contains("mta_sts"); sts != nullptr && sts->is_object()) {
    if (const auto* policy = sts->get_object().if_contains("policy");
        policy != nullptr && policy->is_object()) {
      input.mta_sts_mx = strings_of(policy->get_object().if_contains("mx"));
    }
  }
  out.admission = judge::decide_admission(input);
  out.result = std::move(result);
  return out;
}

std::map<std::string, Scanned> read_scanned(const store::Database& db, std::int64_t run) {
  std::map<std::string, Scanned> out;
  auto query = db.prepare("SELECT domain, status, result FROM domains WHERE run_id = ?1");
  query.bind(1, run);
  while (query.step()) {
    auto parsed = json::parse(query.column_text(2));
    if (parsed.is_object()) {
      out.emplace(query.column_text(0),
                  decide(std::move(parsed.as_object()), query.column_text(1)));
    }
  }
  return out;
}

struct Decision {
  const list::Submission* submission = nullptr;
  std::string decision;
  std::vector<std::string> reasons;
  std::vector<std::string> suggested;
  std::string mta_sts = "none";
  std::vector<std::string> conflicts;
  const json::object* result = nullptr;
  std::vector<std::string> admitted_mxs;  // accept: the patterns that enter the list
};

json::object decision_json(const Decision& d) {
  const auto& s = *d.submission;
  return json::object{
      {"domain", s.domain},
      {"line", s.line},
      {"decision", d.decision},
      {"reasons", string_array(d.reasons)},
      {"suggested_mxs", string_array(d.suggested)},
      {"submitted_mxs", string_array(s.mxs)},
      {"requested_mode", s.mode ? json::value(list::to_string(*s.mode)) : json::value(nullptr)},
      {"mta_sts", d.mta_sts},
      {"mta_sts_conflicts", string_array(d.conflicts)},
      {"result", d.result != nullptr ? json::value(*d.result) : json::value(nullptr)}};
}

std::string decision_text(const Decision& d) {
  const auto& s = *d.submission;
  std::string detail;
  if (!d.reasons.empty()) {
    detail = fmt::format("{}", fmt::join(d.reasons, " "));
  }
  if (d.decision == "accept") {
    detail = fmt::format("testing, mxs {}", fmt::join(d.admitted_mxs, " "));
  }
  if (d.mta_sts == "conflict") {
    detail += fmt::format(" (MTA-STS policy disagrees on {})", fmt::join(d.conflicts, " "));
  }
  if (d.decision == "reject" && !d.suggested.empty()) {
    detail += fmt::format(" [suggested: {}]", fmt::join(d.suggested, " "));
  }
  return fmt::format("  {:>5}  {:<32} {:<8} {}\n", s.line, s.domain.substr(0, 64), d.decision,
                     detail);
}

store::SubmissionRow submission_row(const Decision& d) {
  const auto& s = *d.submission;
  store::SubmissionRow row;
  row.line = static_cast<std::int64_t>(s.line);
  row.domain = s.domain;
  row.contact = s.contact;
  row.mxs_json = json::serialize(string_array(s.mxs));
  if (s.mode) {
    row.mode = std::string(list::to_string(*s.mode));
  }
  row.submitted_at = s.submitted_at;
  row.decision = d.decision;
  row.reasons_json = json::serialize(string_array(d.reasons));
  row.suggested_mxs_json = json::serialize(string_array(d.suggested));
  row.mta_sts = d.mta_sts;
  return row;
}

std::string input_digest(const list::PolicyList& list,
                         const std::vector<const list::Submission*>& to_scan) {
  std::vector<std::string> lines{list.author, list.timestamp};
  for (const auto* s : to_scan) {
    lines.push_back(fmt::format("{} {}", s->domain, fmt::join(s->mxs, " ")));
  }
  return targets::input_digest(lines);
}

}  // namespace

void add_triage_arguments(CLI::App& app, TriageArgs& args) {
  app.add_option("--queue", args.queue,
                 "submissions: CSV (domain,contact,mxs,mode,submitted_at) or JSON Lines")
      ->required();
  app.add_option("--list", args.list, "the current STARTTLS policy list")->required();
  app.add_option("--db", args.db, "SQLite database (validation history, decisions, contacts)")
      ->required();
  app.add_option("--out", args.out,
                 "write the new list: accepted entries in testing, promoted ones in enforce, "
                 "verified emergency changes applied");
  app.add_option("--promote-after", args.promote_after_days,
                 "propose testing entries clean in every validation for DAYS (28) and at least "
                 "4 validations for enforce");
  app.add_option("--expires-days", args.expires_days, "the new list expires N days after (14)");
  app.add_option("--timestamp", args.timestamp,
                 "the new list's timestamp, YYYY-MM-DDTHH:MM:SSZ (now): for a reproducible list");
  app.add_flag("--resume", args.resume,
               "finish the unfinished triage of the same queue and options in --db");
}

int run_triage(const ScanOptions& options, const TriageArgs& args) {
  const auto now = args.timestamp.empty() ? engine::utc_now() : args.timestamp;
  const auto expires = plus_days(now, args.expires_days);
  if (!expires || args.expires_days < 1 || args.promote_after_days < 0) {
    std::cerr << fmt::format(
        "mxscan triage: --timestamp must be YYYY-MM-DDTHH:MM:SSZ, --expires-days at least 1 "
        "and --promote-after at least 0 ('{}', {}, {})\n",
        now, args.expires_days, args.promote_after_days);
    return exit_usage;
  }
  if (!args.out.empty()) {
    const auto dir = std::filesystem::path(args.out).parent_path();
    if (!dir.empty() && !std::filesystem::is_directory(dir)) {
      std::cerr << fmt::format("mxscan triage: --out {}: no directory {}\n", args.out,
                               dir.string());
      return exit_usage;
    }
  }
  const auto list = load_list("triage", args.list);
  if (!list) {
    return exit_usage;
  }
  const auto queue = list::read_queue_file(args.queue);
  if (!queue.error.empty()) {
    std::cerr << fmt::format("mxscan triage: {}\n", queue.error);
    return exit_usage;
  }

  // Each domain is scanned once, judged against the patterns of its first valid submission.
  std::vector<const list::Submission*> to_scan;
  std::set<std::string> seen;
  for (const auto& s : queue.submissions) {
    for (const auto& problem : s.problems) {
      std::cerr << fmt::format("{}:{}: invalid {}: {}\n", args.queue, s.line, problem.field,
                               problem.reason);
    }
    if (s.valid() && list->find(s.domain) == nullptr && seen.insert(s.domain).second) {
      to_scan.push_back(&s);
    }
  }

  StoredRunRequest request;
  request.command = "triage";
  request.db = args.db;
  request.info.kind = "triage";
  request.info.list_author = list->author;
  request.info.list_version = list->timestamp;
  request.info.input_digest = input_digest(*list, to_scan);
  std::map<std::string, const list::Submission*> by_domain;
  for (const auto* s : to_scan) {
    request.domains.push_back(s->domain);
    by_domain.emplace(s->domain, s);
    if (s->mxs.empty()) {
      request.policies.emplace_back();
    } else {
      request.policies.emplace_back(judge::ListPolicy{list::Mode::testing, s->mxs});
    }
  }
  // A submission without patterns is judged against those suggested from what was seen.
  request.rejudge = [&](engine::DomainOutcome& outcome) {
    const auto it = by_domain.find(outcome.result.domain);
    if (it == by_domain.end() || !it->second->mxs.empty()) {
      return;
    }
    std::vector<std::string> hosts;
    for (const auto& host : outcome.result.mx) {
      hosts.push_back(host.host);
    }
    const judge::ListPolicy suggested{list::Mode::testing, list::suggest_patterns(hosts)};
    outcome.result = judge::judge_domain(outcome.observation, &suggested);
  };
  // Every submission's decision is recorded in the transaction that marks the run complete: a
  // kill in between would leave a complete run without decisions, which --resume cannot finish.
  std::map<std::string, Scanned> scanned;
  std::vector<Decision> decisions;
  request.on_complete = [&](store::Database& db, std::int64_t run) {
    scanned = read_scanned(db, run);
    for (const auto& s : queue.submissions) {
      Decision d;
      d.submission = &s;
      if (!s.valid()) {
        d.decision = "invalid";
        for (const auto& problem : s.problems) {
          const auto reason = "submission:" + problem.field;
          if (std::find(d.reasons.begin(), d.reasons.end(), reason) == d.reasons.end()) {
            d.reasons.push_back(reason);
          }
        }
      } else if (list->find(s.domain) != nullptr) {
        d.decision = "listed";
      } else if (const auto it = scanned.find(s.domain); it != scanned.end()) {
        const auto& found = it->second;
        d.decision = found.admission.decision;
        d.reasons = found.admission.reasons;
        d.suggested = found.suggested;
        d.mta_sts = found.admission.mta_sts;
        d.conflicts = found.admission.conflicts;
        d.result = &found.result;
        d.admitted_mxs = found.judged_mxs;
      } else {
        // Stored runs hold every scanned domain once complete; a missing one was not scanned.
        d.decision = "retry";
        d.reasons = {"triage:not-scanned"};
      }
      decisions.push_back(std::move(d));
    }
    std::vector<store::SubmissionRow> rows;
    for (const auto& d : decisions) {
      rows.push_back(submission_row(d));
    }
    store::record_submissions(db, run, rows);
  };
  request.resume = args.resume;
  std::cerr << fmt::format("mxscan triage: {} submissions, {} domains to scan\n",
                           queue.submissions.size(), to_scan.size());
  const auto stored = run_stored(options, std::move(request));
  if (stored.exit_code != 0) {
    return stored.exit_code;
  }

  try {
    auto db = store::open_for_writing(args.db);
    std::vector<std::string> testing;
    for (const auto& [domain, entry] : list->policies) {
      if (!entry.alias && entry.policy.mode == list::Mode::testing) {
        testing.push_back(domain);
      }
    }
    const auto promotions = store::promotion_candidates(
        db, list->author, testing, now, args.promote_after_days, kPromoteMinValidations);
    const auto emergencies = store::verified_unapplied(db, now);

    std::map<std::string, std::size_t> counts;
    if (options.json) {
      for (const auto& d : decisions) {
        std::cout << json::serialize(decision_json(d)) << '\n';
      }
      for (const auto& p : promotions) {
        std::cout << json::serialize(json::object{{"domain", p.domain},
                                                  {"decision", "promote"},
                                                  {"clean_validations", p.clean_validations},
                                                  {"clean_since", p.clean_since}})
                  << '\n';
      }
      for (const auto& e : emergencies) {
        std::cout << json::serialize(json::object{{"domain", e.domain},
                                                  {"decision", "emergency-" + e.action},
                                                  {"request", e.id},
                                                  {"mxs", string_array(e.mxs)},
                                                  {"listed", list->find(e.domain) != nullptr},
                                                  {"applied", !args.out.empty()}})
                  << '\n';
      }
    }
    auto& text = options.json ? std::cerr : std::cout;
    std::string table;
    for (const auto& d : decisions) {
      ++counts[d.decision];
      table += decision_text(d);
    }
    // "excluded" only comes with --exclude: without it the line reads as the contract's five.
    const auto excluded =
        counts["excluded"] > 0 ? fmt::format(", {} excluded", counts["excluded"]) : std::string();
    text << fmt::format(
        "mxscan triage: {} submissions: {} accept, {} reject, {} retry, {} listed, {} invalid{}; "
        "{} promotion{}, {} emergency change{}\n",
        decisions.size(), counts["accept"], counts["reject"], counts["retry"], counts["listed"],
        counts["invalid"], excluded, promotions.size(), promotions.size() == 1 ? "" : "s",
        emergencies.size(), emergencies.size() == 1 ? "" : "s");
    if (!options.json) {
      text << table;
      for (const auto& p : promotions) {
        text << fmt::format("         {:<32} promote  clean in {} validations since {}\n", p.domain,
                            p.clean_validations, p.clean_since);
      }
      for (const auto& e : emergencies) {
        text << fmt::format("         {:<32} emergency-{} (request {}{}){}\n", e.domain, e.action,
                            e.id, e.mxs.empty() ? "" : fmt::format(": {}", fmt::join(e.mxs, " ")),
                            list->find(e.domain) == nullptr ? ", not listed" : "");
      }
    }
    text.flush();

    if (!args.out.empty()) {
      auto next = *list;
      next.timestamp = now;
      next.expires = *expires;
      for (const auto& d : decisions) {
        if (d.decision == "accept" && next.policies.count(d.submission->domain) == 0) {
          next.policies[d.submission->domain] =
              list::Entry{list::Policy{list::Mode::testing, d.admitted_mxs}, std::nullopt};
        }
      }
      for (const auto& p : promotions) {
        next.policies[p.domain].policy.mode = list::Mode::enforce;
      }
      for (const auto& e : emergencies) {
        const auto it = next.policies.find(e.domain);
        if (it == next.policies.end()) {
          continue;
        }
        if (e.action == "remove") {
          next.policies.erase(it);
        } else {
          // The domain's own entry from now on, even where it followed an alias.
          it->second.policy.mxs = e.mxs;
          it->second.alias.reset();
        }
      }
      list::write_file_atomically(args.out, list::write_list(next));
      for (const auto& d : decisions) {
        if (d.decision == "accept") {
          const auto& s = *d.submission;
          store::record_contact(db, s.domain,
                                s.contact.empty() ? "postmaster@" + s.domain : s.contact, now,
                                stored.run);
        }
      }
      for (const auto& e : emergencies) {
        store::mark_applied(db, e.id, stored.run, now);
      }
      std::cerr << fmt::format("mxscan triage: new list written to {} ({} entries)\n", args.out,
                               next.policies.size());
    }
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan triage: {}\n", e.what());
    return exit_usage;
  } catch (const std::runtime_error& e) {
    std::cerr << fmt::format("mxscan triage: {}\n", e.what());
    return exit_usage;
  }
  return exit_code_of(args.db, stored.run);
}

}  // namespace mx::cli
