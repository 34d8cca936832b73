// UvClient reaching more servers (docs/reach.md): Happy Eyeballs to the
// session, LMTP over a Unix-domain socket, proxies with TLS inside the
// tunnel, a source address, and the reconnection after a dropped OAuth
// AUTH retry. Against the in-process LoopbackServer and LoopbackProxy.

#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "sasl/oauth_token.h"
#include "sasl/select.h"
#include "transports/common/transport_error.h"
#include "transports/libuv/uv_client.h"
#include "transports/testing/black_hole.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/loopback_proxy.h"
#include "transports/testing/loopback_server.h"
#include "transports/tls/test_certs.h"

namespace smtpcore {
namespace {

constexpr char kBody[] = "Subject: reach\r\n\r\nHello.\r\n";

class UvClientReachTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Send connects, delivers ThreeRecipients() and closes; returns the
  // connect status and keeps the outcome.
  absl::Status Send(UvClient& client) {
    absl::Status connect_status = absl::UnknownError("not called");
    client.Connect([&](const absl::Status& s) { connect_status = s; });
    client.Deliver(ThreeRecipients(), absl::Cord(kBody),
                   [&](DeliveryOutcome o) {
                     outcome_ = std::move(o);
                     client.Close([](const absl::Status&) {});
                   });
    uv_run(&loop_, UV_RUN_DEFAULT);
    return connect_status;
  }

  uv_loop_t loop_;
  absl::optional<DeliveryOutcome> outcome_;
};

TEST_F(UvClientReachTest, HappyEyeballsWinnerCarriesTheSession) {
  std::unique_ptr<LoopbackServer> server;
  std::unique_ptr<BlackHoleListener> hole;
  for (int i = 0; i < 20 && hole == nullptr; ++i) {
    server = StartLoopbackServer(LoopbackServerOptions());
    ASSERT_NE(server, nullptr);
    absl::StatusOr<std::unique_ptr<BlackHoleListener>> h =
        BlackHoleListener::Start("127.0.0.2", server->port());
    if (h.ok()) hole = *std::move(h);
  }
  ASSERT_NE(hole, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.addresses = {"127.0.0.2", "127.0.0.1"};
  options.happy_eyeballs_delay = absl::Milliseconds(20);
  options.connect_timeout = absl::Seconds(60);
  UvClient client(&loop_, options);
  ASSERT_TRUE(Send(client).ok());
  ASSERT_TRUE(outcome_.has_value());
  EXPECT_TRUE(outcome_->ok());
  EXPECT_EQ(client.peer().ip, "127.0.0.1");
  ASSERT_EQ(client.dial_attempts().size(), 2u);
  EXPECT_EQ(client.dial_attempts()[0].outcome, UvDialOutcome::kCancelled);
  EXPECT_EQ(client.dial_attempts()[1].outcome, UvDialOutcome::kConnected);
  server->Stop();
  EXPECT_EQ(server->connections(), 1);
}

// A private directory for Unix-domain sockets, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/smtpcore-uv.XXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_F(UvClientReachTest, LmtpOverAUnixSocket) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  LoopbackServerOptions server_options;
  server_options.unix_path = dir.path() + "/lmtp";
  server_options.lmtp = true;
  server_options.reject_recipients = {"nobody@example.org"};
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line == ".carol@example.org") {
      return std::string("552 5.2.2 <carol@example.org> over quota");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.unix_socket = server_options.unix_path;
  options.session.lmtp = true;
  options.session.tls_mode = TlsMode::kNone;
  UvClient client(&loop_, options);
  ASSERT_TRUE(Send(client).ok());
  ASSERT_TRUE(outcome_.has_value());
  const std::vector<RecipientResult>& r = outcome_->result.recipients;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].status, RecipientStatus::kDelivered);
  EXPECT_EQ(r[1].status, RecipientStatus::kRejected);
  EXPECT_EQ(r[2].status, RecipientStatus::kRejected);
  EXPECT_EQ(r[2].data_reply.code(), 552);
  EXPECT_EQ(client.peer().ToString(), "unix:" + server_options.unix_path);
  server->Stop();
  EXPECT_EQ(server->commands(0).front(), "LHLO localhost");
}

