// UvPool: a connection pool of `UvClient`s on one libuv loop, for sending
// many messages (`smtpc bulk`, an MTA's outbound queue).
//
// Per destination (host:port) the pool keeps up to
// `max_connections_per_destination` connections and a FIFO of messages:
//  - a message goes to an idle ready connection if there is one (after a
//    NOOP liveness check when that connection sat idle for at least
//    `noop_after_idle`), else a new connection is opened if under the cap,
//    else it waits for the next free connection;
//  - a connection that finishes a message takes the next queued one at
//    once, also one queued from that message's callback (no NOOP: it just
//    proved alive);
//  - a connection is closed with QUIT after `max_messages_per_connection`
//    messages and after `idle_timeout` without work; one that got a 421 at
//    any point (also one read behind the 250 to a NOOP check) or whose
//    session failed (EOF, timeout, I/O error) takes nothing more;
//  - reconnect is transparent, at most once per message: a message whose
//    connection failed while nothing of it can have been taken (no
//    recipient delivered, rejected or unknown: `RetryAllowed` in
//    transports/common/pool_policy.h) is put back at the head of the queue
//    and goes to a new connection, or to a used one only after a NOOP
//    check. Otherwise the failure is reported, never retried (it may have
//    been delivered: RFC 5321 §4.1.4 and RFC 1047's duplicates);
//  - "too many connections" or "too many logins" at the greeting or to
//    AUTH (`IsTooManyConnections`) lowers the destination's concurrency to
//    the connections that work, for `busy_backoff`, instead of dialing
//    again at once; the queued messages wait for those connections;
//  - when a connect fails while the destination has no working connection,
//    and `max_connect_failures` consecutive connects failed, every queued
//    message of that destination fails with the connect error.
//
// Threading and lifetime as `UvClient`: loop thread only; callbacks may call
// `Send`/`SendTo`/`Shutdown` but must not destroy the pool (destroy it after
// `Shutdown`'s callback, or outside callbacks), then run the loop until it
// is empty.

#ifndef SMTP_TRANSPORTS_LIBUV_UV_POOL_H_
#define SMTP_TRANSPORTS_LIBUV_UV_POOL_H_

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "core/delivery.h"
#include "core/instant.h"
#include "transports/common/client_options.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/pool_policy.h"
#include "transports/libuv/uv_client.h"

namespace smtpcore {

// UvPoolOptions configures a UvPool.
struct UvPoolOptions {
  // client is the template for every connection. `client.host` and
  // `client.port` are the default destination of `Send`; `SendTo`
  // overrides them (and a `tls.server_name` equal to the old host is reset).
  ClientOptions client;
  // max_connections_per_destination caps concurrent connections per
  // host:port (>= 1).
  int max_connections_per_destination = 4;
  // max_messages_per_connection: close with QUIT after this many messages
  // (0: no limit).
  int max_messages_per_connection = 100;
  // noop_after_idle: send NOOP before reusing a connection that was idle at
  // least this long (0: always before reusing an idle connection).
  Duration noop_after_idle = absl::ZeroDuration();
  // idle_timeout: close (QUIT) a connection idle this long (0: never).
  Duration idle_timeout = absl::Seconds(30);
  // busy_backoff: after "too many connections" or "too many logins" at
  // the greeting or to AUTH (`IsTooManyConnections`), the destination gets
  // no more connections than were working then, for this long; then
  // `max_connections_per_destination` again (0: never lowered).
  Duration busy_backoff = absl::Seconds(60);
  // max_connect_failures: consecutive failed connects to a destination
  // without a working connection before its queued messages fail (>= 1).
  int max_connect_failures = 2;
};

// UvPoolStats are counters since the pool was created.
struct UvPoolStats {
  int connections_opened = 0;   // Connect attempts started
  int connections_failed = 0;   // Connect attempts that failed
  int connections_dropped = 0;  // working connections that failed (421...)
  int connections_retired = 0;  // closed by the pool (N messages, idle)
  int noop_checks = 0;          // NOOP liveness checks sent
  int noop_failures = 0;        // ... that failed (connection dropped)
  int messages_submitted = 0;
  int messages_ok = 0;          // outcome ok() (DeliveryDone)
  int messages_failed = 0;      // outcome with error
  int messages_retried = 0;     // requeued after a connection failure
  int busy_refusals = 0;        // "too many connections" at greeting/AUTH
  int retired_after_421 = 0;    // connections ended by a 421 to a message
  int messages_on_reused = 0;   // sent on a connection that sent before
};

// UvPool sends messages over reused connections. Method categories:
//   operations  Send, SendTo, Shutdown
//   getters     stats, queued, connections
class UvPool {
 public:
  // MessageCallback gets the outcome of one message (once).
  using MessageCallback = std::function<void(DeliveryOutcome outcome)>;

  // UvPool uses `loop` (borrowed, must outlive the pool's handles).
  UvPool(uv_loop_t* loop, UvPoolOptions options);
  // ~UvPool aborts every connection (no QUIT); queued messages' callbacks
  // are not called.
  ~UvPool();

  UvPool(const UvPool&) = delete;
  UvPool& operator=(const UvPool&) = delete;

  // Send queues a message for the default destination (`options.client`).
  // `body` is shared, not copied. `done` runs once, on the loop, with the
  // outcome; after `Shutdown` it runs at once with kFailedPrecondition /
  // kClosed.
  void Send(Envelope envelope, absl::Cord body, MessageCallback done);

  // SendTo queues a message for `host`:`port` (0: default port).
  void SendTo(const std::string& host, uint16_t port, Envelope envelope,
              absl::Cord body, MessageCallback done);

  // Shutdown lets the queued messages finish, closes every connection with
  // QUIT and calls `done` once nothing is open. Later Sends fail.
  void Shutdown(std::function<void()> done);

  // stats returns the counters.
  const UvPoolStats& stats() const { return stats_; }
  // queued counts messages waiting for a connection (all destinations).
  size_t queued() const;
  // connections counts open (or opening) connections (all destinations).
  size_t connections() const;

 private:
  struct Message;
  struct Conn;
  struct Destination;

  Destination& DestinationFor(const std::string& host, uint16_t port);
  void Dispatch(Destination* dest);
  void StartOnConn(Destination* dest, Conn* conn);
  void OpenConnection(Destination* dest);
  void OnConnected(Destination* dest, Conn* conn, const absl::Status& status);
  void OnMessageDone(Destination* dest, Conn* conn, DeliveryOutcome outcome);
  void OnConnClosed(Destination* dest, Conn* conn, const absl::Status& status);
  void RetireConn(Conn* conn);
  void FailQueued(Destination* dest, const SmtpError& error);
  void Finish(std::unique_ptr<Message> message, DeliveryOutcome outcome);
  void NoteIdle(Instant idle_since);
  void ArmTimerAt(Instant due);
  void UpdateTimerRef();
  void MaybeFinishShutdown();
  static void OnTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  UvPoolOptions options_;
  PoolPolicyOptions policy_;  // derived from options_
  UvPoolStats stats_;
  std::map<std::string, std::unique_ptr<Destination>> destinations_;
  // idle_timer_ retires idle connections and ends backoffs; freed by its
  // close callback. Armed for timer_due_ while timer_armed_.
  uv_timer_t* idle_timer_ = nullptr;
  bool timer_armed_ = false;
  Instant timer_due_;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_LIBUV_UV_POOL_H_
