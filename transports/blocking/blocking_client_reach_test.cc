// BlockingClient reaching more servers (docs/reach.md): VRFY/EXPN/HELP/ETRN
// requests, LMTP over a Unix-domain socket, proxies (TLS inside the
// tunnel), a source address, and the reconnection after an OAuth AUTH
// retry. Against the in-process LoopbackServer and LoopbackProxy.

#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sasl/oauth_token.h"
#include "sasl/select.h"
#include "transports/blocking/blocking_client.h"
#include "transports/common/transport_error.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/loopback_proxy.h"
#include "transports/testing/loopback_server.h"
#include "transports/tls/test_certs.h"

namespace smtpcore {
namespace {

using ::testing::ElementsAre;

constexpr char kBody[] = "Subject: reach\r\n\r\nHello.\r\n";

absl::optional<std::string> RequestReplies(const LoopbackContext&,
                                           absl::string_view line) {
  if (line == "VRFY bob") return std::string("252 2.1.5 Cannot VRFY user");
  if (line == "VRFY nobody") return std::string("550 5.1.1 No such user");
  if (line == "EXPN staff") {
    return std::string(
        "250-2.1.5 Alice <alice@example.org>\r\n"
        "250 2.1.5 <bob@example.org>");
  }
  if (line == "HELP") return std::string("214 2.0.0 See RFC 5321");
  if (line == "ETRN example.org") {
    return std::string("253 2.0.0 OK, 7 pending messages for node "
                       "example.org started");
  }
  if (line == "ETRN #queue") return std::string("459 4.7.1 Not allowed");
  return absl::nullopt;
}

TEST(BlockingClientReachTest, VrfyExpnHelpEtrnReturnTypedResults) {
  LoopbackServerOptions server_options;
  server_options.extensions = {"PIPELINING", "ETRN", "ENHANCEDSTATUSCODES"};
  server_options.hook = RequestReplies;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  auto client =
      BlockingClient::Connect(LoopbackClientOptions(server->port()));
  ASSERT_TRUE(client.ok()) << client.status();
  BlockingClient& c = **client;

  absl::StatusOr<VrfyDone> bob = c.Vrfy("bob");
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(bob->reply.code(), 252);
  EXPECT_EQ(bob->result.outcome, LookupOutcome::kCannotVerify);
  absl::StatusOr<VrfyDone> nobody = c.Vrfy("nobody");
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(nobody->result.outcome, LookupOutcome::kNotFound);

  absl::StatusOr<ExpnDone> staff = c.Expn("staff");
  ASSERT_TRUE(staff.ok());
  EXPECT_EQ(staff->result.outcome, LookupOutcome::kFound);
  ASSERT_EQ(staff->result.entries.size(), 2u);
  EXPECT_EQ(staff->result.entries[0].mailbox, "alice@example.org");
  EXPECT_EQ(staff->result.entries[1].mailbox, "bob@example.org");

  absl::StatusOr<HelpDone> help = c.Help("");
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help->result.outcome, HelpOutcome::kHelp);

  absl::StatusOr<EtrnDone> etrn = c.Etrn("example.org");
  ASSERT_TRUE(etrn.ok());
  EXPECT_EQ(etrn->result.outcome, EtrnOutcome::kPendingCount);
  EXPECT_EQ(etrn->result.pending_messages, 7);
  absl::StatusOr<EtrnDone> queue = c.Etrn("#queue");
  ASSERT_TRUE(queue.ok());
  EXPECT_EQ(queue->result.outcome, EtrnOutcome::kNodeNotAllowed);

  // A bad argument is refused locally; the connection stays usable.
  absl::StatusOr<VrfyDone> bad = c.Vrfy("a\r\nRSET");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(GetErrorDetail(bad.status()), ErrorDetail::kControlCharacter);
  EXPECT_TRUE(c.usable());
  DeliveryOutcome outcome = c.Deliver(ThreeRecipients(), absl::Cord(kBody));
  EXPECT_TRUE(outcome.ok());
  EXPECT_TRUE(c.Close().ok());
  server->Stop();
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "VRFY bob", "VRFY nobody",
                          "EXPN staff", "HELP", "ETRN example.org",
                          "ETRN #queue", "MAIL FROM:<alice@example.org>",
                          "RCPT TO:<bob@example.org>",
                          "RCPT TO:<nobody@example.org>",
                          "RCPT TO:<carol@example.org>", "DATA", "QUIT"));
}

