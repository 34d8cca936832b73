// BlockingClient against the in-process LoopbackServer on 127.0.0.1.

#include "transports/blocking/blocking_client.h"


#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transports/common/transport_error.h"
#include "transports/testing/fake_plain_mechanism.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/loopback_server.h"
#include "transports/testing/refused_port.h"
#include "transports/tls/test_certs.h"

namespace smtpcore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBody[] =
    "From: alice@example.org\r\n"
    "To: bob@example.org\r\n"
    "Subject: test\r\n"
    "\r\n"
    "Hello.\r\n";

TEST(BlockingClientTest, PlainMultiRecipientWithOneRejected) {
  LoopbackServerOptions server_options;
  server_options.reject_recipients = {"nobody@example.org"};
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  DialHistory history;
  ClientOptions options = LoopbackClientOptions(server->port());
  options.dial_history = &history;

  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->usable());
  EXPECT_TRUE((*client)->capabilities().pipelining());
  EXPECT_EQ((*client)->tls_info(), nullptr);
  EXPECT_EQ((*client)->peer().ToString(),
            absl::StrCat("127.0.0.1:", server->port()));
  ASSERT_NE(history.last("127.0.0.1"), nullptr);
  EXPECT_EQ(history.last("127.0.0.1")->outcome, DialOutcome::kConnected);

  DeliveryOutcome outcome =
      (*client)->Deliver(ThreeRecipients(), absl::Cord(kBody));
  ASSERT_TRUE(outcome.ok()) << outcome.error->Message();
  ASSERT_EQ(outcome.result.recipients.size(), 3u);
  EXPECT_EQ(outcome.result.delivered(), 2u);
  EXPECT_EQ(outcome.result.rejected(), 1u);
  const RecipientResult& bob = outcome.result.recipients[0];
  EXPECT_EQ(bob.address, "bob@example.org");
  EXPECT_EQ(bob.status, RecipientStatus::kDelivered);
  EXPECT_EQ(bob.rcpt_reply.code(), 250);
  EXPECT_EQ(bob.data_reply.code(), 250);
  const RecipientResult& nobody = outcome.result.recipients[1];
  EXPECT_EQ(nobody.status, RecipientStatus::kRejected);
  EXPECT_EQ(nobody.rcpt_reply.code(), 550);
  EXPECT_EQ(outcome.result.recipients[2].status, RecipientStatus::kDelivered);

  // A second message on the same connection.
  Envelope second;
  second.from = "alice@example.org";
  second.AddRecipient("dave@example.org");
  DeliveryOutcome again =
      (*client)->Deliver(second, absl::Cord("Subject: 2\r\n\r\nTwo\r\n"));
  ASSERT_TRUE(again.ok()) << again.error->Message();
  EXPECT_TRUE(again.all_delivered());

  EXPECT_TRUE((*client)->Close().ok());
  EXPECT_FALSE((*client)->usable());
  server->Stop();

  std::vector<LoopbackMessage> messages = server->messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].mail_from, "alice@example.org");
  EXPECT_THAT(messages[0].recipients,
              ElementsAre("bob@example.org", "carol@example.org"));
  EXPECT_EQ(messages[0].data, kBody);
  EXPECT_EQ(messages[1].data, "Subject: 2\r\n\r\nTwo\r\n");
  EXPECT_EQ(server->connections(), 1);
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "MAIL FROM:<alice@example.org>",
                          "RCPT TO:<bob@example.org>",
                          "RCPT TO:<nobody@example.org>",
                          "RCPT TO:<carol@example.org>", "DATA",
                          "MAIL FROM:<alice@example.org>",
                          "RCPT TO:<dave@example.org>", "DATA", "QUIT"));
}

TEST(BlockingClientTest, BodyIsDotStuffedAndCrlfNormalised) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  auto client = BlockingClient::Connect(LoopbackClientOptions(server->port()));
  ASSERT_TRUE(client.ok()) << client.status();
  Envelope envelope;
  envelope.from = "a@example.org";
  envelope.AddRecipient("b@example.org");
  // Leading dots, a lone ".", bare LF and bare CR, no final line ending.
  DeliveryOutcome outcome = (*client)->Deliver(
      envelope, absl::Cord(".leading\n.\nbare lf\rbare cr\r\n..two\nend"));
  ASSERT_TRUE(outcome.ok()) << outcome.error->Message();
  EXPECT_TRUE((*client)->Close().ok());
  server->Stop();
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_EQ(server->messages()[0].data,
            ".leading\r\n.\r\nbare lf\r\nbare cr\r\n..two\r\nend\r\n");
}

