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

struct HostView {
  dns::MxRecord mx;
  dns::AddressAnswer a;
  dns::AddressAnswer aaaa;
  dns::TlsaAnswer tlsa;
};

struct DomainView {
  std::string domain;
  dns::MxAnswer mx;
  bool implicit_mx = false;  // no MX: the domain itself is the mail host (RFC 5321 5.1)
  std::vector<HostView> hosts;
  dns::TxtAnswer mta_sts;
  dns::TxtAnswer tlsrpt;
};

bool undetermined(dns::Outcome outcome) {
  return outcome != dns::Outcome::data && outcome != dns::Outcome::nodata &&
         outcome != dns::Outcome::nxdomain;
}

asio::awaitable<HostView> look_up_host(dns::Resolver& resolver, dns::MxRecord mx) {
  HostView host;
  host.mx = mx;
  auto a = co_await resolver.a(mx.host);
  host.a = std::move(a);
  auto aaaa = co_await resolver.aaaa(mx.host);
  host.aaaa = std::move(aaaa);
  auto tlsa = co_await resolver.tlsa("_25._tcp." + mx.host);
  host.tlsa = std::move(tlsa);
  co_return host;
}

// `resolver` and `view` belong to run_resolve's frame, which outlives the io_context run.
asio::awaitable<void> look_up_domain(dns::Resolver& resolver, DomainView& view) {
  auto mx = co_await resolver.mx(view.domain);
  view.mx = std::move(mx);
  view.implicit_mx = view.mx.meta.outcome == dns::Outcome::nodata;
  for (const auto& record : dns::mail_hosts(view.mx, view.domain, engine::kMaxHosts)) {
    auto host = co_await look_up_host(resolver, record);
    view.hosts.push_back(std::move(host));
  }
  auto mta_sts = co_await resolver.txt("_mta-sts." + view.domain);
  view.mta_sts = std::move(mta_sts);
  auto tlsrpt = co_await resolver.txt("_smtp._tls." + view.domain);
  view.tlsrpt = std::move(tlsrpt);
}

bool any_undetermined(const DomainView& view) {
  if (undetermined(view.mx.meta.outcome) || undetermined(view.mta_sts.meta.outcome) ||
      undetermined(view.tlsrpt.meta.outcome)) {
    return true;
  }
  for (const auto& host : view.hosts) {
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

json::object addresses_json(const dns::AddressAnswer& answer, bool allow_private) {
  auto out = meta_json(answer.meta);
  json::array addresses;
  for (const auto& ip : answer.addresses) {
    json::object entry;
    entry["ip"] = ip.to_string();
    const auto block = net::special_block(ip);
    entry["special"] = block ? json::value(block->name) : json::value(nullptr);
    entry["allowed"] = net::may_connect(ip, allow_private);
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

json::object view_json(const DomainView& view, bool allow_private) {
  json::object out;
  out["domain"] = view.domain;
  auto mx = meta_json(view.mx.meta);
  mx["null_mx"] = view.mx.null_mx();
  mx["implicit"] = view.implicit_mx;
  json::array hosts;
  for (const auto& host : view.hosts) {
    hosts.push_back(json::object{{"host", host.mx.host},
                                 {"preference", host.mx.preference},
                                 {"a", addresses_json(host.a, allow_private)},
                                 {"aaaa", addresses_json(host.aaaa, allow_private)},
                                 {"tlsa", tlsa_json(host.tlsa)}});
  }
  mx["hosts"] = std::move(hosts);
  out["mx"] = std::move(mx);
  out["mta_sts_txt"] = txt_json(view.mta_sts);
  out["tlsrpt_txt"] = txt_json(view.tlsrpt);
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

std::string addresses_text(const dns::AddressAnswer& answer, bool allow_private) {
  std::string out = meta_text(answer.meta);
  for (const auto& ip : answer.addresses) {
    out += "\n        " + ip.to_string();
    if (const std::string special = net::describe_special(ip); !special.empty()) {
      out += fmt::format(
          " [special-purpose: {}{}]", special,
          net::may_connect(ip, allow_private) ? "" : "; refused without --allow-private");
    }
  }
  return out;
}

void print_text(const DomainView& view, bool allow_private) {
  std::string out = view.domain + "\n";
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
    out += "      A:    " + addresses_text(host.a, allow_private) + "\n";
    out += "      AAAA: " + addresses_text(host.aaaa, allow_private) + "\n";
    out += "      TLSA: " + meta_text(host.tlsa.meta) + "\n";
    for (const auto& record : host.tlsa.records) {
      out += fmt::format("        {} {} {} {}\n", record.usage, record.selector,
                         record.matching_type, hex(record.data));
    }
  }
  out += "  _mta-sts TXT: " + meta_text(view.mta_sts.meta) + "\n";
  for (const auto& record : view.mta_sts.records) {
    out += "    \"" + record + "\"\n";
  }
  out += "  _smtp._tls TXT: " + meta_text(view.tlsrpt.meta) + "\n";
  for (const auto& record : view.tlsrpt.records) {
    out += "    \"" + record + "\"\n";
  }
  std::fputs(out.c_str(), stdout);
}

}  // namespace

void add_resolve_arguments(CLI::App& app, ResolveArgs& args) {
  app.add_option("domains", args.domains, "mail domains")->required()->type_name("DOMAIN");
}

int run_resolve(const ScanOptions& options, const ResolveArgs& args) {
  std::vector<DomainView> views;
  for (const auto& input : args.domains) {
    auto normalised = dns::normalise_domain(input);
    if (const auto* invalid = std::get_if<dns::InvalidName>(&normalised)) {
      std::cerr << fmt::format("mxscan resolve: '{}' is not a mail domain: {}\n", input,
                               invalid->reason);
      return exit_usage;
    }
    auto& view = views.emplace_back();
    view.domain = std::get<std::string>(std::move(normalised));
  }

  asio::io_context io(1);
  dns::Resolver resolver(
      io, dns::ResolverOptions{.servers = options.resolvers(), .timeout = options.timeout()});
  engine::run_bounded(io, views.size(), options.concurrency,
                      [&](std::size_t i) { return look_up_domain(resolver, views[i]); });

  bool undetermined_seen = false;
  for (const auto& view : views) {
    if (options.json) {
      const auto line = json::serialize(view_json(view, options.allow_private)) + "\n";
      std::fputs(line.c_str(), stdout);
    } else {
      print_text(view, options.allow_private);
    }
    undetermined_seen = undetermined_seen || any_undetermined(view);
  }
  std::fflush(stdout);
  return undetermined_seen ? exit_error : exit_pass;
}

}  // namespace mx::cli
