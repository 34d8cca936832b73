// UvClient: the asynchronous SMTP client on a caller-owned libuv loop. Same
// capabilities as `BlockingClient` (transports/blocking/blocking_client.h):
// dialing by `UvDialer` (transports/libuv/uv_dialer.h: uv_getaddrinfo,
// Happy Eyeballs over alternating address families (RFC 8305), a
// `DialHistory`, Unix-domain sockets, a source address, SOCKS5 and HTTP
// CONNECT proxies), a
// `uv_timer_t` armed from `Session::NextDeadline()`, uv_write of the core's
// slices as uv_buf_t without copying the body (layout static_assert in the
// .cc), a `TlsPump` (transports/common/tls_pump.h) in between when TLS is
// on (STARTTLS or implicit), completion callbacks with typed results. Any
// number of clients may share one loop.
//
// Example:
//   UvClient client(loop, options);
//   client.Connect([&](const absl::Status& s) { if (!s.ok()) ...; });
//   client.Deliver(envelope, body, [&](DeliveryOutcome outcome) {
//     ... outcome.result.recipients ...;
//     client.Close([](const absl::Status&) {});
//   });
//   uv_run(loop, UV_RUN_DEFAULT);
//
// Threading: every method must be called on the loop's thread; callbacks
// run there too. Callbacks may call any method of the client, including
// destroying it (after which no further callback of it runs).
//
// Clock: uv_hrtime() (monotonic) mapped to the core's `Instant`.
//
// Lifetime of libuv handles: the client's handles are closed
// asynchronously; destroying a UvClient (or calling Abort) starts that and
// returns at once; the handles' memory is freed by their close callbacks, so
// run the loop until it is empty (uv_run) before uv_loop_close.

#ifndef SMTP_TRANSPORTS_LIBUV_UV_CLIENT_H_
#define SMTP_TRANSPORTS_LIBUV_UV_CLIENT_H_

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "core/capabilities.h"
#include "core/delivery.h"
#include "core/instant.h"
#include "core/sasl_mechanism.h"
#include "core/session.h"
#include "transports/common/client_options.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/dial_history.h"
#include "transports/common/transport_error.h"
#include "transports/libuv/uv_dialer.h"

namespace smtpcore {

// UvNow returns uv_hrtime() as an `Instant`. Never fails.
Instant UvNow();

// UvClientState is the coarse progress of a UvClient.
enum class UvClientState : uint8_t {
  kIdle,        // constructed, Connect not called
  kConnecting,  // resolving or dialing
  kSession,     // TCP connected: greeting, EHLO, TLS, AUTH, deliveries
  kClosing,     // QUIT sent or the session ended; handles closing
  kClosed,      // everything closed; close_status() is final
};

// UvClientStateName returns "idle", "connecting", "session", "closing" or
// "closed".
absl::string_view UvClientStateName(UvClientState state);

// UvClient is one SMTP connection on a libuv loop. Method categories:
//   operations  Connect, Deliver, CheckAlive, Close, Abort
//   handlers    set_closed_handler
//   getters     state, ready, idle, capabilities, tls_info, peer,
//               close_status, finished_deliveries, options, dial_attempts,
//               reconnected
// Call order: Connect once, then Deliver any number of times (also before
// the session is ready: deliveries queue and run in order), then Close or
// Abort (or destroy).
class UvClient {
 public:
  // ConnectCallback gets OK when the session is ready, or the typed error
  // status (`ErrorFromStatus` restores the SmtpError).
  using ConnectCallback = std::function<void(const absl::Status& status)>;
  // DeliverCallback gets the outcome of one Deliver.
  using DeliverCallback = std::function<void(DeliveryOutcome outcome)>;
  // StatusCallback gets OK or the typed error status.
  using StatusCallback = std::function<void(const absl::Status& status)>;

  // UvClient prepares a client on `loop` (borrowed; must outlive the
  // client's handles, see the file comment). Nothing happens until
  // `Connect`.
  UvClient(uv_loop_t* loop, ClientOptions options);

  // ~UvClient aborts the connection if still open (no QUIT, no callbacks).
  ~UvClient();

