// Session: the high-level, sans-I/O SMTP client. It runs the whole standard
// sequence by itself on top of a `Connection`:
//
//   greeting (220; 421/554 -> error)
//   -> EHLO (-> HELO only if EHLO got 500..504, or with `force_helo`;
//      LHLO with `lmtp`)
//   -> STARTTLS per `TlsMode` -> TLS handshake (adapter) -> EHLO again
//   -> AUTH (mechanism from the `auth` chooser)
//   -> SessionReady
//   -> per `Deliver`: [RSET] MAIL, RCPT..., DATA + body or BDAT ... LAST,
//      retrying 452/552'd recipients in further transactions
//   -> whenever idle: NOOP, VRFY, EXPN, HELP, ETRN as asked (`Noop`,
//      `Vrfy`, ...), each answered by its own event
//   -> `Close`: QUIT -> 221 -> ConnectionClosed{ok}
//
// It is the equivalent of mox's smtpclient New + Deliver/DeliverMultiple +
// Close and of Go's smtp.SendMail, without I/O: the inputs, outputs, time
// handling and lifetimes are exactly those of `Connection` (read
// core/connection.h). Deliveries may be queued at any time, even before the
// greeting; they run one after the other.
//
// Deliveries run in `DeliveryFlow` (core/delivery_flow.h: transactions,
// per-recipient results, 452 retries, LIMITS), after the pure precheck of
// core/delivery_precheck.h. Refusals before sending (each a DeliveryFailed
// event, nothing sent, the connection stays usable): SIZE over the announced
// limit (kMessageTooLarge), a bare CR or LF under LineEndingPolicy::kReject
// (kBareLineEnding), an 8-bit body without 8BITMIME (kNeeds8BitMime),
// non-ASCII addresses without SMTPUTF8 (kNeedsSmtpUtf8; a non-ASCII domain
// is sent as its A-label instead when `idna` is set), REQUIRETLS without
// TLS or without the extension (kNeedsRequireTls), BINARYMIME without
// BINARYMIME+CHUNKING (kNeedsBinaryMime), a MAIL line that the added
// parameters push over 512 octets (kLineTooLong). Any other local refusal of
// a command during a transaction also fails only that delivery: what was
// already sent gets its replies, and the next transaction starts with RSET.
//
// Events of one delivery, in order: RecipientReply per RCPT reply,
// (LMTP: RecipientDataReply per accepted recipient,) TransactionComplete
// per final DATA/BDAT reply, then exactly one DeliveryDone (someone got it)
// or DeliveryFailed. Without PIPELINING, no
// DATA is sent when every RCPT failed (the next transaction starts with
// RSET); with PIPELINING, a 354 then gets a lone "." (RFC 2920 §3.1).
//
// Fatal for the session (ConnectionClosed with the error, and every queued
// delivery fails with it): greeting 421/554, 421 anywhere, EOF, timeouts,
// protocol errors, STARTTLS required but unavailable or failed (never falls
// back to plaintext), authentication failure or no usable mechanism (both
// reported by an AuthFailed event first; a refusal after which the
// mechanism renewed its credentials is retried once, see
// `renew_auth_credentials`), and an 8-bit streamed chunk
// refused after DATA was committed (see `AppendBody`).
// After a fatal error the session sends QUIT when the connection is still
// in sync (rejected greeting, failed AUTH, refused STARTTLS), otherwise it
// just closes.
//
// Not thread-safe.

#ifndef SMTP_CORE_SESSION_H_
#define SMTP_CORE_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
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
#include "core/connection.h"
#include "core/delivery.h"
#include "core/delivery_flow.h"
#include "core/event.h"
#include "core/idna_converter.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/sasl_mechanism.h"
#include "core/service_reply.h"
#include "core/smtp_error.h"

