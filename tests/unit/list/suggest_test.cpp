#include "list/suggest.hpp"

#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using mx::list::is_public_suffix;
using mx::list::registrable_domain;
using mx::list::suggest_patterns;
using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("suggest: registrable domains and public suffixes", "[unit]") {
  CHECK(registrable_domain("mx.mail.example.co.uk") == "example.co.uk");
  CHECK(registrable_domain("MX1.Example.COM.") == "example.com");
  CHECK(registrable_domain("example.com") == "example.com");
  CHECK(registrable_domain("x.blogspot.com") == "x.blogspot.com");
  CHECK_FALSE(registrable_domain("co.uk"));
  CHECK_FALSE(registrable_domain("blogspot.com"));
  CHECK_FALSE(registrable_domain("not a name"));

  CHECK(is_public_suffix("com"));
  CHECK(is_public_suffix("co.uk"));
  CHECK(is_public_suffix("CO.UK."));
  CHECK(is_public_suffix("blogspot.com"));  // the list's private section counts too
  CHECK_FALSE(is_public_suffix("example.com"));
  CHECK_FALSE(is_public_suffix("example.co.uk"));
  CHECK_FALSE(is_public_suffix(""));
  CHECK_FALSE(is_public_suffix("co.uk\n"));
}

// The test world's names (RFC 6761 `.test`): libpsl's implicit "*" rule makes a TLD it does not
// know a public suffix, so `.test` behaves as `.com` does.
TEST_CASE("suggest: unknown TLDs such as .test are public suffixes", "[unit]") {
  for (const char* tld : {"test", "example", "invalid", "localhost", "no-such-tld"}) {
    CAPTURE(tld);
    CHECK(is_public_suffix(tld));
  }
  CHECK_FALSE(is_public_suffix("d1.test"));
  CHECK(registrable_domain("mx.d1.test") == "d1.test");
  CHECK(registrable_domain("mx1.provider3.test") == "provider3.test");
  CHECK_FALSE(registrable_domain("test"));
  CHECK(suggest_patterns({"mx1.provider3.test", "mx2.provider3.test"}) == Names{".provider3.test"});
  CHECK(suggest_patterns({"a.test", "b.test"}) == Names{"a.test", "b.test"});
}

TEST_CASE("suggest: the header's examples", "[unit]") {
  CHECK(suggest_patterns({"mx1.mail.example.co.uk", "mx2.mail.example.co.uk"}) ==
        Names{".mail.example.co.uk"});
  CHECK(suggest_patterns({"mx1.example.com", "mx2.example.com"}) == Names{".example.com"});
  CHECK(suggest_patterns({"mx.example.com"}) == Names{"mx.example.com"});
}

TEST_CASE("suggest: hosts under co.uk", "[unit]") {
  // Two registrable domains side by side under a public suffix: never ".co.uk".
  CHECK(suggest_patterns({"example.co.uk", "other.co.uk"}) ==
        Names{"example.co.uk", "other.co.uk"});
  CHECK(suggest_patterns({"mx1.example.co.uk", "mx2.example.co.uk", "mx.other.co.uk"}) ==
        Names{".example.co.uk", "mx.other.co.uk"});
}

TEST_CASE("suggest: implicit MX, the domain itself", "[unit]") {
  CHECK(suggest_patterns({"d1.test"}) == Names{"d1.test"});
  CHECK(suggest_patterns({"example.com"}) == Names{"example.com"});
  // The domain beside a host of its own: different parents, two names.
  CHECK(suggest_patterns({"example.com", "mx.example.com"}) ==
        Names{"example.com", "mx.example.com"});
}

TEST_CASE("suggest: mixed providers, sorted and deduplicated", "[unit]") {
  CHECK(suggest_patterns({"mx2.provider3.test", "mx.d1.test", "MX1.provider3.test.",
                          "mx2.provider3.test", "alt1.aspmx.l.google.com", "aspmx.l.google.com",
                          "alt2.aspmx.l.google.com"}) ==
        Names{".aspmx.l.google.com", ".provider3.test", "aspmx.l.google.com", "mx.d1.test"});
  CHECK(suggest_patterns({"mx.b.example", "mx.a.example", "mx.a.example"}) ==
        Names{"mx.a.example", "mx.b.example"});
}

TEST_CASE("suggest: never a wildcard covering a public suffix", "[unit]") {
  // blogspot.com is a public suffix (private section): its children belong to different owners.
  CHECK(suggest_patterns({"a.blogspot.com", "b.blogspot.com"}) ==
        Names{"a.blogspot.com", "b.blogspot.com"});
  // *.ck: every name under ck is a public suffix, so x.ck is one too.
  CHECK(suggest_patterns({"mx1.x.ck", "mx2.x.ck"}) == Names{"mx1.x.ck", "mx2.x.ck"});
  const Names hosts = {"mx1.a.example.com", "mx2.a.example.com", "a.co.uk",    "b.co.uk",
                       "x.github.io",       "y.github.io",       "mx1.d.test", "mx2.d.test"};
  for (const std::string& pattern : suggest_patterns(hosts)) {
    CAPTURE(pattern);
    if (pattern.starts_with('.')) {
      CHECK_FALSE(is_public_suffix(pattern.substr(1)));
      CHECK(registrable_domain(pattern.substr(1)));
    }
  }
}

TEST_CASE("suggest: names that cannot be patterns are left out", "[unit]") {
  CHECK(suggest_patterns({}).empty());
  CHECK(suggest_patterns({"", "localhost", "bad..name", "mx.example.com"}) ==
        Names{"mx.example.com"});
}

TEST_CASE("suggest: the list is loaded once, safely from several threads", "[unit]") {
  std::vector<std::thread> threads;
  std::vector<int> found(4, 0);
  for (std::size_t i = 0; i < found.size(); ++i) {
    threads.emplace_back([&found, i] {
      found[i] = registrable_domain("mx.example.co.uk") == "example.co.uk" ? 1 : 0;
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  CHECK(found == std::vector<int>(4, 1));
}
