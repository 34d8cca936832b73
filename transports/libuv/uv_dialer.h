// UvDialer: connects a stream on a libuv loop the way `ClientOptions` say
// (transports/common/client_options.h), and hands the connected stream to
// its owner (UvClient):
//
//   - TCP with Happy Eyeballs (RFC 8305 §5): the addresses, in the order of
//     transports/common/dial_history.h (families interleaved, RFC 8305
//     §4), are started one `happy_eyeballs_delay` apart while earlier ones
//     are still connecting; a failed attempt starts the next at once; the
//     first to connect wins and every other attempt is cancelled (its
//     handle closed). Each attempt is bounded by `connect_timeout`. A delay
//     of zero or less dials one address at a time.
//   - a Unix-domain socket (`unix_socket`): one uv_pipe_t connect.
//   - `local_address`: each TCP handle is bound to it before connecting.
//   - `proxy`: the proxy's addresses are raced as above, then the
//     ProxyHandshake (transports/proxy) runs on the winner within
//     `connect_timeout`; bytes after the proxy's reply come with the stream.
//
// Dial history (`dial_history`, not with a proxy or a Unix socket): a
// failed or timed-out attempt is recorded kConnectFailed when it ends, the
// winner kConnected; a cancelled attempt is not recorded (it neither
// connected nor failed). `attempts()` lists every attempt with its
// outcome, for reports and tests.
//
// Threading: loop thread only. Lifetime: the dialer may be destroyed at any
// time, also from inside its callback; its libuv handles then close
// asynchronously and free themselves (run the loop until it is empty
// before uv_loop_close).

#ifndef SMTP_TRANSPORTS_LIBUV_UV_DIALER_H_
#define SMTP_TRANSPORTS_LIBUV_UV_DIALER_H_

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "transports/common/client_options.h"
#include "transports/common/dial_history.h"

namespace smtpcore {

// UvDialOutcome is how one dial attempt ended.
enum class UvDialOutcome : uint8_t {
  kInProgress,  // still connecting
  kConnected,   // this attempt won
  kFailed,      // refused, unreachable, ... (`error_number`)
  kTimedOut,    // `connect_timeout` passed
  kCancelled,   // another attempt won first, or the dial was cancelled
};

// UvDialOutcomeName returns "in_progress", "connected", "failed",
// "timed_out" or "cancelled".
absl::string_view UvDialOutcomeName(UvDialOutcome outcome);

// UvDialAttempt is one attempt: the address dialed and what happened.
struct UvDialAttempt {
  DialAddress address;
  UvDialOutcome outcome = UvDialOutcome::kInProgress;
  int error_number = 0;  // errno of a kFailed attempt
};

// UvDialResult is a connected stream handed to the owner.
struct UvDialResult {
  // stream is a uv_tcp_t or uv_pipe_t, initialised on the dialer's loop,
  // connected, not reading. The owner takes it over: it sets `data`, reads,
  // writes, and closes it with `CloseUvStream`.
  uv_stream_t* stream = nullptr;
  // peer is the address connected to (the proxy's, or the socket path).
  DialAddress peer;
  // leftover: bytes the proxy sent after its reply; they come before any
  // byte the owner reads.
  std::string leftover;
};

// CloseUvStream closes a stream handed over in a UvDialResult and frees it
// once closed; `on_closed` (may be null) then runs with `data`.
void CloseUvStream(uv_stream_t* stream, void (*on_closed)(void* data),
                   void* data);

// UvDialer dials once. See the file comment.
class UvDialer {
 public:
  // Callback gets the connected stream, or the typed error status
  // (`ErrorFromStatus`): ConnectError of the last attempt (kIo, or kTimeout
  // when every attempt timed out), ResolveError, kInvalidArgument (bad
  // options, a local address not on this machine), a proxy refusal
  // (kProxy*), kTimeout for a proxy handshake that did not finish.
  using Callback = std::function<void(absl::StatusOr<UvDialResult> result)>;

  // UvDialer prepares a dial on `loop` (borrowed) with `options` (copied;
  // `dial_history` is borrowed and must outlive the dial).
  UvDialer(uv_loop_t* loop, const ClientOptions& options);
  // ~UvDialer cancels a dial in progress (no callback).
  ~UvDialer();

  UvDialer(const UvDialer&) = delete;
  UvDialer& operator=(const UvDialer&) = delete;

  // Start resolves and connects; `done` is called exactly once (never from
  // inside Start) unless the dialer is cancelled or destroyed first.
  // Calling Start twice is a programming error (the second call fails its
  // `done` with kFailedPrecondition).
  void Start(Callback done);

  // Cancel stops everything now: attempts are cancelled, nothing is
  // called back. Idempotent.
  void Cancel();

  // attempts lists the attempts so far, in the order they started.
  const std::vector<UvDialAttempt>& attempts() const;

 private:
  class Impl;
  Impl* impl_;  // frees itself once its handles are closed
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_LIBUV_UV_DIALER_H_
