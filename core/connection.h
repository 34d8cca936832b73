// Connection: the low-level, sans-I/O SMTP client connection.
//
// It turns submitted commands into bytes, matches replies to commands in
// FIFO order (RFC 2920 §3.1), sends DATA bodies without copying them, runs
// the AUTH exchange and the STARTTLS switch, and keeps per-stage deadlines.
// It never reads a clock, touches a socket or blocks.
//
// Rules (the invariants the code keeps):
//  1. Every command is validated and serialized at `Submit`; a local error
//     (bad argument, wrong state, refused policy) returns a status and leaves
//     the connection exactly as it was.
//  2. A remote error (malformed reply, reply nobody waited for, bytes after
//     the 220 to STARTTLS, EOF, 421, timeout) makes the connection broken:
//     it emits `ConnectionClosed{error}` once, transmits nothing more, and
//     every later command fails with kFailedPrecondition / kBroken.
//  3. Pipelining: commands are transmitted at once when the server
//     advertised PIPELINING (and `ConnectionOptions::pipelining`), except
//     that nothing follows EHLO, HELO, STARTTLS, AUTH, DATA, QUIT, NOOP,
//     VRFY, EXPN, HELP or ETRN until its (final) reply arrived (RFC 2920
//     §3.1, RFC 3207 §4, RFC 4954 §4). Without PIPELINING: strict
//     lock-step, one command in flight. Commands waiting for their turn are
//     held by the connection (already serialized).
//  4. DATA: the body is sent only after 354. If no RCPT since the last MAIL
//     was accepted when the 354 comes, the body is dropped and a lone "."
//     is sent instead (RFC 2920 §3.1).
//  5. Nothing is read or sent between the 220 to STARTTLS and
//     `OnTlsEstablished`; any byte received there is kStartTlsInjection
//     (fail, never discard). After TLS the capabilities are forgotten and
//     the caller must EHLO again (RFC 3207 §4.2).
//  6. LMTP (`ConnectionOptions::lmtp`, RFC 2033 §4.2, §4.3): after the end
//     of data (DATA's body, or BDAT LAST) the server sends one final reply
//     per RCPT accepted since the last MAIL, in RCPT order; the command
//     stays at the head of the FIFO until the last of them. Each comes as a
//     `ReplyReceived` whose `more_replies` counts those still expected (0 on
//     the last). With no RCPT accepted (a suppressed body, rule 4) one reply
//     is expected; a reply to DATA before its 354, or to a BDAT without
//     LAST, is a single reply as in SMTP. A 421 among them ends the
//     connection like anywhere else (rule 2).
//
// Method categories and call order (quinn style):
//   Getters:  state(), capabilities(), tls(), broken(), ...
//   Inputs:   Receive(bytes, now), ReceiveEof(now), HandleTimeout(now),
//             OnTlsEstablished(info, now), OnTlsFailed(status, now),
//             Abort(status, now)
//   Commands: Submit(command, now), AppendBody(id, chunk, last, now)
//   Outputs:  PollTransmit(out) + ConsumeTransmit(n, now), PollEvent(),
//             NextDeadline()
// A driver loops: feed inputs; drain PollEvent(); write PollTransmit()'s
// slices and ConsumeTransmit() what was written; arm a timer for
// NextDeadline() and call HandleTimeout() when it fires. Submit() is only
// allowed after the Greeting event.
//
// Example (transcripts use the same shape):
//   Connection c(options, now);
//   c.Receive("220 mx ESMTP\r\n", now);        // -> Greeting
//   c.Submit(Ehlo{"client.example"}, now);     // PollTransmit: "EHLO ..."
//   c.Receive("250-mx\r\n250 PIPELINING\r\n", now);
//                                              // -> ReplyReceived, CapabilitiesUpdated
//
// Not thread-safe.

#ifndef SMTP_CORE_CONNECTION_H_
#define SMTP_CORE_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/capabilities.h"
#include "core/command.h"
#include "core/dot_stuffer.h"
#include "core/encoded_body.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/internal/transmit_queue.h"
#include "core/io_slice.h"
#include "core/reply_parser.h"
#include "core/sasl_exchange.h"
#include "core/sasl_mechanism.h"
#include "core/smtp_error.h"
#include "core/timers.h"

