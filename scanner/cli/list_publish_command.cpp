#include "scanner/cli/list_publish_command.hpp"

#include <cstddef>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "list/atomic_file.hpp"
#include "list/bounded_read.hpp"
#include "list/policy_list.hpp"
#include "publish/digest.hpp"
#include "publish/expiry.hpp"
#include "publish/render.hpp"
#include "publish/signature.hpp"
#include "publish/verify.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/version.hpp"

namespace mx::cli {
namespace {

// A subcommand of `list` that owns its parsed arguments (list_command.hpp's ListArgs is the
// diff's).
template <typename Args>
class Subcommand : public CLI::App {
 public:
  Subcommand(CLI::App& parent, std::string name, std::string description)
      : CLI::App(std::move(description), std::move(name), &parent) {}
  Args args;
};

template <typename Args>
Subcommand<Args>& add(CLI::App& list, std::string name, std::string description) {
  auto command = std::make_shared<Subcommand<Args>>(list, std::move(name), std::move(description));
  auto& ref = *command;
  list.add_subcommand(std::move(command));
  return ref;
}

template <typename Args>
const Args& args_of(const CLI::App& list, const std::string& name) {
  return dynamic_cast<const Subcommand<Args>&>(*list.get_subcommand(name)).args;
}

// ---- Files.

// Keyrings and signatures are small; this only stops a runaway file.
constexpr std::size_t max_small_file = std::size_t{16} << 20;

void say(std::string_view command, std::string_view message) {
  std::cerr << fmt::format("mxscan list {}: {}\n", command, message);
}

// The list in `bytes`, or nullopt after reporting every problem as "FILE: PATH: reason".
std::optional<list::PolicyList> parse_or_report(std::string_view command, const std::string& path,
                                                std::string_view bytes) {
  auto read = list::parse_list(bytes);
  for (const auto& problem : read.problems) {
    say(command, fmt::format("{}: {}: {}", path, problem.path, problem.reason));
  }
  return std::move(read.list);
}

std::string entry_counts(const list::PolicyList& list) {
  std::size_t enforce = 0;
  for (const auto& [domain, entry] : list.policies) {
    enforce += entry.policy.mode == list::Mode::enforce ? 1 : 0;
  }
  return fmt::format("{} domains ({} enforce, {} testing)", list.policies.size(), enforce,
                     list.policies.size() - enforce);
}

std::string tool_name() {
  return std::string("mxscan ") + kVersion;
}

}  // namespace

void add_list_publish_commands(CLI::App& list) {
  {
    auto& sign =
        add<ListSignArgs>(list, "sign",
                          "sign a policy list: a detached ASCII-armoured OpenPGP signature "
                          "(gpg --verify checks it)");
    sign.add_option("list", sign.args.list, "the list to sign (it must be valid and not expired)")
        ->required()
        ->type_name("LIST.json");
    sign.add_option("--key", sign.args.key,
                    "full fingerprint of the signing key (default: gpg's default secret key)")
        ->type_name("FINGERPRINT");
    sign.add_option("--out", sign.args.out, "where the signature goes (default: LIST.json.asc)")
        ->type_name("FILE");
  }
  {
    auto& verify = add<ListVerifyArgs>(
        list, "verify",
        "check a signed policy list: good signature by the pinned key, valid, not expired");
    verify.add_option("list", verify.args.list, "the list to check")
        ->required()
        ->type_name("LIST.json");
    verify
        .add_option("--signature", verify.args.signature,
                    "the detached signature (default: LIST.json.asc)")
        ->type_name("FILE");
    verify
        .add_option("--key", verify.args.key,
                    "full fingerprint of the key the list must be signed by (its public key in "
                    "GNUPGHOME, or in --keyring)")
        ->type_name("FINGERPRINT");
    verify
        .add_option("--keyring", verify.args.keyring,
                    "exported public key(s) (gpg --export): the list must be signed by one of "
                    "them; the user's keyring is not used")
        ->type_name("FILE");
  }
  {
    auto& render = add<ListRenderArgs>(list, "render",
                                       "render a policy list as MTA configuration (an expired list "
                                       "enforces nothing, and exits 1)");
    render.add_option("list", render.args.list, "the list to render")
        ->required()
        ->type_name("LIST.json");
    std::vector<std::string> formats;
    std::string help = "the MTA:";
    for (const auto& generator : publish::generators()) {
      formats.emplace_back(generator.name);
      help += fmt::format(" {} ({});", generator.name, generator.description);
    }
    help.pop_back();
    render.add_option("--format", render.args.format, help)
        ->required()
        ->check(CLI::IsMember(formats))
        ->type_name("FORMAT");
    render.add_option("--out", render.args.out, "write here, atomically (default: stdout)")
        ->type_name("FILE");
  }
}

std::optional<int> run_list_publish(const CLI::App& list) {
  const auto now = std::chrono::system_clock::now();
  if (list.got_subcommand("sign")) {
    return run_list_sign(args_of<ListSignArgs>(list, "sign"), now);
  }
  if (list.got_subcommand("verify")) {
    return run_list_verify(args_of<ListVerifyArgs>(list, "verify"), now);
  }
  if (list.got_subcommand("render")) {
    return run_list_render(args_of<ListRenderArgs>(list, "render"), now);
  }
  return std::nullopt;
}

int run_list_sign(const ListSignArgs& args, std::chrono::system_clock::time_point now) {
  constexpr std::string_view command = "sign";
  std::optional<std::string> key;
  if (!args.key.empty()) {
    key = publish::normalise_fingerprint(args.key);
    if (!key) {
      say(command, fmt::format("--key {}: not a full fingerprint (40 or 64 hex digits)", args.key));
      return exit_usage;
    }
  }
  const auto read = list::read_file_bounded(args.list, list::max_list_octets);
  if (!read.bytes) {
    say(command, fmt::format("cannot read {}: {}", args.list, read.error));
    return exit_usage;
  }
  const auto parsed = parse_or_report(command, args.list, *read.bytes);
  if (!parsed) {
    say(command, fmt::format("refusing to sign {}: not a valid policy list", args.list));
    return exit_usage;
  }
  if (publish::list_expired(*parsed, now)) {
    say(command, fmt::format("refusing to sign {}: it expired at {}; give it a new timestamp and "
                             "expires first",
                             args.list, parsed->expires));
    return exit_fail;
  }
  const std::string out = args.out.empty() ? args.list + ".asc" : args.out;
  try {
    const auto signed_list = publish::sign_detached(*read.bytes, key, std::nullopt);
    if (!signed_list.signature) {
      say(command, fmt::format("cannot sign {}: {}", args.list, signed_list.error));
      return signed_list.bad_key ? exit_usage : exit_fail;
    }
    list::write_file_atomically(out, *signed_list.signature);
    std::cout << fmt::format(
        "signed {} (sha256 {}; {}; expires {}) with key {}\nwrote {}; check it with: gpg --verify "
        "{} {}\n",
        args.list, publish::sha256_hex(*read.bytes), entry_counts(*parsed), parsed->expires,
        signed_list.signer, out, out, args.list);
    std::cout.flush();
    return exit_pass;
  } catch (const publish::GpgUnavailable& e) {
    say(command, e.what());
    return exit_usage;
  } catch (const std::runtime_error& e) {
    say(command, e.what());
    return exit_usage;
  }
}

int run_list_verify(const ListVerifyArgs& args, std::chrono::system_clock::time_point now) {
  constexpr std::string_view command = "verify";
  publish::TrustAnchor trust;
  if (args.key.empty() && args.keyring.empty()) {
    say(command, "pin the signing key: --key FINGERPRINT or --keyring FILE");
    return exit_usage;
  }
  if (!args.key.empty()) {
    const auto key = publish::normalise_fingerprint(args.key);
    if (!key) {
      say(command, fmt::format("--key {}: not a full fingerprint (40 or 64 hex digits)", args.key));
      return exit_usage;
    }
    trust.fingerprints.push_back(*key);
  }
  const auto list_read = list::read_file_bounded(args.list, list::max_list_octets);
  if (!list_read.bytes) {
    say(command, fmt::format("cannot read {}: {}", args.list, list_read.error));
    return exit_usage;
  }
  if (!args.keyring.empty()) {
    auto keyring = list::read_file_bounded(args.keyring, max_small_file);
    if (!keyring.bytes) {
      say(command, fmt::format("cannot read {}: {}", args.keyring, keyring.error));
      return exit_usage;
    }
    trust.keyring = std::move(keyring.bytes);
  }
  const std::string signature_path = args.signature.empty() ? args.list + ".asc" : args.signature;
  const auto signature_read = list::read_file_bounded(signature_path, max_small_file);
  if (!signature_read.bytes && !signature_read.missing) {
    say(command, fmt::format("cannot read {}: {}", signature_path, signature_read.error));
    return exit_usage;
  }

  publish::PublishedList published;
  try {
    std::optional<std::string_view> signature;
    if (signature_read.bytes) {
      signature = *signature_read.bytes;
    }
    published = publish::verify_published_list(*list_read.bytes, signature, trust, now);
  } catch (const std::runtime_error& e) {
    say(command, e.what());
    return exit_usage;
  }
  if (published.refusal == publish::Refusal::unusable_trust) {
    say(command, fmt::format("{}: {}", args.keyring.empty() ? "--key" : args.keyring,
                             published.reasons.front()));
    return exit_usage;
  }
  if (published.refusal != publish::Refusal::none) {
    for (const auto& reason : published.reasons) {
      const auto shown = published.signature.verdict == publish::SignatureVerdict::no_signature &&
                                 !signature_read.bytes
                             ? fmt::format("no signature: {} does not exist", signature_path)
                             : reason;
      say(command, fmt::format("REFUSED {}: {}", args.list, shown));
    }
    return exit_fail;
  }
  const auto& signer = published.signature;
  std::cout << fmt::format(
      "{}: good signature by {}{}, made {:%Y-%m-%dT%H:%M:%SZ}\n"
      "list by {}: timestamp {}, expires {}, {}, sha256 {}\n",
      args.list, signer.fingerprint,
      signer.user_id.empty() ? std::string()
                             : fmt::format(" ({})", publish::comment_text(signer.user_id)),
      signer.created, publish::comment_text(published.list->author), published.list->timestamp,
      published.list->expires, entry_counts(*published.list),
      publish::sha256_hex(*list_read.bytes));
  std::cout.flush();
  return exit_pass;
}

int run_list_render(const ListRenderArgs& args, std::chrono::system_clock::time_point now) {
  constexpr std::string_view command = "render";
  const auto* generator = publish::find_generator(args.format);
  if (generator == nullptr) {
    say(command, fmt::format("--format {}: no such generator", args.format));
    return exit_usage;
  }
  const auto read = list::read_file_bounded(args.list, list::max_list_octets);
  if (!read.bytes) {
    say(command, fmt::format("cannot read {}: {}", args.list, read.error));
    return exit_usage;
  }
  const auto parsed = parse_or_report(command, args.list, *read.bytes);
  if (!parsed) {
    return exit_usage;
  }
  publish::Rendered rendered;
  try {
    rendered = publish::render_list(*generator, *parsed, *read.bytes, args.list, tool_name(), now);
  } catch (const publish::UnsafeName& e) {
    say(command, e.what());
    return exit_usage;
  }
  if (args.out.empty()) {
    std::cout << rendered.text;
    std::cout.flush();
  } else {
    try {
      list::write_file_atomically(args.out, rendered.text);
    } catch (const std::runtime_error& e) {
      say(command, e.what());
      return exit_usage;
    }
  }
  if (rendered.expired) {
    say(command,
        fmt::format("WARNING: THE LIST {} EXPIRED at {}: rendered with NOTHING ENFORCED (every "
                    "entry commented out; mail falls back to opportunistic TLS). Fetch, verify "
                    "and render a current list.",
                    args.list, parsed->expires));
    return exit_fail;
  }
  return exit_pass;
}

}  // namespace mx::cli
