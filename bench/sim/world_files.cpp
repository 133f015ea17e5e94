#include "bench/sim/world_files.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "bench/sim/expected.hpp"

namespace mx::sim {
namespace {

bool listable(const PlannedDomain& domain) {
  return domain.shape == DnsShape::ok &&
         std::all_of(domain.hosts.begin(), domain.hosts.end(), [](const MailHost& h) {
           return h.fault == SmtpFault::none && h.dane != Dane::mismatch;
         });
}

std::string rfc3339(std::chrono::system_clock::time_point when) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(when)));
}

std::vector<std::string> host_names(const PlannedDomain& domain) {
  std::vector<std::string> out;
  for (const auto& host : domain.hosts) {
    out.push_back(host.name);
  }
  return out;
}

// Which domains the list holds, and which of those are stale: decided by one seeded stream.
struct ListChoice {
  std::vector<bool> listed;
  std::vector<bool> stale;
};

ListChoice choose_listed(const WorldPlan& plan) {
  std::mt19937_64 rng(plan.seed ^ 0x115700ULL);
  ListChoice choice{std::vector<bool>(plan.domains.size()), std::vector<bool>(plan.domains.size())};
  for (std::size_t i = 0; i < plan.domains.size(); ++i) {
    const bool draw = rng() % 100 < 30;
    const bool stale = rng() % 100 < 5;
    if (draw && listable(plan.domains[i])) {
      choice.listed[i] = true;
      choice.stale[i] = stale;
    }
  }
  return choice;
}

}  // namespace

void write_file(const std::filesystem::path& file, std::string_view text) {
  const auto partial = std::filesystem::path(file).concat(".partial");
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      throw std::runtime_error("mxsim: cannot write " + partial.string());
    }
  }
  std::filesystem::rename(partial, file);
}

bool WorldState::same_world(const WorldState& other) const {
  const auto& a = mix;
  const auto& b = other.mix;
  return domains == other.domains && seed == other.seed && a.providers == b.providers &&
         a.shared_share == b.shared_share && a.mta_sts_share == b.mta_sts_share &&
         a.tlsrpt_share == b.tlsrpt_share && a.dane_share == b.dane_share &&
         a.misconfigured_share == b.misconfigured_share && a.ipv6_share == b.ipv6_share &&
         a.rsa_share == b.rsa_share && a.testing_share == b.testing_share && a.wan == b.wan;
}

std::optional<WorldState> read_state(const std::filesystem::path& dir) {
  std::ifstream in(dir / "world.state");
  if (!in) {
    return std::nullopt;
  }
  WorldState state;
  auto& mix = state.mix;
  std::string key;
  std::string value;
  std::size_t found = 0;
  const std::map<std::string, double*> shares{{"shared_share", &mix.shared_share},
                                              {"mta_sts_share", &mix.mta_sts_share},
                                              {"tlsrpt_share", &mix.tlsrpt_share},
                                              {"dane_share", &mix.dane_share},
                                              {"misconfigured_share", &mix.misconfigured_share},
                                              {"ipv6_share", &mix.ipv6_share},
                                              {"rsa_share", &mix.rsa_share},
                                              {"testing_share", &mix.testing_share}};
  try {
    while (in >> key >> value) {
      if (key == "domains") {
        state.domains = std::stoull(value);
      } else if (key == "seed") {
        state.seed = std::stoull(value);
      } else if (key == "providers") {
        mix.providers = std::stoull(value);
      } else if (key == "latency") {
        mix.wan = value == "wan";
      } else if (key == "generation") {
        state.generation = static_cast<std::uint32_t>(std::stoul(value));
      } else if (const auto share = shares.find(key); share != shares.end()) {
        *share->second = std::stod(value);
      } else {
        return std::nullopt;
      }
      ++found;
    }
  } catch (const std::logic_error&) {  // stoull and friends: not a number
    return std::nullopt;
  }
  if (found != 5 + shares.size()) {
    return std::nullopt;
  }
  return state;
}

void write_state(const std::filesystem::path& dir, const WorldState& state) {
  const auto& mix = state.mix;
  // Shares with every digit, so that a restart recognises the same world.
  write_file(dir / "world.state",
             fmt::format("domains {}\nseed {}\nproviders {}\nlatency {}\ngeneration {}\n"
                         "shared_share {}\nmta_sts_share {}\ntlsrpt_share {}\ndane_share {}\n"
                         "misconfigured_share {}\nipv6_share {}\nrsa_share {}\ntesting_share {}\n",
                         state.domains, state.seed, mix.providers, mix.wan ? "wan" : "none",
                         state.generation, mix.shared_share, mix.mta_sts_share, mix.tlsrpt_share,
                         mix.dane_share, mix.misconfigured_share, mix.ipv6_share, mix.rsa_share,
                         mix.testing_share));
}

