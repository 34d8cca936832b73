// UvPool against the in-process LoopbackServer on 127.0.0.1.

#include "transports/libuv/uv_pool.h"

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/loopback_server.h"

namespace smtpcore {
namespace {

using ::testing::ElementsAre;

class UvPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  UvPoolOptions PoolOptionsFor(uint16_t port) {
    UvPoolOptions options;
    options.client = LoopbackClientOptions(port);
    return options;
  }

  static Envelope EnvelopeFor(int i) {
    Envelope envelope;
    envelope.from = absl::StrCat("sender", i, "@example.org");
    envelope.AddRecipient("rcpt@example.org");
    return envelope;
  }

  static absl::Cord BodyFor(int i) {
    return absl::Cord(absl::StrCat("Subject: ", i, "\r\n\r\nBody ", i, "\r\n"));
  }

  // SendLaterThenShutdown sends message 1 from a later loop turn (so the
  // connection of message 0 sits in the idle list and gets a NOOP check
  // first), then shuts the pool down once it is done.
  void SendLaterThenShutdown(uv_timer_t* later, UvPool* pool) {
    uv_timer_init(&loop_, later);
    later->data = pool;
    uv_timer_start(later, [](uv_timer_t* t) {
      UvPool* p = static_cast<UvPool*>(t->data);
      p->Send(EnvelopeFor(1), BodyFor(1), [p](DeliveryOutcome o1) {
        EXPECT_TRUE(o1.ok()) << o1.error->Message();
        p->Shutdown([] {});
      });
      uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    }, 1, 0);
  }

  uv_loop_t loop_;
};

TEST_F(UvPoolTest, ReusesTwoConnectionsForManyMessages) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 2;
  UvPool pool(&loop_, options);
  constexpr int kMessages = 10;
  int ok = 0;
  int done = 0;
  for (int i = 0; i < kMessages; ++i) {
    pool.Send(EnvelopeFor(i), BodyFor(i), [&](DeliveryOutcome outcome) {
      ok += outcome.all_delivered();
      if (++done == kMessages) {
        pool.Shutdown([] {});
      }
    });
  }
  EXPECT_EQ(pool.connections(), 2u);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(ok, kMessages);
  EXPECT_EQ(pool.connections(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
  const UvPoolStats& stats = pool.stats();
  EXPECT_EQ(stats.connections_opened, 2);
  EXPECT_EQ(stats.connections_failed, 0);
  EXPECT_EQ(stats.connections_dropped, 0);
  EXPECT_EQ(stats.connections_retired, 2);
  EXPECT_EQ(stats.messages_ok, kMessages);
  EXPECT_EQ(stats.messages_on_reused, kMessages - 2);
  EXPECT_EQ(stats.noop_checks, 0);
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  std::vector<LoopbackMessage> messages = server->messages();
  ASSERT_EQ(messages.size(), static_cast<size_t>(kMessages));
  std::vector<std::string> bodies;
  for (const LoopbackMessage& m : messages) bodies.push_back(m.data);
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_THAT(bodies, ::testing::Contains(std::string(BodyFor(i))));
  }
  for (int c = 0; c < 2; ++c) {
    std::vector<std::string> commands = server->commands(c);
    ASSERT_FALSE(commands.empty());
    EXPECT_EQ(commands.front(), "EHLO localhost");
    EXPECT_EQ(commands.back(), "QUIT");
  }
}

TEST_F(UvPoolTest, ServiceClosingDropsTheConnectionAndReconnects) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext& context,
                           absl::string_view line)
      -> absl::optional<std::string> {
    if (context.connection == 0 && context.mail_count == 2 &&
        absl::StartsWith(line, "MAIL")) {
      return std::string("421 4.3.2 Service shutting down");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  UvPool pool(&loop_, options);
  std::vector<std::string> log;
  for (int i = 0; i < 3; ++i) {
    pool.Send(EnvelopeFor(i), BodyFor(i), [&, i](DeliveryOutcome outcome) {
      log.push_back(absl::StrCat(i, outcome.ok() ? " ok" : " failed"));
      if (log.size() == 3) pool.Shutdown([] {});
    });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_THAT(log, ElementsAre("0 ok", "1 ok", "2 ok"));
  const UvPoolStats& stats = pool.stats();
  EXPECT_EQ(stats.connections_opened, 2);
  EXPECT_EQ(stats.connections_dropped, 1);
  EXPECT_EQ(stats.messages_retried, 1);
  EXPECT_EQ(stats.messages_ok, 3);
  EXPECT_EQ(stats.messages_failed, 0);
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  // Pipelined MAIL/RCPT/DATA: the server read the MAIL, said 421 and closed.
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "MAIL FROM:<sender0@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA",
                          "MAIL FROM:<sender1@example.org>"));
  EXPECT_THAT(server->commands(1),
              ElementsAre("EHLO localhost", "MAIL FROM:<sender1@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA",
                          "MAIL FROM:<sender2@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA", "QUIT"));
  ASSERT_EQ(server->messages().size(), 3u);
  EXPECT_EQ(server->messages()[1].data, std::string(BodyFor(1)));
}