TEST_F(UvClientReachTest, StartTlsInsideASocks5TunnelWithCredentials) {
  absl::StatusOr<PemCertificate> ca = GenerateTestCa("uv reach CA");
  ASSERT_TRUE(ca.ok());
  absl::StatusOr<PemCertificate> leaf =
      GenerateTestLeaf(*ca, "mx.proxied.invalid");
  ASSERT_TRUE(leaf.ok());
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kStartTls;
  server_options.certificate = *leaf;
  auto server = StartLoopbackServer(server_options);
  LoopbackProxyOptions proxy_options;
  proxy_options.username = "alice";
  proxy_options.password = "s3cret";
  auto proxy = LoopbackProxy::Start(proxy_options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(proxy.ok());
  ClientOptions options = LoopbackClientOptions(server->port());
  options.host = "mx.proxied.invalid";
  options.session.tls_mode = TlsMode::kRequired;
  options.tls.ca_pem = ca->certificate_pem;
  options.proxy = *ParseProxyUrl(
      absl::StrCat("socks5://alice:s3cret@127.0.0.1:", (*proxy)->port()));
  UvClient client(&loop_, options);
  absl::Status status = Send(client);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_TRUE(outcome_.has_value());
  EXPECT_TRUE(outcome_->all_delivered());
  EXPECT_EQ(client.peer().port, (*proxy)->port());
  server->Stop();
  EXPECT_EQ((*proxy)->auth_attempts(), std::vector<std::string>{"alice:s3cret"});
  EXPECT_EQ((*proxy)->destinations(),
            std::vector<std::string>{
                absl::StrCat("mx.proxied.invalid:", server->port())});
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].tls);
}

TEST_F(UvClientReachTest, ImplicitTlsThroughHttpConnect) {
  absl::StatusOr<PemCertificate> ca = GenerateTestCa("uv reach CA");
  ASSERT_TRUE(ca.ok());
  absl::StatusOr<PemCertificate> leaf = GenerateTestLeaf(*ca, "127.0.0.1");
  ASSERT_TRUE(leaf.ok());
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kImplicit;
  server_options.certificate = *leaf;
  auto server = StartLoopbackServer(server_options);
  LoopbackProxyOptions proxy_options;
  proxy_options.kind = LoopbackProxyKind::kHttpConnect;
  auto proxy = LoopbackProxy::Start(proxy_options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(proxy.ok());
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kImplicit;
  options.tls.ca_pem = ca->certificate_pem;
  options.proxy =
      *ParseProxyUrl(absl::StrCat("http://127.0.0.1:", (*proxy)->port()));
  UvClient client(&loop_, options);
  absl::Status status = Send(client);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(outcome_->all_delivered());
  ASSERT_NE(client.tls_info(), nullptr);
}

TEST_F(UvClientReachTest, ProxyRefusalIsTypedAndQueuedDeliveriesFail) {
  LoopbackProxyOptions proxy_options;
  proxy_options.kind = LoopbackProxyKind::kHttpConnect;
  proxy_options.refuse_with = 403;
  auto proxy = LoopbackProxy::Start(proxy_options);
  ASSERT_TRUE(proxy.ok());
  ClientOptions options = LoopbackClientOptions(25);
  options.host = "mx.example.test";
  options.proxy =
      *ParseProxyUrl(absl::StrCat("http://127.0.0.1:", (*proxy)->port()));
  UvClient client(&loop_, options);
  absl::Status status = Send(client);
  EXPECT_EQ(ErrorFromStatus(status).cause, ErrorDetail::kProxyNotAllowed);
  ASSERT_TRUE(outcome_.has_value());
  ASSERT_TRUE(outcome_->error.has_value());
  EXPECT_EQ(outcome_->error->cause, ErrorDetail::kProxyNotAllowed);
}

TEST_F(UvClientReachTest, SourceAddress) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.local_address = "127.0.0.4";
  UvClient client(&loop_, options);
  ASSERT_TRUE(Send(client).ok());
  server->Stop();
  EXPECT_EQ(server->peer_ips(), std::vector<std::string>{"127.0.0.4"});
}

