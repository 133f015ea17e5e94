// Fuzzes the URL parser of `mxscan list update` (probes/https/url.hpp). The URL comes from the
// operator's configuration, but it decides which host is contacted and what is sent on the request
// line, so its promises are checked on arbitrary bytes. Properties, besides not crashing:
// - a refusal says why, in a non-empty sentence;
// - an accepted URL has a canonical DNS name as its host (what normalise_domain gives back
//   unchanged), which is no IP literal and never empty, and a port from 1 to 65535;
// - its path starts with '/' and holds visible ASCII only, without '#': nothing a peer could read
// as
//   the end of the request line or a header (no CR, LF, space or control octet);
// - it is written back as a URL that parses to the same thing and is written the same again.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "probes/https/url.hpp"
#include "scanner/dns/domain_name.hpp"

namespace {

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto url = mx::probes::https::parse_https_url(text);
  if (!url) {
    require(!url.error().empty());
    return 0;
  }
  require(!url->host.empty() && url->port >= 1);
  const auto host = mx::dns::normalise_domain(url->host);
  const auto* canonical = std::get_if<std::string>(&host);
  require(canonical != nullptr && *canonical == url->host);
  require(std::none_of(url->host.begin(), url->host.end(),
                       [](char c) { return c == ':' || c == '/' || c == '@' || c == '['; }));

  require(url->path.starts_with('/'));
  require(std::all_of(url->path.begin(), url->path.end(),
                      [](char c) { return c > ' ' && c < '\x7f' && c != '#'; }));
  require(text.ends_with(url->path));

  const std::string written = mx::probes::https::to_string(*url);
  const auto again = mx::probes::https::parse_https_url(written);
  require(again && *again == *url);
  require(mx::probes::https::to_string(*again) == written);
  return 0;
}
