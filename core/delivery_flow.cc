#include "core/delivery_flow.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "core/delivery_precheck.h"
#include "core/dot_stuffer.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

// LocalRefusal is the error of a delivery refused locally: permanent, as
// the same message would be refused again.
SmtpError LocalRefusal(const absl::Status& status, CommandKind command) {
  SmtpError e = SmtpError::FromStatus(status, command);
  e.permanent = true;
  return e;
}

// DomainOf returns the lower-cased domain of an address ("" if none), for
// LIMITS RCPTDOMAINMAX (RFC 9422 §5.3).
std::string DomainOf(absl::string_view address) {
  size_t at = address.rfind('@');
  if (at == absl::string_view::npos) return "";
  return absl::AsciiStrToLower(address.substr(at + 1));
}

RecipientStatus StatusForReply(const Reply& reply) {
  int code = reply.code();
  if (code >= 200 && code < 300) return RecipientStatus::kDelivered;
  if (code >= 500 && code < 600) return RecipientStatus::kRejected;
  return RecipientStatus::kDeferred;
}

// SettlePending gives every undecided recipient `status`.
void SettlePending(DeliveryResult& result, RecipientStatus status) {
  for (RecipientResult& rr : result.recipients) {
    if (rr.status == RecipientStatus::kPending) rr.status = status;
  }
}

}  // namespace

// Delivery is one queued message.
struct DeliveryFlow::Delivery {
  DeliveryId id = 0;
  Envelope envelope;
  absl::Cord body;
  bool streamed = false;
  bool body_complete = true;
  // meter: what a streamed `body` holds so far (unused for a complete
  // body, whose facts come at the precheck).
  BodyMeter meter;
  // facts: the complete body's facts, from the precheck on.
  BodyFacts facts;
  // encoded: the complete body encoded for this server's transfer (DATA or
  // BDAT) by the precheck's one pass over it, or a copy of the remembered
  // encoding of the same body (MeasureComplete, core/body_meter_memo.h);
  // handed to the first transaction's DATA/BDAT, null after that or when
  // the body is measured instead or remembered without a usable encoding.
  std::shared_ptr<EncodedBody> encoded;
  bool prechecked = false;
  TransferPlan plan;  // after the precheck
  DeliveryResult result;
  // remaining: recipient indices still to send, in envelope order.
  std::vector<size_t> remaining;
  // error: what to report if nobody gets the message.
  absl::optional<SmtpError> error;
};

// Transaction is the MAIL transaction in flight.
struct DeliveryFlow::Transaction {
  struct Sent {
    CommandId id;
    CommandKind kind;
    size_t rcpt = 0;    // recipient index for RCPT
    bool last = false;  // BDAT LAST
  };
  int number = 0;  // 1-based within the delivery
  std::vector<Sent> sent;
  size_t outstanding = 0;        // final replies still expected
  std::vector<size_t> rcpts;     // recipient indices in this transaction
  size_t rcpt_replies = 0;
  std::vector<size_t> accepted;  // indices accepted by RCPT
  size_t rejected = 0;           // final RCPT failures
  std::vector<size_t> retry;     // 452/552: retry in another transaction
  bool mail_failed = false;
  // abandoned: a local refusal (a command or the body refused before it was
  // sent) ended the transaction; the delivery fails with `Delivery::error`
  // once the replies to what was already sent are in, and the next
  // transaction starts with RSET.
  bool abandoned = false;
  bool body_submitted = false;
  bool data_final = false;  // DATA / BDAT LAST final reply seen
  // data_replies: accepted recipients that have their data reply (LMTP
  // gives them one by one, RFC 2033 §4.2; SMTP all at once).
  size_t data_replies = 0;
  CommandId data_id = 0;    // DATA (streaming forward target)
  absl::optional<Reply> bdat_failure;
};

// CurrentFacts: what is known of `d`'s body now (a streamed body grows
// after its precheck).
BodyFacts DeliveryFlow::CurrentFacts(const Delivery& d) {
  return d.streamed ? d.meter.facts() : d.facts;
}

DeliveryFlow::DeliveryFlow(DeliveryFlowOptions options, Connection* connection,
                           std::deque<Event>* events)
    : options_(options), connection_(connection), events_(events) {
  if (options_.remember_last_body) {
    body_memo_ = std::make_unique<BodyMeterMemo>();
  }
}

