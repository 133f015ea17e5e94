#include <catch2/catch.hpp>

#include "judge/admission.hpp"
#include "judge/domain_rules.hpp"
#include "judge/list_rules.hpp"

namespace {

using mx::dns::Outcome;
using mx::judge::ListPolicy;
using mx::judge::Status;
using mx::list::Mode;

// example.test with MX hosts `hosts`, each with no address answer (address `none`: fail), so
// that only the list rule differs between the cases below.
mx::probes::DomainObservation domain_with_hosts(const std::vector<std::string>& hosts) {
  mx::probes::DomainObservation d;
  d.domain = "example.test";
  d.mx.meta.outcome = Outcome::data;
  std::uint16_t preference = 10;
  for (const auto& name : hosts) {
    d.mx.records.push_back({preference, name});
    auto& h = d.hosts.emplace_back();
    h.mx = {preference, name};
    h.a.meta.outcome = Outcome::nodata;
    h.aaaa.meta.outcome = Outcome::nodata;
    preference += 10;
  }
  return d;
}

const mx::judge::Check* find(const std::vector<mx::judge::Check>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.check == name) {
      return &c;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("policy.mx-pattern: each MX host must match a pattern of the entry", "[unit]") {
  const ListPolicy policy{Mode::enforce, {".mail.example.test", "mx.other.test"}};
  CHECK(mx::judge::judge_mx_pattern("mx1.mail.example.test", policy).status == Status::pass);
  CHECK(mx::judge::judge_mx_pattern("MX.OTHER.TEST.", policy).status == Status::pass);
  const auto deeper = mx::judge::judge_mx_pattern("a.mx1.mail.example.test", policy);
  CHECK(deeper.status == Status::fail);
  CHECK(deeper.code == "mismatch");
  CHECK(mx::judge::judge_mx_pattern("mail.example.test", policy).status == Status::fail);
  // The mode does not soften it: a testing entry's mismatch is a fail too.
  const ListPolicy testing{Mode::testing, {"mx.example.test"}};
  CHECK(mx::judge::judge_mx_pattern("mx.elsewhere.test", testing).status == Status::fail);
}

TEST_CASE("judge_domain with a list entry: the pattern check on every host, policy echoed",
          "[unit]") {
  const auto observation = domain_with_hosts({"mx1.example.test", "mx.moved.test"});
  const ListPolicy policy{Mode::testing, {".example.test"}};

  const auto without = mx::judge::judge_domain(observation);
  CHECK_FALSE(without.policy);
  for (const auto& host : without.mx) {
    CHECK(find(host.checks, "policy.mx-pattern") == nullptr);
  }

  const auto with = mx::judge::judge_domain(observation, &policy);
  REQUIRE(with.policy);
  CHECK(*with.policy == policy);
  REQUIRE(with.mx.size() == 2);
  const auto* first = find(with.mx[0].checks, "policy.mx-pattern");
  const auto* second = find(with.mx[1].checks, "policy.mx-pattern");
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  CHECK(first->code == "ok");
  CHECK(second->code == "mismatch");
  CHECK(with.status == Status::fail);
}

TEST_CASE("a domain without usable MX gets no pattern check (mx already decides)", "[unit]") {
  auto observation = domain_with_hosts({});
  observation.mx.meta.outcome = Outcome::nxdomain;
  const ListPolicy policy{Mode::enforce, {"mx.example.test"}};
  const auto result = mx::judge::judge_domain(observation, &policy);
  CHECK(result.mx.empty());
  CHECK(result.status == Status::fail);
  CHECK(result.checks.front().code == "nxdomain");
}

TEST_CASE("admission: accept, reject with reasons, retry", "[unit]") {
  mx::judge::AdmissionInput input;
  input.status = Status::warn;
  input.mx_hosts = {"mx.example.test"};
  input.judged_mxs = {"mx.example.test"};
  auto decided = mx::judge::decide_admission(input);
  CHECK(decided.decision == "accept");
  CHECK(decided.reasons.empty());
  CHECK(decided.mta_sts == "none");

  input.status = Status::fail;
  input.failing = {"starttls:not-advertised", "policy.mx-pattern:mismatch"};
  decided = mx::judge::decide_admission(input);
  CHECK(decided.decision == "reject");
  CHECK(decided.reasons == input.failing);

  input.status = Status::error;
  input.undetermined = {"connect:timeout"};
  decided = mx::judge::decide_admission(input);
  CHECK(decided.decision == "retry");
  CHECK(decided.reasons == std::vector<std::string>{"connect:timeout"});
}

TEST_CASE("admission: the patterns against the domain's MTA-STS policy", "[unit]") {
  mx::judge::AdmissionInput input;
  input.mx_hosts = {"mx1.example.test", "mx2.example.test"};
  input.judged_mxs = {".example.test"};
  input.mta_sts_mx = std::vector<std::string>{"*.example.test"};
  auto decided = mx::judge::decide_admission(input);
  CHECK(decided.mta_sts == "agree");
  CHECK(decided.conflicts.empty());

  input.mta_sts_mx = std::vector<std::string>{"mx1.example.test"};
  decided = mx::judge::decide_admission(input);
  CHECK(decided.mta_sts == "conflict");
  CHECK(decided.conflicts == std::vector<std::string>{"mx2.example.test"});
}

TEST_CASE("admission: a wholly excluded submission is neither accepted nor rejected", "[unit]") {
  mx::judge::AdmissionInput input;
  input.status = mx::judge::Status::skipped;
  input.excluded = {"address:excluded"};
  const auto admission = mx::judge::decide_admission(input);
  CHECK(admission.decision == "excluded");
  CHECK(admission.reasons == std::vector<std::string>{"address:excluded"});
}
