// DeliveryFlow: the queue of deliveries of one Session and the MAIL
// transactions that carry them. It is the session's delivery half; the
// session keeps the connection's lifecycle (greeting, EHLO, STARTTLS, AUTH,
// NOOP, QUIT) and tells the flow when it may start a transaction.
//
// Per delivery (in queue order, one at a time):
//   precheck (core/delivery_precheck.h) -> [RSET] MAIL, RCPT..., DATA + body
//   or BDAT ... LAST -> replies -> RecipientReply per RCPT reply (with LMTP
//   a RecipientDataReply per accepted recipient after the data) and
//   TransactionComplete per final DATA/BDAT reply -> further transactions
//   for recipients answered 452/552 or cut by LIMITS RCPTMAX/RCPTDOMAINMAX
//   (RFC 5321 §4.5.3.1.10, RFC 9422 §5) -> exactly one DeliveryDone or
//   DeliveryFailed.
// With PIPELINING, MAIL, every RCPT and the DATA/BDAT go out in one write
// (RFC 2920); without it, in lock-step on the replies. A transaction whose
// server state is dirty (MAIL accepted, no successful data) is followed by
// RSET before the next MAIL.
//
// One pass over a complete body: its precheck encodes it for this server's
// transfer (DATA or BDAT; core/encoded_body.h) and reads the facts from
// that encoding; the first transaction's DATA/BDAT sends the encoding. It
// lives in the delivery from the precheck until that submit (or the
// delivery's end: a refused delivery writes nothing); a later transaction
// of the same delivery (452 retry) has the connection encode the body
// again. Streamed and BINARYMIME bodies are measured (BodyMeter) instead.
// With `remember_last_body`, the same body delivered again gets the
// remembered facts and a copy of the remembered encoding: no pass at all
// (core/body_meter_memo.h).
//
// Failures of one delivery (the connection stays usable): a precheck
// refusal, a local refusal of a transaction command (core/connection.h rule
// 1) or of a streamed body chunk, MAIL refused, every RCPT refused, the data
// refused, LIMITS MAILMAX or `max_transactions_per_delivery` reached (the
// remaining recipients are deferred). What ends the session is the
// session's business: it calls `FailAll`.
//
// Events go to the session's queue (borrowed), in order with the session's
// own. Not thread-safe.

#ifndef SMTP_CORE_DELIVERY_FLOW_H_
#define SMTP_CORE_DELIVERY_FLOW_H_

#include <cstddef>
#include <deque>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "core/body_meter_memo.h"
#include "core/connection.h"
#include "core/delivery.h"
#include "core/delivery_precheck.h"
#include "core/encoded_body.h"
#include "core/event.h"
#include "core/idna_converter.h"
#include "core/instant.h"
#include "core/smtp_error.h"

namespace smtpcore {

// DeliveryFlowOptions are the session options the flow uses.
struct DeliveryFlowOptions {
  // chunking: use BDAT when the server offers CHUNKING (RFC 3030).
  bool chunking = true;
  // line_endings: the policy for bare CR or LF in bodies.
  LineEndingPolicy line_endings = LineEndingPolicy::kNormalize;
  // max_transactions_per_delivery bounds the 452/RCPTMAX splitting of one
  // delivery (the remaining recipients are deferred).
  int max_transactions_per_delivery = 100;
  // lmtp: the connection runs LMTP (ConnectionOptions::lmtp): each accepted
  // recipient gets its own data reply (RFC 2033 §4.2), reported as a
  // RecipientDataReply; TransactionComplete has `lmtp` set.
  bool lmtp = false;
  // idna: the A-label conversion for a server without SMTPUTF8
  // (core/delivery_precheck.h); empty: none.
  IdnaConverter idna;
  // all_recipients_or_none: the message goes to every recipient or to none,
  // as msmtp and sendmail(8) callers expect (a non-zero exit status then
  // means "nothing was sent"). All recipients go in one transaction (no
  // RCPTMAX/RCPTDOMAINMAX split, no new transaction after 452/552, which
  // count as refusals, RFC 5321 §4.5.3.1.10); the data (DATA or BDAT) waits
  // for every RCPT reply even with PIPELINING (RFC 2920 §3.1 lets a client
  // wait); if any RCPT is refused the data is not sent, the next
  // transaction starts with RSET, and the delivery fails with the first
  // refusal: the refused recipients keep their reply, the accepted ones are
  // RecipientNotSent with the refusal's permanence. With LMTP the per-
  // recipient replies after the data are still per recipient.
  bool all_recipients_or_none = false;
  // remember_last_body: remember the last complete body, its facts and its
  // encoding in a BodyMeterMemo, which keeps them alive, so that the same
  // body sent again is not scanned at all (SessionOptions::
  // remember_last_body).
  bool remember_last_body = false;
};

// DeliveryFlow runs the deliveries of one session over `connection`.
class DeliveryFlow {
 public:
  // DeliveryFlow borrows `connection` and `events` (the session's event
  // queue); both must outlive it.
  DeliveryFlow(DeliveryFlowOptions options, Connection* connection,
               std::deque<Event>* events);
  ~DeliveryFlow();