DeliveryFlow::~DeliveryFlow() = default;

// --- Operations --------------------------------------------------------------

absl::StatusOr<DeliveryId> DeliveryFlow::Enqueue(Envelope envelope,
                                                 absl::Cord body,
                                                 bool streamed) {
  if (envelope.recipients.empty()) {
    return LocalError(ErrorDetail::kInvalidArgument, "no recipients");
  }
  // Validate every command now, so that argument errors are synchronous.
  std::string scratch;
  absl::Status s =
      SerializeCommand(MailFrom{envelope.from, envelope.mail}, &scratch);
  if (!s.ok()) return s;
  for (const Recipient& r : envelope.recipients) {
    s = SerializeCommand(RcptTo{r.address, r.params}, &scratch);
    if (!s.ok()) return s;
  }
  auto d = std::make_unique<Delivery>();
  d->id = next_delivery_id_++;
  d->streamed = streamed;
  d->body_complete = !streamed;
  d->body = std::move(body);
  for (size_t i = 0; i < envelope.recipients.size(); ++i) {
    RecipientResult rr;
    rr.address = envelope.recipients[i].address;
    d->result.recipients.push_back(std::move(rr));
    d->remaining.push_back(i);
  }
  d->envelope = std::move(envelope);
  DeliveryId id = d->id;
  deliveries_.push_back(std::move(d));
  return id;
}

DeliveryFlow::Delivery* DeliveryFlow::Find(DeliveryId id) {
  for (auto& d : deliveries_) {
    if (d->id == id) return d.get();
  }
  return nullptr;
}

absl::Status DeliveryFlow::AppendBody(DeliveryId id, absl::Cord chunk,
                                      bool last, Instant now) {
  Delivery* d = Find(id);
  if (d == nullptr || !d->streamed || d->body_complete) {
    return WrongStateError("no open streamed delivery with this id");
  }
  // Measure on a copy: a refused chunk leaves the delivery as it was.
  BodyMeter meter = d->meter;
  meter.Add(chunk);
  if (last) meter.Finish();
  const BodyFacts before = d->meter.facts();
  const BodyFacts after = meter.facts();
  const bool binary = d->envelope.mail.body == BodyType::kBinaryMime;
  if (!binary && options_.line_endings == LineEndingPolicy::kReject &&
      after.bare_line_endings > before.bare_line_endings) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kBareLineEnding,
                     "body chunk with a bare CR or LF (line_endings is "
                     "reject)");
  }
  const bool front = !deliveries_.empty() && deliveries_.front().get() == d;
  if (after.eight_bit && d->prechecked && !binary &&
      d->plan.mail.body != BodyType::k8BitMime &&
      d->plan.mail.body != BodyType::kBinaryMime) {
    // MAIL went out without BODY=8BITMIME (the server lacks it, or the
    // envelope said 7BIT): never send 8-bit octets unannounced (RFC 6152
    // §3). The delivery fails.
    return Refuse8BitChunk(*d, front, now);
  }
  const bool in_flight = txn_ != nullptr && front && txn_->body_submitted &&
                         !txn_->data_final && !txn_->mail_failed &&
                         !txn_->abandoned;
  if (in_flight) {
    if (d->plan.use_bdat) {
      Bdat bdat{chunk, last, !d->plan.binary};
      absl::StatusOr<CommandId> sub = connection_->Submit(std::move(bdat), now);
      if (!sub.ok()) return sub.status();
      txn_->sent.push_back({*sub, CommandKind::kBdat, 0, last});
      ++txn_->outstanding;
    } else {
      absl::Status s =
          connection_->AppendBody(txn_->data_id, chunk, last, now);
      if (!s.ok() && GetErrorDetail(s) != ErrorDetail::kWrongState) return s;
    }
  }
  d->body.Append(std::move(chunk));
  d->meter = meter;
  if (last) d->body_complete = true;
  return absl::OkStatus();
}

