// Pool policy: the pure decisions of a connection pool (transports/libuv's
// UvPool uses them): when a connection is retired, when a message may be
// tried again on another connection, and how a destination that says "too
// many connections" is given fewer connections for a while. No sockets, no
// loop, no clock: time is an argument, so the unit tests simulate it.
//
// The rules and where they come from:
//  - A connection that received 421 is finished (RFC 5321 §3.8: the server
//    closes the transmission channel); one that sent its configured number
//    of messages, or sat idle for the configured time (servers drop idle
//    clients after a few minutes, RFC 5321 §4.5.3.2.7; many much sooner),
//    is closed by the pool.
//  - A message is tried again on another connection at most once, and only
//    when nothing of it can have been taken: the connection failed (not the
//    message), no recipient has a final outcome (delivered, rejected, or
//    unknown because the end of data was written and no reply came, RFC
//    5321 §4.1.4 and RFC 1047's duplicates).
//  - "Too many connections" (or logins) at the greeting or to AUTH is a
//    temporary refusal of this connection, not of the mail: the destination
//    gets no more connections than it had working, for `backoff`, then the
//    configured maximum again (RFC 5321 §4.5.4.1 asks clients not to
//    hammer a server).

#ifndef SMTP_TRANSPORTS_COMMON_POOL_POLICY_H_
#define SMTP_TRANSPORTS_COMMON_POOL_POLICY_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/instant.h"
#include "core/smtp_error.h"
#include "transports/common/delivery_outcome.h"

namespace smtpcore {

// PoolPolicyOptions are the pool's limits (copied by value).
struct PoolPolicyOptions {
  // max_messages_per_connection: a connection is retired after this many
  // messages (0: no limit).
  int max_messages_per_connection = 100;
  // idle_timeout: a connection idle this long is retired (0: never). The
  // default stays below common server idle limits (often 60 s or more).
  Duration idle_timeout = absl::Seconds(30);
  // max_connections is the configured concurrency per destination (>= 1).
  int max_connections = 4;
  // busy_backoff: how long a destination that said "too many connections"
  // keeps its lowered concurrency (0: not lowered at all).
  Duration busy_backoff = absl::Seconds(60);
};

// RetireReason says why a connection must not take another message.
enum class RetireReason : uint8_t {
  kNone,            // keep it
  kServiceClosing,  // the server sent 421
  kFailed,          // the session ended (EOF, I/O, timeout, protocol error)
  kMaxMessages,     // it sent max_messages_per_connection messages
  kIdle,            // idle for idle_timeout
};

// RetireReasonName returns "none", "service-closing", "failed",
// "max-messages" or "idle".
absl::string_view RetireReasonName(RetireReason reason);

// ConnectionFacts is what the policy needs to know about one connection.
struct ConnectionFacts {
  int messages = 0;         // messages started on it
  bool usable = true;       // the session is still ready
  bool got_421 = false;     // a 421 arrived at any point
  bool idle = false;        // no message, no NOOP in flight
  Instant idle_since;       // meaningful when `idle`
};

// RetireAfterMessage decides whether a connection that just finished a
// message (or a NOOP check) must be retired. Never fails.
RetireReason RetireAfterMessage(const PoolPolicyOptions& options,
                                const ConnectionFacts& facts);

// RetireIfIdle is kIdle when `facts.idle` and it has been idle for at least
// `options.idle_timeout` at `now` (never with a zero timeout), else kNone.
RetireReason RetireIfIdle(const PoolPolicyOptions& options,
                          const ConnectionFacts& facts, Instant now);

// IdleDeadline is when an idle connection is due for retirement, nullopt
// when it is not idle or idle retirement is off.
absl::optional<Instant> IdleDeadline(const PoolPolicyOptions& options,
                                     const ConnectionFacts& facts);

// IsServiceClosing is true when `error` is the server's 421 (also one read
// behind a NOOP's 250).
bool IsServiceClosing(const SmtpError& error);

// IsTooManyConnections is true when `error` is a temporary refusal of this
// connection or login because the client has too many: at the greeting or
// to AUTH (`error.command` kGreeting or kAuth, also kEhlo/kHelo/kLhlo,
// which a server may answer instead of the greeting), a 4xx that is
//   - 421 or 454 with enhanced code 4.7.0 (the usual "too many
//     connections/logins from your host", RFC 3463 §3.8) or 4.3.2 (system
//     not accepting network messages, §3.5), or
//   - 421, 450, 451, 452 or 454 whose text says "too many".
// A 5xx is never this (it is not worth waiting for), nor a 421 without
// either sign (a server going down).
bool IsTooManyConnections(const SmtpError& error);

// RetryAllowed says whether a failed message may be sent again on another
// connection: `attempts` (connections it was started on, this one
// included) is 1, the outcome failed with a temporary, connection-level
// cause (421, EOF, I/O, timeout, broken, closed), and no recipient has a
// final outcome (kDelivered, kRejected or kUnknown). Never for a success.
bool RetryAllowed(const DeliveryOutcome& outcome, int attempts);

// DestinationConcurrency is one destination's connection limit, lowered
// after "too many connections" and recovering after the backoff. A value
// type; not thread-safe.
class DestinationConcurrency {
 public:
  // DestinationConcurrency starts at `options.max_connections` (>= 1).
  explicit DestinationConcurrency(const PoolPolicyOptions& options);

  // OnTooMany lowers the limit to `working` (the connections that work at
  // this destination now; 0 means: open none until the backoff ends) until
  // `now + busy_backoff`. A second refusal during the backoff lowers it
  // again if `working` is smaller and starts the backoff again. Does
  // nothing with a zero backoff.
  void OnTooMany(int working, Instant now);

  // Limit is the number of connections allowed at `now`: the lowered value
  // during the backoff, the configured maximum after it.
  int Limit(Instant now) const;

  // lowered is true while the backoff lasts at `now`.
  bool lowered(Instant now) const;

  // recovers_at is the end of the current backoff (nullopt when never
  // lowered).
  absl::optional<Instant> recovers_at() const { return until_; }

 private:
  int max_;
  Duration backoff_;
  int lowered_to_ = 0;
  absl::optional<Instant> until_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_POOL_POLICY_H_