namespace smtpcore {

// TlsMode says how the session uses TLS.
enum class TlsMode : uint8_t {
  kNone,           // never STARTTLS
  kOpportunistic,  // STARTTLS if advertised; plaintext otherwise. A refused
                   // STARTTLS (4xx/5xx) continues in plaintext; a failed
                   // handshake is fatal (the stream is unusable).
  kRequired,       // STARTTLS even if not advertised; any failure is fatal
                   // (kTlsRequired / kNeedsStartTls), never plaintext
  kImplicit,       // TLS from the first byte (port 465): the adapter calls
                   // OnTlsEstablished before the greeting; no STARTTLS
};

// TlsModeName returns "none", "opportunistic", "required" or "implicit".
absl::string_view TlsModeName(TlsMode mode);

// AuthChooser picks the SASL mechanism for a server from its capabilities
// (AUTH list) and the TLS state (nullptr without TLS). Returning nullptr
// means "no acceptable mechanism": the session fails with kNeedsAuth.
using AuthChooser = std::function<std::unique_ptr<SaslMechanism>(
    const Capabilities& capabilities, const TlsInfo* tls)>;

// SessionOptions configures a Session.
struct SessionOptions {
  // ehlo_domain is the client's name for EHLO/HELO: a domain or an address
  // literal ("[192.0.2.1]"). Validated when EHLO/HELO is submitted: an
  // invalid name fails the session (kControlCharacter / kInvalidArgument).
  std::string ehlo_domain = "localhost";
  TlsMode tls_mode = TlsMode::kOpportunistic;
  // force_helo: send HELO instead of EHLO (broken servers). No extensions.
  bool force_helo = false;
  // auth: when set, the session authenticates after (STARTTLS and) EHLO;
  // it fails with kNeedsAuth if the server lists no AUTH or the chooser
  // returns nullptr. Unset: no AUTH.
  AuthChooser auth;
  // allow_insecure_auth: permit AUTH without TLS (transports set it for
  // loopback peers). Otherwise AUTH without TLS fails with kInsecureAuth.
  bool allow_insecure_auth = false;
  // max_auth_challenges bounds the 334 loop (kTooManyChallenges).
  int max_auth_challenges = 8;
  // renew_auth_credentials: when the server refuses AUTH (535, 454, ...;
  // not 421) and the mechanism can renew its credentials
  // (SaslMechanism::RenewCredentials: XOAUTH2 and OAUTHBEARER with a token
  // provider, sasl/oauth_token.h), emit AuthRetry and run AUTH once more on
  // this connection with a new mechanism from `auth`. Once per session: a
  // second refusal fails it with kAuthFailed like any other.
  bool renew_auth_credentials = true;
  // chunking: use BDAT when the server offers CHUNKING (RFC 3030).
  bool chunking = true;
  // pipelining: use PIPELINING when offered (RFC 2920).
  bool pipelining = true;
  // capability_filter: ignore or force extensions for this peer.
  CapabilityFilter capability_filter;
  Timeouts timeouts;
  ReplyLimits reply_limits;
  LineEndingPolicy line_endings = LineEndingPolicy::kNormalize;
  // trace: emit `Trace` events (C:/S: lines, secrets redacted).
  bool trace = false;
  // reply_events: also emit the connection's `ReplyReceived` events.
  bool reply_events = false;
  // max_transactions_per_delivery bounds the 452/RCPTMAX splitting of one
  // delivery (the remaining recipients are deferred).
  int max_transactions_per_delivery = 100;
  // all_recipients_or_none: DeliveryFlowOptions::all_recipients_or_none
  // (sendmail/msmtp semantics: any refused RCPT keeps the message from
  // everyone).
  bool all_recipients_or_none = false;
  // lmtp: speak LMTP (RFC 2033) to a final-delivery server: LHLO instead of
  // EHLO (no HELO fallback, `force_helo` is ignored: a refused LHLO fails
  // the session), and after the end of data one reply per accepted
  // recipient (RFC 2033 §4.2, §4.3; core/connection.h rule 6), reported as
  // RecipientDataReply events and in `RecipientResult::data_reply`; a
  // recipient refused after the data is refused or deferred, the others
  // are delivered. TransactionComplete then has `lmtp` set (core/event.h).
  // PIPELINING, CHUNKING and the other extensions work as with SMTP when
  // the LHLO reply lists them.
  bool lmtp = false;
  // idna converts internationalised domains to A-labels
  // (core/idna_converter.h; //idna has libidn2's UTS #46 conversion, which
  // the C ABI and the CLI set by default). Used for a non-ASCII EHLO/LHLO
  // name, always (a failure fails the session with kInvalidArgument before
  // anything is sent), and for address domains when the server lacks
  // SMTPUTF8 (core/delivery_precheck.h: a non-ASCII local part is then
  // refused with kNeedsSmtpUtf8). Empty: no conversion; such addresses are
  // refused and a non-ASCII EHLO name is sent as is.
  IdnaConverter idna;
  // remember_last_body: keep the last complete body given to `Deliver`, and
  // what the precheck measured of it, after its delivery ends (until the
  // next `Deliver` or the session's end), so that the same Cord delivered
  // again is not scanned again for SIZE, 8BITMIME and bare line endings
  // (core/body_meter_memo.h; a bulk sender reusing one body, a mailing list
  // sending one transaction per recipient). The memo also keeps a copy of
  // the body's encoding (core/encoded_body.h), so the same body sent again
  // over the same transfer (DATA or BDAT) is not scanned at all: the
  // connection gets a copy of the remembered slices (kept alive with the
  // body: 16 bytes per slice). It is matched by its chunks' addresses:
  // memory given with absl::MakeCordFromExternal must stay unchanged until
  // its releaser runs, as Abseil requires, which is then later than without
  // this option. Default off.
  bool remember_last_body = false;
};

// SessionState is the coarse progress of a Session.
enum class SessionState : uint8_t {
  kGreeting,      // waiting for the 220
  kHello,         // EHLO/HELO sent
  kStartTls,      // STARTTLS sent, or the adapter is doing the handshake
  kAuth,          // AUTH in progress
  kReady,         // idle: may run a delivery
  kTransaction,   // running a delivery
  kQuitting,      // QUIT sent
  kClosed,        // closed cleanly
  kFailed,        // closed with an error (see close_status())
};

// SessionStateName returns the lower-case state name ("ready", ...).
absl::string_view SessionStateName(SessionState state);

// Session runs the delivery flow over one connection. See the file comment
// and core/connection.h (same inputs/outputs and lifetimes).
class Session {
 public:
  // Session starts waiting for the greeting at `now`.
  Session(SessionOptions options, Instant now);
  ~Session();

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // --- Getters --------------------------------------------------------

