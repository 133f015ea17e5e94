// The floor under the CPU that one STARTTLS probe costs mxscan and mxsim: full handshakes between
// mxscan's own TLS client profile (probes/tls/client.hpp) and a server set up as mxsim sets up
// its hosts (tests/world/tls_listener.hpp: make_server_context, use_identity per connection,
// OpenSSL's default TLS 1.3 session tickets), over an in-memory BIO pair on one thread. No
// sockets, kernel, event loop, DNS, SMTP or store: what is left is OpenSSL's cost, which no code
// of ours around it can go below. Each side's CPU is read from the thread's clock around its own
// calls; "analysis" is read_session and analyse_chain on the served chain, as the probe runs them
// after every handshake. Prints one JSON line of CPU milliseconds per handshake; exits 1 when a
// handshake or the chain's verification fails.
//
//   bench_tls_floor [--handshakes N] [--key ecdsa|rsa]
//
// A scan makes more than one handshake per domain (STARTTLS on each endpoint it probes, HTTPS for
// each MTA-STS policy); a kept bench/run database counts them:
//   SELECT count(*) FROM endpoints WHERE tls_version IS NOT NULL;  -- plus
//   SELECT count(*) FROM mta_sts_policies;
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <unistd.h>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "bench/cpu_time.hpp"
#include "probes/tls/certificate.hpp"
#include "probes/tls/client.hpp"
#include "probes/tls/trust_store.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/tls_listener.hpp"

namespace {

using mx::bench::cpu_seconds;

constexpr std::string_view host = "mx.floor.test";

struct Settings {
  std::size_t handshakes = 2000;
  mx::world::KeyType key = mx::world::KeyType::ecdsa_p256;
};

std::optional<Settings> parse_settings(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view option = argv[i];
    const std::string_view value = argv[i + 1];
    if (option == "--handshakes") {
      const auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), settings.handshakes);
      if (ec != std::errc{} || end != value.data() + value.size() || settings.handshakes == 0) {
        return std::nullopt;
      }
    } else if (option == "--key" && (value == "ecdsa" || value == "rsa")) {
      settings.key = value == "rsa" ? mx::world::KeyType::rsa_2048 : mx::world::KeyType::ecdsa_p256;
    } else {
      return std::nullopt;
    }
  }
  return argc % 2 == 1 ? std::optional(settings) : std::nullopt;
}

struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

// CPU seconds of the calling thread spent in `step`, added to `total`.
template <typename Step>
auto timed(double& total, Step&& step) {
  const double start = cpu_seconds(RUSAGE_THREAD);
  auto result = step();
  total += cpu_seconds(RUSAGE_THREAD) - start;
  return result;
}

struct Totals {
  double client = 0;
  double server = 0;
  double analysis = 0;
};

// One connection from SSL_new to SSL_free on both sides. False when it did not complete, or the
// chain did not verify to `trust` for `host`.
bool handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const mx::world::TlsIdentity& identity,
               X509_STORE* trust, Totals& totals) {
  SslPtr client(timed(totals.client, [&] { return SSL_new(client_ctx); }));
  SslPtr server(timed(totals.server, [&] { return SSL_new(server_ctx); }));
  if (!client || !server) {
    return false;
  }
  timed(totals.server, [&] {
    mx::world::use_identity(server.get(), identity);
    return 0;
  });
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  if (BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) {
    return false;
  }
  SSL_set_bio(client.get(), client_end, client_end);
  SSL_set_bio(server.get(), server_end, server_end);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  if (!mx::probes::tls::set_sni(client.get(), host)) {
    return false;
  }
  int client_done = 0;
  int server_done = 0;
  // A TLS 1.3 handshake takes two flights each way; ten rounds bound a peer that stalls.
  for (int round = 0; round < 10 && (client_done != 1 || server_done != 1); ++round) {
    if (client_done != 1) {
      client_done = timed(totals.client, [&] { return SSL_do_handshake(client.get()); });
    }
    if (server_done != 1) {
      server_done = timed(totals.server, [&] { return SSL_do_handshake(server.get()); });
    }
  }
  if (client_done != 1 || server_done != 1) {
    return false;
  }
  // The server wrote its session tickets after the client's Finished; the probe's next read (the
  // EHLO reply) consumes them.
  timed(totals.client, [&] {
    char byte = 0;
    return SSL_read(client.get(), &byte, 1);
  });
  const bool trusted = timed(totals.analysis, [&] {
    const mx::probes::tls::Session session = mx::probes::tls::read_session(client.get());
    return mx::probes::tls::analyse_chain(session.chain, host, trust,
                                          std::chrono::system_clock::now(), session.parsed.get())
        .trusted;
  });
  timed(totals.client, [&] {
    client.reset();
    return 0;
  });
  timed(totals.server, [&] {
    server.reset();
    return 0;
  });
  return trusted;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Settings> settings = parse_settings(argc, argv);
  if (!settings) {
    std::fputs("usage: bench_tls_floor [--handshakes N] [--key ecdsa|rsa]\n", stderr);
    return 2;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("mx-tls-floor-{}", ::getpid());
  int failures = 0;
  Totals totals;
  {
    const mx::world::Pki pki(dir);
    mx::world::LeafSpec spec = mx::world::leaf_named({std::string(host)});
    spec.key = settings->key;
    const mx::world::Leaf leaf = pki.issue_in_memory(spec, mx::world::generate_key(spec.key).get());
    const mx::world::TlsIdentity identity{.leaf = mx::world::share(leaf.cert.get()),
                                          .chain = {mx::world::share(pki.intermediate())},
                                          .key = mx::world::share(leaf.key.get())};
    // The root as mxscan takes it from --ca-file.
    const auto trust = mx::probes::tls::TrustStore::from_file(pki.trust_file());
    mx::world::ServerContexts contexts("bench_tls_floor");
    SSL_CTX* server_ctx =
        contexts.get(mx::world::TlsVersion::tls1_0, mx::world::TlsVersion::tls1_3).native_handle();
    mx::probes::tls::TlsClient client;
    // One untimed round first: OpenSSL fetches its algorithms from the providers on first use.
    Totals warm_up;
    handshake(client.native_handle(), server_ctx, identity, trust.store(), warm_up);
    for (std::size_t i = 0; i < settings->handshakes; ++i) {
      failures +=
          handshake(client.native_handle(), server_ctx, identity, trust.store(), totals) ? 0 : 1;
    }
  }
  std::filesystem::remove_all(dir);
  const double per = 1000.0 / static_cast<double>(settings->handshakes);
  std::printf(
      "%s\n",
      fmt::format(R"({{"handshakes": {}, "key": "{}", "failures": {}, "client_cpu_ms": {:.3f}, )"
                  R"("analysis_cpu_ms": {:.3f}, "server_cpu_ms": {:.3f}, "total_cpu_ms": {:.3f}}})",
                  settings->handshakes,
                  settings->key == mx::world::KeyType::rsa_2048 ? "rsa_2048" : "ecdsa_p256",
                  failures, totals.client * per, totals.analysis * per, totals.server * per,
                  (totals.client + totals.analysis + totals.server) * per)
          .c_str());
  return failures == 0 ? 0 : 1;
}
