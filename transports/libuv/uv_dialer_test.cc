// UvDialer on a real loop: Happy Eyeballs against a black-holed first
// address (a full accept queue on 127.0.0.2 drops SYNs), sequential
// fall-back, failures starting the next attempt, dial history, and
// cancellation. Asserts on which address won and how every attempt ended,
// never on durations.

#include "transports/libuv/uv_dialer.h"

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "transports/common/transport_error.h"
#include "transports/testing/black_hole.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/loopback_server.h"

namespace smtpcore {
namespace {

class UvDialerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    // Every handle (the losers' too) must be closed once the loop drains.
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // StartPair starts a LoopbackServer on 127.0.0.1:P and a black hole on
  // 127.0.0.2:P (the same port: the dialed addresses share it).
  void StartPair() {
    for (int i = 0; i < 20 && hole_ == nullptr; ++i) {
      server_ = StartLoopbackServer(LoopbackServerOptions());
      ASSERT_NE(server_, nullptr);
      absl::StatusOr<std::unique_ptr<BlackHoleListener>> hole =
          BlackHoleListener::Start("127.0.0.2", server_->port());
      if (hole.ok()) {
        hole_ = *std::move(hole);
      } else {
        ASSERT_NE(hole.status().code(), absl::StatusCode::kFailedPrecondition)
            << hole.status();
      }
    }
    ASSERT_NE(hole_, nullptr);
  }

  // Dial runs one dial to completion and keeps the result and attempts.
  void Dial(const ClientOptions& options) {
    UvDialer dialer(&loop_, options);
    bool called = false;
    dialer.Start([&](absl::StatusOr<UvDialResult> r) {
      called = true;
      result_ = std::move(r);
      attempts_ = dialer.attempts();
      if (result_->ok()) CloseUvStream((*result_)->stream, nullptr, nullptr);
    });
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_TRUE(called);
  }

  uv_loop_t loop_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<BlackHoleListener> hole_;
  absl::optional<absl::StatusOr<UvDialResult>> result_;
  std::vector<UvDialAttempt> attempts_;
};

TEST_F(UvDialerTest, HappyEyeballsFallsBackWhileTheFirstStillConnects) {
  StartPair();
  DialHistory history;
  ClientOptions options = LoopbackClientOptions(server_->port());
  options.host = "mx.test";
  options.addresses = {"127.0.0.2", "127.0.0.1"};  // black hole first
  options.happy_eyeballs_delay = absl::Milliseconds(50);
  options.connect_timeout = absl::Seconds(60);  // never reached
  options.dial_history = &history;
  Dial(options);
  ASSERT_TRUE(result_.has_value());
  ASSERT_TRUE(result_->ok()) << result_->status();
  EXPECT_EQ((*result_)->peer.ip, "127.0.0.1");
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].address.ip, "127.0.0.2");
  EXPECT_EQ(attempts_[0].outcome, UvDialOutcome::kCancelled);
  EXPECT_EQ(attempts_[1].address.ip, "127.0.0.1");
  EXPECT_EQ(attempts_[1].outcome, UvDialOutcome::kConnected);
  // Only the winner is in the history: the cancelled attempt neither
  // connected nor failed.
  ASSERT_EQ(history.attempts("mx.test").size(), 1u);
  EXPECT_EQ(history.attempts("mx.test")[0].ip, "127.0.0.1");
  EXPECT_EQ(history.attempts("mx.test")[0].outcome, DialOutcome::kConnected);
}

TEST_F(UvDialerTest, WithoutHappyEyeballsTheFirstMustTimeOutFirst) {
  StartPair();
  DialHistory history;
  ClientOptions options = LoopbackClientOptions(server_->port());
  options.host = "mx.test";
  options.addresses = {"127.0.0.2", "127.0.0.1"};
  options.happy_eyeballs_delay = absl::ZeroDuration();
  options.connect_timeout = absl::Milliseconds(200);
  options.dial_history = &history;
  Dial(options);
  ASSERT_TRUE(result_->ok()) << result_->status();
  EXPECT_EQ((*result_)->peer.ip, "127.0.0.1");
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].outcome, UvDialOutcome::kTimedOut);
  EXPECT_EQ(attempts_[1].outcome, UvDialOutcome::kConnected);
  ASSERT_EQ(history.attempts("mx.test").size(), 2u);
  EXPECT_EQ(history.attempts("mx.test")[0].outcome,
            DialOutcome::kConnectFailed);
  EXPECT_EQ(history.attempts("mx.test")[1].outcome, DialOutcome::kConnected);
}

