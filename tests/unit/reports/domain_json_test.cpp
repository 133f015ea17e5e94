#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "reports/domain_json.hpp"
#include "reports/domain_text.hpp"

namespace {

namespace json = boost::json;
using mx::judge::Check;
using mx::judge::Status;

mx::judge::DomainResult domain() {
  mx::judge::DomainResult d;
  d.domain = "example.test";
  d.status = Status::warn;
  d.checks = {Check{"mx", Status::pass, "ok", "1 MX host"},
              Check{"mta-sts.record", Status::pass, "ok", "id 20240101"},
              Check{"mta-sts.policy", Status::pass, "mode-testing", "mode testing"},
              Check{"mta-sts.mx-match", Status::warn, "mismatch", "mx2 matches no pattern"},
              Check{"tlsrpt.record", Status::warn, "absent", "no record"}};
  return d;
}

}  // namespace

TEST_CASE("domain JSON: mta_sts and tlsrpt are null without a record", "[unit]") {
  const auto object = mx::reports::domain_json(domain());
  CHECK(object.at("mta_sts").is_null());
  CHECK(object.at("tlsrpt").is_null());
  CHECK(object.at("policy").is_null());
}

TEST_CASE("domain JSON: mta_sts {record, id, policy} and tlsrpt {record, rua}", "[unit]") {
  auto d = domain();
  d.mta_sts = mx::judge::MtaStsFacts{"v=STSv1; id=20240101", "20240101", std::nullopt};
  d.tlsrpt = mx::judge::TlsrptFacts{"v=TLSRPTv1; rua=mailto:a@example.test,https://r.test/",
                                    {"mailto:a@example.test", "https://r.test/"}};
  const auto without_policy = mx::reports::domain_json(d);
  CHECK(json::serialize(without_policy.at("mta_sts")) ==
        R"({"record":"v=STSv1; id=20240101","id":"20240101","policy":null})");
  CHECK(json::serialize(without_policy.at("tlsrpt")) ==
        R"({"record":"v=TLSRPTv1; rua=mailto:a@example.test,https://r.test/",)"
        R"("rua":["mailto:a@example.test","https://r.test/"]})");

  d.mta_sts->policy =
      mx::judge::MtaStsPolicyFacts{"testing", 604800, {"mx1.example.test", "*.example.test"}};
  const auto with_policy = mx::reports::domain_json(d);
  CHECK(json::serialize(with_policy.at("mta_sts").at("policy")) ==
        R"({"mode":"testing","max_age":604800,"mx":["mx1.example.test","*.example.test"]})");
  const auto& checks = with_policy.at("checks").as_array();
  REQUIRE(checks.size() == 5);
  CHECK(checks[3].at("check").as_string() == "mta-sts.mx-match");
  CHECK(checks[3].at("status").as_string() == "warn");
}

TEST_CASE("domain text: the policy checks are listed, skipped ones left out", "[unit]") {
  auto d = domain();
  d.checks.push_back(Check{"mta-sts.extra", Status::skipped, "no-policy", "not run"});
  const auto text = mx::reports::domain_text(d, {});
  CHECK(text.find("mta-sts.mx-match warn    mismatch") != std::string::npos);
  CHECK(text.find("tlsrpt.record    warn    absent") != std::string::npos);
  CHECK(text.find("no-policy") == std::string::npos);
}