TEST(BlockingClientReachTest, EtrnToAServerWithoutEtrnIsNotSent) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  auto client =
      BlockingClient::Connect(LoopbackClientOptions(server->port()));
  ASSERT_TRUE(client.ok());
  absl::StatusOr<EtrnDone> etrn = (*client)->Etrn("example.org");
  ASSERT_TRUE(etrn.ok());
  EXPECT_EQ(etrn->result.outcome, EtrnOutcome::kNotOffered);
  EXPECT_EQ(etrn->reply.code(), 0);
  (*client)->Close().IgnoreError();
  server->Stop();
  EXPECT_THAT(server->commands(0), ElementsAre("EHLO localhost", "QUIT"));
}

TEST(BlockingClientReachTest, ARequestAnswered421EndsTheConnection) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (absl::StartsWith(line, "VRFY")) return std::string("421 4.3.2 bye");
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  auto client =
      BlockingClient::Connect(LoopbackClientOptions(server->port()));
  ASSERT_TRUE(client.ok());
  absl::StatusOr<VrfyDone> r = (*client)->Vrfy("bob");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorFromStatus(r.status()).cause, ErrorDetail::kServiceClosing);
  EXPECT_FALSE((*client)->usable());
  absl::StatusOr<HelpDone> after = (*client)->Help("");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(ErrorFromStatus(after.status()).cause, ErrorDetail::kBroken);
}

// A private directory for Unix-domain sockets, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/smtpcore-blk.XXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(BlockingClientReachTest, LmtpOverAUnixSocketReportsEachRecipient) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  LoopbackServerOptions server_options;
  server_options.unix_path = dir.path() + "/lmtp";
  server_options.lmtp = true;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line == ".carol@example.org") {
      return std::string("452 4.2.2 <carol@example.org> mailbox full");
    }
    return absl::nullopt;
  };
  server_options.reject_recipients = {"nobody@example.org"};
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.unix_socket = server_options.unix_path;  // host defaults
  options.session.lmtp = true;
  options.session.tls_mode = TlsMode::kNone;
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->host(), "localhost");
  EXPECT_EQ((*client)->peer().ToString(), "unix:" + server_options.unix_path);
  DeliveryOutcome outcome =
      (*client)->Deliver(ThreeRecipients(), absl::Cord(kBody));
  ASSERT_EQ(outcome.result.recipients.size(), 3u);
  const std::vector<RecipientResult>& r = outcome.result.recipients;
  EXPECT_EQ(r[0].status, RecipientStatus::kDelivered);
  EXPECT_EQ(r[0].data_reply.code(), 250);
  EXPECT_EQ(r[1].status, RecipientStatus::kRejected);
  EXPECT_EQ(r[1].rcpt_reply.code(), 550);
  EXPECT_EQ(r[2].status, RecipientStatus::kDeferred);
  EXPECT_EQ(r[2].data_reply.code(), 452);
  EXPECT_TRUE((*client)->Close().ok());
  server->Stop();
  EXPECT_EQ(server->commands(0).front(), "LHLO localhost");
  EXPECT_EQ(server->peer_ips(), std::vector<std::string>{"unix"});
}

struct Certs {
  PemCertificate ca;
  PemCertificate leaf;
};

Certs MakeCerts(const std::string& name) {
  Certs c;
  absl::StatusOr<PemCertificate> ca = GenerateTestCa("reach test CA");
  EXPECT_TRUE(ca.ok());
  c.ca = *ca;
  absl::StatusOr<PemCertificate> leaf = GenerateTestLeaf(c.ca, name);
  EXPECT_TRUE(leaf.ok());
  c.leaf = *leaf;
  return c;
}

