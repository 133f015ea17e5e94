// Interoperability with a real DNSSEC chain: a test zone signed by ldns-signzone (ECDSA P-256,
// NSEC), served by a private NSD (Debian 12's 4.6) and validated by a private unbound (1.17) that
// has the zone's DS as its trust anchor. The zone's MX hosts are SMTP servers of the test world
// whose TLSA records match (dane `ok`) or do not match (dane `mismatch`) the served certificate.
// Asked directly, NSD sets no AD bit: the same records are `unauthenticated`. Needs the nsd,
// unbound and ldnsutils packages (scripts/install-deps.sh).
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/interop.hpp"
#include "tests/support/json_lines.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

using mx::test::by_domain;

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mx::test::interop::Daemon;
using mx::test::interop::read_file;
using mx::test::interop::TempDir;
using mx::test::interop::write_file;
using StatusCode = std::pair<std::string, std::string>;

const std::string nsd_command = "/usr/sbin/nsd";
const std::string unbound_command = "/usr/sbin/unbound";
const std::string keygen_command = "/usr/bin/ldns-keygen";
const std::string signzone_command = "/usr/bin/ldns-signzone";

const std::string zone_name = "dane.test";
const std::string nsd_ip = "127.0.0.46";
const std::string unbound_ip = "127.0.0.47";

struct MxHost {
  std::string domain;  // <domain> MX 10 <host>
  std::string host;
  std::string ip;
  mx::world::TlsaData tlsa;  // at _25._tcp.<host>
};

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::ostringstream out;
  for (const auto byte : bytes) {
    out << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(byte);
  }
  return out.str();
}

std::string zone_text(const std::vector<MxHost>& hosts) {
  std::ostringstream zone;
  zone << "$ORIGIN " << zone_name << ".\n"
       << "$TTL 300\n"
       << "@ IN SOA ns." << zone_name << ". hostmaster." << zone_name << ". 1 3600 600 86400 300\n"
       << "@ IN NS ns." << zone_name << ".\n"
       << "ns IN A " << nsd_ip << "\n";
  for (const auto& mx : hosts) {
    zone << mx.domain << ". IN MX 10 " << mx.host << ".\n"
         << mx.host << ". IN A " << mx.ip << "\n"
         << "_25._tcp." << mx.host << ". IN TLSA " << static_cast<int>(mx.tlsa.usage) << " "
         << static_cast<int>(mx.tlsa.selector) << " " << static_cast<int>(mx.tlsa.matching_type)
         << " " << hex(mx.tlsa.data) << "\n";
  }
  return zone.str();
}

