// A client Session behind a TlsPump, talking to a server TlsLayer in
// memory: ciphertext is moved between the two by hand (no sockets), and a
// few lines of scripted server answer the client's commands.

#include "transports/common/tls_pump.h"

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/event.h"
#include "core/session.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transports/tls/test_certs.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

constexpr char kHost[] = "mail.example.test";

class TlsPumpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new PemCertificate(*GenerateTestCa("smtpcore test CA"));
    other_ca_ = new PemCertificate(*GenerateTestCa("some other CA"));
    leaf_ = new PemCertificate(*GenerateTestLeaf(*ca_, kHost));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete other_ca_;
    delete leaf_;
  }

  static TlsOptions ClientTls() {
    TlsOptions options;
    options.role = TlsRole::kClient;
    options.server_name = kHost;
    options.ca_pem = ca_->certificate_pem;
    return options;
  }

  // Init makes the client session (TLS `mode`), its pump and the server
  // layer.
  void Init(TlsMode mode) {
    SessionOptions options;
    options.ehlo_domain = "client.example.test";
    options.tls_mode = mode;
    session_ = std::make_unique<Session>(options, now_);
    pump_ = std::make_unique<TlsPump>(session_.get());
    TlsOptions server;
    server.role = TlsRole::kServer;
    server.certificate_chain_pem = leaf_->certificate_pem;
    server.private_key_pem = leaf_->private_key_pem;
    absl::StatusOr<std::unique_ptr<TlsLayer>> layer = TlsLayer::Create(server);
    ASSERT_TRUE(layer.ok()) << layer.status();
    server_ = *std::move(layer);
    ASSERT_TRUE(server_->Start().ok());
  }

  // ClientPlaintext returns what the session sends before TLS.
  std::string ClientPlaintext() {
    std::string out;
    std::vector<IoSlice> slices(16);
    for (;;) {
      size_t n = session_->PollTransmit(absl::MakeSpan(slices));
      if (n == 0) return out;
      size_t before = out.size();
      for (size_t i = 0; i < n; ++i) out.append(slices[i].data, slices[i].size);
      session_->ConsumeTransmit(out.size() - before, now_);
    }
  }

  // HandleEvents records the session's events and starts TLS when asked.
  void HandleEvents() {
    while (absl::optional<Event> event = session_->PollEvent()) {
      events_.push_back(EventToString(*event));
      if (std::holds_alternative<TlsUpgradeRequired>(*event)) {
        start_status_ = pump_->Start(client_tls_, now_);
      } else if (auto* c = std::get_if<ConnectionClosed>(&*event)) {
        closed_ = c->error;
      }
    }
  }

  // StartTlsHandshake runs greeting, EHLO and STARTTLS in plaintext, then
  // the handshake and the second EHLO through the pump.
  void StartTlsHandshake() {
    Init(TlsMode::kRequired);
    ASSERT_TRUE(session_->Receive("220 mx.example.test ESMTP\r\n", now_).ok());
    EXPECT_EQ(ClientPlaintext(), "EHLO client.example.test\r\n");
    ASSERT_TRUE(
        session_->Receive("250-mx.example.test\r\n250 STARTTLS\r\n", now_)
            .ok());
    EXPECT_EQ(ClientPlaintext(), "STARTTLS\r\n");
    ASSERT_TRUE(session_->Receive("220 2.0.0 go ahead\r\n", now_).ok());
    HandleEvents();
    ASSERT_TRUE(pump_->active());
    Shuttle();
  }

  // Shuttle moves ciphertext both ways (and lets the server answer) until
  // neither side has anything left to send.
  void Shuttle() {
    for (int round = 0; round < 1000; ++round) {
      HandleEvents();
      absl::StatusOr<size_t> moved = pump_->EncryptSessionOutput(now_);
      if (!moved.ok()) last_status_ = moved.status();
      if (pump_->PendingCiphertext().size() >=
          TlsLayer::kMaxPendingCiphertext) {
        saw_back_pressure_ = true;
      }
      bool progress = false;
      std::string to_server(pump_->PendingCiphertext());
      pump_->ConsumeCiphertext(to_server.size());
      if (!to_server.empty()) {
        progress = true;
        server_->ReceiveCiphertext(to_server).IgnoreError();
        ReadServerPlaintext();
        Respond();
      }
      std::string to_client(server_->PendingCiphertext());
      server_->ConsumeCiphertext(to_client.size());
      if (!to_client.empty()) {
        progress = true;
        absl::Status status = pump_->ReceiveCiphertext(to_client, now_);
        if (!status.ok()) last_status_ = status;
      }
      HandleEvents();
      if (!progress) return;
    }
    ADD_FAILURE() << "shuttle did not settle";
  }

  void ReadServerPlaintext() {
    char buffer[4096];
    for (;;) {
      absl::StatusOr<size_t> n = server_->ReadPlaintext(absl::MakeSpan(buffer));
      if (!n.ok() || *n == 0) return;
      server_in_.append(buffer, *n);
    }
  }

  void ServerWrite(absl::string_view bytes) {
    absl::StatusOr<size_t> n = server_->WritePlaintext(bytes);
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_EQ(*n, bytes.size());
  }

  // Respond answers every complete command (and DATA body) received.
  void Respond() {
    for (;;) {
      if (in_data_) {
        size_t end = server_in_.find("\r\n.\r\n");
        if (end == std::string::npos) return;
        data_ = server_in_.substr(0, end + 2);
        server_in_.erase(0, end + 5);
        in_data_ = false;
        ServerWrite("250 2.0.0 queued\r\n");
        continue;
      }
      size_t eol = server_in_.find("\r\n");
      if (eol == std::string::npos) return;
      std::string line = server_in_.substr(0, eol);
      server_in_.erase(0, eol + 2);
      commands_.push_back(line);
      if (absl::StartsWith(line, "EHLO")) {
        ServerWrite("250 mx.example.test\r\n");
      } else if (line == "NOOP") {
        ServerWrite(noop_reply_);
      } else if (absl::StartsWith(line, "MAIL") ||
                 absl::StartsWith(line, "RCPT")) {
        ServerWrite("250 2.1.0 ok\r\n");
      } else if (line == "DATA") {
        in_data_ = true;
        ServerWrite("354 go ahead\r\n");
      } else if (line == "QUIT") {
        ServerWrite("221 2.0.0 bye\r\n");
      } else {
        ServerWrite("500 5.5.1 what?\r\n");
      }
    }
  }

  static PemCertificate* ca_;
  static PemCertificate* other_ca_;
  static PemCertificate* leaf_;

  Instant now_ = InstantFromSeconds(10);
  std::unique_ptr<Session> session_;
  std::unique_ptr<TlsPump> pump_;
  std::unique_ptr<TlsLayer> server_;
  TlsOptions client_tls_ = ClientTls();
  absl::Status start_status_;
  absl::Status last_status_;
  absl::optional<SmtpError> closed_;
  std::vector<std::string> events_;
  bool saw_back_pressure_ = false;

  // The scripted server.
  std::string server_in_;
  std::vector<std::string> commands_;
  std::string noop_reply_ = "250 2.0.0 ok\r\n";
  bool in_data_ = false;
  std::string data_;
};

