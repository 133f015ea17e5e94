// Interoperability with a real web server: a private nginx (Debian 12's 1.22) serving an MTA-STS
// policy file over TLS with a certificate of the test PKI, found through the test world's DNS and
// judged by `mxscan check`; a second policy host on the same nginx answers with a redirect, which
// mxscan must report and not follow. Needs the nginx-light package (scripts/install-deps.sh).
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/interop.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mx::test::interop::Daemon;
using mx::test::interop::read_file;
using mx::test::interop::TempDir;
using mx::test::interop::write_file;
using StatusCode = std::pair<std::string, std::string>;

const std::string nginx_command = "/usr/sbin/nginx";
const std::string nginx_ip = "127.0.0.45";
// Served as is: the policy of policy.test.
const std::string policy_file =
    "version: STSv1\n"
    "mode: enforce\n"
    "mx: mx.policy.test\n"
    "mx: *.backup.policy.test\n"
    "max_age: 604800\n";
const std::string redirect_location = "https://mta-sts.policy.test/.well-known/mta-sts.txt";

struct NginxSite {
  std::string host;
  fs::path chain_file;
  fs::path key_file;
  std::string location_block;  // the body of `location = /.well-known/mta-sts.txt { ... }`
};

// One nginx process (master_process off: nothing to orphan) with its prefix, configuration, pid,
// logs and temporary directories under `dir`, listening with TLS on ip:port for every site, the
// site chosen by SNI. The access log records the host, the request and the status.
std::string nginx_conf(const fs::path& dir, const std::string& ip, std::uint16_t port,
                       const std::vector<NginxSite>& sites) {
  const auto d = dir.string();
  std::ostringstream conf;
  conf << "daemon off;\n"
       << "master_process off;\n"
       << "pid " << d << "/nginx.pid;\n"
       << "error_log " << d << "/error.log info;\n"
       << "events { worker_connections 64; }\n"
       << "http {\n"
       << "  log_format hosts '$host $request_uri $status';\n"
       << "  access_log " << d << "/access.log hosts;\n"
       << "  client_body_temp_path " << d << "/tmp/body;\n"
       << "  proxy_temp_path " << d << "/tmp/proxy;\n"
       << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
       << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
       << "  scgi_temp_path " << d << "/tmp/scgi;\n"
       << "  types { text/plain txt; }\n"
       << "  default_type application/octet-stream;\n";
  for (const auto& site : sites) {
    conf << "  server {\n"
         << "    listen " << ip << ":" << port << " ssl;\n"
         << "    server_name " << site.host << ";\n"
         << "    ssl_certificate " << site.chain_file.string() << ";\n"
         << "    ssl_certificate_key " << site.key_file.string() << ";\n"
         << "    location = /.well-known/mta-sts.txt {\n"
         << site.location_block << "    }\n"
         << "  }\n";
  }
  conf << "}\n";
  return conf.str();
}

