// Event: what a `Connection` or `Session` reports through `PollEvent()`.
//
// Lifetime: every event OWNS its data (replies are copied into `Reply`,
// strings are std::string). An event stays valid as long as the caller keeps
// it, independent of later calls and of the input buffers. The copy is a few
// hundred bytes per reply, off the body path.
//
// Order: events come out in the order things happened on the wire. For one
// reply the `ReplyReceived` (when emitted) comes first, then what is derived
// from it (CapabilitiesUpdated, Authenticated, RecipientReply, ...). Trace
// events (option `trace`) come right before the event of the same line.
//
// `EventToString` gives the one-line form the transcript tests compare
// (tests/transcripts/*.md). The formats are a contract; exactly:
//
//   greeting 220                              Greeting (code only)
//   reply MAIL 250 2.1.0                      ReplyReceived: kind, code,
//                                             enhanced code if present
//   reply DATA 250 2.0.0 more=2               ... and the LMTP replies
//                                             still expected, when any
//   capabilities PIPELINING SIZE=10240000 AUTH=PLAIN,LOGIN
//                                             CapabilitiesUpdated:
//                                             `Capabilities::ToString()`;
//                                             just "capabilities" after HELO
//   tls_upgrade_required                      TlsUpgradeRequired
//   tls_established                           TlsEstablished
//   authenticated PLAIN                       Authenticated (mechanism)
//   auth_failed 535 5.7.8                     AuthFailed with a reply;
//   auth_failed insecure_auth                 ... without one: ErrorDetailName
//   auth_retry 535 5.7.8                      AuthRetry (code, enhanced)
//   ready                                     SessionReady
//   recipient <bob@example.org> 250 2.1.5     RecipientReply
//   delivered 250 2.0.0 accepted=2 rejected=1 TransactionComplete, 2xx data
//   data_rejected 554 5.6.0 accepted=2 rejected=1
//                                             TransactionComplete, 4xx/5xx
//   lmtp_complete accepted=3 delivered=2 rejected=1
//                                             TransactionComplete, LMTP
//   data_reply <bob@example.org> 250 2.0.0    RecipientDataReply (LMTP)
//   delivery_done delivered=2 rejected=1 deferred=0
//                                             DeliveryDone (counts; then
//                                             " unknown=N" when N > 0)
//   delivery_failed rejected 550 5.1.1        DeliveryFailed: ErrorDetailName
//   delivery_failed message_too_large 0       of the cause, code (0 if none),
//   delivery_failed timeout 0 unknown=2       enhanced code if present, and
//                                             " unknown=N" when N recipients
//                                             have an unknown outcome
//   noop 250 2.0.0                            NoopDone: code, enhanced code
//                                             if present
//   vrfy 252 2.1.5 cannot_verify entries=0    VrfyDone: code, enhanced
//   expn 250 found entries=3                  code, LookupOutcomeName,
//                                             entries (ExpnDone alike)
//   help 214 2.0.0 help lines=3               HelpDone: HelpOutcomeName
//   etrn 253 pending_count messages=14        EtrnDone: EtrnOutcomeName,
//   etrn 0 not_offered                        messages= when known; code 0
//                                             when not sent
//   closed ok                                 ConnectionClosed, OK status
//   closed timeout                            ... else ErrorDetailName
//   trace C: MAIL FROM:<a@example.org>        Trace from the client
//   trace S: 250 2.1.0 Ok                     Trace from the server
//
// In TransactionComplete, `accepted` counts RCPTs of that transaction that
// got 2xx; `rejected` those that got a final 4xx/5xx (recipients retried in
// a later transaction after 452/552 are counted in neither); `delivered`
// those of `accepted` whose data reply was 2xx.

#ifndef SMTP_CORE_EVENT_H_
#define SMTP_CORE_EVENT_H_

#include <cstddef>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "core/capabilities.h"
#include "core/command.h"
#include "core/delivery.h"
#include "core/reply.h"
#include "core/sasl_mechanism.h"
#include "core/service_reply.h"
#include "core/smtp_error.h"