// Refuses the first XOAUTH2 token (error challenge, 535) and answers the
// retry on the same connection with 421; the next connection succeeds.
class DroppingOAuthServer {
 public:
  absl::optional<std::string> Hook(const LoopbackContext& context,
                                   absl::string_view line) {
    std::lock_guard<std::mutex> lock(mu_);
    int& stage = stage_[context.connection];
    if (context.connection != 0) return absl::nullopt;
    if (absl::StartsWith(line, "AUTH XOAUTH2") && stage == 0) {
      stage = 1;
      return std::string("334 eyJzdGF0dXMiOiI0MDEifQ==");
    }
    if (line.empty() && stage == 1) {
      stage = 2;
      return std::string("535 5.7.8 token expired");
    }
    if (absl::StartsWith(line, "AUTH XOAUTH2") && stage == 2) {
      return std::string("421 4.7.0 closing");
    }
    return absl::nullopt;
  }

 private:
  std::mutex mu_;
  std::map<int, int> stage_;
};

TEST_F(UvClientReachTest, ReconnectsOnceAfterTheAuthRetryIsDropped) {
  auto state = std::make_shared<DroppingOAuthServer>();
  LoopbackServerOptions server_options;
  server_options.extensions = {"PIPELINING", "AUTH XOAUTH2"};
  server_options.hook = [state](const LoopbackContext& c,
                                absl::string_view line) {
    return state->Hook(c, line);
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  int fetches = 0;
  SaslCredentials creds;
  creds.username = "alice@example.org";
  creds.oauth_token_provider = CachingTokenProvider(
      [&fetches](const OAuthTokenRequest& r) -> absl::StatusOr<std::string> {
        ++fetches;
        return std::string(r.refresh ? "fresh" : "stale");
      });
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.auth = [creds](const Capabilities& caps,
                                 const TlsInfo* tls) {
    return *SelectSaslMechanism(creds, caps.auth_mechanisms(), tls,
                                {"XOAUTH2"});
  };
  int retries = 0;
  options.on_event = [&retries](const Event& e) {
    if (std::holds_alternative<AuthRetry>(e)) ++retries;
  };
  UvClient client(&loop_, options);
  absl::Status status = Send(client);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(client.reconnected());
  EXPECT_EQ(retries, 1);
  EXPECT_EQ(fetches, 2);  // the stale token, then one refresh
  ASSERT_TRUE(outcome_.has_value());
  EXPECT_TRUE(outcome_->ok());
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_EQ(server->messages()[0].connection, 1);
}

TEST_F(UvClientReachTest, NoSecondReconnection) {
  // Every connection refuses the token and drops the retry.
  LoopbackServerOptions server_options;
  server_options.extensions = {"AUTH XOAUTH2"};
  auto stages = std::make_shared<std::map<int, int>>();
  auto mu = std::make_shared<std::mutex>();
  server_options.hook = [stages, mu](const LoopbackContext& c,
                                     absl::string_view line)
      -> absl::optional<std::string> {
    std::lock_guard<std::mutex> lock(*mu);
    int& stage = (*stages)[c.connection];
    if (absl::StartsWith(line, "AUTH XOAUTH2") && stage == 0) {
      stage = 1;
      return std::string("334 eyJzdGF0dXMiOiI0MDEifQ==");
    }
    if (line.empty() && stage == 1) {
      stage = 2;
      return std::string("535 5.7.8 token expired");
    }
    if (absl::StartsWith(line, "AUTH XOAUTH2") && stage == 2) {
      return std::string("421 4.7.0 closing");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  SaslCredentials creds;
  creds.username = "alice@example.org";
  creds.oauth_token_provider = CachingTokenProvider(
      [](const OAuthTokenRequest& r) -> absl::StatusOr<std::string> {
        return std::string(r.refresh ? "fresh" : "stale");
      });
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.auth = [creds](const Capabilities& caps,
                                 const TlsInfo* tls) {
    return *SelectSaslMechanism(creds, caps.auth_mechanisms(), tls,
                                {"XOAUTH2"});
  };
  UvClient client(&loop_, options);
  absl::Status status = Send(client);
  EXPECT_EQ(ErrorFromStatus(status).cause, ErrorDetail::kServiceClosing);
  EXPECT_TRUE(client.reconnected());
  ASSERT_TRUE(outcome_.has_value());
  EXPECT_FALSE(outcome_->ok());
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
}

}  // namespace
}  // namespace smtpcore
