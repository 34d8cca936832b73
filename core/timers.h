// Timers: per-stage deadlines of an SMTP client (RFC 5321 §4.5.3.2).
//
// The connection runs at most one timer at a time, for the stage it is in.
// A stage's deadline bounds the whole reply it waits for, from the moment
// the stage began (the command was queued, the body was written, the
// previous reply or the 354 arrived), not the gap between bytes: received
// bytes that do not complete a reply never restart the clock, so a server
// that trickles its reply (one byte per second, a multi-line reply that
// never ends, a line that never gets its CRLF) still times out at
// start + limit. Only two things restart a running stage's clock:
//   - a complete reply: the next reply of the same stage (the next
//     pipelined RCPT, the next BDAT) starts afresh;
//   - while the body is being sent (kDataBlock), each write of ours: RFC
//     5321 §4.5.3.2.5 bounds each send call, not the whole body.
// The AUTH exchange is one stage (kAuth) from AUTH to its final reply:
// every 334 round counts against the same limit (RFC 4954 §4 lets the
// server ask several times; `max_auth_challenges` bounds how often).
// Time is data: callers pass `now`, read `NextDeadline()` and call
// `HandleTimeout(now)`; nothing here reads a clock.

#ifndef SMTP_CORE_TIMERS_H_
#define SMTP_CORE_TIMERS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/command.h"
#include "core/instant.h"

namespace smtpcore {

// TimerStage names what the client is waiting for.
enum class TimerStage : uint8_t {
  kNone,          // idle: nothing sent, nothing awaited; no deadline
  kGreeting,      // the 220 greeting (§4.5.3.2.1 "Initial 220 Message")
  kMail,          // reply to MAIL (§4.5.3.2.2)
  kRcpt,          // reply to RCPT (§4.5.3.2.3)
  kDataInit,      // 354 to DATA (§4.5.3.2.4)
  kDataBlock,     // progress while sending the body (§4.5.3.2.5)
  kDataTermination,  // reply after the end of data (§4.5.3.2.6)
  kTlsHandshake,  // the adapter's TLS handshake after STARTTLS (with
                  // implicit TLS the greeting stage covers the handshake)
  kAuth,          // the whole AUTH exchange, every 334 round included
  kOther,         // any other command's reply (EHLO, HELO, STARTTLS, RSET,
                  // NOOP, QUIT, ...), or sending a command line
};

// TimerStageName returns "greeting", "mail", "rcpt", "data_init",
// "data_block", "data_termination", "tls_handshake", "auth", "other" or
// "none".
absl::string_view TimerStageName(TimerStage stage);

// Timeouts are the per-stage limits. Defaults are the RFC 5321 §4.5.3.2
// minimums; the TLS handshake and the AUTH exchange (no RFC value) are
// given the "other" value. A zero or negative duration disables that
// stage's timer.
struct Timeouts {
  Duration greeting = absl::Minutes(5);
  Duration mail = absl::Minutes(5);
  Duration rcpt = absl::Minutes(5);
  Duration data_init = absl::Minutes(2);
  Duration data_block = absl::Minutes(3);
  Duration data_termination = absl::Minutes(10);
  Duration tls_handshake = absl::Minutes(5);
  // auth bounds the whole AUTH exchange, all 334 rounds together.
  Duration auth = absl::Minutes(5);
  Duration other = absl::Minutes(5);

  // For returns the limit for `stage` (infinite for kNone).
  Duration For(TimerStage stage) const;
};

// StageForReply returns the stage of waiting for the reply to `kind`
// (kGreeting for the greeting; kDataInit for DATA's 354; BDAT counts as
// kDataTermination; kAuth for AUTH and its 334 rounds).
TimerStage StageForReply(CommandKind kind);

// StageTimer is the one running timer: a stage and when its clock last
// restarted. Value type; no allocation. It does not decide what counts as
// progress: the connection calls `Touch` only for the two kinds listed in
// the file comment.
class StageTimer {
 public:
  // Set switches to `stage`, restarting the clock at `now`.
  void Set(TimerStage stage, Instant now) {
    stage_ = stage;
    since_ = now;
  }
  // Touch restarts the clock of the current stage at `now`: a complete
  // reply, or a write while sending the body (see the file comment).
  void Touch(Instant now) { since_ = now; }
  // Stop disarms the timer.
  void Stop() { stage_ = TimerStage::kNone; }

  TimerStage stage() const { return stage_; }
  // Deadline returns when the current stage expires under `timeouts`, or
  // nullopt when disarmed or that stage's timer is disabled.
  absl::optional<Instant> Deadline(const Timeouts& timeouts) const;
  // Expired returns true if `now` is at or after `Deadline(timeouts)`.
  bool Expired(const Timeouts& timeouts, Instant now) const;

 private:
  TimerStage stage_ = TimerStage::kNone;
  Instant since_ = absl::InfinitePast();
};

}  // namespace smtpcore

#endif  // SMTP_CORE_TIMERS_H_
