#pragma once
// The trust anchors of a scanning command: --ca-file or the system store. A file that cannot be
// read is reported on stderr (naming the command and the file) and gives nullopt.

#include <optional>
#include <string_view>

#include "probes/tls/trust_store.hpp"
#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

[[nodiscard]] std::optional<probes::tls::TrustStore> load_trust(std::string_view command,
                                                                const ScanOptions& options);

}  // namespace mx::cli