absl::Status DeliveryFlow::Refuse8BitChunk(Delivery& d, bool front,
                                           Instant now) {
  absl::Status status = MakeError(
      absl::StatusCode::kInvalidArgument, ErrorDetail::kNeeds8BitMime,
      "8-bit octets in a streamed body announced as 7-bit: declare "
      "envelope.mail.body, or use a server offering 8BITMIME (RFC 6152)");
  SmtpError error = LocalRefusal(status, CommandKind::kData);
  if (!front || txn_ == nullptr) {
    // Prechecked, so it runs or has just run: not reachable in practice;
    // refuse the chunk only.
    return status;
  }
  if (txn_->mail_failed || txn_->abandoned) return status;  // failing already
  if (txn_->data_id != 0) {
    // DATA is committed: the server takes whatever precedes the final "."
    // as the message, so the only way to cancel it is to drop the
    // connection without the terminator (RFC 5321 §3.8: an interrupted
    // transaction is aborted). This delivery fails with kNeeds8BitMime; the
    // session fails too (TakeSessionFailure), and later deliveries with it.
    txn_.reset();
    FailFrontDelivery(error);
    SmtpError session = error;
    session.what =
        "connection dropped to cancel a DATA transaction whose streamed body "
        "turned out 8-bit without BODY=8BITMIME";
    session_failure_ = std::move(session);
    return status;
  }
  // Nothing of the body was sent (or only BDAT chunks, which RSET discards,
  // RFC 3030 §4): fail this delivery and reset once the replies are in.
  AbandonTransaction(std::move(error));
  MaybeFinishTransaction(now);
  return status;
}

absl::optional<SmtpError> DeliveryFlow::TakeSessionFailure() {
  absl::optional<SmtpError> f = std::move(session_failure_);
  session_failure_.reset();
  return f;
}

// --- Transactions --------------------------------------------------------------

bool DeliveryFlow::Submit(Command command, Instant now, CommandId* out_id) {
  CommandKind kind = KindOf(command);
  absl::StatusOr<CommandId> id = connection_->Submit(std::move(command), now);
  if (!id.ok()) {
    if (connection_->closed()) return false;  // ConnectionClosed follows
    // A local refusal inside a delivery fails only that delivery (the
    // connection is unchanged by a refused Submit, core/connection.h rule
    // 1).
    AbandonTransaction(LocalRefusal(id.status(), kind));
    return false;
  }
  *out_id = *id;
  return true;
}

void DeliveryFlow::StartNext(Instant now) {
  while (txn_ == nullptr && !deliveries_.empty() && !connection_->closed()) {
    Delivery& d = *deliveries_.front();
    if (!d.prechecked) {
      PrecheckContext context;
      context.capabilities = &connection_->capabilities();
      context.tls = connection_->tls() != nullptr;
      context.tls_verified = context.tls && connection_->tls()->verified;
      context.chunking = options_.chunking;
      context.line_endings = options_.line_endings;
      context.streamed = d.streamed;
      context.idna = &options_.idna;
      const BodyFacts facts =
          d.streamed ? d.meter.facts() : MeasureComplete(d, context);
      absl::StatusOr<TransferPlan> plan =
          PrecheckDelivery(d.envelope, facts, context);
      if (!plan.ok()) {
        // Nothing was sent; the encoding (if any) goes with the delivery.
        FailFrontDelivery(LocalRefusal(plan.status(), CommandKind::kMailFrom));
        continue;
      }
      d.facts = facts;
      d.plan = *std::move(plan);
      d.prechecked = true;
    }
    StartTransaction(d, now);
  }
}

BodyFacts DeliveryFlow::MeasureComplete(Delivery& d,
                                        const PrecheckContext& context) {
  // One pass: the body is encoded for the transfer this server will get
  // (DATA or BDAT; UsesBdat depends only on the envelope and the
  // capabilities), and the facts are that encoder's statistics. Bare line
  // endings are normalised here and judged by the precheck (and again by
  // the connection's policy when it takes the encoding). A BINARYMIME body,
  // whose bytes go out unchanged, is only measured.
  absl::optional<DotStufferOptions> options;
  if (d.envelope.mail.body != BodyType::kBinaryMime) {
    DotStufferOptions o;
    const bool bdat = UsesBdat(d.envelope, context);
    o.stuff_dots = !bdat;
    o.terminator = !bdat;
    o.normalize = true;
    o.line_endings = LineEndingPolicy::kNormalize;
    options = o;
  }
  if (body_memo_ != nullptr) {
    // The body sent last, again: its facts, and a copy of its encoding when
    // it was encoded with these options (no pass at all); else the
    // connection encodes it (core/body_meter_memo.h).
    std::shared_ptr<EncodedBody> copy;
    if (const BodyFacts* known = body_memo_->Find(
            d.body, options.has_value() ? &*options : nullptr, &copy)) {
      d.encoded = std::move(copy);
      return *known;
    }
  }
  BodyFacts facts;
  if (options.has_value()) {
    absl::StatusOr<std::shared_ptr<EncodedBody>> encoded =
        EncodedBody::Encode(d.body, *options);
    if (encoded.ok()) {  // always, under kNormalize
      d.encoded = *std::move(encoded);
      facts = FactsOfEncoding(*d.encoded);
    }
  }
  if (d.encoded == nullptr) {
    BodyMeter meter;
    meter.Add(d.body);
    meter.Finish();
    facts = meter.facts();
  }
  // The memo keeps its own copy of the encoding as a template; the original
  // goes to the connection.
  if (body_memo_ != nullptr) {
    body_memo_->Remember(d.body, facts, d.encoded.get());
  }
  return facts;
}

