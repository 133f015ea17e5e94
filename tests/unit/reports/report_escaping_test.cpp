// Attacker-controlled text (a domain name, a host name, a banner, a policy body, check messages
// quoting them, a certificate issuer) holding <script>, quotes, </style>, </script>, ]]>, -->
// stays inert in every report format: in HTML no element, attribute, comment or CDATA section
// comes from it and the script data parses back to it; in Markdown it is escaped; in JSON it
// parses back to the same string.
#include <openssl/evp.h>

#include <array>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "reports/html_escape.hpp"
#include "reports/json_writer.hpp"
#include "reports/report_format.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/reports/html_tokens.hpp"
#include "tests/unit/reports/report_fixture.hpp"

namespace {

namespace json = boost::json;
using mx::test::HtmlToken;
using Kind = HtmlToken::Kind;

std::string render(const std::filesystem::path& db_path, std::int64_t run,
                   mx::reports::ReportFormat format) {
  const auto db = mx::store::open_for_reading(db_path);
  return mx::reports::render_report(mx::reports::load_run_report(db, run, {}), format);
}

// The report of the third night, with `text` wherever the attacker writes, and of a scan of the
// same domains.
struct Rendered {
  std::string validation;
  std::string scan;
};
Rendered render_both(const std::string& text, mx::reports::ReportFormat format) {
  mx::test::TempDir dir;
  const auto path = dir.path() / "r.db";
  const auto nights = mx::test::report::three_nights(path, text);
  const auto db = mx::store::open_for_reading(path);
  // A scan run of the third night's domains: the failing and undetermined tables.
  std::vector<mx::test::report::Site> sites;
  for (const auto& row : mx::store::read_validation(db, nights.back())) {
    mx::test::report::Site site{.domain = row.domain, .status = row.status};
    if (row.status == "fail") {
      site.hosts = {"mx." + text};
      site.failures = {{"mx." + text, "smtp", "fail", "protocol", "554 " + text}};
    }
    sites.push_back(site);
  }
  const auto scan = mx::test::report::add_run(path, "2026-11-04T03:00:00Z", sites);
  return {render(path, nights.back(), format), render(path, scan, format)};
}

std::string sha256_base64(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  REQUIRE(EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) == 1);
  std::array<unsigned char, 64> base64{};
  const auto written = EVP_EncodeBlock(base64.data(), digest.data(), static_cast<int>(length));
  return {base64.begin(), base64.begin() + written};
}

// Tags in order with their attributes: what must not depend on the data.
std::vector<std::string> structure(const std::vector<HtmlToken>& tokens) {
  std::vector<std::string> out;
  for (const auto& token : tokens) {
    if (token.kind == Kind::start_tag || token.kind == Kind::end_tag) {
      std::string tag = (token.kind == Kind::end_tag ? "/" : "") + token.name;
      for (const auto& [key, value] : token.attributes) {
        // The sizes of bars and labels follow counts, not text; ids and classes are ours.
        tag += " " + key + "=" + value;
      }
      out.push_back(std::move(tag));
    } else if (token.kind != Kind::text) {
      out.push_back("markup");
    }
  }
  return out;
}

// Every string of a JSON value, recursively.
void strings_of(const json::value& value, std::multiset<std::string>& out) {
  if (value.is_string()) {
    out.emplace(value.get_string());
  } else if (value.is_array()) {
    for (const auto& element : value.get_array()) {
      strings_of(element, out);
    }
  } else if (value.is_object()) {
    for (const auto& member : value.get_object()) {
      strings_of(member.value(), out);
    }
  }
}

bool holds_substring(const std::multiset<std::string>& strings, const std::string& wanted) {
  return std::any_of(strings.begin(), strings.end(),
                     [&](const std::string& s) { return s.find(wanted) != std::string::npos; });
}

