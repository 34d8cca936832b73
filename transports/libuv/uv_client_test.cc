// UvClient against the in-process LoopbackServer on 127.0.0.1.

#include "transports/libuv/uv_client.h"

#include <uv.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transports/common/transport_error.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/loopback_server.h"
#include "transports/testing/refused_port.h"
#include "transports/tls/test_certs.h"

namespace smtpcore {
namespace {

using ::testing::ElementsAre;

constexpr char kBody[] = "Subject: hi\r\n\r\nHello.\r\n";

class UvClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    // Every handle must be closed once the loop drains.
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void Run() { uv_run(&loop_, UV_RUN_DEFAULT); }

  uv_loop_t loop_;
};

TEST_F(UvClientTest, PlainMultiRecipientWithOneRejected) {
  LoopbackServerOptions server_options;
  server_options.reject_recipients = {"nobody@example.org"};
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvClient client(&loop_, LoopbackClientOptions(server->port()));
  std::vector<std::string> log;
  absl::optional<DeliveryOutcome> first, second;
  client.Connect([&](const absl::Status& s) {
    log.push_back(absl::StrCat("connect ", s.ok() ? "ok" : s.ToString()));
  });
  // Both deliveries are queued before the session is even connected.
  client.Deliver(ThreeRecipients(), absl::Cord(kBody),
                 [&](DeliveryOutcome o) {
                   log.push_back("first");
                   first = std::move(o);
                 });
  Envelope envelope;
  envelope.from = "alice@example.org";
  envelope.AddRecipient("dave@example.org");
  client.Deliver(envelope, absl::Cord("Subject: 2\r\n\r\nTwo\r\n"),
                 [&](DeliveryOutcome o) {
                   log.push_back("second");
                   second = std::move(o);
                   client.Close([&](const absl::Status& s) {
                     log.push_back(absl::StrCat("closed ", s.ok()));
                   });
                 });
  Run();
  EXPECT_THAT(log, ElementsAre("connect ok", "first", "second", "closed 1"));
  EXPECT_EQ(client.state(), UvClientState::kClosed);
  EXPECT_EQ(client.finished_deliveries(), 2);
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_TRUE(first->ok()) << first->error->Message();
  ASSERT_EQ(first->result.recipients.size(), 3u);
  EXPECT_EQ(first->result.recipients[0].status, RecipientStatus::kDelivered);
  EXPECT_EQ(first->result.recipients[1].status, RecipientStatus::kRejected);
  EXPECT_EQ(first->result.recipients[1].rcpt_reply.code(), 550);
  EXPECT_EQ(first->result.recipients[2].status, RecipientStatus::kDelivered);
  EXPECT_TRUE(second->all_delivered());
  server->Stop();
  std::vector<LoopbackMessage> messages = server->messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_THAT(messages[0].recipients,
              ElementsAre("bob@example.org", "carol@example.org"));
  EXPECT_EQ(messages[0].data, kBody);
  EXPECT_EQ(messages[1].data, "Subject: 2\r\n\r\nTwo\r\n");
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "MAIL FROM:<alice@example.org>",
                          "RCPT TO:<bob@example.org>",
                          "RCPT TO:<nobody@example.org>",
                          "RCPT TO:<carol@example.org>", "DATA",
                          "MAIL FROM:<alice@example.org>",
                          "RCPT TO:<dave@example.org>", "DATA", "QUIT"));
}

TEST_F(UvClientTest, LargeBodyIsWrittenCompletely) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  // 4 MiB of lines, many of them starting with a dot.
  std::string body;
  for (int i = 0; body.size() < (4u << 20); ++i) {
    absl::StrAppend(&body, i % 3 == 0 ? "." : "", "line ", i,
                    " 0123456789abcdefghijklmnopqrstuvwxyz\r\n");
  }
  UvClient client(&loop_, LoopbackClientOptions(server->port()));
  absl::optional<DeliveryOutcome> outcome;
  client.Connect([](const absl::Status&) {});
  Envelope envelope;
  envelope.from = "a@example.org";
  envelope.AddRecipient("b@example.org");
  client.Deliver(envelope, absl::Cord(body), [&](DeliveryOutcome o) {
    outcome = std::move(o);
    client.Close([](const absl::Status&) {});
  });
  Run();
  ASSERT_TRUE(outcome.has_value());
  ASSERT_TRUE(outcome->ok()) << outcome->error->Message();
  server->Stop();
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].data == body);
}