void DeliveryFlow::StartTransaction(Delivery& d, Instant now) {
  SmtpLimits limits = connection_->capabilities().limits();
  if ((limits.mailmax.has_value() &&
       mail_transactions_ >= static_cast<int>(*limits.mailmax)) ||
      d.result.transactions >= options_.max_transactions_per_delivery) {
    // RFC 9422 §5.1: no more transactions on this connection; the rest is
    // deferred (retry on a new connection).
    if (!d.error.has_value()) {
      SmtpError e;
      e.command = CommandKind::kMailFrom;
      e.cause = ErrorDetail::kRejected;
      e.status_code = absl::StatusCode::kResourceExhausted;
      e.what = "transaction limit reached on this connection (LIMITS "
               "MAILMAX or max_transactions_per_delivery); retry the "
               "deferred recipients on a new connection";
      d.error = std::move(e);
    }
    FinishDelivery();
    return;
  }
  txn_ = std::make_unique<Transaction>();
  Transaction& t = *txn_;
  t.number = ++d.result.transactions;
  ++mail_transactions_;
  // Pick the recipients: RCPTMAX per transaction, RCPTDOMAINMAX distinct
  // domains (RFC 9422 §5.2, §5.3).
  std::vector<std::string> domains;
  std::vector<size_t> rest;
  for (size_t index : d.remaining) {
    bool fits = options_.all_recipients_or_none ||
                !limits.rcptmax.has_value() ||
                t.rcpts.size() < *limits.rcptmax;
    if (fits && !options_.all_recipients_or_none &&
        limits.rcptdomainmax.has_value()) {
      std::string domain = DomainOf(d.envelope.recipients[index].address);
      if (std::find(domains.begin(), domains.end(), domain) == domains.end()) {
        if (domains.size() >= *limits.rcptdomainmax) {
          fits = false;
        } else {
          domains.push_back(domain);
        }
      }
    }
    if (fits) {
      t.rcpts.push_back(index);
    } else {
      rest.push_back(index);
    }
  }
  d.remaining = std::move(rest);

  // A refused Submit only marks the transaction abandoned (see Submit); it
  // is finished at the end, once nothing more is outstanding.
  bool submitted = true;
  if (need_rset_) {
    CommandId id = 0;
    submitted = Submit(Rset{}, now, &id);
    if (submitted) {
      t.sent.push_back({id, CommandKind::kRset});
      ++t.outstanding;
      need_rset_ = false;
    }
  }
  CommandId mail_id = 0;
  if (submitted) {
    submitted = Submit(MailFrom{d.plan.from, d.plan.mail}, now, &mail_id);
  }
  if (submitted) {
    t.sent.push_back({mail_id, CommandKind::kMailFrom});
    ++t.outstanding;
    if (connection_->pipelining_active()) {
      // RFC 2920: MAIL, every RCPT and DATA (or BDAT) in one write; all
      // or none: the data waits for the RCPT replies.
      SubmitRecipients(d, now);
      if (!t.abandoned && !options_.all_recipients_or_none) {
        SubmitBody(d, now);
      }
    }
  }
  MaybeFinishTransaction(now);
}

void DeliveryFlow::SubmitRecipients(Delivery& d, Instant now) {
  Transaction& t = *txn_;
  for (size_t index : t.rcpts) {
    Recipient r = d.envelope.recipients[index];
    r.address = d.plan.recipients[index];  // A-label domain if converted
    if (d.plan.strip_dsn) {
      r.params.notify = kNotifyDefault;
      r.params.orcpt.reset();
    }
    CommandId id = 0;
    if (!Submit(RcptTo{r.address, r.params}, now, &id)) return;
    t.sent.push_back({id, CommandKind::kRcptTo, index});
    ++t.outstanding;
  }
}

