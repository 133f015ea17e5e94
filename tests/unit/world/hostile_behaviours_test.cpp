// The test world's hostile behaviours that the hostile-peer scan (tests/unit/cli/
// hostile_world_test.cpp) relies on: an SMTP server that dribbles, an HTTPS server whose header
// never ends, a DNS answer whose owner name loops through a compression pointer, a long served
// chain and a padded certificate. Each is checked here against a plain client, so that the scan's
// verdicts are about mxscan and not about a world that misbehaved differently than it says.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"
#include "tests/unit/world/dns_test_client.hpp"
#include "tests/world/dns_answer.hpp"
#include "tests/world/dns_wire.hpp"
#include "tests/world/https_server.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

const auto localhost = asio::ip::make_address("127.0.0.1");

// Servers on a thread of their own, so that the test talks to them with blocking sockets. They
// are made before the thread starts and stopped and destroyed after it ends, as they require.
class Background {
 public:
  Background() = default;
  ~Background() {
    if (thread_.joinable()) {
      work_.reset();
      asio::post(io_, [this] {
        for (const auto& stop : stops_) {
          stop();
        }
      });
      thread_.join();
    }
    servers_.clear();
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  template <class Server, class... Args>
  Server& make(Args&&... args) {
    auto server = std::make_shared<Server>(io_, std::forward<Args>(args)...);
    stops_.emplace_back([raw = server.get()] { raw->stop(); });
    servers_.push_back(server);
    return *server;
  }

  void start() {
    thread_ = std::thread([this] { io_.run(); });
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::vector<std::function<void()>> stops_;
  std::vector<std::shared_ptr<void>> servers_;
  std::thread thread_;
};

struct StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};

std::unique_ptr<STACK_OF(X509), StackFree> read_chain(const std::filesystem::path& file) {
  std::unique_ptr<STACK_OF(X509), StackFree> chain(sk_X509_new_null());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), &BIO_free);
  REQUIRE(bio);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(chain.get(), cert);
  }
  ERR_clear_error();  // the end of the file reads as an error
  return chain;
}

}  // namespace

