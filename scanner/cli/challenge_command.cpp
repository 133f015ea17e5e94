#include "scanner/cli/challenge_command.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <variant>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "list/pattern.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/dns/domain_name.hpp"
#include "scanner/dns/resolver.hpp"
#include "scanner/engine/bounded_run.hpp"
#include "scanner/engine/store_rows.hpp"
#include "store/challenges.hpp"
#include "store/schema.hpp"

namespace mx::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::string_view kRecordPrefix = kChallengeRecordPrefix;
constexpr std::size_t kTokenBytes = 32;
constexpr unsigned kRecordTtl = 3600;
// What a mismatch shows of the records found: the name is the domain's, so is what it holds.
constexpr std::size_t kShownRecords = 10;

// engine::utc_now's format, for a time other than now: created_at and expires_at come from one
// reading of the clock, so that a request lives exactly --ttl-days.
std::string rfc3339(std::chrono::system_clock::time_point when) {
  const auto time = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&time, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string new_token() {
  std::array<unsigned char, kTokenBytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: no token can be made");
  }
  std::string out;
  for (const auto byte : bytes) {
    out += fmt::format("{:02x}", byte);
  }
  return out;
}

std::optional<std::string> canonical_domain(const std::string& input, std::string_view command) {
  auto normalised = dns::normalise_domain(input);
  if (const auto* invalid = std::get_if<dns::InvalidName>(&normalised)) {
    std::cerr << fmt::format("mxscan challenge {}: '{}' is not a mail domain: {}\n", command,
                             printable_record(input), invalid->reason);
    return std::nullopt;
  }
  return std::get<std::string>(std::move(normalised));
}

json::array string_array(const std::vector<std::string>& strings) {
  json::array out;
  for (const auto& text : strings) {
    out.emplace_back(text);
  }
  return out;
}

void print_json(const json::object& object) {
  const auto line = json::serialize(object) + "\n";
  std::fputs(line.c_str(), stdout);
}

std::string describe_change(const std::string& action, const std::string& domain,
                            const std::vector<std::string>& mxs) {
  if (action == "remove") {
    return fmt::format("remove {} from the list", domain);
  }
  return fmt::format("update {} to mxs {}", domain, fmt::join(mxs, " "));
}

int run_new(const ChallengeArgs& args) {
  const auto domain = canonical_domain(args.domain, "new");
  if (!domain) {
    return exit_usage;
  }
  // 253 octets is a name's limit on the wire: a longer owner name could never be published.
  if (challenge_record_name(*domain).size() > 253) {
    std::cerr << fmt::format("mxscan challenge new: {} is too long to carry {}\n", *domain,
                             kRecordPrefix);
    return exit_usage;
  }
  if (args.action == "remove" && !args.mxs.empty()) {
    std::cerr << "mxscan challenge new: --action remove takes no --mxs\n";
    return exit_usage;
  }
  if (args.action == "update" && args.mxs.empty()) {
    std::cerr << "mxscan challenge new: --action update needs the new patterns: --mxs P,...\n";
    return exit_usage;
  }
  std::vector<std::string> mxs;
  for (const auto& typed : args.mxs) {
    const auto pattern = list::normalise_pattern(typed);
    if (!pattern) {
      std::cerr << fmt::format(
          "mxscan challenge new: '{}' is not an mx pattern (a host name of two labels or more, "
          "or one with a leading '.' or '*.')\n",
          printable_record(typed));
      return exit_usage;
    }
    if (std::find(mxs.begin(), mxs.end(), *pattern) == mxs.end()) {
      mxs.push_back(*pattern);
    }
  }

  const auto now = std::chrono::system_clock::now();
  store::ChallengeRequest request{
      .domain = *domain,
      .action = args.action,
      .mxs = mxs,
      .token = new_token(),
      .created_at = rfc3339(now),
      .expires_at = rfc3339(now + std::chrono::days(args.ttl_days)),
  };
  store::CreatedChallenge created;
  try {
    auto db = store::open_for_writing(args.db);
    created = store::create_challenge(db, request);
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan challenge new: {}\n", e.what());
    return exit_usage;
  }

  const auto name = challenge_record_name(*domain);
  const auto value = challenge_record_value(request.action, request.token);
  if (args.json) {
    json::array superseded;
    for (const auto id : created.superseded) {
      superseded.emplace_back(id);
    }
    print_json({{"request", created.id},
                {"domain", request.domain},
                {"action", request.action},
                {"mxs", string_array(request.mxs)},
                {"token", request.token},
                {"created_at", request.created_at},
                {"expires_at", request.expires_at},
                {"record", {{"name", name}, {"type", "TXT"}, {"value", value}}},
                {"superseded", std::move(superseded)}});
    return exit_pass;
  }
  std::string out =
      fmt::format("Request {}: {}\n", created.id, describe_change(args.action, *domain, mxs));
  for (const auto id : created.superseded) {
    out += fmt::format("It supersedes pending request {}.\n", id);
  }
  out += fmt::format(
      "It expires at {}.\n\n"
      "1. Ask the DNS administrator of {} to publish this TXT record, the value exactly as\n"
      "   shown:\n\n"
      "   {}. {} IN TXT \"{}\"\n\n"
      "2. Once it is published, verify it (again until it succeeds; each run asks once):\n\n"
      "   mxscan challenge verify {} --db {}\n\n"
      "3. The next `mxscan triage --out` applies a verified request, if it runs before the\n"
      "   request expires. The record may be removed once the request is verified.\n",
      request.expires_at, *domain, name, kRecordTtl, value, *domain, args.db);
  std::fputs(out.c_str(), stdout);
  return exit_pass;
}

