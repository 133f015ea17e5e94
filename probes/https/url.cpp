#include "probes/https/url.hpp"

#include <algorithm>
#include <charconv>
#include <variant>

#include <boost/asio/ip/address.hpp>

#include "scanner/dns/domain_name.hpp"

namespace mx::probes::https {

namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char expected, char got) {
           return expected == (got >= 'A' && got <= 'Z' ? static_cast<char>(got - 'A' + 'a') : got);
         });
}

using UrlResult = boost::system::result<HttpsUrl, std::string>;

UrlResult refused(std::string why) {
  return UrlResult(boost::system::in_place_error, std::move(why));
}

bool is_ip_literal(std::string_view host) {
  boost::system::error_code ec;
  static_cast<void>(boost::asio::ip::make_address(std::string(host), ec));
  return !ec;
}

}  // namespace

UrlResult parse_https_url(std::string_view text) {
  constexpr std::string_view scheme = "https://";
  if (!starts_with_ignoring_case(text, scheme)) {
    return refused("not an https:// URL");
  }
  std::string_view rest = text.substr(scheme.size());
  const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return refused("user information (\"user@\") is not allowed in the URL");
  }
  if (authority.starts_with('[')) {
    return refused("an IP literal cannot be checked against a certificate: use a host name");
  }

  HttpsUrl url;
  std::string_view host = authority;
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view digits = authority.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 ||
        port > 65535) {
      return refused("bad port '" + std::string(digits) + "': 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) {
    return refused("no host in the URL");
  }
  if (is_ip_literal(host)) {
    return refused("an IP literal cannot be checked against a certificate: use a host name");
  }
  auto name = dns::normalise_domain(host);
  if (const auto* invalid = std::get_if<dns::InvalidName>(&name)) {
    return refused("bad host '" + std::string(host) + "': " + invalid->reason);
  }
  url.host = std::get<std::string>(std::move(name));

  if (path.empty() || path.front() != '/') {
    return refused("no path in the URL (https://host/path)");
  }
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return refused("the path must be visible ASCII (percent-encode anything else)");
    }
    if (c == '#') {
      return refused("a fragment (\"#...\") is not allowed in the URL");
    }
  }
  url.path = std::string(path);
  return url;
}

std::string to_string(const HttpsUrl& url) {
  std::string text = "https://" + url.host;
  if (url.port != 443) {
    text += ":" + std::to_string(url.port);
  }
  return text + url.path;
}

}  // namespace mx::probes::https