PemCertificate* TlsPumpTest::ca_ = nullptr;
PemCertificate* TlsPumpTest::other_ca_ = nullptr;
PemCertificate* TlsPumpTest::leaf_ = nullptr;

TEST_F(TlsPumpTest, StartTlsThenCommandsAndRepliesFlowThroughTheLayer) {
  StartTlsHandshake();
  ASSERT_TRUE(start_status_.ok()) << start_status_;
  EXPECT_TRUE(pump_->established());
  EXPECT_TRUE(last_status_.ok()) << last_status_;
  EXPECT_THAT(commands_, ElementsAre("EHLO client.example.test"));
  EXPECT_THAT(events_, Contains("tls_established"));
  EXPECT_EQ(events_.back(), "ready");
  ASSERT_NE(session_->connection().tls(), nullptr);
  EXPECT_TRUE(session_->connection().tls()->verified);

  ASSERT_TRUE(session_->Noop(now_).ok());
  Shuttle();
  EXPECT_THAT(commands_, ElementsAre("EHLO client.example.test", "NOOP"));
  EXPECT_EQ(events_.back(), "noop 250 2.0.0");
  EXPECT_FALSE(closed_.has_value());
}

TEST_F(TlsPumpTest, ImplicitTlsIsReportedBeforeTheGreeting) {
  Init(TlsMode::kImplicit);
  ASSERT_TRUE(pump_->Start(client_tls_, now_).ok());
  EXPECT_TRUE(pump_->active());
  Shuttle();
  EXPECT_TRUE(pump_->established());
  ServerWrite("220 mx.example.test ESMTP\r\n");
  Shuttle();
  EXPECT_THAT(commands_, ElementsAre("EHLO client.example.test"));
  ASSERT_GE(events_.size(), 3u);
  EXPECT_EQ(events_[0], "tls_established");
  EXPECT_EQ(events_[1], "greeting 220");
  EXPECT_EQ(events_.back(), "ready");
}