TEST(BlockingClientTest, TraceEventsReachTheCallback) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.trace = true;
  std::vector<std::string> events;
  options.on_event = [&events](const Event& event) {
    events.push_back(EventToString(event));
  };
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->Close().ok());
  EXPECT_THAT(events, ::testing::Contains("trace C: EHLO localhost"));
  EXPECT_THAT(events, ::testing::Contains("greeting 220"));
  EXPECT_THAT(events, ::testing::Contains("ready"));
  EXPECT_THAT(events, ::testing::Contains("trace C: QUIT"));
  EXPECT_EQ(events.back(), "closed ok");
}

TEST(BlockingClientTest, AuthWithoutTlsIsAllowedOnLoopback) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.auth = [](const Capabilities&, const TlsInfo*) {
    return std::make_unique<FakePlainMechanism>("user", "secret");
  };
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->session().connection().authenticated(), "PLAIN");
  EXPECT_TRUE((*client)->Close().ok());

  options.loopback_allows_insecure_auth = false;
  auto refused = BlockingClient::Connect(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorFromStatus(refused.status()).cause, ErrorDetail::kInsecureAuth);
}

struct TlsFixture {
  PemCertificate ca;
  PemCertificate leaf;
};

TlsFixture MakeCerts() {
  TlsFixture f;
  absl::StatusOr<PemCertificate> ca = GenerateTestCa("transports test CA");
  EXPECT_TRUE(ca.ok()) << ca.status();
  f.ca = *ca;
  absl::StatusOr<PemCertificate> leaf = GenerateTestLeaf(f.ca, "127.0.0.1");
  EXPECT_TRUE(leaf.ok()) << leaf.status();
  f.leaf = *leaf;
  return f;
}

TEST(BlockingClientTest, StartTlsVerifiedAgainstTestCa) {
  TlsFixture certs = MakeCerts();
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kStartTls;
  server_options.certificate = certs.leaf;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kRequired;
  options.tls.ca_pem = certs.ca.certificate_pem;

  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  const TlsInfo* info = (*client)->tls_info();
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->verified) << info->verify_error;
  EXPECT_EQ(info->version, "TLSv1.3");
  EXPECT_FALSE((*client)->capabilities().starttls());

  DeliveryOutcome outcome =
      (*client)->Deliver(ThreeRecipients(), absl::Cord(kBody));
  ASSERT_TRUE(outcome.ok()) << outcome.error->Message();
  EXPECT_TRUE(outcome.all_delivered());
  EXPECT_TRUE((*client)->Close().ok());
  server->Stop();
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].tls);
  EXPECT_EQ(server->messages()[0].data, kBody);
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "STARTTLS", "EHLO localhost",
                          "MAIL FROM:<alice@example.org>",
                          "RCPT TO:<bob@example.org>",
                          "RCPT TO:<nobody@example.org>",
                          "RCPT TO:<carol@example.org>", "DATA", "QUIT"));
}

TEST(BlockingClientTest, StartTlsWithUnknownCaFailsVerification) {
  TlsFixture certs = MakeCerts();
  TlsFixture other = MakeCerts();
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kStartTls;
  server_options.certificate = certs.leaf;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kRequired;
  options.tls.ca_pem = other.ca.certificate_pem;

  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  SmtpError error = ErrorFromStatus(client.status());
  EXPECT_EQ(error.cause, ErrorDetail::kTlsVerification) << error.Message();
  EXPECT_EQ(server->messages().size(), 0u);
}

TEST(BlockingClientTest, ImplicitTls) {
  TlsFixture certs = MakeCerts();
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kImplicit;
  server_options.certificate = certs.leaf;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kImplicit;
  options.tls.ca_pem = certs.ca.certificate_pem;

  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_NE((*client)->tls_info(), nullptr);
  EXPECT_TRUE((*client)->tls_info()->verified);
  DeliveryOutcome outcome =
      (*client)->Deliver(ThreeRecipients(), absl::Cord(kBody));
  ASSERT_TRUE(outcome.ok()) << outcome.error->Message();
  EXPECT_TRUE((*client)->Close().ok());
  server->Stop();
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].tls);
  EXPECT_EQ(server->messages()[0].data, kBody);
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "MAIL FROM:<alice@example.org>",
                          "RCPT TO:<bob@example.org>",
                          "RCPT TO:<nobody@example.org>",
                          "RCPT TO:<carol@example.org>", "DATA", "QUIT"));
}

TEST(BlockingClientTest, ConnectRefusedIsATypedError) {
  // Held bound (not listening) until the end of the test: refused, and no
  // other socket can take the port meanwhile.
  absl::StatusOr<RefusedLoopbackPort> refused = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  const uint16_t port = refused->port();
  DialHistory history;
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.dial_history = &history;
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  SmtpError error = ErrorFromStatus(client.status());
  EXPECT_EQ(error.cause, ErrorDetail::kIo);
  EXPECT_FALSE(error.permanent);
  EXPECT_EQ(error.code, 0);
  EXPECT_EQ(error.what,
            absl::StrCat("connect to 127.0.0.1:", port,
                         ": connection refused; is the server running and "
                         "listening on port ",
                         port, "?"));
  ASSERT_NE(history.last("127.0.0.1"), nullptr);
  EXPECT_EQ(history.last("127.0.0.1")->outcome, DialOutcome::kConnectFailed);
}