void DeliveryFlow::SubmitBody(Delivery& d, Instant now) {
  Transaction& t = *txn_;
  t.body_submitted = true;
  CommandId id = 0;
  if (d.plan.use_bdat) {
    const bool normalize = !d.plan.binary;
    if (!d.body_complete) {
      if (!d.body.empty()) {
        if (!Submit(Bdat{d.body, false, normalize}, now, &id)) return;
        t.sent.push_back({id, CommandKind::kBdat, 0, false});
        ++t.outstanding;
      }
      return;  // AppendBody sends the following chunks
    }
    Bdat bdat{d.body, true, normalize,
              DataSliceBound(CurrentFacts(d), /*data=*/false)};
    if (d.encoded != nullptr) {
      // The precheck's encoding: the body is not scanned again.
      bdat.chunk.Clear();
      bdat.encoded = std::move(d.encoded);
    }
    if (!Submit(std::move(bdat), now, &id)) return;
    t.sent.push_back({id, CommandKind::kBdat, 0, true});
    ++t.outstanding;
    return;
  }
  // A complete body's slice count is known from the precheck's measurement:
  // the encoder's vector is allocated once (Data::slice_hint).
  const uint64_t hint =
      d.body_complete ? DataSliceBound(CurrentFacts(d), /*data=*/true) : 0;
  Data data{d.body, !d.body_complete, hint};
  if (d.body_complete && d.encoded != nullptr) {
    // The precheck's encoding: the body is not scanned again.
    data.body.Clear();
    data.encoded = std::move(d.encoded);
  }
  if (!Submit(std::move(data), now, &id)) return;
  t.data_id = id;
  t.sent.push_back({id, CommandKind::kData});
  ++t.outstanding;
}

void DeliveryFlow::AbandonTransaction(SmtpError error) {
  Transaction& t = *txn_;
  Delivery& d = *deliveries_.front();
  if (t.abandoned) return;
  t.abandoned = true;
  d.error = std::move(error);
  d.remaining.clear();
  for (const Transaction::Sent& sent : t.sent) {
    // MAIL (or more) went out: the server's transaction state must be
    // cleared before the next one.
    if (sent.kind != CommandKind::kRset) need_rset_ = true;
  }
}

void DeliveryFlow::MaybeFinishTransaction(Instant now) {
  if (txn_ == nullptr || deliveries_.empty()) return;
  const Transaction& t = *txn_;
  if (t.outstanding != 0) return;
  const bool done =
      t.abandoned || t.mail_failed ||
      (t.rcpt_replies == t.rcpts.size() && (t.data_final || !t.body_submitted));
  if (done) FinishTransaction(*deliveries_.front(), now);
}