// `resolver` and `answer` belong to look_up_txt's frame, which outlives the io_context run.
asio::awaitable<void> fetch_txt(dns::Resolver& resolver, std::string name, dns::TxtAnswer& answer) {
  auto result = co_await resolver.txt(std::move(name));
  answer = std::move(result);
}

// One query, sent now: a cached answer could be older than the record the domain just published.
dns::TxtAnswer look_up_txt(const ScanOptions& options, const std::string& name) {
  asio::io_context io(1);
  dns::Resolver resolver(
      io, dns::ResolverOptions{.servers = options.resolvers(), .timeout = options.timeout()});
  dns::TxtAnswer answer;
  engine::run_bounded(io, 1, 1, [&](std::size_t) { return fetch_txt(resolver, name, answer); });
  return answer;
}

struct Verification {
  std::string outcome;  // verified, absent, mismatch, expired, undetermined, superseded
  int exit_code = exit_usage;
  std::vector<std::string> found;  // printable, at most kShownRecords
  std::size_t found_total = 0;
  std::string dns_outcome;  // empty when no lookup was made
  std::string dns_detail;
};

Verification judge(const dns::TxtAnswer& answer, const std::string& expected) {
  Verification out;
  out.dns_outcome = dns::to_string(answer.meta.outcome);
  out.dns_detail = answer.meta.detail;
  switch (answer.meta.outcome) {
    case dns::Outcome::data:
      break;
    case dns::Outcome::nodata:
    case dns::Outcome::nxdomain:
      out.outcome = "absent";
      out.exit_code = exit_fail;
      return out;
    case dns::Outcome::servfail:
    case dns::Outcome::refused:
    case dns::Outcome::timeout:
    case dns::Outcome::error:
      out.outcome = "undetermined";
      out.exit_code = exit_error;
      return out;
  }
  out.found_total = answer.records.size();
  for (std::size_t i = 0; i < std::min(answer.records.size(), kShownRecords); ++i) {
    out.found.push_back(printable_record(answer.records[i]));
  }
  const bool matched = std::any_of(
      answer.records.begin(), answer.records.end(),
      [&](const std::string& record) { return challenge_record_matches(record, expected); });
  out.outcome = matched ? "verified" : "mismatch";
  out.exit_code = matched ? exit_pass : exit_fail;
  return out;
}