TEST_F(UvPoolTest, NoopBeforeReusingAnIdleConnectionOnly) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  options.noop_after_idle = absl::Milliseconds(20);
  UvPool pool(&loop_, options);
  uv_timer_t later;
  uv_timer_init(&loop_, &later);
  struct Ctx {
    UvPool* pool;
    int done = 0;
  } ctx{&pool};
  later.data = &ctx;
  pool.Send(EnvelopeFor(0), BodyFor(0), [&](DeliveryOutcome o) {
    EXPECT_TRUE(o.ok());
    // Right away: the connection is reused without NOOP.
    pool.Send(EnvelopeFor(1), BodyFor(1), [&](DeliveryOutcome o1) {
      EXPECT_TRUE(o1.ok());
      // After 60 ms idle: NOOP first.
      uv_timer_start(&later, [](uv_timer_t* t) {
        Ctx* c = static_cast<Ctx*>(t->data);
        c->pool->Send(EnvelopeFor(2), BodyFor(2), [c](DeliveryOutcome o2) {
          EXPECT_TRUE(o2.ok());
          c->pool->Shutdown([] {});
        });
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      }, 60, 0);
    });
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(pool.stats().noop_checks, 1);
  EXPECT_EQ(pool.stats().noop_failures, 0);
  EXPECT_EQ(pool.stats().connections_opened, 1);
  EXPECT_EQ(pool.stats().messages_on_reused, 2);
  server->Stop();
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "MAIL FROM:<sender0@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA",
                          "MAIL FROM:<sender1@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA", "NOOP",
                          "MAIL FROM:<sender2@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA", "QUIT"));
}

