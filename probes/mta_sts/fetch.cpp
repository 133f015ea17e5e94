#include "probes/mta_sts/fetch.hpp"

#include <algorithm>
#include <utility>

namespace mx::probes::mta_sts {

namespace {

// Facts of the policy fetch derived from what the GET recorded; called however it ended, so that
// they survive a cancellation as the GET's own facts do.
void derive(PolicyFetch& out) {
  out.text_plain = out.content_type && is_text_plain(*out.content_type);
  if (out.ending == FetchEnding::completed && out.stage == FetchStage::done && out.status == 200) {
    out.policy = parse_policy(out.body);
  }
}

}  // namespace

std::string policy_host(std::string_view domain) {
  if (domain.ends_with('.')) {
    domain.remove_suffix(1);
  }
  std::string host = "mta-sts.";
  host += domain;
  return host;
}

bool is_text_plain(std::string_view content_type) {
  constexpr std::string_view media_type = "text/plain";
  const auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
  while (!content_type.empty() && is_ows(content_type.front())) {
    content_type.remove_prefix(1);
  }
  if (content_type.size() < media_type.size() ||
      !std::equal(media_type.begin(), media_type.end(), content_type.begin(),
                  [](char expected, char got) {
                    return expected == (got >= 'A' && got <= 'Z' ? got - 'A' + 'a' : got);
                  })) {
    return false;
  }
  content_type.remove_prefix(media_type.size());
  while (!content_type.empty() && is_ows(content_type.front())) {
    content_type.remove_prefix(1);
  }
  return content_type.empty() || content_type.front() == ';';
}

boost::asio::awaitable<void> fetch_policy(FetchConfig config, tls::TlsClient& tls,
                                          const tls::TrustStore& trust, dns::Resolver& resolver,
                                          PolicyFetch& out) {
  out = PolicyFetch{};
  https::GetConfig get{
      .host = policy_host(config.domain),
      .port = config.https_port,
      .path = std::string(policy_path),
      .step_timeout = config.step_timeout,
      .budget = config.budget,
      .body_limit = config.body_limit,
      .header_limit = config.header_limit,
      .allow_private = config.allow_private,
      .require_trusted = false,  // MTA-STS observes: the judge says what is wrong with it
      .exclude = config.exclude,
  };
  try {
    co_await https::get(std::move(get), tls, trust, resolver, out);
  } catch (...) {
    derive(out);
    throw;
  }
  derive(out);
}

}  // namespace mx::probes::mta_sts
