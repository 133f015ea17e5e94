#pragma once
// Address-level rules: what the SMTP/STARTTLS probe and the certificate analysis observed at one
// address, turned into the checks address, connect, smtp, starttls, tls and certificate
// (CONTRACT.md "Checks and codes"). Pure.
//
// Reachability problems (refused, timeout, 4xx, a 5xx greeting) are `error`: undetermined from
// where we stand. Capability problems (no STARTTLS, a failed handshake, a bad certificate) are
// `fail`. A check that depends on one that did not pass is `skipped`.

#include <optional>
#include <vector>

#include "judge/status.hpp"
#include "probes/smtp/observation.hpp"
#include "probes/tls/certificate.hpp"

namespace mx::judge {

[[nodiscard]] std::vector<Check> judge_address(
    const probes::smtp::Observation& smtp,
    const std::optional<probes::tls::CertificateFacts>& certificate);

}  // namespace mx::judge
