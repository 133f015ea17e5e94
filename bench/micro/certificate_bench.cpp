// Certificate analysis and DANE TLSA matching of a served 2-certificate chain (leaf, then the
// intermediate) from the test PKI, judged against the test root.
#include <chrono>

#include <catch2/catch.hpp>

#include "bench/micro/fixture.hpp"
#include "probes/dane/tlsa_match.hpp"
#include "probes/tls/certificate.hpp"

TEST_CASE("certificate analysis", "[bench]") {
  const auto& f = mx::bench::fixture();
  const auto now = std::chrono::system_clock::now();
  const auto facts = mx::probes::tls::analyse_chain(f.chain(), "mx1.example.test", f.trust(), now);
  REQUIRE(facts.trusted);
  REQUIRE(facts.name_matches);
  BENCHMARK("analyse_chain, ECDSA P-256 leaf and intermediate, trusted") {
    return mx::probes::tls::analyse_chain(f.chain(), "mx1.example.test", f.trust(), now);
  };
}

TEST_CASE("DANE TLSA matching", "[bench]") {
  const auto& f = mx::bench::fixture();
  const auto now = std::chrono::system_clock::now();
  const mx::dns::TlsaRecord ee{3, 1, 1, *mx::probes::dane::association_data(f.chain()[0], 1, 1)};
  const mx::dns::TlsaRecord ta{2, 0, 1, *mx::probes::dane::association_data(f.chain()[1], 0, 1)};
  REQUIRE(mx::probes::dane::match_tlsa({ee}, f.chain(), "mx1.example.test", "", now).matched);
  REQUIRE(mx::probes::dane::match_tlsa({ta}, f.chain(), "mx1.example.test", "", now).matched);
  BENCHMARK("match_tlsa, DANE-EE 3 1 1") {
    return mx::probes::dane::match_tlsa({ee}, f.chain(), "mx1.example.test", "", now);
  };
  BENCHMARK("match_tlsa, DANE-TA 2 0 1 on the served intermediate") {
    return mx::probes::dane::match_tlsa({ta}, f.chain(), "mx1.example.test", "", now);
  };
}