struct Certs {
  PemCertificate ca;
  PemCertificate leaf;
};

Certs MakeCerts() {
  Certs c;
  c.ca = *GenerateTestCa("uv test CA");
  c.leaf = *GenerateTestLeaf(c.ca, "127.0.0.1");
  return c;
}

TEST_F(UvClientTest, StartTlsVerifiedAgainstTestCa) {
  Certs certs = MakeCerts();
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kStartTls;
  server_options.certificate = certs.leaf;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kRequired;
  options.tls.ca_pem = certs.ca.certificate_pem;
  UvClient client(&loop_, options);
  absl::Status connected = absl::UnknownError("not called");
  absl::optional<DeliveryOutcome> outcome;
  bool verified = false;
  client.Connect([&](const absl::Status& s) {
    connected = s;
    verified = client.tls_info() != nullptr && client.tls_info()->verified;
  });
  client.Deliver(ThreeRecipients(), absl::Cord(kBody), [&](DeliveryOutcome o) {
    outcome = std::move(o);
    client.Close([](const absl::Status&) {});
  });
  Run();
  ASSERT_TRUE(connected.ok()) << connected;
  EXPECT_TRUE(verified);
  ASSERT_TRUE(outcome.has_value() && outcome->ok());
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

TEST_F(UvClientTest, ImplicitTls) {
  Certs certs = MakeCerts();
  LoopbackServerOptions server_options;
  server_options.tls = LoopbackTls::kImplicit;
  server_options.certificate = certs.leaf;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kImplicit;
  options.tls.ca_pem = certs.ca.certificate_pem;
  UvClient client(&loop_, options);
  absl::optional<DeliveryOutcome> outcome;
  client.Connect([](const absl::Status&) {});
  client.Deliver(ThreeRecipients(), absl::Cord(kBody), [&](DeliveryOutcome o) {
    outcome = std::move(o);
    client.Close([](const absl::Status&) {});
  });
  Run();
  ASSERT_TRUE(outcome.has_value());
  ASSERT_TRUE(outcome->ok()) << outcome->error->Message();
  server->Stop();
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].tls);
}

TEST_F(UvClientTest, ConnectRefusedIsATypedError) {
  // Held bound (not listening) until the end of the test: refused, and no
  // other socket can take the port meanwhile.
  absl::StatusOr<RefusedLoopbackPort> refused = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  const uint16_t port = refused->port();
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  DialHistory history;
  options.dial_history = &history;
  UvClient client(&loop_, options);
  absl::Status connected;
  absl::optional<DeliveryOutcome> outcome;
  absl::Status closed_with;
  client.set_closed_handler([&](const absl::Status& s) { closed_with = s; });
  client.Connect([&](const absl::Status& s) { connected = s; });
  Envelope envelope;
  envelope.from = "a@example.org";
  envelope.AddRecipient("b@example.org");
  client.Deliver(envelope, absl::Cord("x"),
                 [&](DeliveryOutcome o) { outcome = std::move(o); });
  Run();
  ASSERT_FALSE(connected.ok());
  SmtpError error = ErrorFromStatus(connected);
  EXPECT_EQ(error.cause, ErrorDetail::kIo);
  EXPECT_EQ(error.what,
            absl::StrCat("connect to 127.0.0.1:", port,
                         ": connection refused; is the server running and "
                         "listening on port ",
                         port, "?"));
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->ok());
  EXPECT_EQ(outcome->error->cause, ErrorDetail::kIo);
  EXPECT_EQ(ErrorFromStatus(closed_with).cause, ErrorDetail::kIo);
  EXPECT_EQ(client.state(), UvClientState::kClosed);
  ASSERT_NE(history.last("127.0.0.1"), nullptr);
  EXPECT_EQ(history.last("127.0.0.1")->outcome, DialOutcome::kConnectFailed);
}

