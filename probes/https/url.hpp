#pragma once
// The one URL form the HTTPS client is given by an operator: https://HOST[:PORT]/PATH. Pure.
//
// Narrower than RFC 3986 on purpose, since what is refused here cannot reach a request:
// - the scheme is https (any case): a list taken over plain HTTP could be withheld or replayed
//   by anyone on the path unseen;
// - no userinfo ("user@"): a credential in a URL ends up in logs and process listings;
// - HOST is a DNS name, made canonical as mail domains are (IDNA to A-labels, lower case, no
//   trailing dot): an IP literal cannot be checked against a certificate's DNS names;
// - PORT, when given, is 1 to 65535;
// - PATH starts with "/" and is sent as written, query included: visible ASCII only, and no
//   fragment ("#" is never sent to a server).

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace mx::probes::https {

struct HttpsUrl {
  std::string host;  // canonical DNS name
  std::uint16_t port = 443;
  std::string path;  // "/..." as sent in the request line

  bool operator==(const HttpsUrl&) const = default;
};

// The URL `text` spells, or why it is not one this client takes (a sentence for the operator).
[[nodiscard]] boost::system::result<HttpsUrl, std::string> parse_https_url(std::string_view text);

// "https://host[:port]/path", the port written only when not 443.
[[nodiscard]] std::string to_string(const HttpsUrl& url);

}  // namespace mx::probes::https
