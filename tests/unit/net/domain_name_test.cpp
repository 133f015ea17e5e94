#include <catch2/catch.hpp>

#include "scanner/dns/domain_name.hpp"

using mx::dns::InvalidName;
using mx::dns::normalise_domain;

TEST_CASE("domain names are normalised to lower-case A-labels without the trailing dot", "[unit]") {
  struct Row {
    const char* input;
    const char* expected;
  };
  const auto row = GENERATE(values<Row>({
      {"example.com", "example.com"},
      {"Example.COM.", "example.com"},
      {"mail.example.co.uk", "mail.example.co.uk"},
      {"bücher.example", "xn--bcher-kva.example"},
      {"BÜCHER.example", "xn--bcher-kva.example"},
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},
      {"例え.テスト", "xn--r8jz45g.xn--zckzah"},
      {"a-b.c-d.test", "a-b.c-d.test"},
      {"123.example", "123.example"},
  }));
  CAPTURE(row.input);
  const auto result = normalise_domain(row.input);
  REQUIRE(std::holds_alternative<std::string>(result));
  CHECK(std::get<std::string>(result) == row.expected);
}

TEST_CASE("malformed domain names are reported, not scanned", "[unit]") {
  const auto input =
      GENERATE(as<std::string>{}, "", ".", "localhost", "example..com", ".example.com",
               "exa mple.com", "-example.com", "example-.com", "ex_ample.com", "example.com..",
               "192.0.2.1", "http://example.com", "a@example.com", std::string(64, 'a') + ".com",
               std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                   "." + std::string(63, 'd') + ".com",
               "xn--zz.example", "exa\tmple.com");
  CAPTURE(input);
  const auto result = normalise_domain(input);
  REQUIRE(std::holds_alternative<InvalidName>(result));
  CHECK_FALSE(std::get<InvalidName>(result).reason.empty());
}