void print_verification(const store::Challenge& request, const Verification& result) {
  const auto name = challenge_record_name(request.domain);
  const auto expected = challenge_record_value(request.action, request.token);
  std::string out = fmt::format("{}: request {} ({}): ", request.domain, request.id,
                                describe_change(request.action, request.domain, request.mxs));
  if (result.outcome == "verified") {
    out += fmt::format("verified: {} holds the expected record.\n", name);
  } else if (result.outcome == "expired") {
    out += fmt::format(
        "expired at {}, now recorded as expired. Make a new request: mxscan challenge new.\n",
        request.expires_at);
  } else if (result.outcome == "superseded") {
    out += "superseded by a newer request while verify ran: verify that one.\n";
  } else if (result.outcome == "absent") {
    out += fmt::format(
        "not verified: no TXT record at {} ({}). It stays pending until {}.\n"
        "  expected: \"{}\"\n",
        name, result.dns_outcome, request.expires_at, expected);
  } else if (result.outcome == "mismatch") {
    out += fmt::format(
        "not verified: no TXT record at {} holds the expected value. It stays pending until "
        "{}.\n  expected: \"{}\"\n",
        name, request.expires_at, expected);
    for (const auto& record : result.found) {
      out += fmt::format("  found:    \"{}\"\n", record);
    }
    if (result.found_total > result.found.size()) {
      out += fmt::format("  and {} more records\n", result.found_total - result.found.size());
    }
  } else {
    out += fmt::format("undetermined: the TXT lookup of {} ended in {}{}. Try again.\n", name,
                       result.dns_outcome,
                       result.dns_detail.empty() ? "" : " (" + result.dns_detail + ")");
  }
  std::fputs(out.c_str(), stdout);
}

int run_verify(const ScanOptions& options, const ChallengeArgs& args) {
  const auto domain = canonical_domain(args.domain, "verify");
  if (!domain) {
    return exit_usage;
  }
  // The lookup would ask a name the operator excluded: a contradiction to refuse, not to ignore.
  if (const auto entry =
          options.exclude ? options.exclude->match(std::string_view(challenge_record_name(*domain)))
                          : std::nullopt) {
    std::cerr << fmt::format("mxscan challenge verify: {} is {}; not asked\n",
                             challenge_record_name(*domain), targets::describe(*entry));
    return exit_usage;
  }
  try {
    auto db = store::open_for_writing(args.db);
    const auto request = store::newest_pending(db, *domain);
    if (!request) {
      const auto history = store::list_challenges(db, *domain);
      std::cerr << (history.empty()
                        ? fmt::format("mxscan challenge verify: {} has no request for {}\n",
                                      args.db, *domain)
                        : fmt::format("mxscan challenge verify: {} has no pending request for {} "
                                      "(its newest, request {}, is {})\n",
                                      args.db, *domain, history.back().id, history.back().outcome));
      return exit_usage;
    }
    Verification result;
    if (request->expires_at <= engine::utc_now()) {
      result.outcome = store::mark_expired(db, request->id) ? "expired" : "superseded";
      result.exit_code = exit_fail;
    } else {
      const auto answer = look_up_txt(options, challenge_record_name(*domain));
      result = judge(answer, challenge_record_value(request->action, request->token));
      if (result.outcome == "verified" &&
          !store::mark_verified(db, request->id, engine::utc_now())) {
        result.outcome = "superseded";
        result.exit_code = exit_fail;
      }
    }
    if (options.json) {
      json::object out{{"domain", request->domain},
                       {"request", request->id},
                       {"action", request->action},
                       {"mxs", string_array(request->mxs)},
                       {"outcome", result.outcome},
                       {"found", string_array(result.found)},
                       {"found_total", result.found_total},
                       {"expected", challenge_record_value(request->action, request->token)},
                       {"expires_at", request->expires_at}};
      if (!result.dns_outcome.empty()) {
        out["dns"] = result.dns_outcome;
      }
      print_json(out);
    } else {
      print_verification(*request, result);
    }
    std::fflush(stdout);
    return result.exit_code;
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan challenge verify: {}\n", e.what());
    return exit_usage;
  }
}

// A request still pending or verified past its expiry will never be applied; the stored
// outcome changes only when verify meets it, so the list says so itself.
bool lapsed(const store::Challenge& request, const std::string& now) {
  return (request.outcome == "pending" || request.outcome == "verified") &&
         request.expires_at <= now;
}