TEST_F(TlsPumpTest, LargeOutputIsMovedUnderBackPressure) {
  StartTlsHandshake();
  std::string body;
  while (body.size() < 1024 * 1024) {
    absl::StrAppend(&body, std::string(76, 'x'), "\r\n");
  }
  Envelope envelope;
  envelope.from = "alice@example.org";
  envelope.AddRecipient("bob@example.org");
  ASSERT_TRUE(session_->Deliver(envelope, absl::Cord(body), now_).ok());
  Shuttle();
  EXPECT_TRUE(saw_back_pressure_);
  EXPECT_EQ(data_.size(), body.size());
  EXPECT_TRUE(data_ == body);
  EXPECT_EQ(events_.back(), "delivery_done delivered=1 rejected=0 deferred=0");
}

TEST_F(TlsPumpTest, VerificationFailureIsReportedAsTlsFailure) {
  client_tls_.ca_pem = other_ca_->certificate_pem;
  StartTlsHandshake();
  EXPECT_FALSE(pump_->established());
  EXPECT_EQ(GetErrorDetail(last_status_), ErrorDetail::kTlsVerification);
  ASSERT_TRUE(closed_.has_value());
  EXPECT_EQ(closed_->cause, ErrorDetail::kTlsVerification);
  EXPECT_EQ(closed_->command, CommandKind::kStartTls);
  EXPECT_TRUE(commands_.empty());
  // The alert went to the server.
  EXPECT_FALSE(server_->status().ok());
}

TEST_F(TlsPumpTest, UnusableOptionsFailStartAndTheSession) {
  Init(TlsMode::kImplicit);
  TlsOptions options = ClientTls();
  options.server_name = "";  // required unless insecure
  absl::Status status = pump_->Start(options, now_);
  EXPECT_EQ(GetErrorDetail(status), ErrorDetail::kInvalidArgument);
  EXPECT_FALSE(pump_->active());
  EXPECT_TRUE(pump_->PendingCiphertext().empty());
  HandleEvents();
  ASSERT_TRUE(closed_.has_value());
  EXPECT_EQ(closed_->cause, ErrorDetail::kInvalidArgument);
  EXPECT_EQ(closed_->command, CommandKind::kStartTls);
  EXPECT_EQ(session_->state(), SessionState::kFailed);
}

TEST_F(TlsPumpTest, InputWithoutALayerIsWrongState) {
  Init(TlsMode::kImplicit);
  EXPECT_EQ(GetErrorDetail(pump_->ReceiveCiphertext("x", now_)),
            ErrorDetail::kWrongState);
  EXPECT_EQ(GetErrorDetail(pump_->ReceiveEof(now_)), ErrorDetail::kWrongState);
  absl::StatusOr<size_t> moved = pump_->EncryptSessionOutput(now_);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 0u);
  EXPECT_FALSE(pump_->Shutdown());
  HandleEvents();
  EXPECT_FALSE(closed_.has_value());
}

