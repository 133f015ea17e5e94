#include "update/update.hpp"

#include <exception>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "list/atomic_file.hpp"
#include "list/rfc3339.hpp"
#include "publish/digest.hpp"
#include "publish/expiry.hpp"
#include "publish/verify.hpp"
#include "scanner/dns/resolver.hpp"
#include "update/reload.hpp"

namespace mx::update {
namespace {

namespace asio = boost::asio;
namespace https = probes::https;
namespace fs = std::filesystem;

https::GetConfig get_config(const https::HttpsUrl& url, const FetchSettings& settings,
                            std::size_t body_limit) {
  return https::GetConfig{.host = url.host,
                          .port = url.port,
                          .path = url.path,
                          .step_timeout = settings.step_timeout,
                          .budget = settings.budget,
                          .body_limit = body_limit,
                          .header_limit = 8 * 1024,
                          .allow_private = settings.allow_private,
                          .require_trusted = true};
}

bool whole_200(const https::Fetch& fetch) {
  return fetch.ending == https::Ending::completed && fetch.stage == https::Stage::done &&
         fetch.status == 200;
}

// The signature is fetched only when the list was: a channel that does not answer costs one
// timeout, not two. `tls`, `trust`, `resolver` and `out` belong to download()'s frame.
asio::awaitable<void> fetch_pair(https::GetConfig list, https::GetConfig signature,
                                 probes::tls::TlsClient& tls, const probes::tls::TrustStore& trust,
                                 dns::Resolver& resolver, Downloaded& out) {
  co_await https::get(std::move(list), tls, trust, resolver, out.list);
  if (!whole_200(out.list)) {
    co_return;
  }
  out.signature.emplace();
  co_await https::get(std::move(signature), tls, trust, resolver, *out.signature);
}

std::optional<std::string> read_if_present(const fs::path& path, std::string& error) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    error = fmt::format("cannot read {}", path.string());
  }
  return bytes;
}

std::string describe(const list::PolicyList& list) {
  return fmt::format("{} (expires {})", publish::comment_text(list.timestamp),
                     publish::comment_text(list.expires));
}

