// The URL form the HTTPS client takes from an operator: https://HOST[:PORT]/PATH only.

#include <string>

#include <catch2/catch.hpp>

#include "probes/https/url.hpp"

namespace {

using mx::probes::https::HttpsUrl;
using mx::probes::https::parse_https_url;

}  // namespace

TEST_CASE("HTTPS URL: host, port and path", "[unit]") {
  struct Case {
    const char* text;
    HttpsUrl url;
  };
  const Case c = GENERATE(
      Case{"https://lists.example.org/policy.json", {"lists.example.org", 443, "/policy.json"}},
      Case{"HTTPS://Lists.Example.ORG./a/b.json?v=2", {"lists.example.org", 443, "/a/b.json?v=2"}},
      Case{"https://lists.example.org:8443/", {"lists.example.org", 8443, "/"}},
      Case{"https://bücher.example/p", {"xn--bcher-kva.example", 443, "/p"}});
  INFO(c.text);
  const auto url = parse_https_url(c.text);
  REQUIRE(url.has_value());
  CHECK(*url == c.url);
}

TEST_CASE("HTTPS URL: what is refused, and why", "[unit]") {
  struct Case {
    const char* text;
    const char* why;
  };
  const Case c = GENERATE(
      Case{"http://lists.example.org/policy.json", "not an https:// URL"},
      Case{"ftp://lists.example.org/policy.json", "not an https:// URL"},
      Case{"lists.example.org/policy.json", "not an https:// URL"},
      Case{"https://user:pw@lists.example.org/p", "user information"},
      Case{"https://[::1]/p", "IP literal"}, Case{"https://192.0.2.1/p", "IP literal"},
      Case{"https://lists.example.org:0/p", "bad port '0'"},
      Case{"https://lists.example.org:65536/p", "bad port"},
      Case{"https://lists.example.org:/p", "bad port"},
      Case{"https://lists.example.org:44x/p", "bad port"}, Case{"https:///p", "no host"},
      Case{"https://-bad-.example/p", "bad host"}, Case{"https://lists.example.org", "no path"},
      Case{"https://lists.example.org?x", "no path"},
      Case{"https://lists.example.org/a b", "visible ASCII"},
      Case{"https://lists.example.org/a\nb", "visible ASCII"},
      Case{"https://lists.example.org/p#top", "fragment"});
  INFO(c.text);
  const auto url = parse_https_url(c.text);
  REQUIRE_FALSE(url.has_value());
  CHECK(url.error().find(c.why) != std::string::npos);
}

TEST_CASE("HTTPS URL: printed with the port only when not 443", "[unit]") {
  CHECK(to_string(HttpsUrl{"a.example", 443, "/p"}) == "https://a.example/p");
  CHECK(to_string(HttpsUrl{"a.example", 8443, "/p?q"}) == "https://a.example:8443/p?q");
}