void check_html(const std::string& hostile, const std::string& benign) {
  const auto tokens = mx::test::tokenize_html(hostile);
  // The same elements and attributes, in the same order, as with harmless text.
  CHECK(structure(tokens) == structure(mx::test::tokenize_html(benign)));

  const std::set<std::string> elements{
      "html",  "head",   "meta",       "title",   "style", "body",   "header", "h1",     "h2",
      "h3",    "p",      "main",       "section", "ul",    "li",     "strong", "span",   "code",
      "div",   "figure", "figcaption", "svg",     "g",     "rect",   "text",   "line",   "table",
      "thead", "tbody",  "tr",         "th",      "td",    "button", "input",  "footer", "script"};
  const std::set<std::string> attributes{
      "lang",       "charset", "name",        "content", "http-equiv", "class",       "id",
      "width",      "height",  "viewbox",     "role",    "aria-label", "xmlns",       "x",
      "y",          "x1",      "y1",          "x2",      "y2",         "text-anchor", "data-value",
      "data-label", "type",    "placeholder", "colspan"};
  std::vector<const HtmlToken*> scripts;
  std::vector<std::string> style_bodies;
  std::vector<std::string> script_bodies;
  std::string decoded_text;
  const HtmlToken* csp = nullptr;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& token = tokens[i];
    CAPTURE(token.name, token.text);
    CHECK(token.kind != Kind::comment);
    CHECK(token.kind != Kind::cdata);
    if (token.kind == Kind::declaration) {
      CHECK(token.text == "DOCTYPE html");
    }
    if (token.kind == Kind::start_tag) {
      CHECK(elements.contains(token.name));
      for (const auto& [key, value] : token.attributes) {
        CAPTURE(key, value);
        CHECK(attributes.contains(key));
        CHECK(value.find('<') == std::string::npos);
        CHECK(value.find('"') == std::string::npos);
      }
      if (token.name == "script") {
        scripts.push_back(&token);
      }
      if (token.name == "meta" && token.attribute("http-equiv") != nullptr) {
        csp = &token;
      }
    }
    if (token.kind == Kind::text && token.name == "style") {
      style_bodies.push_back(token.text);
    } else if (token.kind == Kind::text && token.name == "script") {
      script_bodies.push_back(token.text);
    } else if (token.kind == Kind::text) {
      decoded_text += mx::test::decode_entities(token.text) + "\n";
    }
  }
  // One style sheet and two scripts: the data, and the one script the policy names by hash.
  REQUIRE(style_bodies.size() == 1);
  REQUIRE(scripts.size() == 2);
  REQUIRE(script_bodies.size() == 2);
  CHECK(*scripts[0]->attribute("type") == "application/json");
  CHECK(scripts[1]->attributes.empty());
  REQUIRE(csp != nullptr);
  const auto policy = *csp->attribute("content");
  CHECK(policy.find("default-src 'none'") != std::string::npos);
  CHECK(policy.find("style-src 'sha256-" + sha256_base64(style_bodies[0]) + "'") !=
        std::string::npos);
  CHECK(policy.find("script-src 'sha256-" + sha256_base64(script_bodies[1]) + "'") !=
        std::string::npos);
  CHECK(policy.find("unsafe") == std::string::npos);

  // The text is shown, whole, as text.
  CHECK(decoded_text.find(mx::test::report::kHostile) != std::string::npos);
  // The data for the script holds no '<' at all, and parses back to the same strings.
  CHECK(script_bodies[0].find('<') == std::string::npos);
  CHECK(script_bodies[0].find("\xE2\x80\xA8") == std::string::npos);
  std::multiset<std::string> strings;
  strings_of(json::parse(script_bodies[0]), strings);
  CHECK(strings.contains(mx::test::report::kHostile));
  CHECK(holds_substring(strings, "554 " + mx::test::report::kHostile));
}

}  // namespace

TEST_CASE("report: attacker-controlled text is inert in HTML", "[unit]") {
  const auto hostile = render_both(mx::test::report::kHostile, mx::reports::ReportFormat::html);
  const auto benign = render_both("plain text", mx::reports::ReportFormat::html);
  SECTION("a validation") {
    check_html(hostile.validation, benign.validation);
  }
  SECTION("a scan") {
    check_html(hostile.scan, benign.scan);
  }
}