TEST_F(UvClientTest, ResolveFailureIsATypedError) {
  ClientOptions options;
  options.host = "no-such-host.invalid";
  options.port = 25;
  UvClient client(&loop_, options);
  absl::Status connected;
  client.Connect([&](const absl::Status& s) { connected = s; });
  Run();
  ASSERT_FALSE(connected.ok());
  SmtpError error = ErrorFromStatus(connected);
  EXPECT_EQ(error.cause, ErrorDetail::kIo);
  EXPECT_TRUE(absl::StartsWith(error.what, "resolve no-such-host.invalid: "))
      << error.what;
}

TEST_F(UvClientTest, SilentServerTimesOut) {
  LoopbackServerOptions server_options;
  server_options.silent = true;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.timeouts.greeting = absl::Milliseconds(200);
  UvClient client(&loop_, options);
  absl::Status connected;
  client.Connect([&](const absl::Status& s) { connected = s; });
  Run();
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ErrorFromStatus(connected).cause, ErrorDetail::kTimeout);
  EXPECT_EQ(client.state(), UvClientState::kClosed);
}

// A TLS alert (RFC 8446 §6) where the greeting should be: the port expects
// implicit TLS. The loopback server sends it through its greeting hook.
constexpr char kTlsAlert[] = "\x15\x03\x03\x00\x02\x02\x46";

TEST_F(UvClientTest, TlsBytesInsteadOfAGreetingSayImplicitTls) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line.empty()) return std::string(kTlsAlert, sizeof(kTlsAlert) - 1);
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.tls_mode = TlsMode::kOpportunistic;
  UvClient client(&loop_, options);
  absl::Status connected;
  absl::optional<DeliveryOutcome> outcome;
  client.Connect([&](const absl::Status& s) { connected = s; });
  client.Deliver(ThreeRecipients(), absl::Cord(kBody),
                 [&](DeliveryOutcome o) { outcome = std::move(o); });
  Run();
  ASSERT_FALSE(connected.ok());
  SmtpError error = ErrorFromStatus(connected);
  EXPECT_EQ(error.cause, ErrorDetail::kTlsPeerExpectsTls) << error.Message();
  EXPECT_TRUE(error.permanent);
  EXPECT_TRUE(absl::StrContains(error.what, "answered with TLS bytes"))
      << error.what;
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->ok());
  EXPECT_EQ(outcome->error->cause, ErrorDetail::kTlsPeerExpectsTls);
  EXPECT_EQ(outcome->result.not_sent(), 3u);
  EXPECT_EQ(client.state(), UvClientState::kClosed);
}

TEST_F(UvClientTest, SilentImplicitTlsPortGetsTheShortGreetingWindow) {
  // The server's port stands in for 465. Without the window the greeting
  // timeout (30 s) would end the session as a plain kTimeout.
  LoopbackServerOptions server_options;
  server_options.silent = true;
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.timeouts.greeting = absl::Seconds(30);
  options.implicit_tls_ports = {server->port()};
  options.implicit_tls_greeting_window = absl::Milliseconds(200);
  UvClient client(&loop_, options);
  absl::Status connected;
  client.Connect([&](const absl::Status& s) { connected = s; });
  Run();
  ASSERT_FALSE(connected.ok());
  SmtpError error = ErrorFromStatus(connected);
  EXPECT_EQ(error.cause, ErrorDetail::kTlsPeerExpectsTls) << error.Message();
  EXPECT_TRUE(absl::StrContains(
      error.what, absl::StrCat("no SMTP greeting on port ", server->port())))
      << error.what;
  EXPECT_EQ(client.state(), UvClientState::kClosed);
}