  SessionState state() const { return state_; }
  const SessionOptions& options() const { return options_; }
  // capabilities are the current EHLO capabilities (empty until EHLO).
  const Capabilities& capabilities() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return connection_.capabilities();
  }
  // connection gives read access to the underlying connection.
  const Connection& connection() const ABSL_ATTRIBUTE_LIFETIME_BOUND {
    return connection_;
  }
  // close_status is the fatal error, OK while running or after a clean
  // close.
  const absl::Status& close_status() const { return close_status_; }
  // queued_deliveries counts deliveries not finished yet.
  size_t queued_deliveries() const { return flow_.queued(); }

  // --- Inputs (as Connection) -----------------------------------------

  // Receive processes server bytes (see Connection::Receive). Returns the
  // fatal error if this input ended the session, else OK.
  absl::Status Receive(absl::string_view bytes, Instant now);
  // ReceiveEof reports the server's EOF (see Connection::ReceiveEof).
  absl::Status ReceiveEof(Instant now);
  // HandleTimeout fires an expired stage timer (no-op if early).
  void HandleTimeout(Instant now);
  // OnTlsEstablished reports TLS up: after TlsUpgradeRequired, or before
  // the greeting in TlsMode::kImplicit. kFailedPrecondition otherwise.
  absl::Status OnTlsEstablished(TlsInfo info, Instant now);
  // OnTlsFailed reports a failed handshake/verification: fatal.
  void OnTlsFailed(absl::Status status, Instant now);
  // Abort ends the session with `status` (e.g. I/O error, detail kIo).
  void Abort(absl::Status status, Instant now);

