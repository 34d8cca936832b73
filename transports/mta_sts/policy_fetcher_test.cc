// FetchStsPolicy against a TLS server thread on 127.0.0.1 (TlsLayer in
// server mode, a generated CA written to a temp file): a policy, a
// redirect, an untrusted certificate, a broken policy.

#include "transports/mta_sts/policy_fetcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "core/errors.h"
#include "gtest/gtest.h"
#include "route/ip_address.h"
#include "transports/tls/test_certs.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace {

// OneShotHttpsServer answers one connection with `response` over TLS.
class OneShotHttpsServer {
 public:
  OneShotHttpsServer(const PemCertificate& leaf, std::string response)
      : leaf_(leaf), response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
    listen(fd_, 1);
    socklen_t n = sizeof(sin);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &n);
    port_ = ntohs(sin.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotHttpsServer() {
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    TlsOptions o;
    o.role = TlsRole::kServer;
    o.certificate_chain_pem = leaf_.certificate_pem;
    o.private_key_pem = leaf_.private_key_pem;
    auto layer = TlsLayer::Create(o);
    if (!layer.ok()) return;
    TlsLayer& t = **layer;
    (void)t.Start();
    bool answered = false;
    char buf[4096];
    for (;;) {
      while (!t.PendingCiphertext().empty()) {
        ssize_t w = write(c, t.PendingCiphertext().data(),
                          t.PendingCiphertext().size());
        if (w <= 0) break;
        t.ConsumeCiphertext(static_cast<size_t>(w));
      }
      if (answered || !t.status().ok()) break;
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      if (!t.ReceiveCiphertext(absl::string_view(buf, n)).ok()) continue;
      absl::StatusOr<size_t> m = t.ReadPlaintext(absl::MakeSpan(buf));
      if (m.ok() && *m > 0) request_.append(buf, *m);
      if (request_.find("\r\n\r\n") != std::string::npos) {
        (void)t.WritePlaintext(response_);
        (void)t.Shutdown();
        answered = true;
      }
    }
    close(c);
  }

  const PemCertificate& leaf_;
  std::string response_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::string request_;
};

class PolicyFetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new PemCertificate(*GenerateTestCa("sts test CA"));
    leaf_ = new PemCertificate(*GenerateTestLeaf(*ca_, "mta-sts.example.test"));
    ca_file_ = new std::string(std::string(getenv("TEST_TMPDIR") != nullptr
                                               ? getenv("TEST_TMPDIR")
                                               : "/tmp") +
                               "/sts-ca.pem");
    std::ofstream(*ca_file_) << ca_->certificate_pem;
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
    delete ca_file_;
  }
  StsFetchResult Fetch(uint16_t port, const std::string& ca_file) {
    StsFetchOptions o;
    o.port = port;
    o.ca_file = ca_file;
    o.timeout = absl::Seconds(20);
    std::vector<IpAddress> ips = {*ParseIpAddress("127.0.0.1")};
    return FetchStsPolicy("Example.TEST", ips, o);
  }
  static PemCertificate* ca_;
  static PemCertificate* leaf_;
  static std::string* ca_file_;
};

PemCertificate* PolicyFetcherTest::ca_ = nullptr;
PemCertificate* PolicyFetcherTest::leaf_ = nullptr;
std::string* PolicyFetcherTest::ca_file_ = nullptr;

const char kPolicy[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n";

TEST_F(PolicyFetcherTest, FetchesAndParses) {
  std::string body = kPolicy;
  OneShotHttpsServer server(*leaf_, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: " + std::to_string(body.size()) +
                                    "\r\n\r\n" + body);
  StsFetchResult r = Fetch(server.port(), *ca_file_);
  ASSERT_TRUE(r.policy.ok()) << r.policy.status();
  EXPECT_EQ(r.failure, StsFetchFailure::kNone);
  EXPECT_EQ(r.policy->mode, StsMode::kEnforce);
  EXPECT_EQ(r.body, body);
  EXPECT_NE(server.request().find("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"),
            std::string::npos);
  EXPECT_NE(server.request().find("Host: mta-sts.example.test\r\n"),
            std::string::npos);
}

TEST_F(PolicyFetcherTest, RedirectIsNotFollowed) {
  OneShotHttpsServer server(*leaf_, "HTTP/1.1 302 Found\r\nLocation: "
                                    "https://elsewhere.example/\r\n"
                                    "Content-Length: 0\r\n\r\n");
  StsFetchResult r = Fetch(server.port(), *ca_file_);
  ASSERT_FALSE(r.policy.ok());
  EXPECT_EQ(r.failure, StsFetchFailure::kFetchError);
  EXPECT_NE(r.policy.status().message().find("redirects"), std::string::npos);
}

TEST_F(PolicyFetcherTest, UntrustedCertificateIsWebPkiFailure) {
  PemCertificate other = *GenerateTestCa("other CA");
  std::string other_file = *ca_file_ + ".other";
  std::ofstream(other_file) << other.certificate_pem;
  OneShotHttpsServer server(*leaf_, "HTTP/1.1 200 OK\r\n\r\n");
  StsFetchResult r = Fetch(server.port(), other_file);
  ASSERT_FALSE(r.policy.ok());
  EXPECT_EQ(r.failure, StsFetchFailure::kWebPki);
  EXPECT_EQ(GetErrorDetail(r.policy.status()), ErrorDetail::kTlsVerification);
}

TEST_F(PolicyFetcherTest, InvalidPolicyAndWrongType) {
  {
    OneShotHttpsServer server(*leaf_, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbroken");
    StsFetchResult r = Fetch(server.port(), *ca_file_);
    EXPECT_EQ(r.failure, StsFetchFailure::kInvalid);
    EXPECT_FALSE(r.policy.ok());
  }
  {
    std::string body = kPolicy;
    OneShotHttpsServer server(*leaf_, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                      "Content-Length: " + std::to_string(body.size()) +
                                      "\r\n\r\n" + body);
    StsFetchResult r = Fetch(server.port(), *ca_file_);
    EXPECT_EQ(r.failure, StsFetchFailure::kInvalid);
  }
}

TEST_F(PolicyFetcherTest, NothingListeningIsFetchError) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  socklen_t n = sizeof(sin);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &n);
  uint16_t port = ntohs(sin.sin_port);
  close(fd);  // bound then closed: nothing listens there
  StsFetchResult r = Fetch(port, *ca_file_);
  EXPECT_EQ(r.failure, StsFetchFailure::kFetchError);
  EXPECT_FALSE(r.policy.ok());
  EXPECT_EQ(PolicyHostFor("Example.ORG"), "mta-sts.example.org");
}

}  // namespace
}  // namespace smtpcore