TEST_F(UvClientTest, ManyConcurrentClientsOnOneLoop) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8;
  std::vector<std::unique_ptr<UvClient>> clients;
  int ok = 0;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<UvClient>(&loop_, LoopbackClientOptions(server->port())));
    UvClient* c = clients.back().get();
    c->Connect([](const absl::Status&) {});
    Envelope envelope;
    envelope.from = absl::StrCat("sender", i, "@example.org");
    envelope.AddRecipient("rcpt@example.org");
    c->Deliver(envelope, absl::Cord(absl::StrCat("Message ", i, "\r\n")),
               [&ok, c](DeliveryOutcome o) {
                 ok += o.ok();
                 c->Close([](const absl::Status&) {});
               });
  }
  Run();
  EXPECT_EQ(ok, kClients);
  server->Stop();
  EXPECT_EQ(server->connections(), kClients);
  std::vector<std::string> bodies;
  for (const LoopbackMessage& m : server->messages()) bodies.push_back(m.data);
  std::sort(bodies.begin(), bodies.end());
  ASSERT_EQ(bodies.size(), static_cast<size_t>(kClients));
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(bodies[i], absl::StrCat("Message ", i, "\r\n"));
  }
}

TEST_F(UvClientTest, CheckAliveSendsNoopAndA421DropsTheConnection) {
  LoopbackServerOptions server_options;
  int noops = 0;
  server_options.hook = [&noops](const LoopbackContext&,
                                 absl::string_view line)
      -> absl::optional<std::string> {
    if (line == "NOOP" && ++noops == 2) {
      return std::string("421 4.4.2 Idle too long");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  options.session.trace = true;
  std::vector<std::string> trace;
  options.on_event = [&trace](const Event& e) {
    if (std::holds_alternative<Trace>(e)) trace.push_back(EventToString(e));
  };
  UvClient client(&loop_, options);
  std::vector<std::string> log;
  client.set_closed_handler([&](const absl::Status& s) {
    log.push_back(absl::StrCat("closed ",
                               ErrorDetailName(ErrorFromStatus(s).cause)));
  });
  client.Connect([&](const absl::Status& s) {
    EXPECT_TRUE(client.idle());
    client.CheckAlive([&](const absl::Status& first) {
      log.push_back(absl::StrCat("noop1 ", first.ok()));
      EXPECT_TRUE(client.idle());
      client.CheckAlive([&](const absl::Status& second) {
        log.push_back(absl::StrCat(
            "noop2 ", ErrorDetailName(ErrorFromStatus(second).cause)));
      });
    });
  });
  Run();
  EXPECT_THAT(log, ElementsAre("noop1 1", "noop2 service_closing",
                               "closed service_closing"));
  EXPECT_THAT(trace, ::testing::Contains("trace C: NOOP"));
  EXPECT_THAT(trace, ::testing::Contains("trace S: 250 2.0.0 Ok"));
  EXPECT_THAT(trace, ::testing::Contains("trace S: 421 4.4.2 Idle too long"));
  server->Stop();
  EXPECT_THAT(server->commands(0), ElementsAre("EHLO localhost", "NOOP",
                                               "NOOP"));
}

TEST_F(UvClientTest, CheckAliveWithANon2xxReplyDropsTheConnection) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line == "NOOP") return std::string("502 5.5.1 NOOP not here");
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvClient client(&loop_, LoopbackClientOptions(server->port()));
  std::vector<std::string> log;
  absl::Status noop_status;
  client.set_closed_handler([&](const absl::Status& s) {
    log.push_back(absl::StrCat("closed ",
                               ErrorDetailName(ErrorFromStatus(s).cause)));
  });
  client.Connect([&](const absl::Status& s) {
    ASSERT_TRUE(s.ok()) << s;
    client.CheckAlive([&](const absl::Status& status) {
      noop_status = status;
      log.push_back(absl::StrCat("noop ", client.ready()));
    });
  });
  Run();
  EXPECT_THAT(log, ElementsAre("noop 0", "closed rejected"));
  ASSERT_FALSE(noop_status.ok());
  SmtpError error = ErrorFromStatus(noop_status);
  EXPECT_EQ(error.code, 502);
  EXPECT_EQ(error.command, CommandKind::kNoop);
  EXPECT_TRUE(error.permanent);
  EXPECT_EQ(client.state(), UvClientState::kClosed);
  server->Stop();
  // Dropped, not closed with QUIT.
  EXPECT_THAT(server->commands(0), ElementsAre("EHLO localhost", "NOOP"));
}