// The configuration file: what it held before this run, so that a failed reload can restore it.
class OutputFile {
 public:
  explicit OutputFile(fs::path path) : path_(std::move(path)) {
    previous_ = read_if_present(path_, error_);
  }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] bool differs(const std::string& text) const { return previous_ != text; }
  void write(const std::string& text) { list::write_file_atomically(path_, text); }
  // Best effort: the restore itself failing is reported by the caller's message.
  [[nodiscard]] bool restore() const {
    try {
      if (previous_) {
        list::write_file_atomically(path_, *previous_);
      } else {
        fs::remove(path_);
      }
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  fs::path path_;
  std::optional<std::string> previous_;
  std::string error_;
};

// Step 4 for `held`; on failure, returns the reasons and leaves the file as it was.
std::vector<std::string> render_held(const UpdateConfig& config, const Held& held,
                                     std::chrono::system_clock::time_point now,
                                     UpdateReport& report) {
  const RenderTarget& target = *config.render;
  publish::Rendered rendered;
  try {
    rendered = publish::render_list(*target.generator, held.list, held.pair.list,
                                    https::to_string(config.list_url), config.tool, now);
  } catch (const publish::UnsafeName& e) {
    return {e.what()};
  }
  OutputFile out(target.out);
  if (!out.error().empty()) {
    return {out.error()};
  }
  if (!out.differs(rendered.text)) {
    return {};
  }
  try {
    out.write(rendered.text);
  } catch (const std::exception& e) {
    return {e.what()};
  }
  report.rendered_changed = true;
  if (target.reload.empty()) {
    return {};
  }
  const ReloadResult reload = run_reload(target.reload);
  if (reload.ok) {
    report.reloaded = true;
    return {};
  }
  report.rendered_changed = false;
  std::string reason = fmt::format("the reload command failed ({})", reload.failure);
  reason += out.restore() ? fmt::format("; {} restored", target.out.string())
                          : fmt::format("; {} could NOT be restored", target.out.string());
  return {reason};
}

std::string render_note(const UpdateConfig& config, const UpdateReport& report) {
  if (!config.render) {
    return {};
  }
  if (!report.rendered_changed) {
    return fmt::format("; {} unchanged", config.render->out.string());
  }
  return fmt::format("; {} rewritten{}", config.render->out.string(),
                     report.reloaded ? ", reloaded" : "");
}

// The pair held, parsed; nullopt when none. Throws StateError when it cannot be read, or is not
// a list: rollback protection needs its timestamp, and nothing else may stand in for it.
std::optional<Held> load_held(const StateDir& state) {
  auto pair = state.held();
  if (!pair) {
    return std::nullopt;
  }
  auto parsed = list::parse_list(pair->list);
  if (!parsed.list) {
    throw StateError(fmt::format(
        "{}: not a valid policy list ({}: {}); restore it from a backup or empty the state "
        "directory to start over",
        state.list_path().string(), parsed.problems.front().path, parsed.problems.front().reason));
  }
  return Held{std::move(*pair), std::move(*parsed.list)};
}

// Steps 1 and 2; `downloaded` keeps the bytes for step 3.
Judgement download_and_judge(const UpdateConfig& config, const probes::tls::TrustStore& trust_store,
                             const std::optional<Held>& held,
                             std::chrono::system_clock::time_point now, Downloaded& downloaded) {
  Judgement judgement;
  downloaded = download(config.list_url, config.signature_url, config.fetch, trust_store);
  if (auto failure = download_failure(downloaded.list, config.list_url)) {
    judgement.reasons.push_back(std::move(*failure));
    return judgement;
  }
  if (auto failure = download_failure(*downloaded.signature, config.signature_url)) {
    judgement.reasons.push_back(std::move(*failure));
    return judgement;
  }
  try {
    return judge(held, HeldPair{downloaded.list.body, downloaded.signature->body}, config.trust,
                 now);
  } catch (const std::exception& e) {
    judgement.reasons.emplace_back(e.what());
    return judgement;
  }
}

// The line and the reasons of a run that kept what it decided.
void conclude(const UpdateConfig& config, const Judgement& judgement, const Held* held,
              const Held* previous, bool held_expired, UpdateReport& report) {
  const std::string url = https::to_string(config.list_url);
  const std::string note = render_note(config, report);
  switch (judgement.verdict) {
    case Judgement::Verdict::accept:
      report.outcome = UpdateReport::Outcome::updated;
      report.summary = fmt::format(
          "updated: list {} -> {} from {} (sha256 {}){}",
          previous != nullptr ? publish::comment_text(previous->list.timestamp) : "(none)",
          describe(held->list), url, publish::sha256_hex(held->pair.list), note);
      return;
    case Judgement::Verdict::unchanged:
      report.outcome = UpdateReport::Outcome::unchanged;
      report.summary = fmt::format("unchanged: list {} is the one published at {}{}",
                                   describe(held->list), url, note);
      return;
    case Judgement::Verdict::refuse:
      break;
  }
  report.problems = judgement.reasons;
  const std::string reason = judgement.reasons.empty() ? "refused" : judgement.reasons.front();
  if (!held_expired) {
    report.outcome = UpdateReport::Outcome::refused;
    report.summary = fmt::format(
        "refused: {}; {}", reason,
        held != nullptr ? "kept list " + describe(held->list) : std::string("no list held"));
    return;
  }
  report.outcome = UpdateReport::Outcome::fallback;
  report.summary = fmt::format(
      "refused: {}; the list held {} HAS EXPIRED: nothing is enforced (opportunistic TLS){}",
      reason, describe(held->list), note);
  report.problems.push_back(fmt::format(
      "WARNING: THE LIST HELD ({}) EXPIRED at {} and no newer list could be had: {}",
      publish::comment_text(held->list.timestamp), publish::comment_text(held->list.expires),
      config.render ? fmt::format("{} is rendered with NOTHING ENFORCED, mail falls back to "
                                  "opportunistic TLS",
                                  config.render->out.string())
                    : std::string("do not enforce it")));
}

}  // namespace

Downloaded download(const https::HttpsUrl& list_url, const https::HttpsUrl& signature_url,
                    const FetchSettings& settings, const probes::tls::TrustStore& trust) {
  Downloaded out;
  probes::tls::TlsClient tls;
  asio::io_context io(1);
  dns::Resolver resolver(
      io, dns::ResolverOptions{.servers = settings.resolvers, .timeout = settings.step_timeout});
  asio::co_spawn(io,
                 fetch_pair(get_config(list_url, settings, list::max_list_octets),
                            get_config(signature_url, settings, max_signature_octets), tls, trust,
                            resolver, out),
                 asio::detached);
  io.run();
  return out;
}