  // --- Operations -----------------------------------------------------

  // Deliver queues one message: `body` is the RFC 5322 message (never
  // copied; kept until the delivery's last event). Returns its id; the
  // outcome arrives as RecipientReply/TransactionComplete events and one
  // final DeliveryDone or DeliveryFailed. Errors (local, nothing queued):
  // kInvalidArgument (kControlCharacter, kLineTooLong, kInvalidArgument:
  // no recipients, bad address syntax); kFailedPrecondition / kClosed after
  // Close, kBroken after a fatal error.
  absl::StatusOr<DeliveryId> Deliver(Envelope envelope, absl::Cord body,
                                     Instant now);

  // StartDelivery queues a message whose body is streamed with
  // `AppendBody`. The message's BODY type is taken from `envelope.mail.body`
  // (or 8BITMIME when the server offers it, or when the chunks appended
  // before MAIL is sent hold 8-bit octets) and SIZE only if set in the
  // envelope. Declare `envelope.mail.body` to get the 8BITMIME/BINARYMIME
  // refusals up front; otherwise see `AppendBody` for 8-bit chunks that
  // arrive after MAIL went out as 7-bit. Same errors as Deliver.
  absl::StatusOr<DeliveryId> StartDelivery(Envelope envelope, Instant now);

  // AppendBody adds `chunk` to the body of streamed delivery `id`; `last`
  // completes it. Chunks are kept until the delivery ends (a 452 retry
  // resends them); large chunks are shared, not copied (absl::Cord::Append
  // copies only small ones). Errors (the chunk is refused, the delivery
  // stays open): kFailedPrecondition / kWrongState if `id` is not an open
  // streamed delivery; kInvalidArgument / kBareLineEnding under
  // LineEndingPolicy::kReject (a bare CR at the end of a chunk is judged
  // with the next chunk, so the chunk after it is the one refused).
  // kInvalidArgument / kNeeds8BitMime: the chunk has 8-bit octets but MAIL
  // already went out without BODY=8BITMIME/BINARYMIME. The chunk is refused
  // AND the delivery fails (DeliveryFailed, kNeeds8BitMime): if nothing of
  // the body was sent, or only BDAT chunks, the transaction is reset (RSET)
  // and the session stays usable; if DATA was already submitted, it cannot
  // be cancelled, so the connection is dropped without the final "." (the
  // server aborts the transaction, RFC 5321 §3.8) and the session fails.
  absl::Status AppendBody(DeliveryId id, absl::Cord chunk, bool last,
                          Instant now);

  // Noop queues a NOOP (RFC 5321 §4.1.1.9), e.g. to keep an idle connection
  // alive or to probe it. It is sent as soon as the session is idle (now if
  // it is ready and no transaction runs; otherwise after the greeting,
  // EHLO, STARTTLS and AUTH, or between deliveries). Its reply arrives as a
  // NoopDone event; a 421 instead fails the session as anywhere else
  // (ConnectionClosed, no NoopDone), and a NOOP still queued when the
  // session ends gets no event. Errors (nothing queued):
  // kFailedPrecondition / kClosed after Close, kBroken after a fatal error.
  absl::Status Noop(Instant now);