TEST_F(UvDialerTest, AFailureStartsTheNextAttemptAtOnce) {
  server_ = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server_, nullptr);
  ClientOptions options = LoopbackClientOptions(server_->port());
  // Nothing listens on 127.0.0.3 at this port: refused at once. With a
  // one-hour delay the second address can only start because of that.
  options.addresses = {"127.0.0.3", "127.0.0.1"};
  options.happy_eyeballs_delay = absl::Hours(1);
  Dial(options);
  ASSERT_TRUE(result_->ok()) << result_->status();
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].outcome, UvDialOutcome::kFailed);
  EXPECT_EQ(attempts_[0].error_number, ECONNREFUSED);
  EXPECT_EQ(attempts_[1].outcome, UvDialOutcome::kConnected);
}

TEST_F(UvDialerTest, EveryAddressBlackHoledTimesOut) {
  StartPair();
  ClientOptions options = LoopbackClientOptions(server_->port());
  options.host = "mx.test";
  options.addresses = {"127.0.0.2"};
  options.connect_timeout = absl::Milliseconds(100);
  Dial(options);
  ASSERT_FALSE(result_->ok());
  SmtpError e = ErrorFromStatus(result_->status());
  EXPECT_EQ(e.cause, ErrorDetail::kTimeout);
  ASSERT_EQ(attempts_.size(), 1u);
  EXPECT_EQ(attempts_[0].outcome, UvDialOutcome::kTimedOut);
}

TEST_F(UvDialerTest, DestroyingTheDialerCancelsEverything) {
  StartPair();
  ClientOptions options = LoopbackClientOptions(server_->port());
  options.addresses = {"127.0.0.2"};
  options.connect_timeout = absl::Seconds(60);
  bool called = false;
  {
    auto dialer = std::make_unique<UvDialer>(&loop_, options);
    dialer->Start([&](absl::StatusOr<UvDialResult>) { called = true; });
    // Let the attempt start, then drop the dialer mid-connect.
    uv_run(&loop_, UV_RUN_NOWAIT);
    uv_run(&loop_, UV_RUN_NOWAIT);
    ASSERT_EQ(dialer->attempts().size(), 1u);
    EXPECT_EQ(dialer->attempts()[0].outcome, UvDialOutcome::kInProgress);
  }
  uv_run(&loop_, UV_RUN_DEFAULT);  // returns: nothing is left open
  EXPECT_FALSE(called);
}

TEST_F(UvDialerTest, BadOptionsFailFromTheLoopNotInsideStart) {
  ClientOptions options;
  options.host = "localhost";
  options.unix_socket = "/tmp/x";
  options.local_address = "127.0.0.1";
  UvDialer dialer(&loop_, options);
  bool called = false;
  absl::Status status;
  dialer.Start([&](absl::StatusOr<UvDialResult> r) {
    called = true;
    status = r.status();
  });
  EXPECT_FALSE(called);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_TRUE(called);
  EXPECT_EQ(ErrorFromStatus(status).cause, ErrorDetail::kInvalidArgument);
}

TEST_F(UvDialerTest, LocalAddressNotOnThisMachine) {
  ClientOptions options = LoopbackClientOptions(25);
  options.local_address = "192.0.2.55";
  Dial(options);
  ASSERT_FALSE(result_->ok());
  EXPECT_EQ(ErrorFromStatus(result_->status()).cause,
            ErrorDetail::kInvalidArgument);
}

}  // namespace
}  // namespace smtpcore