// Runs a command in `dir` through the shell (ldns-keygen writes its keys in the current
// directory); its stdout. Throws, with everything it said, when it fails.
std::string run_in(const fs::path& dir, const std::string& command) {
  const auto result =
      mx::test::run_process({"/bin/sh", "-c", "cd '" + dir.string() + "' && exec " + command}, 30s);
  if (result.exit_code != 0) {
    throw std::runtime_error(command + " failed (" + std::to_string(result.exit_code) + "):\n" +
                             result.out + result.err);
  }
  return result.out;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// RRSIG inception a day back, so that no clock skew makes the fresh signatures not yet valid.
std::string yesterday() {
  const auto when = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - 24h);
  std::tm tm{};
  gmtime_r(&when, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y%m%d");
  return out.str();
}

std::string nsd_conf(const fs::path& dir, std::uint16_t port, const fs::path& zone_file) {
  const auto d = dir.string();
  std::ostringstream conf;
  conf << "server:\n"
       << "  ip-address: " << nsd_ip << "\n"
       << "  port: " << port << "\n"
       << "  do-ip6: no\n"
       << "  server-count: 1\n"
       << "  username: \"\"\n"
       << "  chroot: \"\"\n"
       << "  zonesdir: \"" << d << "\"\n"
       << "  database: \"\"\n"
       << "  zonelistfile: \"" << d << "/zone.list\"\n"
       << "  xfrdfile: \"" << d << "/xfrd.state\"\n"
       << "  xfrdir: \"" << d << "\"\n"
       << "  pidfile: \"" << d << "/nsd.pid\"\n"
       << "  logfile: \"" << d << "/nsd.log\"\n"
       << "  verbosity: 2\n"
       << "remote-control:\n"
       << "  control-enable: no\n"
       << "zone:\n"
       << "  name: \"" << zone_name << "\"\n"
       << "  zonefile: \"" << zone_file.string() << "\"\n";
  return conf.str();
}

std::string unbound_conf(const fs::path& dir, std::uint16_t port, std::uint16_t nsd_port,
                         const fs::path& trust_anchor) {
  const auto d = dir.string();
  std::ostringstream conf;
  conf << "server:\n"
       << "  interface: " << unbound_ip << "\n"
       << "  port: " << port << "\n"
       << "  do-ip6: no\n"
       << "  do-daemonize: no\n"
       << "  num-threads: 1\n"
       << "  username: \"\"\n"
       << "  chroot: \"\"\n"
       << "  directory: \"" << d << "\"\n"
       << "  pidfile: \"" << d << "/unbound.pid\"\n"
       << "  use-syslog: no\n"
       << "  logfile: \"" << d << "/unbound.log\"\n"
       << "  verbosity: 1\n"
       << "  val-log-level: 2\n"
       << "  access-control: 127.0.0.0/8 allow\n"
       // The authoritative server is on loopback, which unbound does not query by default.
       << "  do-not-query-localhost: no\n"
       // test. is one of unbound's default local zones (RFC 6761), answered NXDOMAIN.
       << "  local-zone: \"test.\" nodefault\n"
       << "  trust-anchor-file: \"" << trust_anchor.string() << "\"\n"
       << "  trust-anchor-signaling: no\n"
       << "remote-control:\n"
       << "  control-enable: no\n"
       << "stub-zone:\n"
       << "  name: \"" << zone_name << "\"\n"
       << "  stub-addr: " << nsd_ip << "@" << nsd_port << "\n";
  return conf.str();
}

// A host-level check of the first MX host.
StatusCode host_check(const json::object& domain, const std::string& name) {
  const auto& mx = domain.at("mx").as_array();
  if (mx.empty()) {
    return {"no-mx", ""};
  }
  for (const auto& check : mx[0].at("checks").as_array()) {
    if (check.at("check").as_string() == name) {
      return {std::string(check.at("status").as_string()),
              std::string(check.at("code").as_string())};
    }
  }
  return {"missing", ""};
}

}  // namespace

