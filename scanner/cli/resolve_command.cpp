#include "scanner/cli/resolve_command.hpp"

#include <cstdio>
#include <iostream>
#include <optional>
#include <variant>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "scanner/cli/exit_code.hpp"
#include "scanner/dns/domain_name.hpp"
#include "scanner/dns/resolver.hpp"
#include "scanner/engine/bounded_run.hpp"
#include "scanner/engine/observe_domain.hpp"
#include "scanner/net/special_addresses.hpp"

namespace mx::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

using probes::DomainObservation;

bool undetermined(dns::Outcome outcome) {
  return outcome != dns::Outcome::data && outcome != dns::Outcome::nodata &&
         outcome != dns::Outcome::nxdomain;
}

// `resolver` and `view` belong to run_resolve's frame, which outlives the io_context run.
asio::awaitable<void> look_up(dns::Resolver& resolver, const targets::ExcludeList* exclude,
                              DomainObservation& view) {
  auto observed = co_await engine::look_up_domain(resolver, exclude, view.domain);
  view = std::move(observed);
}

// Names not asked (--exclude) are not undetermined: nothing was asked.
bool any_undetermined(const DomainObservation& view) {
  if (view.excluded) {
    return false;
  }
  if (undetermined(view.mx.meta.outcome) || undetermined(view.mta_sts_txt.meta.outcome) ||
      undetermined(view.tlsrpt_txt.meta.outcome)) {
    return true;
  }
  for (const auto& host : view.hosts) {
    if (host.excluded) {
      continue;
    }
    if (undetermined(host.a.meta.outcome) || undetermined(host.aaaa.meta.outcome) ||
        undetermined(host.tlsa.meta.outcome)) {
      return true;
    }
  }
  return false;
}

json::object meta_json(const dns::AnswerMeta& meta) {
  json::object out;
  out["outcome"] = dns::to_string(meta.outcome);
  out["authenticated"] = meta.authenticated;
  if (!meta.cname_chain.empty()) {
    json::array chain;
    for (const auto& name : meta.cname_chain) {
      chain.emplace_back(name);
    }
    out["cname_chain"] = std::move(chain);
  }
  if (!meta.detail.empty()) {
    out["detail"] = meta.detail;
  }
  return out;
}

json::value excluded_json(const std::optional<targets::ExcludeEntry>& entry) {
  return entry ? json::value(targets::describe(*entry)) : json::value(nullptr);
}

std::optional<targets::ExcludeEntry> excluded_address(const ScanOptions& options,
                                                      const boost::asio::ip::address& ip) {
  return options.exclude ? options.exclude->match(ip) : std::nullopt;
}

json::object addresses_json(const dns::AddressAnswer& answer, const ScanOptions& options) {
  auto out = meta_json(answer.meta);
  json::array addresses;
  for (const auto& ip : answer.addresses) {
    json::object entry;
    entry["ip"] = ip.to_string();
    const auto block = net::special_block(ip);
    entry["special"] = block ? json::value(block->name) : json::value(nullptr);
    const auto excluded = excluded_address(options, ip);
    entry["excluded"] = excluded_json(excluded);
    entry["allowed"] = !excluded && net::may_connect(ip, options.allow_private);
    addresses.push_back(std::move(entry));
  }
  out["addresses"] = std::move(addresses);
  return out;
}

json::object txt_json(const dns::TxtAnswer& answer) {
  auto out = meta_json(answer.meta);
  json::array records;
  for (const auto& record : answer.records) {
    records.emplace_back(record);
  }
  out["records"] = std::move(records);
  return out;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const auto byte : bytes) {
    out += fmt::format("{:02x}", byte);
  }
  return out;
}

json::object tlsa_json(const dns::TlsaAnswer& answer) {
  auto out = meta_json(answer.meta);
  json::array records;
  for (const auto& record : answer.records) {
    records.push_back(json::object{{"usage", record.usage},
                                   {"selector", record.selector},
                                   {"matching_type", record.matching_type},
                                   {"data", hex(record.data)}});
  }
  out["records"] = std::move(records);
  return out;
}

json::object view_json(const DomainObservation& view, const ScanOptions& options) {
  json::object out;
  out["domain"] = view.domain;
  if (view.excluded) {
    // Nothing was asked: no answers to show.
    out["excluded"] = excluded_json(view.excluded);
    return out;
  }
  auto mx = meta_json(view.mx.meta);
  mx["null_mx"] = view.mx.null_mx();
  mx["implicit"] = view.implicit_mx;
  json::array hosts;
  for (const auto& host : view.hosts) {
    if (host.excluded) {
      hosts.push_back(json::object{{"host", host.mx.host},
                                   {"preference", host.mx.preference},
                                   {"excluded", excluded_json(host.excluded)}});
      continue;
    }
    hosts.push_back(json::object{{"host", host.mx.host},
                                 {"preference", host.mx.preference},
                                 {"a", addresses_json(host.a, options)},
                                 {"aaaa", addresses_json(host.aaaa, options)},
                                 {"tlsa", tlsa_json(host.tlsa)}});
  }
  mx["hosts"] = std::move(hosts);
  out["mx"] = std::move(mx);
  out["mta_sts_txt"] = txt_json(view.mta_sts_txt);
  out["tlsrpt_txt"] = txt_json(view.tlsrpt_txt);
  return out;
}

