// UvPool against the in-process LoopbackServer on 127.0.0.1.
//
// Every assertion holds under every schedule of the client's loop and the
// server's threads: where a test needs an order (which connection carries
// which message), a LoopbackHook holds a server reply until the other
// connection got there (WaitableCounter); where it needs idle time, it
// waits until the pool's clock (UvNow) shows that time has passed.

#include "transports/libuv/uv_pool.h"

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/loopback_server.h"
#include "transports/testing/refused_port.h"
#include "transports/testing/waitable_counter.h"

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

  // Poll calls `tick` from later loop turns, every millisecond, until it
  // returns true. The first call comes after the current callback and
  // whatever the pool does when it returns.
  void Poll(std::function<bool()> tick) {
    struct Timer {
      uv_timer_t handle;
      std::function<bool()> tick;
    };
    auto* timer = new Timer{{}, std::move(tick)};
    uv_timer_init(&loop_, &timer->handle);
    timer->handle.data = timer;
    uv_timer_start(
        &timer->handle,
        [](uv_timer_t* handle) {
          Timer* t = static_cast<Timer*>(handle->data);
          if (!t->tick()) return;
          uv_timer_stop(handle);
          uv_close(reinterpret_cast<uv_handle_t*>(handle),
                   [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
        },
        0, 1);
  }

  // MessagesPerConnection counts the server's accepted messages by
  // connection index.
  static std::map<int, int> MessagesPerConnection(
      const LoopbackServer& server) {
    std::map<int, int> count;
    for (const LoopbackMessage& m : server.messages()) ++count[m.connection];
    return count;
  }

  uv_loop_t loop_;
};

// With ten messages queued at once and a cap of two, the pool opens two
// connections, and both carry messages: each connection's first message is
// its only one on a new connection, every other message is on a reused one.
//
// Which connection carries how many messages is up to the scheduler: a
// connection that connects first may send several messages, or all of them,
// before the other one has read its greeting. The server therefore holds the
// reply to each connection's first MAIL until both connections have sent
// one, so that both carry at least one message under every schedule (the
// test used to assume it and failed 1 run in 30 under load, issue 9). The
// case where the second connection ends up unused is tested on its own below
// (OpensUpToTheCapEvenIfOneConnectionEndsUpUnused).
TEST_F(UvPoolTest, ReusesTwoConnectionsForManyMessages) {
  WaitableCounter first_mails;  // connections that sent their first MAIL
  LoopbackServerOptions server_options;
  server_options.hook = [&first_mails](const LoopbackContext& context,
                                       absl::string_view line)
      -> absl::optional<std::string> {
    if (context.mail_count == 1 && absl::StartsWith(line, "MAIL") &&
        !first_mails.ArriveAndWait(2)) {
      return std::string("451 4.3.0 test: no MAIL on the other connection");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
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
  EXPECT_EQ(first_mails.value(), 2);
  EXPECT_EQ(server->connections(), 2);
  std::map<int, int> per_connection = MessagesPerConnection(*server);
  ASSERT_EQ(per_connection.size(), 2u);
  EXPECT_EQ(per_connection[0] + per_connection[1], kMessages);
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

// The schedule that made the test above flaky, made certain: the server
// holds the second connection's greeting until the first connection has
// sent every message. The pool still opened two connections, and that is
// intended, not a defect: when it opened them, ten messages were waiting
// and it cannot know that one connection will be fast enough for all of
// them. Opening up to the cap while the queue is deep is what a pool is
// for; waiting for the first connection to prove slow would add a
// connection set-up time to the latency of every burst. The cost of the
// unused connection is bounded: it is closed with QUIT (retired) as soon as
// it is ready and there is nothing to send (or after `idle_timeout`), it is
// never counted as a failure, and no message waits for it.
TEST_F(UvPoolTest, OpensUpToTheCapEvenIfOneConnectionEndsUpUnused) {
  constexpr int kMessages = 10;
  WaitableCounter delivered;  // end-of-data lines the server received
  LoopbackServerOptions server_options;
  server_options.hook = [&delivered](const LoopbackContext& context,
                                     absl::string_view line)
      -> absl::optional<std::string> {
    if (line == ".") delivered.Add();
    if (context.connection == 1 && line.empty() &&
        !delivered.WaitFor(kMessages)) {
      return std::string("421 4.3.0 test: connection 0 did not send all");
    }
    return absl::nullopt;
  };
  auto server = StartLoopbackServer(server_options);
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 2;
  UvPool pool(&loop_, options);
  int ok = 0;
  int done = 0;
  for (int i = 0; i < kMessages; ++i) {
    pool.Send(EnvelopeFor(i), BodyFor(i), [&](DeliveryOutcome outcome) {
      ok += outcome.all_delivered();
      if (++done == kMessages) pool.Shutdown([] {});
    });
  }
  EXPECT_EQ(pool.connections(), 2u);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(ok, kMessages);
  EXPECT_EQ(pool.connections(), 0u);
  const UvPoolStats& stats = pool.stats();
  EXPECT_EQ(stats.connections_opened, 2);
  EXPECT_EQ(stats.connections_failed, 0);
  EXPECT_EQ(stats.connections_dropped, 0);
  EXPECT_EQ(stats.connections_retired, 2);
  EXPECT_EQ(stats.messages_ok, kMessages);
  EXPECT_EQ(stats.messages_on_reused, kMessages - 1);
  EXPECT_EQ(stats.noop_checks, 0);
  server->Stop();
  EXPECT_EQ(server->connections(), 2);
  std::map<int, int> per_connection = MessagesPerConnection(*server);
  EXPECT_EQ(per_connection[0], kMessages);
  EXPECT_EQ(per_connection.count(1), 0u);
  EXPECT_THAT(server->commands(1), ElementsAre("EHLO localhost", "QUIT"));
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

// A message sent from the previous message's callback goes to the
// connection that just finished, without NOOP (it just proved alive); a
// message sent after the connection sat idle for `noop_after_idle` gets a
// NOOP first. The test does not sleep for "long enough": it polls until the
// pool's clock shows that the idle time has certainly passed, so the NOOP is
// due under every schedule.
TEST_F(UvPoolTest, NoopBeforeReusingAnIdleConnectionOnly) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  options.noop_after_idle = absl::Milliseconds(20);
  UvPool pool(&loop_, options);
  pool.Send(EnvelopeFor(0), BodyFor(0), [&](DeliveryOutcome o) {
    EXPECT_TRUE(o.ok());
    // Right away: the connection is reused without NOOP.
    pool.Send(EnvelopeFor(1), BodyFor(1), [&](DeliveryOutcome o1) {
      EXPECT_TRUE(o1.ok());
      // The pool marks the connection idle when this callback returns, so
      // a time read in a later loop turn is no earlier than that.
      absl::optional<Instant> idle_by;
      Poll([&pool, idle_by, &options]() mutable {
        Instant now = UvNow();
        if (!idle_by.has_value()) idle_by = now;
        if (now - *idle_by < options.noop_after_idle) return false;
        // Idle at least noop_after_idle: NOOP first.
        pool.Send(EnvelopeFor(2), BodyFor(2), [&pool](DeliveryOutcome o2) {
          EXPECT_TRUE(o2.ok());
          pool.Shutdown([] {});
        });
        return true;
      });
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

// A connection that sat idle for less than `noop_after_idle` is reused
// without NOOP. The threshold is an hour, so "less" holds under any load.
TEST_F(UvPoolTest, NoNoopBeforeReusingAConnectionIdleLessThanTheThreshold) {
  auto server = StartLoopbackServer(LoopbackServerOptions());
  ASSERT_NE(server, nullptr);
  UvPoolOptions options = PoolOptionsFor(server->port());
  options.max_connections_per_destination = 1;
  options.noop_after_idle = absl::Hours(1);
  UvPool pool(&loop_, options);
  pool.Send(EnvelopeFor(0), BodyFor(0), [&](DeliveryOutcome o) {
    EXPECT_TRUE(o.ok());
    // From a later loop turn: the connection is in the idle list.
    Poll([&pool] {
      pool.Send(EnvelopeFor(1), BodyFor(1), [&pool](DeliveryOutcome o1) {
        EXPECT_TRUE(o1.ok());
        pool.Shutdown([] {});
      });
      return true;
    });
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(pool.stats().noop_checks, 0);
  EXPECT_EQ(pool.stats().connections_opened, 1);
  EXPECT_EQ(pool.stats().messages_on_reused, 1);
  server->Stop();
  EXPECT_THAT(server->commands(0),
              ElementsAre("EHLO localhost", "MAIL FROM:<sender0@example.org>",
                          "RCPT TO:<rcpt@example.org>", "DATA",
                          "MAIL FROM:<sender1@example.org>",
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
  pool.Send(EnvelopeFor(0), BodyFor(0), [&](DeliveryOutcome o) {
    EXPECT_TRUE(o.ok());
    // Sent from a later loop turn: the connection sits in the idle list.
    Poll([&pool] {
      pool.Send(EnvelopeFor(1), BodyFor(1), [&pool](DeliveryOutcome o1) {
        EXPECT_TRUE(o1.ok()) << o1.error->Message();
        pool.Shutdown([] {});
      });
      return true;
    });
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

// Every connect is refused: once `max_connect_failures` consecutive
// connects failed and no connection works, the queued messages fail.
//
// How many connects that takes is up to the scheduler, and both counts are
// correct pool behaviour: the pool opens two (the cap) for three messages;
// when the first one's refusal and close are handled before the second
// one's refusal arrives, the pool replaces it with a third connection (work
// is still queued), and the second refusal then fails the queue; when both
// refusals arrive together, the queue fails after two. The test asserts
// what holds under both schedules.
TEST_F(UvPoolTest, ConnectFailuresFailTheQueuedMessages) {
  absl::StatusOr<RefusedLoopbackPort> refused = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  UvPoolOptions options = PoolOptionsFor(refused->port());
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
  EXPECT_EQ(pool.connections(), 2u);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_THAT(causes, ElementsAre("io", "io", "io"));
  const UvPoolStats& stats = pool.stats();
  EXPECT_GE(stats.connections_failed, options.max_connect_failures);
  EXPECT_LE(stats.connections_failed, 3);
  EXPECT_EQ(stats.connections_opened, stats.connections_failed);
  EXPECT_EQ(stats.connections_dropped, 0);
  EXPECT_EQ(stats.messages_failed, 3);
  EXPECT_EQ(stats.messages_ok, 0);
  EXPECT_EQ(pool.connections(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
}

// The same with one connection at a time: the order is fixed, so are the
// counts.
TEST_F(UvPoolTest, ConnectFailuresOneAtATime) {
  absl::StatusOr<RefusedLoopbackPort> refused = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  UvPoolOptions options = PoolOptionsFor(refused->port());
  options.max_connections_per_destination = 1;
  options.max_connect_failures = 2;
  UvPool pool(&loop_, options);
  int failed = 0;
  for (int i = 0; i < 3; ++i) {
    pool.Send(EnvelopeFor(i), BodyFor(i),
              [&](DeliveryOutcome o) { failed += !o.ok(); });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(failed, 3);
  EXPECT_EQ(pool.stats().connections_opened, 2);
  EXPECT_EQ(pool.stats().connections_failed, 2);
  EXPECT_EQ(pool.stats().messages_failed, 3);
  EXPECT_EQ(pool.connections(), 0u);
}

}  // namespace
}  // namespace smtpcore