WorldPlan build_world(const WorldState& state, std::vector<Mutation>* last) {
  WorldPlan plan = plan_world(state.domains, state.seed, state.mix);
  for (std::uint32_t g = 1; g <= state.generation; ++g) {
    auto changes = mutate(plan, g);
    if (last != nullptr && g == state.generation) {
      *last = std::move(changes);
    }
  }
  return plan;
}

std::string policy_list_json(const WorldPlan& plan) {
  const auto choice = choose_listed(plan);
  boost::json::object aliases;
  boost::json::object policies;
  for (std::size_t p = 0; p < plan.providers.size(); ++p) {
    aliases[fmt::format("provider{}", p)] =
        boost::json::object{{"mode", p % 2 == 0 ? "enforce" : "testing"},
                            {"mxs", boost::json::array{fmt::format(".provider{}.test", p)}}};
  }
  for (std::size_t i = 0; i < plan.domains.size(); ++i) {
    if (!choice.listed[i]) {
      continue;
    }
    const auto& domain = plan.domains[i];
    const char* mode = i % 3 == 0 ? "enforce" : "testing";
    if (choice.stale[i]) {
      // The domain moved its mail: the listed mxs no longer match.
      policies[domain.name] =
          boost::json::object{{"mode", mode}, {"mxs", boost::json::array{"mx.moved-away.test"}}};
    } else if (domain.provider >= 0) {
      policies[domain.name] =
          boost::json::object{{"policy-alias", fmt::format("provider{}", domain.provider)}};
    } else {
      boost::json::array mxs;
      for (const auto& name : host_names(domain)) {
        mxs.emplace_back(name);
      }
      policies[domain.name] = boost::json::object{{"mode", mode}, {"mxs", std::move(mxs)}};
    }
  }
  const auto now = std::chrono::system_clock::now();
  const boost::json::object list{{"timestamp", rfc3339(now)},
                                 {"expires", rfc3339(now + std::chrono::hours(24 * 14))},
                                 {"version", "0.1"},
                                 {"author", "mxsim"},
                                 {"policy-aliases", std::move(aliases)},
                                 {"policies", std::move(policies)}};
  return boost::json::serialize(list) + "\n";
}

std::string queue_csv(const WorldPlan& plan) {
  const auto choice = choose_listed(plan);
  std::mt19937_64 rng(plan.seed ^ 0x90e0eULL);
  std::string out = "domain,contact,mxs,mode,submitted_at\n";
  const std::string when = "2026-11-27T12:00:00Z";
  std::size_t listed_rows = 0;
  for (std::size_t i = 0; i < plan.domains.size(); ++i) {
    const auto& domain = plan.domains[i];
    const auto draw = rng() % 100;
    if (choice.listed[i]) {
      if (listed_rows < 3 && draw < 10) {  // resubmitted though already listed
        ++listed_rows;
        out += fmt::format("{},postmaster@{},,testing,{}\n", domain.name, domain.name, when);
      }
      continue;
    }
    if (draw >= 3) {
      continue;
    }
    std::string mxs;
    if (rng() % 2 == 0) {  // otherwise the submitter leaves the patterns to the suggestion
      for (const auto& name : host_names(domain)) {
        mxs += (mxs.empty() ? "" : " ") + name;
      }
    }
    const char* mode = draw == 0 ? "enforce" : (draw == 1 ? "testing" : "");
    out += fmt::format("{},postmaster@{},{},{},{}\n", domain.name, domain.name, mxs, mode, when);
  }
  if (!plan.domains.empty()) {
    const auto& first = plan.domains.front().name;
    out += fmt::format("not a domain!,someone@example.test,,testing,{}\n", when);
    out += fmt::format("{},postmaster@{},,strict,{}\n", first, first, when);
    out += fmt::format("bad..name.test,postmaster@bad.test,mx..bad.test,testing,{}\n", when);
  }
  return out;
}

void write_world_files(const std::filesystem::path& dir, const WorldPlan& plan, bool lists) {
  std::string domains;
  std::string expected;
  for (const auto& domain : plan.domains) {
    domains += domain.name + '\n';
    expected += expected_line(domain) + '\n';
  }
  write_file(dir / "domains.txt", domains);
  write_file(dir / "expected.jsonl", expected);
  if (lists) {
    write_file(dir / "policy.json", policy_list_json(plan));
    write_file(dir / "queue.csv", queue_csv(plan));
  }
}

void write_mxscan_args(const std::filesystem::path& dir, const std::string& resolver,
                       std::uint16_t smtp_port, std::uint16_t https_port) {
  const auto root = std::filesystem::absolute(dir / "root.pem").lexically_normal();
  write_file(dir / "mxscan.args",
             fmt::format("--resolver\n{}\n--ca-file\n{}\n--smtp-port\n{}\n--https-port\n{}\n"
                         "--allow-private\n",
                         resolver, root.string(), smtp_port, https_port));
}

}  // namespace mx::sim