void DeliveryFlow::OnReply(const ReplyReceived& r, Instant now) {
  if (txn_ == nullptr || deliveries_.empty()) return;
  Transaction& t = *txn_;
  Delivery& d = *deliveries_.front();
  auto it = std::find_if(t.sent.begin(), t.sent.end(),
                         [&r](const Transaction::Sent& s) {
                           return s.id == r.id;
                         });
  if (it == t.sent.end()) return;
  Transaction::Sent sent = *it;
  const Reply& reply = r.reply;
  const int code = reply.code();
  const bool ok = code >= 200 && code < 300;
  if (sent.kind == CommandKind::kData && code == 354) return;  // body follows
  // 421: ConnectionClosed follows and fails the delivery. Any other reply
  // counts even if the connection already closed later in the same read
  // (the events are handled in order: a reply that arrived before the
  // fatal input still decides the transaction; nothing more is submitted).
  if (code == 421) return;
  if (r.more_replies > 0) {
    // LMTP: one recipient's reply; more follow for the same command.
    if (!t.mail_failed && !t.abandoned) {
      OnDataReply(d, sent.kind, reply, /*last=*/false);
    }
    return;
  }
  --t.outstanding;
  switch (sent.kind) {
    case CommandKind::kRset:
      break;
    case CommandKind::kMailFrom:
      if (!ok) {
        t.mail_failed = true;
        if (!t.abandoned) {
          d.error = SmtpError::FromReply(CommandKind::kMailFrom, reply.view());
        }
        need_rset_ = true;
      } else if (!connection_->pipelining_active() && !t.abandoned) {
        SubmitRecipients(d, now);
      }
      break;
    case CommandKind::kRcptTo: {
      ++t.rcpt_replies;
      if (t.mail_failed || t.abandoned) break;
      RecipientResult& rr = d.result.recipients[sent.rcpt];
      rr.rcpt_reply = reply;
      rr.transaction = t.number;
      Emit(RecipientReply{d.id, rr.address, reply});
      if (ok) {
        t.accepted.push_back(sent.rcpt);
      } else if ((code == 452 || code == 552) &&
                 !options_.all_recipients_or_none) {
        // RFC 5321 §4.5.3.1.10: too many recipients; retry the rest in
        // another transaction.
        t.retry.push_back(sent.rcpt);
      } else {
        rr.status = StatusForReply(reply);
        ++t.rejected;
        if (!d.error.has_value()) {
          d.error = SmtpError::FromReply(CommandKind::kRcptTo, reply.view());
        }
      }
      const bool body_waits = !connection_->pipelining_active() ||
                              options_.all_recipients_or_none;
      if (body_waits && t.rcpt_replies == t.rcpts.size()) {
        const bool send = options_.all_recipients_or_none
                              ? t.accepted.size() == t.rcpts.size()
                              : !t.accepted.empty();
        if (send) {
          SubmitBody(d, now);
        } else {
          need_rset_ = true;  // MAIL accepted, no DATA: reset next time
        }
      }
      break;
    }
    case CommandKind::kData:
    case CommandKind::kBdat: {
      if (sent.kind == CommandKind::kBdat && !sent.last) {
        if (!ok && !t.bdat_failure.has_value()) t.bdat_failure = reply;
        break;
      }
      t.data_final = true;
      if (t.mail_failed || t.abandoned) break;
      OnDataReply(d, sent.kind, reply, /*last=*/true);
      break;
    }
    default:
      break;
  }
  MaybeFinishTransaction(now);
}

void DeliveryFlow::OnDataReply(Delivery& d, CommandKind kind,
                               const Reply& reply, bool last) {
  Transaction& t = *txn_;
  // A refused BDAT chunk refuses the message for everyone, whatever the
  // later replies say (RFC 3030 §4.2).
  const Reply& given = t.bdat_failure.has_value() ? *t.bdat_failure : reply;
  // SMTP: the one reply is everyone's. LMTP: each reply is the next
  // accepted recipient's, in RCPT order (RFC 2033 §4.2); the last one also
  // goes to any accepted recipient still without a reply (DATA refused
  // instead of 354, or a server that answered fewer times).
  const size_t end = !options_.lmtp || last
                         ? t.accepted.size()
                         : std::min(t.data_replies + 1, t.accepted.size());
  for (; t.data_replies < end; ++t.data_replies) {
    RecipientResult& rr = d.result.recipients[t.accepted[t.data_replies]];
    rr.data_reply = given;
    rr.status = StatusForReply(given);
    if (rr.status != RecipientStatus::kDelivered && !d.error.has_value()) {
      d.error = SmtpError::FromReply(kind, given.view());
    }
    if (options_.lmtp) Emit(RecipientDataReply{d.id, rr.address, given});
  }
  if (!last) return;
  size_t delivered = 0;
  for (size_t index : t.accepted) {
    delivered += d.result.recipients[index].status ==
                 RecipientStatus::kDelivered;
  }
  if (delivered == 0) need_rset_ = true;
  if (!options_.lmtp && delivered == 0 && !t.accepted.empty()) {
    // The data's refusal is the delivery's cause (over an RCPT refusal).
    d.error = SmtpError::FromReply(kind, given.view());
  }
  Emit(TransactionComplete{d.id, given, t.accepted.size(), t.rejected,
                           delivered, options_.lmtp});
}