std::string meta_text(const dns::AnswerMeta& meta) {
  std::string out(dns::to_string(meta.outcome));
  if (meta.authenticated) {
    out += " (AD)";
  }
  if (!meta.cname_chain.empty()) {
    out += " via CNAME";
    for (const auto& name : meta.cname_chain) {
      out += " " + name;
    }
  }
  if (!meta.detail.empty()) {
    out += ": " + meta.detail;
  }
  return out;
}

std::string addresses_text(const dns::AddressAnswer& answer, const ScanOptions& options) {
  std::string out = meta_text(answer.meta);
  for (const auto& ip : answer.addresses) {
    out += "\n        " + ip.to_string();
    if (const auto excluded = excluded_address(options, ip)) {
      out += " [" + targets::describe(*excluded) + "]";
    } else if (const std::string special = net::describe_special(ip); !special.empty()) {
      out += fmt::format(
          " [special-purpose: {}{}]", special,
          net::may_connect(ip, options.allow_private) ? "" : "; refused without --allow-private");
    }
  }
  return out;
}

void print_text(const DomainObservation& view, const ScanOptions& options) {
  std::string out = view.domain + "\n";
  if (view.excluded) {
    out += "  " + targets::describe(*view.excluded) + ": nothing asked\n";
    std::fputs(out.c_str(), stdout);
    return;
  }
  out += "  MX: " + meta_text(view.mx.meta);
  if (view.mx.null_mx()) {
    out += " (null MX: accepts no mail)";
  } else if (view.mx.null_mx_mixed()) {
    out += " (null MX mixed with other MX records)";
  } else if (view.implicit_mx) {
    out += " (no MX: implicit MX, the domain itself)";
  }
  out += "\n";
  for (const auto& record : view.mx.records) {
    if (record.host.empty()) {
      out += fmt::format("    {} . (root)\n", record.preference);
    }
  }
  for (const auto& host : view.hosts) {
    out += fmt::format("    {} {}\n", host.mx.preference, host.mx.host);
    if (host.excluded) {
      out += "      " + targets::describe(*host.excluded) + ": not looked up\n";
      continue;
    }
    out += "      A:    " + addresses_text(host.a, options) + "\n";
    out += "      AAAA: " + addresses_text(host.aaaa, options) + "\n";
    out += "      TLSA: " + meta_text(host.tlsa.meta) + "\n";
    for (const auto& record : host.tlsa.records) {
      out += fmt::format("        {} {} {} {}\n", record.usage, record.selector,
                         record.matching_type, hex(record.data));
    }
  }
  out += "  _mta-sts TXT: " + meta_text(view.mta_sts_txt.meta) + "\n";
  for (const auto& record : view.mta_sts_txt.records) {
    out += "    \"" + record + "\"\n";
  }
  out += "  _smtp._tls TXT: " + meta_text(view.tlsrpt_txt.meta) + "\n";
  for (const auto& record : view.tlsrpt_txt.records) {
    out += "    \"" + record + "\"\n";
  }
  std::fputs(out.c_str(), stdout);
}

}  // namespace

void add_resolve_arguments(CLI::App& app, ResolveArgs& args) {
  app.add_option("domains", args.domains, "mail domains")->required()->type_name("DOMAIN");
}

int run_resolve(const ScanOptions& options, const ResolveArgs& args) {
  std::vector<DomainObservation> views;
  for (const auto& input : args.domains) {
    auto normalised = dns::normalise_domain(input);
    if (const auto* invalid = std::get_if<dns::InvalidName>(&normalised)) {
      std::cerr << fmt::format("mxscan resolve: '{}' is not a mail domain: {}\n", input,
                               invalid->reason);
      return exit_usage;
    }
    views.emplace_back().domain = std::get<std::string>(std::move(normalised));
  }

  asio::io_context io(1);
  dns::Resolver resolver(
      io, dns::ResolverOptions{.servers = options.resolvers(), .timeout = options.timeout()});
  engine::run_bounded(io, views.size(), options.concurrency, [&](std::size_t i) {
    return look_up(resolver, options.exclude.get(), views[i]);
  });

  bool undetermined_seen = false;
  for (const auto& view : views) {
    if (options.json) {
      const auto line = json::serialize(view_json(view, options)) + "\n";
      std::fputs(line.c_str(), stdout);
    } else {
      print_text(view, options);
    }
    undetermined_seen = undetermined_seen || any_undetermined(view);
  }
  std::fflush(stdout);
  return undetermined_seen ? exit_error : exit_pass;
}

}  // namespace mx::cli