namespace smtpcore {

// ConnectionState is the coarse state of a `Connection`.
enum class ConnectionState : uint8_t {
  kAwaitingGreeting,  // nothing received yet; Submit not allowed
  kReady,             // greeted: commands may be submitted
  kTlsHandshake,      // 220 to STARTTLS seen; waiting for OnTlsEstablished
  kQuitting,          // QUIT submitted; waiting for 221 or EOF
  kClosed,            // closed cleanly (221 to QUIT, or EOF after QUIT)
  kBroken,            // failed (rule 2); see close_status()
};

// ConnectionStateName returns "awaiting_greeting", "ready",
// "tls_handshake", "quitting", "closed" or "broken".
absl::string_view ConnectionStateName(ConnectionState state);

// ConnectionOptions configures a Connection. Defaults are safe and follow
// the RFCs.
struct ConnectionOptions {
  // reply_limits bound each reply (see core/reply_parser.h).
  ReplyLimits reply_limits;
  // timeouts are the per-stage deadlines (RFC 5321 §4.5.3.2 defaults).
  Timeouts timeouts;
  // capability_filter is applied to every EHLO reply.
  CapabilityFilter capability_filter;
  // pipelining: use PIPELINING when the server offers it (RFC 2920).
  bool pipelining = true;
  // max_command_line is the command line limit, CRLF included.
  size_t max_command_line = kMaxCommandLineLength;
  // max_auth_challenges bounds the 334 loop of one AUTH (kTooManyChallenges).
  int max_auth_challenges = 8;
  // allow_insecure_auth permits AUTH without TLS (transports set it for
  // loopback peers); otherwise Submit(Auth) fails with kPermissionDenied /
  // kInsecureAuth.
  bool allow_insecure_auth = false;
  // line_endings: what a bare CR or LF in a DATA body does (normalize to
  // CRLF, or refuse the body with kBareLineEnding).
  LineEndingPolicy line_endings = LineEndingPolicy::kNormalize;
  // trace: emit `Trace` events for every line sent and received.
  bool trace = false;
  // lmtp: the peer is an LMTP server (RFC 2033): after the end of data,
  // expect one reply per accepted RCPT (rule 6). The caller greets it with
  // `Lhlo`, never `Ehlo`/`Helo`.
  bool lmtp = false;
};

// Connection is one SMTP client connection's protocol state. See the file
// comment for the rules and the call order.
class Connection {
 public:
  // Connection starts waiting for the greeting at `now` (greeting timer).
  // With implicit TLS (port 465) the adapter calls `OnTlsEstablished`
  // before feeding the greeting.
  explicit Connection(ConnectionOptions options, Instant now);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // --- Getters --------------------------------------------------------