void DeliveryFlow::FinishTransaction(Delivery& d, Instant now) {
  std::unique_ptr<Transaction> t = std::move(txn_);
  // MAIL refused, or a local refusal: the whole delivery fails with that
  // reply or error. Under all_recipients_or_none, a refused RCPT means
  // nobody gets the message: the accepted recipients were not sent to and
  // share the refusal's permanence.
  if (t->mail_failed || t->abandoned ||
      (options_.all_recipients_or_none && !t->body_submitted)) {
    SettlePending(d.result, d.error.has_value() && d.error->permanent
                                ? RecipientStatus::kRejected
                                : RecipientStatus::kDeferred);
    d.remaining.clear();
    FinishDelivery();
    return;
  }
  if (!t->retry.empty()) {
    if (t->accepted.empty()) {
      // No progress: the 452s are final for this delivery.
      for (size_t index : t->retry) {
        RecipientResult& rr = d.result.recipients[index];
        rr.status = StatusForReply(rr.rcpt_reply);
        if (!d.error.has_value()) {
          d.error = SmtpError::FromReply(CommandKind::kRcptTo,
                                         rr.rcpt_reply.view());
        }
      }
    } else {
      d.remaining.insert(d.remaining.begin(), t->retry.begin(),
                         t->retry.end());
    }
  }
  if (d.remaining.empty()) {
    FinishDelivery();
    return;
  }
  StartTransaction(d, now);
}

void DeliveryFlow::FinishDelivery() {
  std::unique_ptr<Delivery> d = std::move(deliveries_.front());
  deliveries_.pop_front();
  txn_.reset();
  SettlePending(d->result, RecipientStatus::kDeferred);
  if (d->result.delivered() > 0) {
    Emit(DeliveryDone{d->id, std::move(d->result)});
  } else {
    SmtpError error = d->error.value_or(SmtpError());
    error.permanent = d->result.deferred() == 0 && d->result.unknown() == 0;
    Emit(DeliveryFailed{d->id, std::move(error), std::move(d->result)});
  }
}

void DeliveryFlow::FailFrontDelivery(SmtpError error) {
  std::unique_ptr<Delivery> d = std::move(deliveries_.front());
  deliveries_.pop_front();
  SettlePending(d->result, error.permanent ? RecipientStatus::kRejected
                                           : RecipientStatus::kDeferred);
  Emit(DeliveryFailed{d->id, std::move(error), std::move(d->result)});
}

void DeliveryFlow::OnConnectionClosed(Instant now) {
  if (txn_ != nullptr && !deliveries_.empty() && !txn_->abandoned) {
    const Transaction& t = *txn_;
    const bool rcpts_failed = !t.rcpts.empty() &&
                              t.rcpt_replies == t.rcpts.size() &&
                              t.accepted.empty();
    if (t.mail_failed || rcpts_failed) {
      // The server already refused the transaction (MAIL, or every RCPT):
      // that reply is the delivery's cause, not the connection loss that
      // followed. With BDAT pipelined, the server may then read the payload
      // as commands; the replies to those lines are not ours and broke the
      // connection (RFC 3030 §4 leaves the payload of a refused BDAT to the
      // server). Nothing new is submitted on a closed connection.
      FinishTransaction(*deliveries_.front(), now);
    } else if (!t.data_final) {
      MarkUnknown(*deliveries_.front());
    }
  }
  txn_.reset();
}

void DeliveryFlow::MarkUnknown(Delivery& d) {
  const Transaction& t = *txn_;
  bool sent_whole = false;
  for (const Transaction::Sent& sent : t.sent) {
    const bool data_end = sent.kind == CommandKind::kData ||
                          (sent.kind == CommandKind::kBdat && sent.last);
    if (data_end && connection_->DataOutcomeUnknown(sent.id)) {
      sent_whole = true;
    }
  }
  if (!sent_whole) return;
  // The whole message went out and no final reply came: every recipient
  // RCPT accepted, or did not answer yet (pipelined BDAT), may have it.
  // Those refused (including 452s waiting for a retry) did not.
  for (size_t index : t.rcpts) {
    RecipientResult& rr = d.result.recipients[index];
    if (rr.status != RecipientStatus::kPending) continue;
    if (std::find(t.retry.begin(), t.retry.end(), index) != t.retry.end()) {
      continue;
    }
    rr.status = RecipientStatus::kUnknown;
  }
}

void DeliveryFlow::FailAll(const SmtpError& error) {
  txn_.reset();
  while (!deliveries_.empty()) {
    std::unique_ptr<Delivery> d = std::move(deliveries_.front());
    deliveries_.pop_front();
    SettlePending(d->result, RecipientStatus::kDeferred);
    SmtpError e = error;
    e.permanent = false;
    Emit(DeliveryFailed{d->id, std::move(e), std::move(d->result)});
  }
}

}  // namespace smtpcore