TEST_F(TlsPumpTest, StartTwiceIsWrongState) {
  Init(TlsMode::kImplicit);
  ASSERT_TRUE(pump_->Start(client_tls_, now_).ok());
  std::string hello(pump_->PendingCiphertext());
  EXPECT_EQ(GetErrorDetail(pump_->Start(client_tls_, now_)),
            ErrorDetail::kWrongState);
  EXPECT_EQ(pump_->PendingCiphertext(), hello);
  HandleEvents();
  EXPECT_FALSE(closed_.has_value());
}

TEST_F(TlsPumpTest, EofDuringTheHandshakeIsATlsFailure) {
  Init(TlsMode::kImplicit);
  ASSERT_TRUE(pump_->Start(client_tls_, now_).ok());
  absl::Status status = pump_->ReceiveEof(now_);
  EXPECT_EQ(GetErrorDetail(status), ErrorDetail::kConnectionClosed);
  HandleEvents();
  ASSERT_TRUE(closed_.has_value());
  EXPECT_EQ(closed_->cause, ErrorDetail::kConnectionClosed);
  EXPECT_EQ(closed_->command, CommandKind::kStartTls);
}

TEST_F(TlsPumpTest, GarbageAfterTheHandshakeAbortsTheSession) {
  StartTlsHandshake();
  ASSERT_TRUE(pump_->established());
  absl::Status status = pump_->ReceiveCiphertext(
      "this is not a TLS record, just plain text\r\n", now_);
  EXPECT_FALSE(status.ok());
  HandleEvents();
  ASSERT_TRUE(closed_.has_value());
  EXPECT_EQ(closed_->cause, GetErrorDetail(status));
  EXPECT_NE(closed_->command, CommandKind::kStartTls);
  // The alert is waiting to be written.
  EXPECT_FALSE(pump_->PendingCiphertext().empty());
}

TEST_F(TlsPumpTest, RepliesBeforeEofReachTheSessionFirst) {
  StartTlsHandshake();
  ASSERT_TRUE(session_->Noop(now_).ok());
  ASSERT_TRUE(pump_->EncryptSessionOutput(now_).ok());
  server_->ReceiveCiphertext(std::string(pump_->PendingCiphertext()))
      .IgnoreError();
  pump_->ConsumeCiphertext(pump_->PendingCiphertext().size());
  ReadServerPlaintext();
  Respond();  // "250 2.0.0 ok" to the NOOP
  ASSERT_TRUE(server_->Shutdown().ok());
  std::string last_flight(server_->PendingCiphertext());
  EXPECT_TRUE(pump_->ReceiveCiphertext(last_flight, now_).ok());
  EXPECT_TRUE(pump_->ReceiveEof(now_).ok());
  HandleEvents();
  ASSERT_GE(events_.size(), 2u);
  EXPECT_EQ(events_[events_.size() - 2], "noop 250 2.0.0");
  EXPECT_EQ(events_.back(), "closed connection_closed");
}

TEST_F(TlsPumpTest, ShutdownQueuesCloseNotifyOnce) {
  StartTlsHandshake();
  ASSERT_TRUE(session_->Close(now_).ok());
  Shuttle();
  EXPECT_EQ(events_.back(), "closed ok");
  EXPECT_TRUE(pump_->Shutdown());
  EXPECT_FALSE(pump_->Shutdown());
  ASSERT_FALSE(pump_->PendingCiphertext().empty());
  ASSERT_TRUE(
      server_->ReceiveCiphertext(std::string(pump_->PendingCiphertext())).ok());
  ReadServerPlaintext();
  EXPECT_TRUE(server_->peer_closed());
}

TEST_F(TlsPumpTest, NoShutdownBeforeTheHandshake) {
  Init(TlsMode::kImplicit);
  ASSERT_TRUE(pump_->Start(client_tls_, now_).ok());
  EXPECT_FALSE(pump_->Shutdown());
}

}  // namespace
}  // namespace smtpcore