TEST_CASE("report: attacker-controlled text is escaped in Markdown", "[unit]") {
  const auto rendered =
      render_both(mx::test::report::kHostile, mx::reports::ReportFormat::markdown);
  for (const auto* markdown : {&rendered.validation, &rendered.scan}) {
    // The only markup is ours: <br> between reasons.
    std::string rest = *markdown;
    for (auto at = rest.find("<br>"); at != std::string::npos; at = rest.find("<br>")) {
      rest.erase(at, 4);
    }
    CHECK(rest.find('<') == std::string::npos);
    CHECK(rest.find('>') == std::string::npos);
    CHECK(rest.find("]]") == std::string::npos);
    // Table cells are not split by the text's pipes, nor code spans opened by its backticks.
    CHECK(markdown->find("\\|cell\\|") != std::string::npos);
    CHECK(markdown->find("\\`code\\`") != std::string::npos);
    CHECK(markdown->find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  }
  CHECK(rendered.validation.find("## Urgent") != std::string::npos);
  CHECK(rendered.scan.find("## Failing domains") != std::string::npos);
}

TEST_CASE("report: attacker-controlled text parses back from JSON unchanged", "[unit]") {
  const auto rendered = render_both(mx::test::report::kHostile, mx::reports::ReportFormat::json);
  for (const auto* text : {&rendered.validation, &rendered.scan}) {
    CHECK(text->find('<') == std::string::npos);
    const auto value = json::parse(*text);
    std::multiset<std::string> strings;
    strings_of(value, strings);
    CHECK(strings.contains(mx::test::report::kHostile));  // the domain
    CHECK(strings.contains("mx." + mx::test::report::kHostile));
    CHECK(holds_substring(strings, "554 " + mx::test::report::kHostile));
  }
  // The issuer is a chart's label.
  const auto validation = json::parse(rendered.validation).as_object();
  bool issuer = false;
  for (const auto& chart : validation.at("charts").as_array()) {
    if (chart.at("id").as_string() == "issuers") {
      for (const auto& bar : chart.at("bars").as_array()) {
        issuer = issuer || bar.at("label").as_string() == "CN=" + mx::test::report::kHostile;
      }
    }
  }
  CHECK(issuer);
}

TEST_CASE("escape_html: text and quoted attributes, controls and broken UTF-8", "[unit]") {
  using mx::reports::escape_html;
  CHECK(escape_html("a<b>&\"'c") == "a&lt;b&gt;&amp;&quot;&#39;c");
  CHECK(escape_html("]]> -->") == "]]&gt; --&gt;");
  CHECK(escape_html("tab\tline\n") == "tab\tline\n");
  CHECK(escape_html(std::string("nul\0bel\x07", 8)) ==
        "nul\xEF\xBF\xBD"
        "bel\xEF\xBF\xBD");
  CHECK(escape_html("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");
  CHECK(escape_html("bad \xFF\xC3") == "bad \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(escape_html("c1 \xC2\x85") == "c1 \xEF\xBF\xBD");

  using mx::reports::shorten;
  CHECK(shorten("short", 10) == "short");
  CHECK(shorten("exactly10!", 10) == "exactly10!");
  CHECK(shorten("longer than ten", 10) == "longer th…");
  CHECK(shorten("\xC3\xA9\xC3\xA9\xC3\xA9", 2) == "\xC3\xA9…");
}

TEST_CASE("write_json: strings safe inside <script>, the rest as boost::json writes it", "[unit]") {
  const json::value value{{"text", "</script><!-- \xE2\x80\xA8 & \xFF"},
                          {"n", 3},
                          {"list", json::array{true, nullptr, 1.5}}};
  const auto text = mx::reports::json_text(value);
  CHECK(text ==
        "{\"text\":\"\\u003c/script\\u003e\\u003c!-- \\u2028 \\u0026 \\ufffd\",\"n\":3,"
        "\"list\":[true,null,1.5E0]}");
  CHECK(json::parse(text).at("text").as_string() == "</script><!-- \xE2\x80\xA8 & \xEF\xBF\xBD");
}
