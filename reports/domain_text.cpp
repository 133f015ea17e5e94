#include "reports/domain_text.hpp"

#include <fmt/format.h>

namespace mx::reports {
namespace {

std::string paint(judge::Status status, const TextStyle& style) {
  const auto name = std::string(judge::to_string(status));
  if (!style.colour) {
    return name;
  }
  const char* colour = "";
  switch (status) {
    case judge::Status::pass:
      colour = "\033[32m";
      break;
    case judge::Status::warn:
      colour = "\033[33m";
      break;
    case judge::Status::fail:
      colour = "\033[31m";
      break;
    case judge::Status::error:
      colour = "\033[35m";
      break;
    case judge::Status::skipped:
      colour = "\033[2m";
      break;
  }
  return fmt::format("{}{}\033[0m", colour, name);
}

void append_checks(std::string& out, const std::vector<judge::Check>& checks, int indent,
                   const TextStyle& style) {
  for (const auto& check : checks) {
    if (check.status == judge::Status::skipped) {
      continue;
    }
    out += fmt::format("{:{}}{:<16} {:<7} {:<24} {}\n", "", indent, check.check,
                       paint(check.status, style), check.code, check.message);
  }
}

}  // namespace

std::string domain_text(const judge::DomainResult& domain, TextStyle style) {
  std::string out = fmt::format("{}: {}\n", domain.domain, paint(domain.status, style));
  append_checks(out, domain.checks, 2, style);
  for (const auto& host : domain.mx) {
    out += fmt::format("  MX {} {}: {}\n", host.preference, host.host, paint(host.status, style));
    for (const auto& address : host.addresses) {
      out += fmt::format("    {}: {}", address.ip.to_string(), paint(address.status, style));
      if (!address.tls_version.empty()) {
        out += fmt::format(" ({} {})", address.tls_version, address.tls_cipher);
      }
      out += "\n";
      append_checks(out, address.checks, 6, style);
      if (address.certificate && address.certificate->parsed) {
        const auto& c = *address.certificate;
        out += fmt::format("      certificate  {} | issuer {} | {} {} bits | until {}\n", c.subject,
                           c.issuer, c.key_type, c.key_bits, c.not_after);
      }
    }
  }
  return out;
}

}  // namespace mx::reports
