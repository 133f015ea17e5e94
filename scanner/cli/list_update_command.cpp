#include "scanner/cli/list_update_command.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "probes/https/url.hpp"
#include "publish/render.hpp"
#include "publish/signature.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/scan_options.hpp"
#include "scanner/cli/trust.hpp"
#include "scanner/cli/version.hpp"
#include "scanner/net/server_address.hpp"
#include "update/update.hpp"

namespace mx::cli {
namespace {

constexpr std::string_view kCommand = "update";

struct ListUpdateArgs {
  std::string url;
  std::string signature_url;  // empty: URL + ".asc"
  std::string key;
  std::string keyring;
  std::string state;
  std::string render;
  std::string out;
  std::string reload;
  std::string ca_file;
  std::vector<std::string> resolvers;
  bool allow_private = false;
  double timeout_s = 10.0;
};

// `update` under `list`, owning its arguments, so that list_command.hpp's ListArgs stays the
// diff's.
class UpdateCommand : public CLI::App {
 public:
  explicit UpdateCommand(CLI::App& list)
      : CLI::App("fetch, verify and keep the newest signed policy list, and render it for the MTA",
                 "update", &list) {}
  ListUpdateArgs args;
};

void say(std::string_view message) {
  std::cerr << fmt::format("mxscan list {}: {}\n", kCommand, message);
}

// A whole file, or nullopt after saying why not.
std::optional<std::string> read_small_file(const std::string& path) {
  constexpr std::uintmax_t limit = std::uintmax_t{16} << 20;  // keyrings are a few KiB
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > limit) {
    say(fmt::format("cannot read {}: {}", path, ec ? ec.message() : "larger than 16 MiB"));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    say(fmt::format("cannot read {}", path));
    return std::nullopt;
  }
  return bytes;
}

std::optional<probes::https::HttpsUrl> url_or_report(std::string_view option,
                                                     const std::string& text) {
  auto url = probes::https::parse_https_url(text);
  if (!url) {
    say(fmt::format("{} {}: {}", option, text, url.error()));
    return std::nullopt;
  }
  return *url;
}

// The configuration from the arguments, or nullopt after saying what is wrong (a usage error).
std::optional<update::UpdateConfig> configure(const ListUpdateArgs& args) {
  update::UpdateConfig config;
  const auto url = url_or_report("--url", args.url);
  if (!url) {
    return std::nullopt;
  }
  const auto signature_url = url_or_report(
      "--signature-url", args.signature_url.empty() ? args.url + ".asc" : args.signature_url);
  if (!signature_url) {
    return std::nullopt;
  }
  config.list_url = *url;
  config.signature_url = *signature_url;

  const auto key = publish::normalise_fingerprint(args.key);
  if (!key) {
    say(fmt::format("--key {}: not a full fingerprint (40 or 64 hex digits)", args.key));
    return std::nullopt;
  }
  config.trust.fingerprints.push_back(*key);
  if (!args.keyring.empty()) {
    config.trust.keyring = read_small_file(args.keyring);
    if (!config.trust.keyring) {
      return std::nullopt;
    }
  }

  if (args.out.empty() != args.render.empty()) {
    say("--render FORMAT and --out FILE go together");
    return std::nullopt;
  }
  if (!args.reload.empty() && args.render.empty()) {
    say("--reload needs --render and --out: it runs when the rendered file changes");
    return std::nullopt;
  }
  if (!args.render.empty()) {
    const auto* generator = publish::find_generator(args.render);
    const std::filesystem::path out(args.out);
    const auto parent = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(parent)) {
      say(fmt::format("--out {}: no directory {}", args.out, parent.string()));
      return std::nullopt;
    }
    config.render = update::RenderTarget{.generator = generator, .out = out, .reload = args.reload};
  }