TEST_CASE("mxscan check: DANE through a real DNSSEC chain, NSD signed and unbound validating",
          "[interop]") {
  for (const auto& command : {nsd_command, unbound_command, keygen_command, signzone_command}) {
    if (!fs::exists(command)) {
      // Not a skip: an interop test that cannot run must not pass.
      FAIL(command << " is missing: install Debian's nsd, unbound and ldnsutils packages with "
                      "scripts/install-deps.sh (it starts no system instance)");
    }
  }

  TempDir dir;
  mx::test::World world;
  // Two MX hosts on SMTP servers of the test world: one published with the TLSA record of its
  // certificate, one with a record that matches nothing.
  std::vector<MxHost> hosts;
  for (const std::string label : {"match", "wrong"}) {
    const auto host = "mx." + label + "." + zone_name;
    auto behaviour = world.tls_behaviour(host);
    auto tlsa = mx::test::dane_ee_spki_sha256(behaviour.tls->certificate.chain_file);
    if (label == "wrong") {
      tlsa.data[0] ^= 0xff;
    }
    const auto ip = world.next_address();
    world.start_smtp(behaviour, boost::asio::ip::make_address(ip));
    hosts.push_back({label + "." + zone_name, host, ip, std::move(tlsa)});
  }
  world.start();

  // Keys (a KSK, whose DS is the trust anchor, and a ZSK) and the signed zone.
  const auto& d = dir.path();
  write_file(d / "zone", zone_text(hosts));
  const auto ksk = first_line(run_in(d, keygen_command + " -a ECDSAP256SHA256 -k " + zone_name));
  const auto zsk = first_line(run_in(d, keygen_command + " -a ECDSAP256SHA256 " + zone_name));
  run_in(d, signzone_command + " -i " + yesterday() + " -f zone.signed zone " + zsk + " " + ksk);
  REQUIRE(fs::exists(d / (ksk + ".ds")));
  REQUIRE(fs::exists(d / "zone.signed"));

  const auto nsd_dir = d / "nsd";
  const auto unbound_dir = d / "unbound";
  fs::create_directories(nsd_dir);
  fs::create_directories(unbound_dir);
  const auto nsd_port = mx::test::interop::free_port(nsd_ip);
  const auto unbound_port = mx::test::interop::free_port(unbound_ip);
  write_file(nsd_dir / "nsd.conf", nsd_conf(nsd_dir, nsd_port, d / "zone.signed"));
  write_file(unbound_dir / "unbound.conf",
             unbound_conf(unbound_dir, unbound_port, nsd_port, d / (ksk + ".ds")));

  // -d: in the foreground (NSD still forks its xfrd and server processes, and stops them on
  // SIGTERM).
  Daemon nsd("nsd", {nsd_command, "-d", "-c", (nsd_dir / "nsd.conf").string()}, nsd_dir);
  if (!nsd.wait_ready(nsd_ip, nsd_port, 15s)) {
    FAIL("NSD did not start: " << nsd.describe() << "\n--- nsd.log:\n"
                               << read_file(nsd_dir / "nsd.log"));
  }
  Daemon unbound("unbound", {unbound_command, "-d", "-c", (unbound_dir / "unbound.conf").string()},
                 unbound_dir);
  if (!unbound.wait_ready(unbound_ip, unbound_port, 15s)) {
    FAIL("unbound did not start: " << unbound.describe() << "\n--- unbound.log:\n"
                                   << read_file(unbound_dir / "unbound.log"));
  }

  auto check = [&](const std::string& resolver) {
    return mx::test::run_process(
        {MXSCAN_BINARY, "check", "--json", "--allow-private", "--resolver", resolver, "--ca-file",
         world.pki().trust_file().string(), "--smtp-port", std::to_string(world.smtp_port()),
         "--timeout", "5", "--ehlo", "scanner.test", hosts[0].domain, hosts[1].domain},
        60s);
  };
  const auto logs = [&] {
    return "--- nsd.log:\n" + read_file(nsd_dir / "nsd.log") + "--- unbound.log:\n" +
           read_file(unbound_dir / "unbound.log") + "--- zone.signed:\n" +
           read_file(d / "zone.signed");
  };

  {
    // Through the validating resolver: the TLSA answers carry AD.
    const auto result = check(unbound_ip + ":" + std::to_string(unbound_port));
    INFO("mxscan stderr:\n" << result.err << "\nmxscan stdout:\n" << result.out << "\n" << logs());
    REQUIRE_FALSE(result.timed_out);
    const auto results = by_domain(result.out);
    REQUIRE(results.size() == 2);
    const auto& match = results.at(hosts[0].domain);
    const auto& wrong = results.at(hosts[1].domain);
    CHECK(host_check(match, "certificate") == StatusCode{"pass", "ok"});
    CHECK(host_check(match, "dane") == StatusCode{"pass", "ok"});
    CHECK(host_check(wrong, "certificate") == StatusCode{"pass", "ok"});
    CHECK(host_check(wrong, "dane") == StatusCode{"fail", "mismatch"});
    CHECK(wrong.at("status").as_string() == "fail");
  }
  {
    // The authoritative server itself validates nothing and sets no AD.
    const auto result = check(nsd_ip + ":" + std::to_string(nsd_port));
    INFO("mxscan stderr:\n" << result.err << "\nmxscan stdout:\n" << result.out << "\n" << logs());
    REQUIRE_FALSE(result.timed_out);
    const auto results = by_domain(result.out);
    REQUIRE(results.size() == 2);
    CHECK(host_check(results.at(hosts[0].domain), "dane") == StatusCode{"warn", "unauthenticated"});
    CHECK(host_check(results.at(hosts[1].domain), "dane") == StatusCode{"warn", "unauthenticated"});
  }
  unbound.stop();
  nsd.stop();
}