TEST_CASE("SmtpServer dribbles a reply one byte per write_interval", "[loopback]") {
  auto server = std::make_unique<Background>();
  mx::world::SmtpBehaviour behaviour;
  // 8 bytes, then more than 5 s' worth that stop() must cut short.
  behaviour.greeting = mx::world::smtp_reply(220, {"ab", std::string(100, 'x')});
  behaviour.write_chunk = 1;
  behaviour.write_interval = 50ms;
  const auto& smtp = server->make<mx::world::SmtpServer>(behaviour, localhost);
  server->start();

  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(smtp.endpoint());
  const auto started = std::chrono::steady_clock::now();
  std::string greeting;
  int reads = 0;
  while (greeting.find('\n') == std::string::npos) {
    char buffer[64];
    greeting.append(buffer, socket.read_some(asio::buffer(buffer)));
    ++reads;
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(greeting == "220-ab\r\n");
  CHECK(reads == 8);  // one byte each
  CHECK(elapsed >= 8 * 50ms - 10ms);
  const auto stopping = std::chrono::steady_clock::now();
  server.reset();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
}

TEST_CASE("HttpsServer endless_header sends header fields that never end", "[loopback]") {
  const mx::test::TempDir dir;
  mx::world::Pki pki(dir.path());
  const auto leaf = pki.issue(mx::world::leaf_named({"mta-sts.endless.test"}), "endless");
  for (const auto interval : {0ms, 50ms}) {
    CAPTURE(interval.count());
    Background server;
    mx::world::HttpsBehaviour behaviour;
    behaviour.default_site = {mx::world::HttpsCertificate::from(leaf),
                              mx::world::HttpsResponse::endless_header(interval)};
    const auto& https = server.make<mx::world::HttpsServer>(behaviour, localhost);
    server.start();

    asio::io_context io;
    asio::ssl::context context(asio::ssl::context::tls_client);
    asio::ssl::stream<tcp::socket> stream(io, context);
    stream.next_layer().connect(https.endpoint());
    stream.handshake(asio::ssl::stream_base::client);
    asio::write(stream, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    const auto started = std::chrono::steady_clock::now();
    std::string received;
    while (std::chrono::steady_clock::now() - started < 300ms && received.size() < 64 * 1024) {
      char buffer[4096];
      received.append(buffer, stream.read_some(asio::buffer(buffer)));
    }
    CHECK(received.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"));
    CHECK(received.find("\r\n\r\n") == std::string::npos);
    CHECK(received.find("X-Filler: xxx") != std::string::npos);
    if (interval.count() == 0) {
      CHECK(received.size() >= 64 * 1024);  // as fast as it is read
    } else {
      CHECK(received.size() < 16 * 80);  // a field every 50 ms
    }
    stream.next_layer().close();
  }
}

TEST_CASE("answer_query compression_loop answers an owner name without end", "[unit]") {
  mx::world::Zone zone;
  zone.set_behaviour("loop.test", {.reply = mx::world::Behaviour::Reply::compression_loop});
  const auto query =
      mx::world::dns_test::make_query(0x4242, "loop.test", mx::world::dns_test::type::mx);
  const auto reply = mx::world::answer_query(query, zone, mx::world::Transport::udp);
  REQUIRE(reply);
  const auto& m = reply->message;
  REQUIRE(m.size() > 12);
  CHECK(((m[0] << 8) | m[1]) == 0x4242);
  CHECK((m[3] & 0x0F) == 0);         // NOERROR
  CHECK(((m[6] << 8) | m[7]) == 1);  // one answer

  mx::world::WireReader reader(m);
  REQUIRE(reader.skip(12));
  REQUIRE(reader.name());  // the question is readable
  REQUIRE(reader.skip(4));
  const std::size_t owner = reader.offset();
  // "loop", then a pointer back to "loop": following it never reaches the root.
  CHECK(m[owner] == 4);
  CHECK(std::string(m.begin() + owner + 1, m.begin() + owner + 5) == "loop");
  CHECK(static_cast<std::size_t>((m[owner + 5] & 0x3F) << 8 | m[owner + 6]) == owner);
  CHECK((m[owner + 5] & 0xC0) == 0xC0);
  CHECK_FALSE(reader.name());
}

TEST_CASE("Pki issues a leaf below a long chain, and padded leaves", "[unit]") {
  const mx::test::TempDir dir;
  mx::world::Pki pki(dir.path());

  const auto leaf = pki.issue_below_chain(mx::world::leaf_named({"mx.chain.test"}), "chain", 49);
  const auto served = read_chain(leaf.chain_file);
  REQUIRE(sk_X509_num(served.get()) == 50);
  CHECK(X509_cmp(sk_X509_value(served.get(), 0), leaf.cert.get()) == 0);
  // A real chain: every certificate signed by the next, the last by the root.
  const std::unique_ptr<X509_STORE, StoreFree> anchors(X509_STORE_new());
  REQUIRE(X509_STORE_add_cert(anchors.get(), pki.root()) == 1);
  const std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), anchors.get(), leaf.cert.get(), served.get()) == 1);
  CHECK(X509_verify_cert(ctx.get()) == 1);
  CHECK(X509_STORE_CTX_get0_chain(ctx.get()) != nullptr);
  CHECK(sk_X509_num(X509_STORE_CTX_get0_chain(ctx.get())) == 51);

  auto spec = mx::world::leaf_named({"mx.huge.test"});
  spec.padding = 1 << 20;
  const auto huge = pki.issue(spec, "huge");
  CHECK(i2d_X509(huge.cert.get(), nullptr) > (1 << 20));
  CHECK(std::filesystem::file_size(huge.cert_file) > (1 << 20));
}