  UvClient(const UvClient&) = delete;
  UvClient& operator=(const UvClient&) = delete;

  // Connect resolves and dials `options.host` (or dials
  // `options.addresses` as given, or `options.unix_socket`; through
  // `options.proxy` when set; Happy Eyeballs with
  // `options.happy_eyeballs_delay`), then runs the session until ready;
  // `done` is called exactly once: OK when ready, else the typed error
  // (resolve/connect kIo or kTimeout, bad options kInvalidArgument, proxy
  // refusals kProxy*, refused greeting, TLS, AUTH ...). When the server
  // drops the connection during the session's AUTH retry (an OAuth token
  // refresh), it dials once more with a new session
  // (`options.reconnect_after_auth_retry`). Calling it twice fails the
  // second `done` with kFailedPrecondition / kWrongState.
  void Connect(ConnectCallback done);

  // Deliver queues one message (`body` not copied; kept until `done`);
  // messages queued before the session is ready are handed to it at
  // SessionReady, in order.
  // `done` is called exactly once with the outcome; when the envelope is
  // refused locally (bad address, no recipients, client closed) it is
  // called before Deliver returns.
  void Deliver(Envelope envelope, absl::Cord body, DeliverCallback done);

  // CheckAlive checks that an idle, ready connection still works: it sends
  // NOOP with `Session::Noop` (traced and reported through `on_event` like
  // every session command: Trace lines, then a NoopDone event) and calls
  // `done` once. OK: a 2xx came and the connection was still up after the
  // rest of that read and after the bytes already waiting in the socket
  // (read at once, without waiting for the loop: a 421 or EOF queued behind
  // the 250 is an error). Otherwise
  // the error, and the connection is dropped (closed without QUIT; the
  // closed handler runs): a non-2xx reply (its SmtpError, command kNoop), a
  // 421 (kServiceClosing), EOF or an I/O error, or no reply within the
  // session's "other" stage timeout (kTimeout, `SessionOptions::timeouts`;
  // a disabled timeout waits forever). Fails at once, changing nothing
  // (kFailedPrecondition / kWrongState), when the client is not `idle()`.
  void CheckAlive(StatusCallback done);

  // Close sends QUIT once the queued deliveries are done, waits for the 221
  // (or EOF), sends the TLS close_notify and closes the handles; `done` is
  // called once with OK or the session's typed error, after the socket was
  // closed. Calling it when already closing just adds `done` to the
  // waiters.
  void Close(StatusCallback done);

  // Abort closes the connection now without QUIT: queued deliveries and a
  // pending Connect fail with `reason`, then the closed handler runs.
  void Abort(absl::Status reason);

  // set_closed_handler registers `handler`, called once when the client
  // reaches kClosed (for any reason) with close_status(). Used by UvPool.
  void set_closed_handler(StatusCallback handler);

  // state is the coarse progress (see UvClientState).
  UvClientState state() const;
  // ready is true once SessionReady arrived and while the session works.
  bool ready() const;
  // idle is true when ready with no delivery queued and no NOOP in flight.
  bool idle() const;
  // capabilities are the current EHLO capabilities (empty before EHLO).
  const Capabilities& capabilities() const;
  // tls_info describes the TLS session, nullptr without TLS.
  const TlsInfo* tls_info() const;
  // peer is the connected address (ip empty before connect).
  const DialAddress& peer() const;
  // close_status is OK unless the client failed or was aborted.
  absl::Status close_status() const;
  // finished_deliveries counts deliveries that ended (ok or not) on this
  // connection.
  int finished_deliveries() const;
  // options returns the options given to the constructor.
  const ClientOptions& options() const;
  // dial_attempts lists the connection attempts of the last dial (each
  // address with its outcome: connected, failed, timed out, or cancelled
  // when another attempt won; see uv_dialer.h). Empty before the dial
  // ended.
  const std::vector<UvDialAttempt>& dial_attempts() const;
  // reconnected is true when the session was replaced once after the
  // server dropped the connection during the AUTH retry.
  bool reconnected() const;

 private:
  class Impl;
  Impl* impl_;  // deletes itself once its handles are closed
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_LIBUV_UV_CLIENT_H_