TEST(BlockingClientTest, HostNameResolvesAndRecordsEveryDialedAddress) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  DialHistory history;
  ClientOptions options = LoopbackClientOptions(server->port());
  options.host = "localhost";  // may give ::1 (refused: server is IPv4) too
  options.dial_history = &history;
  auto client = BlockingClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->peer().ip, "127.0.0.1");
  EXPECT_TRUE((*client)->Close().ok());
  absl::Span<const DialAttempt> attempts = history.attempts("LOCALHOST");
  ASSERT_FALSE(attempts.empty());
  EXPECT_EQ(attempts.back().ip, "127.0.0.1");
  EXPECT_EQ(attempts.back().outcome, DialOutcome::kConnected);
  for (size_t i = 0; i + 1 < attempts.size(); ++i) {
    EXPECT_EQ(attempts[i].outcome, DialOutcome::kConnectFailed);
    EXPECT_NE(attempts[i].family, attempts[i + 1].family);  // alternating
  }
}

TEST(BlockingClientTest, ResolveFailureIsATypedError) {
  ClientOptions options;
  options.host = "no-such-host.invalid";
  options.port = 25;
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  SmtpError error = ErrorFromStatus(client.status());
  EXPECT_EQ(error.cause, ErrorDetail::kIo);
  EXPECT_THAT(error.what, HasSubstr("resolve no-such-host.invalid: "));
}

TEST(BlockingClientTest, SilentServerTimesOut) {
  LoopbackServerOptions server_options;
  server_options.silent = true;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.timeouts.greeting = absl::Milliseconds(200);
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded);
  SmtpError error = ErrorFromStatus(client.status());
  EXPECT_EQ(error.cause, ErrorDetail::kTimeout) << error.Message();
  EXPECT_FALSE(error.permanent);
}

TEST(BlockingClientTest, TlsBytesInsteadOfAGreetingSayImplicitTls) {
  // A TLS alert (RFC 8446 §6) where "220 ..." should be.
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line.empty()) return std::string("\x15\x03\x03\x00\x02\x02\x46", 7);
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kOpportunistic;
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  SmtpError error = ErrorFromStatus(client.status());
  EXPECT_EQ(error.cause, ErrorDetail::kTlsPeerExpectsTls) << error.Message();
  EXPECT_TRUE(error.permanent);
}

TEST(BlockingClientTest, SilentImplicitTlsPortGetsTheShortGreetingWindow) {
  LoopbackServerOptions server_options;
  server_options.silent = true;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.timeouts.greeting = absl::Seconds(30);
  options.implicit_tls_ports = {server->port()};
  options.implicit_tls_greeting_window = absl::Milliseconds(200);
  auto client = BlockingClient::Connect(options);
  ASSERT_FALSE(client.ok());
  SmtpError error = ErrorFromStatus(client.status());
  EXPECT_EQ(error.cause, ErrorDetail::kTlsPeerExpectsTls) << error.Message();
}

TEST(BlockingClientTest, ServiceClosingBreaksTheConnection) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext& context,
                           absl::string_view line)
      -> absl::optional<std::string> {
    if (absl::StartsWith(line, "MAIL") && context.mail_count == 2) {
      return std::string("421 4.3.2 Shutting down");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  auto client = BlockingClient::Connect(LoopbackClientOptions(server->port()));
  ASSERT_TRUE(client.ok()) << client.status();
  Envelope envelope;
  envelope.from = "a@example.org";
  envelope.AddRecipient("b@example.org");
  EXPECT_TRUE((*client)->Deliver(envelope, absl::Cord("x\r\n")).ok());

  DeliveryOutcome failed = (*client)->Deliver(envelope, absl::Cord("y\r\n"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error->cause, ErrorDetail::kServiceClosing)
      << failed.error->Message();
  EXPECT_EQ(failed.error->code, 421);
  EXPECT_FALSE(failed.error->permanent);
  EXPECT_FALSE((*client)->usable());

  DeliveryOutcome after = (*client)->Deliver(envelope, absl::Cord("z\r\n"));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error->cause, ErrorDetail::kBroken);
  ASSERT_EQ(after.result.recipients.size(), 1u);
  EXPECT_EQ(after.result.recipients[0].status, RecipientStatus::kDeferred);
  EXPECT_FALSE((*client)->Close().ok());
  server->Stop();
  EXPECT_EQ(server->messages().size(), 1u);
}

}  // namespace
}  // namespace smtpcore
