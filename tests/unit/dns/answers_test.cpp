#include <catch2/catch.hpp>

#include "scanner/dns/answers.hpp"

using namespace mx::dns;

TEST_CASE("Outcomes and record types print as their enumerator names", "[unit]") {
  CHECK(to_string(Outcome::data) == "data");
  CHECK(to_string(Outcome::nodata) == "nodata");
  CHECK(to_string(Outcome::nxdomain) == "nxdomain");
  CHECK(to_string(Outcome::servfail) == "servfail");
  CHECK(to_string(Outcome::refused) == "refused");
  CHECK(to_string(Outcome::timeout) == "timeout");
  CHECK(to_string(Outcome::error) == "error");
  CHECK(to_string(RrType::a) == "a");
  CHECK(to_string(RrType::cname) == "cname");
  CHECK(to_string(RrType::soa) == "soa");
  CHECK(to_string(RrType::mx) == "mx");
  CHECK(to_string(RrType::txt) == "txt");
  CHECK(to_string(RrType::aaaa) == "aaaa");
  CHECK(to_string(RrType::tlsa) == "tlsa");
}

TEST_CASE("Null MX needs exactly one record, preference 0, root target", "[unit]") {
  MxAnswer answer;
  answer.meta.outcome = Outcome::data;
  answer.records = {{0, ""}};
  CHECK(answer.null_mx());
  CHECK_FALSE(answer.null_mx_mixed());

  answer.records = {{10, ""}};
  CHECK_FALSE(answer.null_mx());
  CHECK_FALSE(answer.null_mx_mixed());

  answer.records = {{0, ""}, {10, "mx.example.test"}};
  CHECK_FALSE(answer.null_mx());
  CHECK(answer.null_mx_mixed());

  answer.records = {{10, "mx.example.test"}};
  CHECK_FALSE(answer.null_mx());
  CHECK_FALSE(answer.null_mx_mixed());

  answer.meta.outcome = Outcome::nodata;
  answer.records.clear();
  CHECK_FALSE(answer.null_mx());
  CHECK_FALSE(answer.null_mx_mixed());
}

TEST_CASE("Mail hosts: MX targets in order without roots and repeats, the domain for NODATA",
          "[unit]") {
  MxAnswer answer;
  answer.meta.outcome = Outcome::data;
  answer.records = {
      {0, ""}, {10, "a.example"}, {10, "b.example"}, {20, "a.example"}, {30, "c.example"}};
  CHECK(mail_hosts(answer, "example", 10) ==
        std::vector<MxRecord>{{10, "a.example"}, {10, "b.example"}, {30, "c.example"}});
  CHECK(mail_hosts(answer, "example", 2) ==
        std::vector<MxRecord>{{10, "a.example"}, {10, "b.example"}});

  answer.records = {{0, ""}};
  CHECK(mail_hosts(answer, "example", 10).empty());

  answer.meta.outcome = Outcome::nodata;
  answer.records.clear();
  CHECK(mail_hosts(answer, "example", 10) == std::vector<MxRecord>{{0, "example"}});

  for (const auto outcome :
       {Outcome::nxdomain, Outcome::servfail, Outcome::refused, Outcome::timeout, Outcome::error}) {
    answer.meta.outcome = outcome;
    CHECK(mail_hosts(answer, "example", 10).empty());
  }
}