json::object challenge_json(const store::Challenge& request, const std::string& now) {
  const auto optional_text = [](const std::optional<std::string>& text) {
    return text ? json::value(*text) : json::value(nullptr);
  };
  return {{"request", request.id},
          {"domain", request.domain},
          {"action", request.action},
          {"mxs", string_array(request.mxs)},
          {"outcome", request.outcome},
          {"lapsed", lapsed(request, now)},
          {"token", request.token},
          {"created_at", request.created_at},
          {"expires_at", request.expires_at},
          {"verified_at", optional_text(request.verified_at)},
          {"applied_at", optional_text(request.applied_at)},
          {"applied_run",
           request.applied_run ? json::value(*request.applied_run) : json::value(nullptr)}};
}

std::string challenge_text(const store::Challenge& request, const std::string& now) {
  std::string out = fmt::format("{:>5}  {}  {}", request.id, request.domain, request.action);
  if (!request.mxs.empty()) {
    out += fmt::format(" [{}]", fmt::join(request.mxs, " "));
  }
  out += fmt::format("  {}{}\n       created {}, expires {}", request.outcome,
                     lapsed(request, now) ? " (lapsed: past its expiry)" : "", request.created_at,
                     request.expires_at);
  if (request.verified_at) {
    out += ", verified " + *request.verified_at;
  }
  if (request.applied_at) {
    out += ", applied " + *request.applied_at;
  }
  if (request.applied_run) {
    out += fmt::format(" by run {}", *request.applied_run);
  }
  return out + "\n";
}

int run_list(const ChallengeArgs& args) {
  try {
    const auto db = store::open_for_reading(args.db);
    const auto now = engine::utc_now();
    const auto requests = store::list_challenges(db);
    for (const auto& request : requests) {
      if (args.json) {
        print_json(challenge_json(request, now));
      } else {
        std::fputs(challenge_text(request, now).c_str(), stdout);
      }
    }
    if (requests.empty() && !args.json) {
      std::fputs("no requests\n", stdout);
    }
    std::fflush(stdout);
    return exit_pass;
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan challenge list: {}\n", e.what());
    return exit_usage;
  }
}

}  // namespace

void add_challenge_arguments(CLI::App& app, ChallengeArgs& args, ScanOptions& scan_options) {
  app.require_subcommand(1);
  const auto add_db = [&args](CLI::App& sub, bool must_exist) {
    auto* option = sub.add_option("--db", args.db, "database of the requests")->required();
    if (must_exist) {
      option->check(CLI::ExistingFile);
    }
  };

  auto* create = app.add_subcommand(
      "new", "record a change request and print the TXT record that authenticates it");
  create->add_option("domain", args.domain, "mail domain")->required()->type_name("DOMAIN");
  create->add_option("--action", args.action, "what the domain asks for")
      ->required()
      ->check(CLI::IsMember({"remove", "update"}));
  create
      ->add_option("--mxs", args.mxs,
                   "the new mx patterns of an update, separated by commas (repeatable)")
      ->type_name("P,...")
      ->delimiter(',')
      ->allow_extra_args(false);
  create->add_option("--ttl-days", args.ttl_days, "days until the request expires")
      ->capture_default_str()
      ->check(CLI::Range(1U, 90U));
  add_db(*create, false);
  create->add_flag("--json", args.json, "print the request as one JSON object");
  create->callback([&args] { args.command = ChallengeArgs::Command::create; });

  auto* verify = app.add_subcommand(
      "verify", "look the TXT record up now and mark the domain's pending request verified");
  add_scan_options(*verify, scan_options);
  verify->add_option("domain", args.domain, "mail domain")->required()->type_name("DOMAIN");
  add_db(*verify, true);
  verify->callback([&args] { args.command = ChallengeArgs::Command::verify; });

  auto* list = app.add_subcommand("list", "every request and its outcome, oldest first");
  add_db(*list, true);
  list->add_flag("--json", args.json, "JSON Lines, one object per request");
  list->callback([&args] { args.command = ChallengeArgs::Command::list; });
}

int run_challenge(const ScanOptions& scan_options, const ChallengeArgs& args) {
  switch (args.command) {
    case ChallengeArgs::Command::create:
      return run_new(args);
    case ChallengeArgs::Command::verify:
      return run_verify(scan_options, args);
    case ChallengeArgs::Command::list:
      return run_list(args);
    case ChallengeArgs::Command::none:
      break;
  }
  return exit_usage;  // require_subcommand(1) makes this unreachable
}

}  // namespace mx::cli