TEST(BlockingClientReachTest, StartTlsInsideASocks5Tunnel) {
  Certs certs = MakeCerts("mx.proxied.invalid");
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kStartTls;
  server_options.certificate = certs.leaf;
  auto server = StartLoopbackServer(server_options);
  auto proxy = LoopbackProxy::Start({});
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(proxy.ok());
  ClientOptions options = LoopbackClientOptions(server->port());
  options.host = "mx.proxied.invalid";  // resolved by the proxy only
  options.session.tls_mode = TlsMode::kRequired;
  options.tls.ca_pem = certs.ca.certificate_pem;
  options.proxy =
      *ParseProxyUrl(absl::StrCat("socks5://127.0.0.1:", (*proxy)->port()));
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_NE((*client)->tls_info(), nullptr);
  EXPECT_TRUE((*client)->tls_info()->verified);
  DeliveryOutcome outcome =
      (*client)->Deliver(ThreeRecipients(), absl::Cord(kBody));
  EXPECT_TRUE(outcome.all_delivered());
  EXPECT_TRUE((*client)->Close().ok());
  server->Stop();
  EXPECT_EQ((*proxy)->destinations(),
            std::vector<std::string>{
                absl::StrCat("mx.proxied.invalid:", server->port())});
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].tls);
}

TEST(BlockingClientReachTest, ImplicitTlsThroughHttpConnect) {
  Certs certs = MakeCerts("127.0.0.1");
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kImplicit;
  server_options.certificate = certs.leaf;
  auto server = StartLoopbackServer(server_options);
  LoopbackProxyOptions proxy_options;
  proxy_options.kind = LoopbackProxyKind::kHttpConnect;
  auto proxy = LoopbackProxy::Start(proxy_options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(proxy.ok());
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kImplicit;
  options.tls.ca_pem = certs.ca.certificate_pem;
  options.proxy =
      *ParseProxyUrl(absl::StrCat("http://127.0.0.1:", (*proxy)->port()));
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->tls_info()->verified);
  EXPECT_TRUE((*client)->Deliver(ThreeRecipients(), absl::Cord(kBody))
                  .all_delivered());
  EXPECT_TRUE((*client)->Close().ok());
}

TEST(BlockingClientReachTest, ProxyRefusalFailsConnectTyped) {
  LoopbackProxyOptions proxy_options;
  proxy_options.refuse_with = 4;  // host unreachable
  auto proxy = LoopbackProxy::Start(proxy_options);
  ASSERT_TRUE(proxy.ok());
  ClientOptions options = LoopbackClientOptions(25);
  options.host = "mx.example.test";
  options.proxy =
      *ParseProxyUrl(absl::StrCat("socks5://127.0.0.1:", (*proxy)->port()));
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  SmtpError e = ErrorFromStatus(client.status());
  EXPECT_EQ(e.cause, ErrorDetail::kProxyHostUnreachable);
  EXPECT_FALSE(e.permanent);
}

TEST(BlockingClientReachTest, InsecureAuthIsNotAllowedForAProxiedName) {
  // The proxy is on loopback but the server it reaches might not be.
  auto server = StartLoopbackServer(LoopbackServerOptions());
  auto proxy = LoopbackProxy::Start({});
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(proxy.ok());
  ClientOptions options = LoopbackClientOptions(server->port());
  options.host = "mx.proxied.invalid";
  options.proxy =
      *ParseProxyUrl(absl::StrCat("socks5://127.0.0.1:", (*proxy)->port()));
  SaslCredentials creds;
  creds.username = "u";
  creds.password = "p";
  options.session.auth = [creds](const Capabilities& caps,
                                 const TlsInfo* tls) {
    return *SelectSaslMechanism(creds, caps.auth_mechanisms(), tls);
  };
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(ErrorFromStatus(client.status()).cause,
            ErrorDetail::kInsecureAuth);
}