TEST_F(UvClientTest, CheckAliveFailsWhenA421FollowsThe250InTheSameRead) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    // One write: the client reads both replies at once.
    if (line == "NOOP") {
      return std::string("250 2.0.0 Ok\r\n421 4.3.2 Shutting down");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvClient client(&loop_, LoopbackClientOptions(server->port()));
  std::vector<std::string> log;
  client.set_closed_handler([&](const absl::Status& s) {
    log.push_back(absl::StrCat("closed ",
                               ErrorDetailName(ErrorFromStatus(s).cause)));
  });
  client.Connect([&](const absl::Status& s) {
    ASSERT_TRUE(s.ok()) << s;
    client.CheckAlive([&](const absl::Status& status) {
      log.push_back(absl::StrCat(
          "noop ", ErrorDetailName(ErrorFromStatus(status).cause), " ",
          client.ready()));
    });
  });
  Run();
  EXPECT_THAT(log, ElementsAre("noop service_closing 0",
                               "closed service_closing"));
  server->Stop();
  EXPECT_THAT(server->commands(0), ElementsAre("EHLO localhost", "NOOP"));
}

// The server closes right after its 250 to NOOP, before the client judged
// the reply: the EOF already waiting in the socket fails the check
// (UvClient reads what is waiting before the verdict) instead of a "live"
// verdict on a dead connection. The client's on_event sees NoopDone before
// the verdict; the test stops the server there (shutdown(2) of its sockets:
// the FIN is queued at the client's socket when Stop returns).
TEST_F(UvClientTest, CheckAliveReadsWhatIsWaitingBehindThe250) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  ClientOptions options = LoopbackClientOptions(server->port());
  LoopbackServer* raw = server.get();
  options.on_event = [raw](const Event& event) {
    if (std::holds_alternative<NoopDone>(event)) raw->Stop();
  };
  UvClient client(&loop_, options);
  std::vector<std::string> log;
  client.Connect([&](const absl::Status& s) {
    ASSERT_TRUE(s.ok()) << s;
    client.CheckAlive([&](const absl::Status& status) {
      log.push_back(absl::StrCat(
          "noop ", status.ok() ? "ok" : "failed", " ", client.ready()));
    });
  });
  Run();
  EXPECT_THAT(log, ElementsAre("noop failed 0"));
  EXPECT_THAT(server->commands(0), ElementsAre("EHLO localhost", "NOOP"));
}

TEST_F(UvClientTest, DestroyingTheClientInItsCallbackIsSafe) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  auto client = std::make_unique<UvClient>(&loop_, LoopbackClientOptions(server->port()));
  bool called = false;
  client->Connect([&](const absl::Status& s) {
    EXPECT_TRUE(s.ok()) << s;
    called = true;
    client.reset();  // aborts: no QUIT, no more callbacks
  });
  Envelope envelope;
  envelope.from = "a@example.org";
  envelope.AddRecipient("b@example.org");
  client->Deliver(envelope, absl::Cord("x\r\n"), [](DeliveryOutcome) {
    ADD_FAILURE() << "callback after destruction";
  });
  Run();
  EXPECT_TRUE(called);
}

}  // namespace
}  // namespace smtpcore
