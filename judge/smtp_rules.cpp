#include "judge/smtp_rules.hpp"

#include <fmt/format.h>

namespace mx::judge {
namespace {

using probes::smtp::Ending;
using probes::smtp::Observation;
using probes::smtp::Stage;

Check make(std::string name, Status status, std::string code, std::string message) {
  return Check{std::move(name), status, std::move(code), std::move(message)};
}

Check skipped(std::string name, std::string_view because) {
  return make(std::move(name), Status::skipped, "skipped", fmt::format("not run: {}", because));
}

std::string reply_text(const std::optional<probes::smtp::Reply>& reply) {
  if (!reply) {
    return "no reply";
  }
  return fmt::format("{} {}", reply->code, reply->lines.empty() ? "" : reply->lines.front());
}

bool before_tls(Stage stage) {
  return stage == Stage::greeting || stage == Stage::ehlo || stage == Stage::helo ||
         stage == Stage::starttls;
}

std::string detail_or(const Observation& o, std::string_view fallback) {
  return o.detail.empty() ? std::string(fallback) : o.detail;
}

Check judge_connect(const Observation& o) {
  if (o.stage != Stage::connect) {
    return make("connect", Status::pass, "ok", "TCP connection established");
  }
  switch (o.ending) {
    case Ending::refused:
      return make("connect", Status::error, "refused",
                  "connection refused (from here; may be a firewall)");
    case Ending::timeout:
      return make("connect", Status::error, "timeout", "no answer to the TCP connection attempt");
    default:
      return make("connect", Status::error, "unreachable", detail_or(o, "network unreachable"));
  }
}

// The SMTP dialogue up to STARTTLS (and any protocol violation, wherever it happened).
Check judge_smtp(const Observation& o) {
  if (o.ending == Ending::protocol) {
    const auto what = o.violation ? probes::smtp::to_string(*o.violation) : "malformed reply";
    return make("smtp", Status::fail, "protocol",
                fmt::format("not valid SMTP at {}: {}", probes::smtp::to_string(o.stage), what));
  }
  const bool greeting_or_hello =
      o.stage == Stage::greeting || o.stage == Stage::ehlo || o.stage == Stage::helo;
  if (greeting_or_hello) {
    switch (o.ending) {
      case Ending::rejected:
        if (o.stage == Stage::greeting) {
          return make("smtp", Status::error, "banner-rejected",
                      fmt::format("the server refuses us: {}", reply_text(o.greeting)));
        }
        return make("smtp", Status::error, "temporary",
                    fmt::format("HELO refused: {}", reply_text(o.helo)));
      case Ending::deferred:
        return make("smtp", Status::error, "temporary",
                    fmt::format("temporary failure at {}: {}", probes::smtp::to_string(o.stage),
                                reply_text(o.stage == Stage::greeting ? o.greeting : o.ehlo)));
      case Ending::timeout:
        return make("smtp", Status::error, "timeout",
                    fmt::format("no complete reply at {} before the deadline",
                                probes::smtp::to_string(o.stage)));
      case Ending::closed:
        return make("smtp", Status::error, "closed",
                    fmt::format("the server closed the connection at {}",
                                probes::smtp::to_string(o.stage)));
      case Ending::io_error:
        return make("smtp", Status::error, "closed", detail_or(o, "connection lost"));
      default:
        break;
    }
  }
  return make("smtp", Status::pass, "ok",
              o.helo ? "SMTP dialogue (EHLO refused, HELO accepted)" : "SMTP dialogue");
}

Check judge_starttls(const Observation& o) {
  if (o.ending == Ending::no_starttls) {
    return make("starttls", Status::fail, "not-advertised",
                o.helo ? "EHLO refused; HELO offers no extensions, so no STARTTLS"
                       : "the EHLO reply does not offer STARTTLS");
  }
  if (o.stage == Stage::starttls) {
    switch (o.ending) {
      case Ending::rejected:
        return make("starttls", Status::fail, "rejected",
                    fmt::format("STARTTLS refused: {}", reply_text(o.starttls)));
      case Ending::deferred:
        return make("starttls", Status::error, "temporary",
                    fmt::format("STARTTLS deferred: {}", reply_text(o.starttls)));
      case Ending::timeout:
        return make("starttls", Status::error, "timeout",
                    "no reply to STARTTLS before the deadline");
      default:
        return make("starttls", Status::error, "closed",
                    detail_or(o, "the server closed the connection after STARTTLS"));
    }
  }
  if (o.plaintext_after_starttls > 0) {
    return make("starttls", Status::warn, "plaintext-after-starttls",
                fmt::format("{} octets of plaintext followed \"220\" to STARTTLS; discarded "
                            "(RFC 3207 section 4.2)",
                            o.plaintext_after_starttls));
  }
  return make("starttls", Status::pass, "ok", "STARTTLS offered and accepted");
}

Check judge_tls(const Observation& o) {
  if (o.stage == Stage::tls_handshake) {
    if (o.ending == Ending::timeout) {
      return make("tls", Status::error, "timeout", "the TLS handshake did not finish in time");
    }
    const std::string why = o.tls && !o.tls->failure.empty() ? o.tls->failure : o.detail;
    return make("tls", Status::fail, "handshake-failed",
                fmt::format("TLS handshake failed{}{}", why.empty() ? "" : ": ", why));
  }
  if (!o.tls || o.tls->version_number == 0) {
    return make("tls", Status::fail, "handshake-failed", "no TLS session");
  }
  if (o.tls->version_number < 0x0303) {
    return make("tls", Status::fail, "outdated",
                fmt::format("the best version the server agrees to is {}", o.tls->version));
  }
  if (o.stage == Stage::ehlo_tls && o.ending != Ending::completed &&
      o.ending != Ending::protocol) {  // a violation is the smtp check's
    const bool determined = o.ending == Ending::rejected;
    return make("tls", determined ? Status::fail : Status::error, "post-handshake",
                fmt::format("{} {}; EHLO inside TLS: {}", o.tls->version, o.tls->cipher,
                            o.ehlo_tls ? reply_text(o.ehlo_tls) : detail_or(o, "no reply")));
  }
  return make("tls", Status::pass, "ok", fmt::format("{} {}", o.tls->version, o.tls->cipher));
}

bool weak_key(const probes::tls::CertificateFacts& c) {
  if (c.key_type == "RSA" || c.key_type == "DSA") {
    return c.key_bits < 2048;
  }
  if (c.key_type == "EC") {
    return c.key_bits < 224;
  }
  return false;
}

bool weak_signature(const probes::tls::CertificateFacts& c) {
  const auto& alg = c.signature_algorithm;
  return alg.find("sha1") != std::string::npos || alg.find("SHA1") != std::string::npos ||
         alg.find("md5") != std::string::npos || alg.find("MD5") != std::string::npos;
}

Check judge_certificate(const std::optional<probes::tls::CertificateFacts>& certificate,
                        const std::string& host) {
  if (!certificate || !certificate->parsed) {
    return make("certificate", Status::fail, "untrusted", "no parsable certificate was served");
  }
  const auto& c = *certificate;
  if (!c.trusted) {
    return make("certificate", Status::fail, "untrusted",
                fmt::format("no chain to a trust anchor{}: {}",
                            c.self_signed ? " (self-signed)" : "", c.verify_error_text));
  }
  if (c.expired) {
    return make("certificate", Status::fail, "expired", fmt::format("expired {}", c.not_after));
  }
  if (c.chain_expired) {
    return make("certificate", Status::fail, "expired",
                "a certificate of the served chain above the leaf has expired");
  }
  if (c.not_yet_valid) {
    return make("certificate", Status::fail, "not-yet-valid",
                fmt::format("not valid before {}", c.not_before));
  }
  if (!c.name_matches) {
    if (c.cn_only_match) {
      return make("certificate", Status::fail, "name-mismatch",
                  fmt::format("only the subject CN names {}; a subjectAltName DNS entry is "
                              "required (RFC 8461 section 4.2)",
                              host));
    }
    return make("certificate", Status::fail, "name-mismatch",
                fmt::format("no subjectAltName covers {}", host));
  }
  if (weak_key(c)) {
    return make("certificate", Status::warn, "weak-key",
                fmt::format("{} key of {} bits", c.key_type, c.key_bits));
  }
  if (weak_signature(c)) {
    return make("certificate", Status::warn, "weak-signature",
                fmt::format("signed with {}", c.signature_algorithm));
  }
  return make("certificate", Status::pass, "ok",
              fmt::format("valid for {} until {}", host, c.not_after));
}

}  // namespace

std::vector<Check> judge_address(const Observation& o,
                                 const std::optional<probes::tls::CertificateFacts>& certificate) {
  std::vector<Check> checks;
  if (o.ending == Ending::forbidden) {
    // The probe's detail names the block: "special-purpose address: Loopback (127.0.0.0/8, ...".
    checks.push_back(
        make("address", Status::error, "forbidden",
             fmt::format("{} is a {}; not connected without --allow-private", o.ip.to_string(),
                         o.detail.empty() ? "special-purpose address" : o.detail)));
    for (const auto* name : {"connect", "smtp", "starttls", "tls", "certificate"}) {
      checks.push_back(skipped(name, "address forbidden"));
    }
    return checks;
  }
  if (o.ending == Ending::excluded) {
    // The operator's choice, not the domain's fault: skipped, never an error. The detail names
    // the entry of the exclude list.
    checks.push_back(make("address", Status::skipped, "excluded",
                          fmt::format("{} is {}; not contacted", o.ip.to_string(), o.detail)));
    for (const auto* name : {"connect", "smtp", "starttls", "tls", "certificate"}) {
      checks.push_back(skipped(name, "address excluded"));
    }
    return checks;
  }
  checks.push_back(make("address", Status::pass, "ok", o.ip.to_string()));
  if (o.stage == Stage::not_started && o.ending == Ending::timeout) {
    // Never probed: the domain's budget ran out first (scanner/engine/observe_domain.hpp).
    checks.push_back(make("connect", Status::error, "timeout", detail_or(o, "not probed")));
    for (const auto* name : {"smtp", "starttls", "tls", "certificate"}) {
      checks.push_back(skipped(name, "not probed"));
    }
    return checks;
  }

  auto connect = judge_connect(o);
  const bool connected = connect.status == Status::pass;
  checks.push_back(std::move(connect));
  if (!connected) {
    for (const auto* name : {"smtp", "starttls", "tls", "certificate"}) {
      checks.push_back(skipped(name, "no connection"));
    }
    return checks;
  }

  auto smtp = judge_smtp(o);
  const bool smtp_ok = smtp.status == Status::pass;
  // A protocol violation inside TLS is still the dialogue's fault, but TLS facts were gathered.
  const bool violation_before_tls = !smtp_ok && (before_tls(o.stage) || !o.tls);
  checks.push_back(std::move(smtp));
  if (violation_before_tls) {
    for (const auto* name : {"starttls", "tls", "certificate"}) {
      checks.push_back(skipped(name, "SMTP dialogue failed"));
    }
    return checks;
  }

  auto starttls = judge_starttls(o);
  const bool starttls_ok = starttls.status == Status::pass || starttls.status == Status::warn;
  checks.push_back(std::move(starttls));
  if (!starttls_ok) {
    checks.push_back(skipped("tls", "STARTTLS did not succeed"));
    checks.push_back(skipped("certificate", "STARTTLS did not succeed"));
    return checks;
  }

  auto tls = judge_tls(o);
  // The certificate is judged whenever one was served, even over an outdated protocol.
  const bool have_chain = o.tls && !o.tls->chain.empty();
  checks.push_back(std::move(tls));
  if (!have_chain) {
    checks.push_back(skipped("certificate", "no certificate was captured"));
    return checks;
  }
  checks.push_back(judge_certificate(certificate, o.host));
  return checks;
}

}  // namespace mx::judge
