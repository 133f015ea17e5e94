#include "scanner/cli/trust.hpp"

#include <iostream>

#include <fmt/format.h>

namespace mx::cli {

std::optional<probes::tls::TrustStore> load_trust(std::string_view command,
                                                  const ScanOptions& options) {
  try {
    return options.ca_file.empty() ? probes::tls::TrustStore::system()
                                   : probes::tls::TrustStore::from_file(options.ca_file);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("mxscan {}: {}\n", command, e.what());
    return std::nullopt;
  }
}

}  // namespace mx::cli