TEST(BlockingClientReachTest, SourceAddress) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.local_address = "127.0.0.3";
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->Close().ok());
  EXPECT_EQ(server->peer_ips(), std::vector<std::string>{"127.0.0.3"});
}

// The hook of a server that refuses the first XOAUTH2 token with an error
// challenge and a 535, then closes the connection when the client retries
// (as providers do after a failed AUTH); on the next connection the token
// is accepted.
class DroppingOAuthServer {
 public:
  absl::optional<std::string> Hook(const LoopbackContext& context,
                                   absl::string_view line) {
    std::lock_guard<std::mutex> lock(mu_);
    int& stage = stage_[context.connection];
    if (context.connection == 0) {
      if (absl::StartsWith(line, "AUTH XOAUTH2") && stage == 0) {
        stage = 1;
        // {"status":"401","schemes":"Bearer"}
        return std::string("334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIn0=");
      }
      if (line.empty() && stage == 1) {  // the empty XOAUTH2 response
        stage = 2;
        return std::string("535 5.7.8 Username and Password not accepted");
      }
      if (absl::StartsWith(line, "AUTH XOAUTH2") && stage == 2) {
        return std::string("421 4.7.0 Try again later, closing connection");
      }
    }
    return absl::nullopt;
  }

 private:
  std::mutex mu_;
  std::map<int, int> stage_;
};

TEST(BlockingClientReachTest, ReconnectsOnceAfterTheAuthRetryIsDropped) {
  auto state = std::make_shared<DroppingOAuthServer>();
  LoopbackServerOptions server_options;
  server_options.extensions = {"PIPELINING", "AUTH XOAUTH2"};
  server_options.hook = [state](const LoopbackContext& c,
                                absl::string_view line) {
    return state->Hook(c, line);
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  std::vector<bool> requests;  // refresh flags, in order
  SaslCredentials creds;
  creds.username = "alice@example.org";
  creds.oauth_token_provider = CachingTokenProvider(
      [&requests](const OAuthTokenRequest& r) -> absl::StatusOr<std::string> {
        requests.push_back(r.refresh);
        return r.refresh ? std::string("fresh-token")
                         : std::string("stale-token");
      });
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.auth = [creds](const Capabilities& caps,
                                 const TlsInfo* tls) {
    return *SelectSaslMechanism(creds, caps.auth_mechanisms(), tls,
                                {"XOAUTH2"});
  };
  std::vector<std::string> events;
  options.on_event = [&events](const Event& e) {
    if (std::holds_alternative<AuthRetry>(e)) events.push_back("retry");
    if (std::holds_alternative<Authenticated>(e)) events.push_back("auth");
  };
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->reconnected());
  EXPECT_EQ(events, (std::vector<std::string>{"retry", "auth"}));
  EXPECT_EQ(requests, (std::vector<bool>{false, true}));
  EXPECT_TRUE((*client)->Deliver(ThreeRecipients(), absl::Cord(kBody))
                  .all_delivered());
  EXPECT_TRUE((*client)->Close().ok());
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  // The second connection authenticated with the renewed token.
  std::vector<std::string> second = server->commands(1);
  ASSERT_GE(second.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(second[1], "AUTH XOAUTH2 ")) << second[1];
}

TEST(BlockingClientReachTest, NoReconnectionWhenDisabledOrRefusedTwice) {
  auto state = std::make_shared<DroppingOAuthServer>();
  LoopbackServerOptions server_options;
  server_options.extensions = {"AUTH XOAUTH2"};
  server_options.hook = [state](const LoopbackContext& c,
                                absl::string_view line) {
    return state->Hook(c, line);
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
  options.reconnect_after_auth_retry = false;
  options.session.auth = [creds](const Capabilities& caps,
                                 const TlsInfo* tls) {
    return *SelectSaslMechanism(creds, caps.auth_mechanisms(), tls,
                                {"XOAUTH2"});
  };
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(ErrorFromStatus(client.status()).cause,
            ErrorDetail::kServiceClosing);
  server->Stop();
  EXPECT_EQ(server->connections(), 1);
}

}  // namespace
}  // namespace smtpcore