std::optional<std::string> download_failure(const https::Fetch& fetch, const https::HttpsUrl& url) {
  const std::string where = https::to_string(url);
  if (fetch.ending != https::Ending::completed) {
    return fmt::format("cannot download {}: {} at {}: {}", where, to_string(fetch.ending),
                       to_string(fetch.stage), fetch.detail);
  }
  if (fetch.status >= 300 && fetch.status < 400) {
    return fmt::format("{} answered {} {} redirecting to {}: redirects are not followed", where,
                       fetch.status, publish::comment_text(fetch.reason),
                       publish::comment_text(fetch.location.value_or("(no Location)")));
  }
  if (fetch.status != 200) {
    return fmt::format("{} answered {} {}", where, fetch.status,
                       publish::comment_text(fetch.reason));
  }
  return std::nullopt;
}

bool newer(const list::PolicyList& candidate, const list::PolicyList& held) {
  const auto candidate_time = list::parse_rfc3339_date_time(candidate.timestamp);
  const auto held_time = list::parse_rfc3339_date_time(held.timestamp);
  return candidate_time && held_time && held_time->before(*candidate_time);
}

Judgement judge(const std::optional<Held>& held, const HeldPair& downloaded,
                const publish::TrustAnchor& trust, std::chrono::system_clock::time_point now) {
  Judgement judgement;
  publish::PublishedList published =
      publish::verify_published_list(downloaded.list, downloaded.signature, trust, now);
  if (published.refusal != publish::Refusal::none) {
    judgement.reasons = std::move(published.reasons);
    judgement.unusable_trust = published.refusal == publish::Refusal::unusable_trust;
    return judgement;
  }
  if (held && held->pair.list == downloaded.list) {
    judgement.verdict = Judgement::Verdict::unchanged;
    return judgement;
  }
  if (held && !newer(*published.list, held->list)) {
    judgement.reasons.push_back(
        fmt::format("rollback refused: the list published has timestamp {}, not newer than the "
                    "{} of the list held (a replayed or reissued list, however well signed, is "
                    "never taken)",
                    publish::comment_text(published.list->timestamp),
                    publish::comment_text(held->list.timestamp)));
    return judgement;
  }
  judgement.verdict = Judgement::Verdict::accept;
  judgement.list = std::move(published.list);
  return judgement;
}

UpdateReport run_update(const UpdateConfig& config, const probes::tls::TrustStore& trust_store,
                        std::chrono::system_clock::time_point now) {
  UpdateReport report;
  const auto fail = [&report](std::string summary, std::vector<std::string> problems) {
    report.outcome = UpdateReport::Outcome::failed;
    report.summary = std::move(summary);
    report.problems = std::move(problems);
    return report;
  };

  std::optional<StateDir> state;
  std::optional<Held> held;
  try {
    state.emplace(config.state);
    held = load_held(*state);
  } catch (const StateError& e) {
    return fail("failed: the state directory cannot be used; nothing changed", {e.what()});
  }

  Downloaded downloaded;
  Judgement judgement = download_and_judge(config, trust_store, held, now, downloaded);
  report.usage_error = judgement.unusable_trust;

  // Step 3.
  std::optional<Held> previous;
  if (judgement.verdict == Judgement::Verdict::accept) {
    Held accepted{HeldPair{downloaded.list.body, downloaded.signature->body},
                  std::move(*judgement.list)};
    try {
      state->commit(accepted.pair);
      previous = std::exchange(held, std::move(accepted));
    } catch (const StateError& e) {
      judgement.verdict = Judgement::Verdict::refuse;
      judgement.reasons.push_back(fmt::format("cannot keep the new list: {}", e.what()));
    }
  }

  // Step 4: after a refusal, only the expired fallback may change the configuration.
  const bool refused = judgement.verdict == Judgement::Verdict::refuse;
  const bool held_expired = held && publish::list_expired(held->list, now);
  if (config.render && held && (!refused || held_expired)) {
    auto problems = render_held(config, *held, now, report);
    if (!problems.empty() && judgement.verdict == Judgement::Verdict::accept) {
      try {
        state->roll_back();
      } catch (const StateError& e) {
        problems.push_back(
            fmt::format("and the previous list could NOT be restored: {}", e.what()));
      }
      held = std::move(previous);
      std::string summary = fmt::format(
          "failed: the list from {} was not kept: {}{}", https::to_string(config.list_url),
          problems.front(), held ? "; kept list " + describe(held->list) : "; no list held");
      return fail(std::move(summary), std::move(problems));
    }
    if (!problems.empty()) {
      std::string summary = fmt::format("failed: {}", problems.front());
      return fail(std::move(summary), std::move(problems));
    }
  }
  state->finish();
  conclude(config, judgement, held ? &*held : nullptr, previous ? &*previous : nullptr,
           held_expired, report);
  return report;
}

}  // namespace mx::update