  // Vrfy, Expn, Help and Etrn queue VRFY <argument> (RFC 5321 §4.1.1.6),
  // EXPN <argument> (§4.1.1.7), HELP [<topic>] (§4.1.1.8; "" for plain
  // HELP) and ETRN <node> (RFC 1985; node may start with '@' or '#'). Like
  // `Noop` they go out when the session is idle, in call order with NOOPs,
  // before the next transaction or QUIT; each returns its request id, and
  // its reply arrives as a VrfyDone, ExpnDone, HelpDone or EtrnDone event
  // with the typed result (the reply codes' meanings are listed in
  // core/service_reply.h). ETRN is only sent to a server that lists ETRN
  // in its EHLO reply (RFC 1985; force it with
  // `capability_filter.force` for one that does not); otherwise, when its
  // turn comes, EtrnDone reports kNotOffered without sending anything. A
  // 421 fails the session as anywhere else (ConnectionClosed, no Done
  // event); a request still queued when the session ends gets no event.
  // Errors (nothing queued): kInvalidArgument / kControlCharacter (CR, LF
  // or another control in the argument), kInvalidArgument (empty VRFY or
  // EXPN argument, a space in the ETRN node), kLineTooLong;
  // kFailedPrecondition / kClosed after Close, kBroken after a fatal error.
  absl::StatusOr<RequestId> Vrfy(std::string argument, Instant now);
  absl::StatusOr<RequestId> Expn(std::string argument, Instant now);
  absl::StatusOr<RequestId> Help(std::string topic, Instant now);
  absl::StatusOr<RequestId> Etrn(std::string node, Instant now);

  // Close sends QUIT once queued deliveries are done, then ends with
  // ConnectionClosed{ok} on 221 (or EOF). Idempotent. Returns
  // kFailedPrecondition / kBroken if the session already failed.
  absl::Status Close(Instant now);

  // --- Outputs (as Connection) ----------------------------------------

  size_t PollTransmit(absl::Span<IoSlice> out) {
    return connection_.PollTransmit(out);
  }
  void ConsumeTransmit(size_t bytes_written, Instant now);
  absl::optional<Instant> NextDeadline() const {
    return connection_.NextDeadline();
  }
  // PollEvent returns the next event (owning its data), or nullopt.
  absl::optional<Event> PollEvent();

 private:
  void Pump(Instant now);
  void OnConnectionEvent(Event event, Instant now);
  void OnReply(const ReplyReceived& r, Instant now);
  void SendHello(Instant now);
  absl::StatusOr<std::string> HelloName();
  void AfterHello(Instant now);
  void AfterTls(Instant now);
  void StartAuthentication(Instant now);
  void BecomeReady(Instant now);
  void AfterFlow(Instant now);
  void MaybeStartTransaction(Instant now);
  void FailSession(SmtpError error, bool send_quit, Instant now);
  void SendQuit(Instant now);
  absl::StatusOr<RequestId> QueueRequest(Command command, Instant now);
  void SendIdleCommands(Instant now);
  void OnServiceReply(const ReplyReceived& r);
  void OnConnectionClosed(const ConnectionClosed& closed, Instant now);
  absl::optional<CommandId> Submit(Command command, Instant now);
  absl::Status CheckAcceptingWork() const;
  void Emit(Event event);

  SessionOptions options_;
  Connection connection_;
  SessionState state_ = SessionState::kGreeting;
  std::deque<Event> events_;
  absl::Status close_status_;
  // session_error_: the fatal error decided by the session itself (auth
  // failure, refused greeting, TLS required...), reported when the
  // connection closes.
  absl::optional<SmtpError> session_error_;
  bool close_requested_ = false;
  bool quit_sent_ = false;
  bool tls_attempted_ = false;
  bool ready_emitted_ = false;
  bool auth_retried_ = false;  // the one AUTH retry was used
  // IdleCommand is a NOOP (request 0) or a Vrfy/Expn/Help/Etrn request
  // waiting for the session to be idle.
  struct IdleCommand {
    RequestId request = 0;
    Command command;
  };
  // SentRequest is a submitted request waiting for its reply.
  struct SentRequest {
    CommandId command = 0;
    RequestId request = 0;
    std::string argument;
  };
  std::deque<IdleCommand> idle_commands_;
  std::deque<SentRequest> sent_requests_;
  RequestId next_request_ = 1;
  // flow_ runs the deliveries (borrows connection_ and events_).
  DeliveryFlow flow_;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_SESSION_H_