  config.state = args.state;
  config.tool = std::string("mxscan ") + kVersion;
  for (const auto& resolver : args.resolvers) {
    config.fetch.resolvers.push_back(*net::parse_server_address(resolver));
  }
  config.fetch.step_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(args.timeout_s * 1000.0));
  // A few steps (lookups, connect, handshake, request, header, body) per file, no more.
  config.fetch.budget = 6 * config.fetch.step_timeout;
  config.fetch.allow_private = args.allow_private;
  return config;
}

int run(const ListUpdateArgs& args) {
  const auto config = configure(args);
  if (!config) {
    return exit_usage;
  }
  ScanOptions trust_options;
  trust_options.ca_file = args.ca_file;
  const auto trust = load_trust("list update", trust_options);
  if (!trust) {
    return exit_usage;
  }
  const update::UpdateReport report =
      update::run_update(*config, *trust, std::chrono::system_clock::now());
  for (const auto& problem : report.problems) {
    say(problem);
  }
  std::cout << report.summary << '\n';
  std::cout.flush();
  if (report.usage_error) {
    return exit_usage;
  }
  const bool good = report.outcome == update::UpdateReport::Outcome::updated ||
                    report.outcome == update::UpdateReport::Outcome::unchanged;
  return good ? exit_pass : exit_fail;
}

}  // namespace

void add_list_update_command(CLI::App& list) {
  auto command = std::make_shared<UpdateCommand>(list);
  auto& args = command->args;
  auto& app = *command;
  list.add_subcommand(std::move(command));
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  app.add_option("--url", args.url, "where the list is published (https://host[:port]/path)")
      ->required()
      ->type_name("URL");
  app.add_option("--signature-url", args.signature_url,
                 "where its detached signature is (default: URL.asc)")
      ->type_name("URL");
  app.add_option("--key", args.key,
                 "full fingerprint of the key the list must be signed by (its public key in "
                 "GNUPGHOME, or in --keyring)")
      ->required()
      ->type_name("FINGERPRINT");
  app.add_option("--keyring", args.keyring,
                 "exported public key(s) (gpg --export) holding the --key; the user's keyring is "
                 "then not used")
      ->type_name("FILE");
  app.add_option("--state", args.state,
                 "directory holding the newest good list and its signature (created if missing)")
      ->required()
      ->type_name("DIR");
  std::vector<std::string> formats;
  for (const auto& generator : publish::generators()) {
    formats.emplace_back(generator.name);
  }
  app.add_option("--render", args.render, "render the list held for this MTA")
      ->check(CLI::IsMember(formats))
      ->type_name("FORMAT");
  app.add_option("--out", args.out, "the rendered configuration file, written atomically")
      ->type_name("FILE");
  app.add_option("--reload", args.reload,
                 "shell command run (/bin/sh -c) when the rendered file changed, e.g. "
                 "'postmap hash:/etc/postfix/starttls-policy && postfix reload'")
      ->type_name("CMD");
  app.add_option("--ca-file", args.ca_file,
                 "PEM trust anchors for the HTTPS server's certificate (default: the system store)")
      ->check(CLI::ExistingFile)
      ->type_name("PEM");
  const CLI::Validator server_address(
      [](const std::string& text) -> std::string {
        return net::parse_server_address(text)
                   ? std::string()
                   : "'" + text + "' is not IP[:PORT] (IPv6 with a port as [ADDR]:PORT)";
      },
      "IP[:PORT]");
  app.add_option("--resolver", args.resolvers,
                 "DNS resolver to ask (repeatable; default: /etc/resolv.conf)")
      ->type_name("IP[:PORT]")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(server_address);
  app.add_flag("--allow-private", args.allow_private,
               "allow the server to be on a loopback, private or other special-purpose address");
  app.add_option("--timeout", args.timeout_s,
                 "budget of one network step (DNS query, connect, TLS handshake, HTTP read), in "
                 "seconds; each file's download gets 6 times as much in all")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
}

std::optional<int> run_list_update(const CLI::App& list) {
  if (!list.got_subcommand(std::string(kCommand))) {
    return std::nullopt;
  }
  return run(dynamic_cast<const UpdateCommand&>(*list.get_subcommand(std::string(kCommand))).args);
}

}  // namespace mx::cli
