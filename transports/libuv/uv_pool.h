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
//    messages, after `idle_timeout` without work, and dropped when the
//    session fails (421 from the server, EOF, timeout, I/O error);
//  - reconnect is transparent: a message whose connection failed before any
//    recipient was accepted (421 or EOF on MAIL, greeting, NOOP, ...;
//    nothing can have been delivered) is put back at the head of the queue
//    and sent on another connection, up to `max_attempts` times in all.
//    After a recipient was accepted a failure is reported, never retried
//    (the message may have been delivered: RFC 5321 §4.1.4 and the
//    "duplicate messages" problem of RFC 1047).
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
  // max_attempts bounds the connections one message is tried on (>= 1).
  int max_attempts = 3;
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
  void ArmIdleTimer();
  void MaybeFinishShutdown();
  static void OnIdleTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  UvPoolOptions options_;
  UvPoolStats stats_;
  std::map<std::string, std::unique_ptr<Destination>> destinations_;
  uv_timer_t* idle_timer_ = nullptr;  // freed by its close callback
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_LIBUV_UV_POOL_H_