  DeliveryFlow(const DeliveryFlow&) = delete;
  DeliveryFlow& operator=(const DeliveryFlow&) = delete;

  // --- Getters --------------------------------------------------------

  // busy is true while a MAIL transaction runs.
  bool busy() const { return txn_ != nullptr; }
  // queued counts deliveries not finished yet (the running one included).
  size_t queued() const { return deliveries_.size(); }
  // body_memo returns the memo of the last complete body (for its counters
  // in tests and benches), or null without `remember_last_body`. Owned by
  // the flow; valid while it lives.
  const BodyMeterMemo* body_memo() const { return body_memo_.get(); }

  // --- Operations (from the session's API) ----------------------------

  // Enqueue validates `envelope` and queues it with `body` (kept, never
  // copied, until the delivery's last event); `streamed` bodies grow with
  // AppendBody. Errors (nothing queued): kInvalidArgument with
  // kControlCharacter, kLineTooLong or kInvalidArgument (no recipients, bad
  // address syntax). Starts nothing: the session calls StartNext.
  absl::StatusOr<DeliveryId> Enqueue(Envelope envelope, absl::Cord body,
                                     bool streamed);

  // AppendBody adds `chunk` to streamed delivery `id` (see
  // Session::AppendBody for the contract and errors). When it returns, the
  // session must check `TakeSessionFailure`.
  absl::Status AppendBody(DeliveryId id, absl::Cord chunk, bool last,
                          Instant now);

  // TakeSessionFailure returns, once, the error that must end the session
  // after AppendBody refused an 8-bit chunk of a DATA body that cannot be
  // cancelled (the delivery has already failed with it); nullopt otherwise.
  absl::optional<SmtpError> TakeSessionFailure();

  // --- Inputs (from the session) ----------------------------------------

  // StartNext starts the next delivery's transaction when none runs: the
  // front delivery is prechecked (refused ones fail and the next is tried)
  // and its MAIL (and with PIPELINING its RCPTs and data) submitted. Call
  // it when the session is ready and idle.
  void StartNext(Instant now);

  // OnReply takes the final reply (or 354) to a transaction command: MAIL,
  // RCPT, DATA, BDAT or RSET. Replies to commands it did not send are
  // ignored.
  void OnReply(const ReplyReceived& reply, Instant now);

  // OnConnectionClosed is called when the connection closed: a transaction
  // the server had already refused (MAIL, or every RCPT) finishes with that
  // refusal as its cause rather than the connection loss that followed. If
  // the whole message had been written (the end of data included) without
  // a final reply (Connection::DataOutcomeUnknown), the recipients RCPT
  // accepted or left unanswered become kUnknown (core/delivery.h); `FailAll`
  // then defers the rest.
  void OnConnectionClosed(Instant now);

  // FailAll fails every queued delivery with `error` (temporary: every
  // undecided recipient is deferred) and forgets the running transaction.
  void FailAll(const SmtpError& error);

 private:
  struct Delivery;
  struct Transaction;

  Delivery* Find(DeliveryId id);
  bool Submit(Command command, Instant now, CommandId* out_id);
  static BodyFacts CurrentFacts(const Delivery& d);
  BodyFacts MeasureComplete(Delivery& d, const PrecheckContext& context);
  void StartTransaction(Delivery& d, Instant now);
  void SubmitRecipients(Delivery& d, Instant now);
  void SubmitBody(Delivery& d, Instant now);
  void AbandonTransaction(SmtpError error);
  void OnDataReply(Delivery& d, CommandKind kind, const Reply& reply,
                   bool last);
  void MaybeFinishTransaction(Instant now);
  void FinishTransaction(Delivery& d, Instant now);
  void FinishDelivery();
  void FailFrontDelivery(SmtpError error);
  void MarkUnknown(Delivery& d);
  absl::Status Refuse8BitChunk(Delivery& d, bool front, Instant now);
  void Emit(Event event) { events_->push_back(std::move(event)); }

  DeliveryFlowOptions options_;
  Connection* connection_;
  std::deque<Event>* events_;
  std::deque<std::unique_ptr<Delivery>> deliveries_;
  std::unique_ptr<Transaction> txn_;
  DeliveryId next_delivery_id_ = 1;
  // need_rset_: the server holds transaction state (MAIL accepted without
  // a successful end of data): the next transaction starts with RSET.
  bool need_rset_ = false;
  // mail_transactions_ counts MAILs on this connection (LIMITS MAILMAX).
  int mail_transactions_ = 0;
  absl::optional<SmtpError> session_failure_;
  // body_memo_: the last complete body's measurement and encoding, so that
  // a body sent again on this connection is not scanned again
  // (core/body_meter_memo.h).
  // Allocated only with `options_.remember_last_body` (null otherwise), so
  // that a session without it does not carry the memo's state.
  std::unique_ptr<BodyMeterMemo> body_memo_;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_DELIVERY_FLOW_H_