TEST_F(UvPoolTest, FailedNoopReconnectsTransparently) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext& context,
                           absl::string_view line)
      -> absl::optional<std::string> {
    if (line == "NOOP") return std::string("421 4.4.2 Idle timeout");
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  UvPool pool(&loop_, options);  // noop_after_idle = 0: always check
  uv_timer_t later;
  uv_timer_init(&loop_, &later);
  later.data = &pool;
  pool.Send(EnvelopeFor(0), BodyFor(0), [&](DeliveryOutcome o) {
    EXPECT_TRUE(o.ok());
    // Sent from a later loop turn: the connection sits in the idle list.
    uv_timer_start(&later, [](uv_timer_t* t) {
      UvPool* p = static_cast<UvPool*>(t->data);
      p->Send(EnvelopeFor(1), BodyFor(1), [p](DeliveryOutcome o1) {
        EXPECT_TRUE(o1.ok()) << o1.error->Message();
        p->Shutdown([] {});
      });
      uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    }, 1, 0);
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(pool.stats().noop_checks, 1);
  EXPECT_EQ(pool.stats().noop_failures, 1);
  EXPECT_EQ(pool.stats().connections_opened, 2);
  EXPECT_EQ(pool.stats().connections_dropped, 1);
  EXPECT_EQ(pool.stats().messages_ok, 2);
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  EXPECT_EQ(server->commands(0).back(), "NOOP");
}

TEST_F(UvPoolTest, NoopAnsweredWithANon2xxDropsTheConnection) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line == "NOOP") return std::string("502 5.5.1 NOOP not here");
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  UvPool pool(&loop_, options);  // noop_after_idle = 0: always check
  uv_timer_t later;
  pool.Send(EnvelopeFor(0), BodyFor(0), [&](DeliveryOutcome o) {
    EXPECT_TRUE(o.ok());
    SendLaterThenShutdown(&later, &pool);
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  const UvPoolStats& stats = pool.stats();
  EXPECT_EQ(stats.noop_checks, 1);
  EXPECT_EQ(stats.noop_failures, 1);
  EXPECT_EQ(stats.connections_opened, 2);
  EXPECT_EQ(stats.connections_dropped, 1);
  EXPECT_EQ(stats.messages_on_reused, 0);
  EXPECT_EQ(stats.messages_retried, 0);
  EXPECT_EQ(stats.messages_ok, 2);
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  EXPECT_EQ(server->commands(0).back(), "NOOP");
  EXPECT_THAT(server->commands(1),
              ElementsAre("EHLO localhost", "MAIL FROM:<sender1@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA", "QUIT"));
}

TEST_F(UvPoolTest, A421RightBehindTheNoopReplyIsNotReused) {
  LoopbackServerOptions server_options;
  server_options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    // One write: the client reads the 250 and the 421 at once.
    if (line == "NOOP") {
      return std::string("250 2.0.0 Ok\r\n421 4.3.2 Shutting down");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  UvPool pool(&loop_, options);  // noop_after_idle = 0: always check
  uv_timer_t later;
  pool.Send(EnvelopeFor(0), BodyFor(0), [&](DeliveryOutcome o) {
    EXPECT_TRUE(o.ok());
    SendLaterThenShutdown(&later, &pool);
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  const UvPoolStats& stats = pool.stats();
  EXPECT_EQ(stats.noop_checks, 1);
  EXPECT_EQ(stats.noop_failures, 1);
  EXPECT_EQ(stats.connections_opened, 2);
  EXPECT_EQ(stats.connections_dropped, 1);
  EXPECT_EQ(stats.messages_on_reused, 0);
  EXPECT_EQ(stats.messages_retried, 0);
  EXPECT_EQ(stats.messages_ok, 2);
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  // Nothing was sent after the NOOP on the first connection.
  EXPECT_EQ(server->commands(0).back(), "NOOP");
  EXPECT_THAT(server->commands(1),
              ElementsAre("EHLO localhost", "MAIL FROM:<sender1@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA", "QUIT"));
}

TEST_F(UvPoolTest, RetiresAfterMaxMessages) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  options.max_messages_per_connection = 2;
  UvPool pool(&loop_, options);
  int done = 0;
  for (int i = 0; i < 5; ++i) {
    pool.Send(EnvelopeFor(i), BodyFor(i), [&](DeliveryOutcome o) {
      EXPECT_TRUE(o.ok());
      if (++done == 5) pool.Shutdown([] {});
    });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(done, 5);
  EXPECT_EQ(pool.stats().connections_opened, 3);
  EXPECT_EQ(pool.stats().connections_retired, 3);
  EXPECT_EQ(pool.stats().connections_dropped, 0);
  server->Stop();
  EXPECT_EQ(server->connections(), 3);
  EXPECT_EQ(server->messages().size(), 5u);
}

TEST_F(UvPoolTest, ConnectFailuresFailTheQueuedMessages) {
  UvPoolOptions options = PoolOptionsFor(UnusedLoopbackPort());
  options.max_connections_per_destination = 2;
  options.max_connect_failures = 2;
  UvPool pool(&loop_, options);
  std::vector<std::string> causes;
  for (int i = 0; i < 3; ++i) {
    pool.Send(EnvelopeFor(i), BodyFor(i), [&](DeliveryOutcome o) {
      ASSERT_FALSE(o.ok());
      causes.push_back(std::string(ErrorDetailName(o.error->cause)));
      ASSERT_EQ(o.result.recipients.size(), 1u);
      EXPECT_EQ(o.result.recipients[0].status, RecipientStatus::kDeferred);
    });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_THAT(causes, ElementsAre("io", "io", "io"));
  EXPECT_EQ(pool.stats().connections_failed, 2);
  EXPECT_EQ(pool.stats().messages_failed, 3);
  EXPECT_EQ(pool.connections(), 0u);
}

}  // namespace
}  // namespace smtpcore
