#pragma once
// `mxscan resolve DOMAIN...`: what the scanner's resolver sees for each domain, without connecting
// anywhere: MX (null and implicit MX recognised), the A and AAAA of each mail host (with the
// special-purpose block of each address), TLSA at _25._tcp.<host>, and the _mta-sts and
// _smtp._tls TXT records. A diagnostic for list maintainers; it judges nothing.
//
// Exit code: 0 when every lookup was answered (data, NODATA or NXDOMAIN), 3 when some lookup was
// undetermined (timeout, SERVFAIL, REFUSED, other error), 2 for a malformed domain or option.

#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

struct ResolveArgs {
  std::vector<std::string> domains;
};

void add_resolve_arguments(CLI::App& app, ResolveArgs& args);
int run_resolve(const ScanOptions& options, const ResolveArgs& args);

}  // namespace mx::cli