std::pair<std::string, std::string> find_check(const json::value& checks, const std::string& name) {
  for (const auto& check : checks.as_array()) {
    if (check.at("check").as_string() == name) {
      return {std::string(check.at("status").as_string()),
              std::string(check.at("code").as_string())};
    }
  }
  return {"missing", ""};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("mxscan check reads an MTA-STS policy from a real nginx and reports its redirect",
          "[interop]") {
  if (!fs::exists(nginx_command)) {
    // Not a skip: an interop test that cannot run must not pass.
    FAIL(nginx_command << " is missing: install Debian's nginx-light package with "
                          "scripts/install-deps.sh (it starts no system instance)");
  }

  TempDir dir;
  mx::test::World world;
  // policy.test: a good MX host, TLSRPT, and its policy host on nginx.
  world.add_domain("policy.test", world.tls_behaviour("mx.policy.test"));
  world.add_tlsrpt("policy.test", "mailto:tlsrpt@policy.test");
  world.add_mta_sts_record("policy.test", "20261128");
  world.zone().add_a("mta-sts.policy.test", nginx_ip);
  // moved.test: its policy host, on the same nginx, redirects to policy.test's.
  world.add_domain("moved.test", world.tls_behaviour("mx.moved.test"));
  world.add_mta_sts_record("moved.test", "20261128");
  world.zone().add_a("mta-sts.moved.test", nginx_ip);
  world.start();

  const auto www = dir.path() / "www";
  fs::create_directories(www / ".well-known");
  write_file(www / ".well-known" / "mta-sts.txt", policy_file);
  fs::create_directories(dir.path() / "tmp");
  const auto policy_leaf = world.certificate_for("mta-sts.policy.test");
  const auto moved_leaf = world.certificate_for("mta-sts.moved.test");
  const auto port = mx::test::interop::free_port(nginx_ip);
  const auto conf_file = dir.path() / "nginx.conf";
  write_file(conf_file,
             nginx_conf(dir.path(), nginx_ip, port,
                        {{"mta-sts.policy.test", policy_leaf.chain_file, policy_leaf.key_file,
                          "      root " + www.string() + ";\n"},
                         {"mta-sts.moved.test", moved_leaf.chain_file, moved_leaf.key_file,
                          "      return 301 " + redirect_location + ";\n"}}));
  // -e: the log of the start-up, before the configuration's error_log takes over.
  Daemon nginx("nginx",
               {nginx_command, "-p", dir.path().string() + "/", "-c", conf_file.string(), "-e",
                (dir.path() / "startup.log").string()},
               dir.path());
  if (!nginx.wait_ready(nginx_ip, port, 15s)) {
    FAIL("nginx did not start: " << nginx.describe() << "\n--- error.log:\n"
                                 << read_file(dir.path() / "startup.log")
                                 << read_file(dir.path() / "error.log"));
  }
  const auto access_log = dir.path() / "access.log";
  auto check = [&](const std::string& domain) {
    return world.check({"--allow-private", "--https-port", std::to_string(port), domain});
  };

  {
    const auto result = check("policy.test");
    INFO("mxscan stderr:\n"
         << result.err << "\nmxscan stdout:\n"
         << result.out << "\nnginx error.log:\n"
         << read_file(dir.path() / "error.log"));
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    const auto report = json::parse(result.out).as_object();
    const auto& checks = report.at("checks");
    CHECK(find_check(checks, "mta-sts.record") == StatusCode{"pass", "ok"});
    CHECK(find_check(checks, "mta-sts.policy") == StatusCode{"pass", "ok"});
    CHECK(find_check(checks, "mta-sts.mx-match") == StatusCode{"pass", "ok"});
    CHECK(report.at("status").as_string() == "pass");
    // The policy as the file says.
    const auto* mta_sts = report.at("mta_sts").if_object();
    REQUIRE(mta_sts != nullptr);
    const auto* policy = mta_sts->at("policy").if_object();
    REQUIRE(policy != nullptr);
    CHECK(policy->at("mode").as_string() == "enforce");
    CHECK(policy->at("max_age").to_number<std::int64_t>() == 604800);
    CHECK(policy->at("mx").as_array() == json::array{"mx.policy.test", "*.backup.policy.test"});
    CHECK(lines(read_file(access_log)) ==
          std::vector<std::string>{"mta-sts.policy.test /.well-known/mta-sts.txt 200"});
  }

  {
    const auto result = check("moved.test");
    INFO("mxscan stderr:\n"
         << result.err << "\nmxscan stdout:\n"
         << result.out << "\nnginx error.log:\n"
         << read_file(dir.path() / "error.log"));
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.exit_code == 1);
    const auto report = json::parse(result.out).as_object();
    CHECK(find_check(report.at("checks"), "mta-sts.policy") == StatusCode{"fail", "redirect"});
    CHECK(report.at("status").as_string() == "fail");
    // One request more, the redirect's: its target was not asked.
    CHECK(lines(read_file(access_log)) ==
          std::vector<std::string>{"mta-sts.policy.test /.well-known/mta-sts.txt 200",
                                   "mta-sts.moved.test /.well-known/mta-sts.txt 301"});
  }
  nginx.stop();
}