namespace smtpcore {

// Greeting is the server's opening reply (Connection and Session), 220 or
// a refusal. Connection: 421 is followed by ConnectionClosed; another
// 4xx/5xx (554) leaves the connection waiting for QUIT (RFC 5321 §3.1).
// Session: any refusal fails the session, which sends QUIT.
struct Greeting {
  Reply reply;
};

// ReplyReceived is one reply matched, FIFO, to the command `id` of kind
// `kind` (RFC 2920). Emitted by `Connection` for every reply except the
// greeting and AUTH's 334 challenges (never exposed: they belong to the
// mechanism); DATA gives two (354, then the final reply). `Session` forwards
// them only with `SessionOptions::reply_events`.
struct ReplyReceived {
  CommandId id = 0;
  CommandKind kind = CommandKind::kNoop;
  Reply reply;
  // more_replies: further final replies still expected for the same
  // command: nonzero only for LMTP's per-recipient replies after the end of
  // data (RFC 2033 §4.2; core/connection.h rule 6), 0 on the last.
  size_t more_replies = 0;
};

// CapabilitiesUpdated carries the capabilities after a successful EHLO
// (`esmtp`) or HELO (empty, `!esmtp`), after the capability filter.
struct CapabilitiesUpdated {
  Capabilities capabilities;
  bool esmtp = true;
};

// TlsUpgradeRequired: the server said 220 to STARTTLS. The adapter must now
// run the TLS handshake on the same stream and call
// `OnTlsEstablished` or `OnTlsFailed`; until then the core sends nothing and
// any received byte is a kStartTlsInjection error (RFC 3207 §5).
struct TlsUpgradeRequired {};

// TlsEstablished: `OnTlsEstablished` was accepted; `info` is a copy.
struct TlsEstablished {
  TlsInfo info;
};

// Authenticated: the server said 235 to AUTH with `mechanism`.
struct Authenticated {
  std::string mechanism;
};

// AuthFailed: AUTH failed (`error.cause` kAuthFailed with the reply,
// kAuthMechanism, kTooManyChallenges, kInsecureAuth, kNeedsAuth, ...).
// From a Session it is final: the session ends.
struct AuthFailed {
  SmtpError error;
  // credentials_renewed (Connection only): the server refused the exchange
  // and the mechanism renewed its credentials (Auth::renew_on_refusal), so
  // one more AUTH may succeed. Session turns such a refusal into AuthRetry.
  bool credentials_renewed = false;
};

// AuthRetry: the server refused AUTH (`error`, cause kAuthFailed with the
// reply, e.g. 535 after an OAuth error challenge) and the mechanism renewed
// its credentials (a fresh OAuth token): the session runs AUTH once more,
// on the same connection (SessionOptions::renew_auth_credentials). At most
// one per session; a second refusal is an AuthFailed.
struct AuthRetry {
  SmtpError error;
};

// SessionReady: the session finished greeting, EHLO/HELO, STARTTLS and AUTH
// as configured, and can run transactions (emitted once per connection).
struct SessionReady {};

// RecipientReply: the final reply to one RCPT of delivery `delivery`.
struct RecipientReply {
  DeliveryId delivery = 0;
  std::string address;
  Reply reply;
};

// RecipientDataReply: LMTP only (SessionOptions::lmtp). The data reply of
// one recipient accepted by RCPT in a transaction of delivery `delivery`:
// after the end of data an LMTP server answers once per accepted recipient,
// in RCPT order (RFC 2033 §4.2, §4.3). One per accepted recipient, before
// the transaction's TransactionComplete; the same reply is in that
// recipient's `RecipientResult::data_reply`. When the data was refused as a
// whole (DATA refused instead of 354, a refused BDAT chunk) every accepted
// recipient gets that reply.
struct RecipientDataReply {
  DeliveryId delivery = 0;
  std::string address;
  Reply reply;
};

// TransactionComplete: the end of data was answered and one transaction of
// delivery `delivery` ended (DATA, BDAT ... LAST, or a DATA/BDAT refusal).
//
// SMTP: `reply` is the one final reply, which applies to every accepted
// recipient; `delivered` is `accepted` when it is 2xx, else 0.
// LMTP (`lmtp`): each accepted recipient had its own reply (a
// RecipientDataReply each, and `RecipientResult::data_reply`); `reply` is
// the last of them (RCPT order) and says nothing about the others;
// `delivered` counts the 2xx ones. A recipient refused after the data is
// refused (5xx) or deferred (4xx); the others are delivered.
struct TransactionComplete {
  DeliveryId delivery = 0;
  Reply reply;
  size_t accepted = 0;
  size_t rejected = 0;
  size_t delivered = 0;
  bool lmtp = false;
};

// DeliveryDone: delivery `delivery` ended with at least one recipient
// delivered and no connection failure; `result` tells about each recipient.
struct DeliveryDone {
  DeliveryId delivery = 0;
  DeliveryResult result;
};

// DeliveryFailed: delivery `delivery` ended without reaching the end
// normally: no recipient was delivered, or the connection failed, or the
// message was refused locally before sending (SIZE, 8BITMIME, SMTPUTF8,
// REQUIRETLS, BINARYMIME, bare line endings under LineEndingPolicy::kReject).
// `result` still tells which recipients were delivered in earlier
// transactions (to avoid duplicates when retrying).
struct DeliveryFailed {
  DeliveryId delivery = 0;
  SmtpError error;
  DeliveryResult result;
};

// ConnectionClosed: the connection is over; the adapter should close the
// transport once `PollTransmit` has nothing left. `status` is OK after a
// 221 to QUIT (or EOF after QUIT), otherwise the error (its `ErrorDetail`
// says why: kTimeout, kServiceClosing, kConnectionClosed, kStartTlsInjection
// ...). Always the last event.
struct ConnectionClosed {
  absl::Status status;
  // error is the typed form of `status` (code 0, empty lines for OK).
  SmtpError error;
};

// Trace is one line on the wire, for debug output (`C:`/`S:`), when the
// option `trace` is set. `line` has no line ending. Secrets are redacted:
// "AUTH PLAIN <redacted>" (when an initial response is sent), a client
// AUTH continuation line is "<redacted>" ("*" when cancelling), a server
// challenge is "334 <redacted>". A DATA body or BDAT payload is one line
// "<body 1234 bytes>" (input octets); a suppressed body (RFC 2920 §3.1)
// is ".".
struct Trace {
  bool from_client = false;
  std::string line;
};

// NoopDone: the server's reply to a NOOP queued with `Session::Noop`
// (Session only; a 421 gives ConnectionClosed instead).
struct NoopDone {
  Reply reply;
};

// VrfyDone: the reply to a VRFY queued with `Session::Vrfy` (request
// `request`, for `argument`), and what it says (core/service_reply.h).
// Session only; a 421 gives ConnectionClosed instead.
struct VrfyDone {
  RequestId request = 0;
  std::string argument;
  Reply reply;
  LookupResult result;
};

// ExpnDone: the reply to an EXPN queued with `Session::Expn`; `result`
// lists the members of the mailing list on 250.
struct ExpnDone {
  RequestId request = 0;
  std::string argument;
  Reply reply;
  LookupResult result;
};

// HelpDone: the reply to a HELP queued with `Session::Help` (`topic` ""
// for plain HELP); `result.lines` is the help text.
struct HelpDone {
  RequestId request = 0;
  std::string topic;
  Reply reply;
  HelpResult result;
};

// EtrnDone: the reply to an ETRN queued with `Session::Etrn` for `node`.
// With `result.outcome` kNotOffered nothing was sent and `reply` is empty
// (code 0): the server does not list ETRN.
struct EtrnDone {
  RequestId request = 0;
  std::string node;
  Reply reply;
  EtrnResult result;
};

// Event is anything `PollEvent()` returns.
using Event = std::variant<Greeting, ReplyReceived, CapabilitiesUpdated,
                           TlsUpgradeRequired, TlsEstablished, Authenticated,
                           AuthFailed, SessionReady, RecipientReply,
                           TransactionComplete, DeliveryDone, DeliveryFailed,
                           ConnectionClosed, Trace, NoopDone,
                           RecipientDataReply, VrfyDone, ExpnDone, HelpDone,
                           EtrnDone, AuthRetry>;

// EventToString renders `event` in the one-line format documented above.
// Never fails.
std::string EventToString(const Event& event);

}  // namespace smtpcore

#endif  // SMTP_CORE_EVENT_H_