  ConnectionState state() const { return state_; }
  const ConnectionOptions& options() const { return options_; }
  // capabilities returns what the last successful EHLO advertised (after
  // the filter); empty before EHLO, after HELO and after STARTTLS. Valid
  // until the next EHLO reply is processed.
  const Capabilities& capabilities() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return capabilities_;
  }
  // esmtp is true once an EHLO got 250 (reset by STARTTLS).
  bool esmtp() const { return esmtp_; }
  // greeting returns the greeting reply (code 0 before it arrived).
  const Reply& greeting() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return greeting_;
  }
  // tls returns the TLS session info, or nullptr before TLS.
  const TlsInfo* tls() const { return tls_ ? &*tls_ : nullptr; }
  // authenticated returns the mechanism name after 235, else "".
  const std::string& authenticated() const { return authenticated_; }
  // broken returns true after a remote error (rule 2).
  bool broken() const { return state_ == ConnectionState::kBroken; }
  // closed returns true once the connection is kClosed or kBroken.
  bool closed() const {
    return state_ == ConnectionState::kClosed || broken();
  }
  // close_status returns the error that broke the connection (OK if not).
  const absl::Status& close_status() const { return close_status_; }
  // DataOutcomeUnknown returns true if the connection broke after command
  // `id`, a DATA or a BDAT LAST, was written in full (the end-of-data
  // marker or the last chunk included) and before its final reply, other
  // than by a 421 (the server said it closes: nothing was taken). The
  // server may then have accepted the message (RFC 5321 §4.1.4). False in
  // every other case, and while the connection is not broken.
  bool DataOutcomeUnknown(CommandId id) const;
  // pipelining_active is true if commands are currently pipelined.
  bool pipelining_active() const;
  // awaiting_replies counts commands sent or queued that still wait for
  // their final reply.
  size_t awaiting_replies() const { return pending_.size(); }
  // idle is true when no command waits for a reply and nothing waits to be
  // transmitted.
  bool idle() const;
  // transmit_pending returns the number of bytes PollTransmit can give.
  size_t transmit_pending() const { return transmit_.pending_bytes(); }

  // --- Inputs ---------------------------------------------------------

  // Receive processes `bytes` from the server (all of them: partial
  // replies are carried inside, bounded by `reply_limits`). Only a complete
  // reply restarts the stage timer: a reply trickled byte by byte times out
  // at the stage's start + limit (core/timers.h). Events are
  // queued for `PollEvent`; they own their data, so `bytes` may be reused
  // as soon as this returns. Returns OK, or the remote error that broke the
  // connection now (also reported as ConnectionClosed). On a connection
  // already closed or broken returns kFailedPrecondition (kBroken/kClosed)
  // and ignores the bytes.
  absl::Status Receive(absl::string_view bytes, Instant now);

  // ReceiveEof reports that the server closed its side. After QUIT (or when
  // already closed) this is a clean close; otherwise the connection breaks
  // with kUnavailable / kConnectionClosed (mid-reply or not). Returns the
  // resulting error, OK for a clean close.
  absl::Status ReceiveEof(Instant now);

  // HandleTimeout fires the stage timer if `now` is at or after
  // `NextDeadline()`: the connection breaks with kDeadlineExceeded /
  // kTimeout. Calling it early is harmless (no-op).
  void HandleTimeout(Instant now);

  // OnTlsEstablished reports that TLS is up: after `TlsUpgradeRequired`
  // (STARTTLS) or, for implicit TLS, before the greeting. After STARTTLS it
  // forgets the capabilities (the caller must EHLO again). Returns
  // kFailedPrecondition / kWrongState in any other state (connection
  // unchanged).
  absl::Status OnTlsEstablished(TlsInfo info, Instant now);

  // OnTlsFailed reports that the TLS handshake failed (or certificate
  // verification failed): the connection breaks with `status` (its
  // ErrorDetail should be kTlsHandshake or kTlsVerification; a status
  // without one gets kTlsHandshake).
  void OnTlsFailed(absl::Status status, Instant now);

  // Abort breaks the connection with `status` (e.g. an I/O error seen by
  // the adapter, detail kIo). No-op if already closed or broken.
  void Abort(absl::Status status, Instant now);

  // --- Commands -------------------------------------------------------

  // Submit validates and queues `command`, returning its id. Errors, all
  // local (rule 1: the connection is unchanged and `command` is dropped):
  //   kFailedPrecondition / kWrongState  before the greeting, during the
  //       TLS handshake, after QUIT; STARTTLS when TLS is already active;
  //       AppendBody-style DATA while another DATA/BDAT body is still open.
  //   kFailedPrecondition / kBroken, kClosed  the connection is over.
  //   kInvalidArgument / kControlCharacter, kLineTooLong, kInvalidArgument,
  //       kBareLineEnding  (see core/command.h, core/dot_stuffer.h).
  //   kPermissionDenied / kInsecureAuth  AUTH without TLS (see options).
  //   kFailedPrecondition / kAuthMechanism  the mechanism's Start failed.
  //   kInvalidArgument / kInvalidArgument  a DATA or BDAT whose `encoded`
  //       body (core/encoded_body.h) is spent, was encoded for the other
  //       transfer (DATA: dots stuffed and a terminator; BDAT: neither, and
  //       normalised as `Bdat::normalize` says), comes with bytes in `body`
  //       or `chunk`, with `Data::more_body`, or without `Bdat::last`.
  //   kFailedPrecondition / kWrongState  an encoded BDAT body after a BDAT
  //       chunk of the same message.
  // An encoded body is checked against `line_endings` as bytes would be
  // (kBareLineEnding under kReject), and taken (spent) only on success.
  // The body Cord of DATA/BDAT is kept (not copied) until written.
  absl::StatusOr<CommandId> Submit(Command command, Instant now);

  // AppendBody adds `chunk` to the body of DATA command `id` submitted with
  // `more_body`; `last` ends the body (the end-of-data marker follows).
  // Chunks submitted before the 354 are held until it arrives; once the
  // body is suppressed (rule 4) they are accepted and dropped.
  // Errors (local, connection unchanged): kFailedPrecondition / kWrongState
  // if `id` is not an open streamed DATA (e.g. DATA already got its final
  // reply, such as a refusal instead of 354); kInvalidArgument /
  // kBareLineEnding under LineEndingPolicy::kReject (the chunk is refused,
  // the body stays open; a CR ending one chunk is judged by the next, and
  // with `last` a final CR is bare); kFailedPrecondition / kBroken when
  // broken.
  absl::Status AppendBody(CommandId id, absl::Cord chunk, bool last,
                          Instant now);

  // --- Outputs --------------------------------------------------------

  // PollTransmit fills `out` with up to `out.size()` slices of bytes to
  // send, in order, and returns how many it filled (0: nothing to send).
  // It does not consume them: calling it twice gives the same slices. The
  // slices point into the connection's command arena, the caller's body
  // Cords or static storage; they stay valid until `ConsumeTransmit`
  // covers them or the connection is destroyed (later Submit/Receive calls
  // do not invalidate them).
  size_t PollTransmit(absl::Span<IoSlice> out);

  // ConsumeTransmit records that the first `bytes_written` bytes of what
  // PollTransmit offered were written; `bytes_written` may end inside a
  // slice. Larger values than pending are clamped. Restarts the stage
  // timer only while the body is being sent (kDataBlock, RFC 5321
  // §4.5.3.2.5); a stage waiting for a reply is not extended by writes.
  void ConsumeTransmit(size_t bytes_written, Instant now);

  // NextDeadline returns when `HandleTimeout` must be called, or nullopt
  // if no timer is running (idle, closed).
  absl::optional<Instant> NextDeadline() const;

  // PollEvent returns the next event, or nullopt when there is none. Events
  // own their data (core/event.h).
  absl::optional<Event> PollEvent();

 private:
  struct BodyPart;
  struct Pending;

  bool CanTransmitNext() const;
  void PumpHeld(Instant now);
  void Transmit(Pending& p);
  Pending* FindCommand(CommandId id);
  absl::Status PrepareData(Pending& p, Data& data);
  absl::Status PrepareBdat(Pending& p, Bdat& bdat);
  absl::Status EncodeInto(DotStuffer& stuffer, std::unique_ptr<absl::Cord> cord,
                          bool last, uint64_t slice_hint, BodyPart* out);
  absl::Status CheckEncoded(const EncodedBody& encoded, bool data,
                            bool normalize) const;
  void ProcessReply(const ReplyView& reply, Instant now);
  void HandleGreeting(const ReplyView& reply, Instant now);
  void HandleFinalReply(const ReplyView& reply, Instant now);
  bool TakeLmtpReply(Pending& p, const ReplyView& reply, Instant now);
  void HandleAuthChallenge(Pending& p, const ReplyView& reply);
  void HandleDataIntermediate(Pending& p, const ReplyView& reply);
  void QueueBodyParts(Pending& p);
  void FinishBody(Pending& p);
  void Fail(SmtpError error, Instant now);
  void CloseCleanly(Instant now);
  void UpdateTimer(Instant now);
  // BodyInFlight: some DATA body or BDAT payload is queued and not yet
  // fully written (the kDataBlock stage).
  bool BodyInFlight() const;
  void Emit(Event event);
  void TraceLine(bool from_client, std::string line);
  void TraceReply(const ReplyView& reply, bool redact);
  absl::Status BrokenError() const;
  CommandKind FrontKind() const;

  ConnectionOptions options_;
  ConnectionState state_ = ConnectionState::kAwaitingGreeting;
  ReplyParser parser_;
  internal::TransmitQueue transmit_;
  std::deque<Event> events_;
  StageTimer timer_;

  Reply greeting_;
  Capabilities capabilities_;
  bool esmtp_ = false;
  absl::optional<TlsInfo> tls_;
  std::string authenticated_;
  absl::Status close_status_;

  CommandId next_id_ = 1;
  // pending_: transmitted (in the transmit queue or written) and awaiting
  // their final reply, in order.
  std::deque<std::unique_ptr<Pending>> pending_;
  // held_: serialized, waiting for their turn to be transmitted (rule 3).
  std::deque<std::unique_ptr<Pending>> held_;
  // rcpt_accepted_: RCPTs accepted since the last MAIL (rule 4).
  size_t rcpt_accepted_ = 0;
  // bdat_stuffer_: line-ending state across the BDAT chunks of a message.
  std::unique_ptr<DotStuffer> bdat_stuffer_;
  // open_data_: the DATA command whose streamed body is still open (0 if
  // none).
  CommandId open_data_ = 0;
  // unanswered_data_: see DataOutcomeUnknown (set when the connection
  // breaks).
  std::vector<CommandId> unanswered_data_;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_CONNECTION_H_
