#include "core/session.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

ConnectionOptions ToConnectionOptions(const SessionOptions& o) {
  ConnectionOptions c;
  c.reply_limits = o.reply_limits;
  c.timeouts = o.timeouts;
  c.capability_filter = o.capability_filter;
  c.pipelining = o.pipelining;
  c.max_auth_challenges = o.max_auth_challenges;
  c.allow_insecure_auth = o.allow_insecure_auth;
  c.line_endings = o.line_endings;
  c.trace = o.trace;
  return c;
}

// BodyScan summarises a message body, chunk by chunk, in the facts the
// prechecks need: its size as sent, bare line endings, 8-bit octets. The
// state carries across chunks (a CR at the end of one chunk and an LF at the
// start of the next are one CRLF), like the DotStuffer's.
struct BodyScan {
  uint64_t size = 0;     // input octets
  uint64_t bare_cr = 0;  // CRs not followed by LF
  uint64_t bare_lf = 0;  // LFs not preceded by CR
  bool eight_bit = false;
  bool pending_cr = false;  // last octet was a CR; bare unless an LF follows
  bool open_line = false;   // the last octet is not a CR or LF

  // bare_line_endings counts bare CRs and LFs so far.
  uint64_t bare_line_endings() const { return bare_cr + bare_lf; }
  // wire_size is the size after CRLF normalisation: each bare CR or LF is
  // sent as CRLF, one octet more. This is the RFC 1870 §3 message size
  // ("including CR-LF pairs, but not the SMTP DATA command's terminating
  // dot or doubled quoting dots"), and the BDAT octet count.
  uint64_t wire_size() const { return size + bare_line_endings(); }

  // Add scans one chunk: a memchr pass for LF, one for CR and an ASCII
  // check. Not the hot path (once per message or streamed chunk).
  void Add(absl::string_view chunk) {
    if (chunk.empty()) return;
    const char* begin = chunk.data();
    const char* end = begin + chunk.size();
    if (pending_cr && *begin != '\n') ++bare_cr;
    for (const char* p = begin; p < end;) {
      const char* lf =
          static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (lf == nullptr) break;
      const bool after_cr = lf > begin ? lf[-1] == '\r' : pending_cr;
      if (!after_cr) ++bare_lf;
      p = lf + 1;
    }
    for (const char* p = begin; p < end;) {
      const char* cr =
          static_cast<const char*>(std::memchr(p, '\r', end - p));
      if (cr == nullptr || cr + 1 == end) break;  // last: next chunk decides
      if (cr[1] != '\n') ++bare_cr;
      p = cr + 1;
    }
    pending_cr = end[-1] == '\r';
    open_line = end[-1] != '\r' && end[-1] != '\n';
    if (!eight_bit && !IsAscii(chunk)) eight_bit = true;
    size += chunk.size();
  }
  void Add(const absl::Cord& cord) {
    for (absl::string_view chunk : cord.Chunks()) Add(chunk);
  }
  // Finish ends the body: a final CR is bare (it is completed to CRLF).
  void Finish() {
    if (pending_cr) ++bare_cr;
    pending_cr = false;
  }
};

// LocalRefusal is the error of a delivery refused locally: permanent, as
// the same message would be refused again.
SmtpError LocalRefusal(const absl::Status& status, CommandKind command) {
  SmtpError e = SmtpError::FromStatus(status, command);
  e.permanent = true;
  return e;
}

// IsTransactionCommand: the commands a delivery's transaction submits.
bool IsTransactionCommand(CommandKind kind) {
  switch (kind) {
    case CommandKind::kMailFrom:
    case CommandKind::kRcptTo:
    case CommandKind::kData:
    case CommandKind::kBdat:
    case CommandKind::kRset:
      return true;
    default:
      return false;
  }
}

// DomainOf returns the lower-cased domain of an address ("" if none), for
// LIMITS RCPTDOMAINMAX (RFC 9422 §5.3).
std::string DomainOf(absl::string_view address) {
  size_t at = address.rfind('@');
  if (at == absl::string_view::npos) return "";
  return absl::AsciiStrToLower(address.substr(at + 1));
}

SmtpError SessionFailure(ErrorDetail detail, absl::StatusCode code,
                         CommandKind command, std::string what) {
  SmtpError e;
  e.command = command;
  e.cause = detail;
  e.permanent = code != absl::StatusCode::kUnavailable &&
                code != absl::StatusCode::kDeadlineExceeded;
  e.status_code = code;
  e.what = std::move(what);
  return e;
}

RecipientStatus StatusForReply(const Reply& reply) {
  int code = reply.code();
  if (code >= 200 && code < 300) return RecipientStatus::kDelivered;
  if (code >= 500 && code < 600) return RecipientStatus::kRejected;
  return RecipientStatus::kDeferred;
}

}  // namespace

absl::string_view TlsModeName(TlsMode mode) {
  switch (mode) {
    case TlsMode::kNone: return "none";
    case TlsMode::kOpportunistic: return "opportunistic";
    case TlsMode::kRequired: return "required";
    case TlsMode::kImplicit: return "implicit";
  }
  return "unknown";
}

absl::string_view SessionStateName(SessionState state) {
  switch (state) {
    case SessionState::kGreeting: return "greeting";
    case SessionState::kHello: return "hello";
    case SessionState::kStartTls: return "starttls";
    case SessionState::kAuth: return "auth";
    case SessionState::kReady: return "ready";
    case SessionState::kTransaction: return "transaction";
    case SessionState::kQuitting: return "quitting";
    case SessionState::kClosed: return "closed";
    case SessionState::kFailed: return "failed";
  }
  return "unknown";
}

// Delivery is one queued message.
struct Session::Delivery {
  DeliveryId id = 0;
  Envelope envelope;
  absl::Cord body;
  bool streamed = false;
  bool body_complete = true;
  // scan: what `body` holds so far (all of it unless streamed).
  BodyScan scan;
  bool prechecked = false;
  bool use_bdat = false;
  bool binary = false;
  MailParams mail;        // after Precheck
  bool strip_dsn = false;
  DeliveryResult result;
  // remaining: recipient indices still to send, in envelope order.
  std::vector<size_t> remaining;
  // error: what to report if nobody gets the message.
  absl::optional<SmtpError> error;
};

// Transaction is the MAIL transaction in flight.
struct Session::Transaction {
  struct Sent {
    CommandId id;
    CommandKind kind;
    size_t rcpt = 0;     // recipient index for RCPT
    bool last = false;   // BDAT LAST
  };
  int number = 0;                  // 1-based within the delivery
  std::vector<Sent> sent;
  size_t outstanding = 0;          // final replies still expected
  std::vector<size_t> rcpts;       // recipient indices in this transaction
  size_t rcpt_replies = 0;
  std::vector<size_t> accepted;    // indices accepted by RCPT
  size_t rejected = 0;             // final RCPT failures
  std::vector<size_t> retry;       // 452/552: retry in another transaction
  bool mail_failed = false;
  // abandoned: a local refusal (a command or the body refused before it was
  // sent) ended the transaction; the delivery fails with `Delivery::error`
  // once the replies to what was already sent are in, and the next
  // transaction starts with RSET.
  bool abandoned = false;
  bool body_submitted = false;
  bool data_final = false;         // DATA / BDAT LAST final reply seen
  CommandId data_id = 0;           // DATA (streaming forward target)
  absl::optional<Reply> bdat_failure;
};

Session::Session(SessionOptions options, Instant now)
    : options_(std::move(options)),
      connection_(ToConnectionOptions(options_), now) {}

Session::~Session() = default;

// --- Events ---------------------------------------------------------------

void Session::Emit(Event event) { events_.push_back(std::move(event)); }

absl::optional<Event> Session::PollEvent() {
  if (events_.empty()) return absl::nullopt;
  Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void Session::Pump(Instant now) {
  while (absl::optional<Event> e = connection_.PollEvent()) {
    OnConnectionEvent(std::move(*e), now);
  }
}

bool Session::Submit(Command command, Instant now, CommandId* out_id) {
  CommandKind kind = KindOf(command);
  absl::StatusOr<CommandId> id = connection_.Submit(std::move(command), now);
  if (!id.ok()) {
    if (connection_.closed()) return false;  // ConnectionClosed follows
    if (txn_ != nullptr && IsTransactionCommand(kind)) {
      // A local refusal inside a delivery fails only that delivery (the
      // connection is unchanged by a refused Submit, core/connection.h
      // rule 1).
      AbandonTransaction(LocalRefusal(id.status(), kind));
    } else {
      FailSession(SmtpError::FromStatus(id.status(), kind), true, now);
    }
    return false;
  }
  if (out_id != nullptr) *out_id = *id;
  return true;
}

// --- Inputs ----------------------------------------------------------------

absl::Status Session::Receive(absl::string_view bytes, Instant now) {
  absl::Status s = connection_.Receive(bytes, now);
  Pump(now);
  if (state_ == SessionState::kFailed) return close_status_;
  return s;
}

absl::Status Session::ReceiveEof(Instant now) {
  absl::Status s = connection_.ReceiveEof(now);
  Pump(now);
  if (state_ == SessionState::kFailed) return close_status_;
  return s;
}

void Session::HandleTimeout(Instant now) {
  connection_.HandleTimeout(now);
  Pump(now);
}

absl::Status Session::OnTlsEstablished(TlsInfo info, Instant now) {
  // Only kImplicit takes TLS before the greeting, and otherwise only the
  // TLS upgrade announced by TlsUpgradeRequired (state kStartTls).
  if (state_ != SessionState::kStartTls &&
      options_.tls_mode != TlsMode::kImplicit) {
    return WrongStateError(
        absl::StrCat("OnTlsEstablished without a pending TLS upgrade (tls "
                     "mode ",
                     TlsModeName(options_.tls_mode), ", state ",
                     SessionStateName(state_), ")"));
  }
  absl::Status s = connection_.OnTlsEstablished(std::move(info), now);
  Pump(now);
  return s;
}

void Session::OnTlsFailed(absl::Status status, Instant now) {
  connection_.OnTlsFailed(std::move(status), now);
  Pump(now);
}

void Session::Abort(absl::Status status, Instant now) {
  connection_.Abort(std::move(status), now);
  Pump(now);
}

void Session::ConsumeTransmit(size_t bytes_written, Instant now) {
  connection_.ConsumeTransmit(bytes_written, now);
  Pump(now);
}

// --- Connection events -------------------------------------------------------

void Session::OnConnectionEvent(Event event, Instant now) {
  if (auto* g = std::get_if<Greeting>(&event)) {
    int code = g->reply.code();
    Reply reply = g->reply;
    Emit(std::move(event));
    if (code == 220) {
      if (options_.tls_mode == TlsMode::kImplicit &&
          connection_.tls() == nullptr) {
        FailSession(SessionFailure(ErrorDetail::kTlsRequired,
                                   absl::StatusCode::kFailedPrecondition,
                                   CommandKind::kGreeting,
                                   "implicit TLS mode, but the adapter did "
                                   "not report TLS before the greeting"),
                    true, now);
        return;
      }
      SendHello(now);
    } else if (code != 421 && !connection_.closed()) {
      // 554 (RFC 5321 §3.1): refused; the server waits for QUIT.
      FailSession(SmtpError::FromReply(CommandKind::kGreeting, reply.view()),
                  true, now);
    }
    return;
  }
  if (auto* r = std::get_if<ReplyReceived>(&event)) {
    ReplyReceived copy = *r;
    if (options_.reply_events) Emit(std::move(event));
    OnReply(copy, now);
    return;
  }
  if (std::holds_alternative<CapabilitiesUpdated>(event)) {
    Emit(std::move(event));
    AfterHello(now);
    return;
  }
  if (std::holds_alternative<TlsUpgradeRequired>(event)) {
    state_ = SessionState::kStartTls;
    Emit(std::move(event));
    return;
  }
  if (std::holds_alternative<TlsEstablished>(event)) {
    Emit(std::move(event));
    if (state_ == SessionState::kStartTls) SendHello(now);
    return;
  }
  if (std::holds_alternative<Authenticated>(event)) {
    Emit(std::move(event));
    BecomeReady(now);
    return;
  }
  if (auto* f = std::get_if<AuthFailed>(&event)) {
    SmtpError error = f->error;
    Emit(std::move(event));
    FailSession(std::move(error), true, now);
    return;
  }
  if (auto* c = std::get_if<ConnectionClosed>(&event)) {
    OnConnectionClosed(*c, now);
    return;
  }
  Emit(std::move(event));  // Trace and anything else
}

void Session::OnReply(const ReplyReceived& r, Instant now) {
  const Reply& reply = r.reply;
  const bool ok = reply.code() >= 200 && reply.code() < 300;
  switch (r.kind) {
    case CommandKind::kEhlo:
      if (ok || connection_.closed()) return;
      // RFC 5321 §4.1.4 / §3.2: fall back to HELO only when EHLO itself is
      // not understood (500..504), never on 421 or other refusals.
      if (reply.code() >= 500 && reply.code() <= 504) {
        Submit(Helo{options_.ehlo_domain}, now, nullptr);
      } else {
        FailSession(SmtpError::FromReply(CommandKind::kEhlo, reply.view()),
                    true, now);
      }
      return;
    case CommandKind::kHelo:
      if (!ok && !connection_.closed()) {
        FailSession(SmtpError::FromReply(CommandKind::kHelo, reply.view()),
                    true, now);
      }
      return;
    case CommandKind::kStartTls:
      if (reply.code() == 220 || connection_.closed()) return;
      if (options_.tls_mode == TlsMode::kRequired) {
        FailSession(SmtpError::FromReply(CommandKind::kStartTls, reply.view(),
                                         ErrorDetail::kTlsRequired),
                    true, now);
      } else {
        AfterTls(now);  // opportunistic: continue without TLS
      }
      return;
    case CommandKind::kMailFrom:
    case CommandKind::kRcptTo:
    case CommandKind::kData:
    case CommandKind::kBdat:
    case CommandKind::kRset:
      OnTransactionReply(r, now);
      return;
    case CommandKind::kNoop:
      // 421: the ConnectionClosed that follows reports it.
      if (reply.code() != 421) Emit(NoopDone{reply});
      return;
    default:
      return;
  }
}

void Session::OnConnectionClosed(const ConnectionClosed& closed, Instant now) {
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
      // server). MaybeStartTransaction starts nothing on a closed connection.
      FinishTransaction(*deliveries_.front(), now);
    }
  }
  absl::Status status = closed.status;
  SmtpError error = closed.error;
  if (session_error_.has_value()) {
    error = *session_error_;
    status = error.ToStatus();
  }
  if (!status.ok()) FailAllDeliveries(error);
  txn_.reset();
  close_status_ = status;
  state_ = status.ok() ? SessionState::kClosed : SessionState::kFailed;
  Emit(ConnectionClosed{status, status.ok() ? SmtpError() : error});
}

// --- Greeting, hello, STARTTLS, AUTH ------------------------------------------

void Session::SendHello(Instant now) {
  state_ = SessionState::kHello;
  if (options_.force_helo) {
    Submit(Helo{options_.ehlo_domain}, now, nullptr);
  } else {
    Submit(Ehlo{options_.ehlo_domain}, now, nullptr);
  }
}

void Session::AfterHello(Instant now) {
  if (connection_.tls() == nullptr && !tls_attempted_ &&
      options_.tls_mode != TlsMode::kNone &&
      options_.tls_mode != TlsMode::kImplicit) {
    bool offered = connection_.capabilities().starttls();
    if (offered || options_.tls_mode == TlsMode::kRequired) {
      // kRequired sends STARTTLS even when not advertised: the server's
      // refusal is then the error (never a silent plaintext fallback).
      tls_attempted_ = true;
      state_ = SessionState::kStartTls;
      Submit(StartTls{}, now, nullptr);
      return;
    }
  }
  AfterTls(now);
}

void Session::AfterTls(Instant now) {
  if (options_.tls_mode == TlsMode::kRequired &&
      connection_.tls() == nullptr) {
    FailSession(SessionFailure(ErrorDetail::kTlsRequired,
                               absl::StatusCode::kFailedPrecondition,
                               CommandKind::kStartTls,
                               "TLS is required but was not established"),
                true, now);
    return;
  }
  if (options_.auth && connection_.authenticated().empty()) {
    StartAuthentication(now);
    return;
  }
  BecomeReady(now);
}

void Session::StartAuthentication(Instant now) {
  const Capabilities& caps = connection_.capabilities();
  // Both kNeedsAuth refusals are AuthFailed events (core/event.h) before
  // the session fails, like every other authentication failure.
  auto needs_auth = [this, now](const char* what) {
    SmtpError error = SessionFailure(ErrorDetail::kNeedsAuth,
                                     absl::StatusCode::kFailedPrecondition,
                                     CommandKind::kAuth, what);
    Emit(AuthFailed{error});
    FailSession(std::move(error), true, now);
  };
  if (!caps.has("AUTH")) {
    needs_auth("authentication configured, but the server does not offer "
               "AUTH");
    return;
  }
  std::unique_ptr<SaslMechanism> mechanism =
      options_.auth(caps, connection_.tls());
  if (mechanism == nullptr) {
    needs_auth("no acceptable SASL mechanism among the server's AUTH list");
    return;
  }
  state_ = SessionState::kAuth;
  absl::StatusOr<CommandId> id =
      connection_.Submit(Auth{std::move(mechanism)}, now);
  if (!id.ok()) {
    SmtpError error = SmtpError::FromStatus(id.status(), CommandKind::kAuth);
    Emit(AuthFailed{error});
    FailSession(std::move(error), true, now);
  }
}

void Session::BecomeReady(Instant now) {
  state_ = SessionState::kReady;
  if (!ready_emitted_) {
    ready_emitted_ = true;
    Emit(SessionReady{});
  }
  MaybeStartTransaction(now);
}

// --- Deliveries ----------------------------------------------------------------

absl::StatusOr<DeliveryId> Session::Enqueue(Envelope envelope, absl::Cord body,
                                            bool streamed, Instant now) {
  if (state_ == SessionState::kFailed) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kBroken,
                     absl::StrCat("the session failed: ",
                                  close_status_.message()));
  }
  if (close_requested_ || state_ == SessionState::kClosed ||
      state_ == SessionState::kQuitting) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kClosed, "the session is closing");
  }
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
  if (!streamed) {
    d->scan.Add(d->body);
    d->scan.Finish();
  }
  for (size_t i = 0; i < envelope.recipients.size(); ++i) {
    RecipientResult rr;
    rr.address = envelope.recipients[i].address;
    d->result.recipients.push_back(std::move(rr));
    d->remaining.push_back(i);
  }
  d->envelope = std::move(envelope);
  DeliveryId id = d->id;
  deliveries_.push_back(std::move(d));
  MaybeStartTransaction(now);
  return id;
}

absl::StatusOr<DeliveryId> Session::Deliver(Envelope envelope, absl::Cord body,
                                            Instant now) {
  return Enqueue(std::move(envelope), std::move(body), false, now);
}

absl::StatusOr<DeliveryId> Session::StartDelivery(Envelope envelope,
                                                  Instant now) {
  return Enqueue(std::move(envelope), absl::Cord(), true, now);
}

absl::Status Session::AppendBody(DeliveryId id, absl::Cord chunk, bool last,
                                 Instant now) {
  Delivery* d = nullptr;
  for (auto& q : deliveries_) {
    if (q->id == id) d = q.get();
  }
  if (d == nullptr || !d->streamed || d->body_complete) {
    return WrongStateError("no open streamed delivery with this id");
  }
  // Scan on a copy: a refused chunk leaves the delivery as it was.
  BodyScan scan = d->scan;
  scan.Add(chunk);
  if (last) scan.Finish();
  const bool binary = d->envelope.mail.body == BodyType::kBinaryMime;
  if (!binary && options_.line_endings == LineEndingPolicy::kReject &&
      scan.bare_line_endings() > d->scan.bare_line_endings()) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kBareLineEnding,
                     "body chunk with a bare CR or LF (line_endings is "
                     "reject)");
  }
  const bool front = !deliveries_.empty() && deliveries_.front().get() == d;
  if (scan.eight_bit && d->prechecked && !binary &&
      d->mail.body != BodyType::k8BitMime &&
      d->mail.body != BodyType::kBinaryMime) {
    // MAIL went out without BODY=8BITMIME (the server lacks it, or the
    // envelope said 7BIT): never send 8-bit octets unannounced (RFC 6152
    // §3). The delivery fails.
    return Refuse8BitChunk(*d, front, now);
  }
  const bool in_flight = txn_ != nullptr && front && txn_->body_submitted &&
                         !txn_->data_final && !txn_->mail_failed &&
                         !txn_->abandoned;
  if (in_flight) {
    if (d->use_bdat) {
      Bdat bdat{chunk, last, !d->binary};
      absl::StatusOr<CommandId> sub = connection_.Submit(std::move(bdat), now);
      if (!sub.ok()) return sub.status();
      txn_->sent.push_back({*sub, CommandKind::kBdat, 0, last});
      ++txn_->outstanding;
    } else {
      absl::Status s = connection_.AppendBody(txn_->data_id, chunk, last, now);
      if (!s.ok() && GetErrorDetail(s) != ErrorDetail::kWrongState) return s;
    }
  }
  d->body.Append(std::move(chunk));
  d->scan = scan;
  if (last) d->body_complete = true;
  Pump(now);
  return absl::OkStatus();
}

absl::Status Session::Refuse8BitChunk(Delivery& d, bool front, Instant now) {
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
    // session fails too, and later deliveries with it.
    txn_.reset();
    FailFrontDelivery(error, now);
    SmtpError session = error;
    session.what =
        "connection dropped to cancel a DATA transaction whose streamed body "
        "turned out 8-bit without BODY=8BITMIME";
    FailSession(std::move(session), /*send_quit=*/false, now);
    Pump(now);
    return status;
  }
  // Nothing of the body was sent (or only BDAT chunks, which RSET discards,
  // RFC 3030 §4): fail this delivery and reset once the replies are in.
  AbandonTransaction(std::move(error));
  MaybeFinishTransaction(now);
  Pump(now);
  return status;
}

absl::Status Session::Close(Instant now) {
  if (state_ == SessionState::kFailed) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kBroken,
                     absl::StrCat("the session failed: ",
                                  close_status_.message()));
  }
  if (close_requested_) return absl::OkStatus();
  close_requested_ = true;
  if (state_ == SessionState::kReady && deliveries_.empty()) SendQuit(now);
  Pump(now);
  return absl::OkStatus();
}

absl::Status Session::Noop(Instant now) {
  if (state_ == SessionState::kFailed) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kBroken,
                     absl::StrCat("the session failed: ",
                                  close_status_.message()));
  }
  if (close_requested_ || state_ == SessionState::kClosed ||
      state_ == SessionState::kQuitting) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kClosed, "the session is closing");
  }
  ++noops_wanted_;
  MaybeStartTransaction(now);
  Pump(now);
  return absl::OkStatus();
}

void Session::SendNoops(Instant now) {
  while (noops_wanted_ > 0 && !connection_.closed()) {
    --noops_wanted_;
    if (!Submit(smtpcore::Noop{}, now, nullptr)) return;
  }
}

void Session::SendQuit(Instant now) {
  if (quit_sent_ || connection_.closed()) return;
  quit_sent_ = true;
  state_ = SessionState::kQuitting;
  absl::StatusOr<CommandId> id = connection_.Submit(Quit{}, now);
  if (!id.ok()) {
    connection_.Abort(id.status(), now);
  }
}

void Session::MaybeStartTransaction(Instant now) {
  if (connection_.closed()) return;  // ConnectionClosed fails the rest
  // NOOPs requested with `Noop` go out whenever the session is idle, before
  // the next transaction or QUIT.
  if (state_ == SessionState::kReady && txn_ == nullptr) SendNoops(now);
  while (state_ == SessionState::kReady && txn_ == nullptr) {
    if (deliveries_.empty()) {
      if (close_requested_) SendQuit(now);
      return;
    }
    Delivery& d = *deliveries_.front();
    if (!d.prechecked) {
      absl::Status s = Precheck(d);
      if (s.ok()) {
        // The parameters added by Precheck must still fit the line limit:
        // a local refusal of this message, not a session failure.
        std::string line;
        s = SerializeCommand(MailFrom{d.envelope.from, d.mail}, &line);
      }
      if (!s.ok()) {
        SmtpError e = SmtpError::FromStatus(s, CommandKind::kMailFrom);
        e.permanent = true;
        FailFrontDelivery(std::move(e), now);
        continue;
      }
      d.prechecked = true;
    }
    StartTransaction(d, now);
    return;
  }
}

absl::Status Session::Precheck(Delivery& d) const {
  const Capabilities& caps = connection_.capabilities();
  MailParams mail = d.envelope.mail;
  // SMTPUTF8 (RFC 6531 §3.4): non-ASCII addresses need the extension.
  bool utf8 = mail.smtputf8 || !IsAscii(d.envelope.from);
  for (const Recipient& r : d.envelope.recipients) {
    if (!IsAscii(r.address)) utf8 = true;
  }
  if (utf8) {
    if (!caps.smtputf8()) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       ErrorDetail::kNeedsSmtpUtf8,
                       "internationalized address, but the server does not "
                       "offer SMTPUTF8 (RFC 6531)");
    }
    mail.smtputf8 = true;
  }
  // BODY= (RFC 6152, RFC 3030). A streamed body is judged by the chunks
  // received so far (AppendBody refuses later 8-bit chunks if MAIL then
  // went out without BODY=8BITMIME).
  const bool eight_bit = d.scan.eight_bit;
  if (mail.body == BodyType::kBinaryMime) {
    if (!caps.binary_mime() || !caps.chunking() || !options_.chunking) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       ErrorDetail::kNeedsBinaryMime,
                       "binary body, but the server does not offer "
                       "BINARYMIME and CHUNKING (RFC 3030)");
    }
    d.binary = true;
  } else if (eight_bit || mail.body == BodyType::k8BitMime) {
    if (!caps.eight_bit_mime()) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       ErrorDetail::kNeeds8BitMime,
                       "8-bit body, but the server does not offer 8BITMIME "
                       "(RFC 6152)");
    }
    mail.body = BodyType::k8BitMime;
  } else if (!mail.body.has_value() && d.streamed && caps.eight_bit_mime()) {
    mail.body = BodyType::k8BitMime;  // unknown content: the safe label
  }
  // Bare CR/LF under LineEndingPolicy::kReject: refused here, before MAIL,
  // rather than by the DATA/BDAT submit after MAIL and RCPT went out. A
  // BINARYMIME body is sent as is (RFC 3030 §3), so it has no bare line
  // endings to refuse.
  if (!d.binary && options_.line_endings == LineEndingPolicy::kReject &&
      d.scan.bare_line_endings() > 0) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kBareLineEnding,
                     absl::StrCat("body has ", d.scan.bare_line_endings(),
                                  " bare CR or LF (line_endings is reject)"));
  }
  const bool use_bdat = d.binary || (options_.chunking && caps.chunking());
  // SIZE (RFC 1870): declare and pre-check. RFC 1870 §3 counts the octets
  // transmitted after the 354, CRLF pairs included, but not the final "."
  // or the stuffed dots: each bare CR or LF that is normalised to CRLF adds
  // one, and so do the two octets of the CRLF that ends a last line without
  // one: DATA sends it before the "." (the end-of-data marker is then
  // "\r\n.\r\n") and BDAT appends it to the LAST chunk, so that both
  // store the same message. A BINARYMIME body goes out unchanged. Streamed
  // bodies are not known yet: SIZE only if the envelope sets it.
  if (caps.size_advertised()) {
    if (!mail.size.has_value() && !d.streamed) {
      if (d.binary) {
        mail.size = d.scan.size;
      } else {
        mail.size = d.scan.wire_size() + (d.scan.open_line ? 2 : 0);
      }
    }
    absl::optional<uint64_t> limit = caps.size_limit();
    if (mail.size.has_value() && limit.has_value() && *mail.size > *limit) {
      return MakeError(absl::StatusCode::kInvalidArgument,
                       ErrorDetail::kMessageTooLarge,
                       absl::StrCat("message of ", *mail.size,
                                    " octets exceeds the server's SIZE limit "
                                    "of ",
                                    *limit, " (RFC 1870)"));
    }
  } else {
    mail.size.reset();
  }
  // REQUIRETLS (RFC 8689 §4.1).
  if (mail.requiretls &&
      (connection_.tls() == nullptr || !caps.requiretls())) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kNeedsRequireTls,
                     "REQUIRETLS needs TLS and a server offering REQUIRETLS "
                     "(RFC 8689)");
  }
  // DSN parameters only to servers that offer DSN (RFC 3461 §4).
  if (!caps.dsn()) {
    mail.ret.reset();
    mail.envid.reset();
    d.strip_dsn = true;
  }
  d.mail = std::move(mail);
  d.use_bdat = use_bdat;
  return absl::OkStatus();
}

void Session::StartTransaction(Delivery& d, Instant now) {
  const Capabilities& caps = connection_.capabilities();
  SmtpLimits limits = caps.limits();
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
    FinishDelivery(now);
    return;
  }
  txn_ = std::make_unique<Transaction>();
  Transaction& t = *txn_;
  t.number = ++d.result.transactions;
  ++mail_transactions_;
  state_ = SessionState::kTransaction;
  // Pick the recipients: RCPTMAX per transaction, RCPTDOMAINMAX distinct
  // domains (RFC 9422 §5.2, §5.3).
  std::vector<std::string> domains;
  std::vector<size_t> rest;
  for (size_t index : d.remaining) {
    bool fits = !limits.rcptmax.has_value() || t.rcpts.size() < *limits.rcptmax;
    if (fits && limits.rcptdomainmax.has_value()) {
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
    submitted = Submit(MailFrom{d.envelope.from, d.mail}, now, &mail_id);
  }
  if (submitted) {
    t.sent.push_back({mail_id, CommandKind::kMailFrom});
    ++t.outstanding;
    if (connection_.pipelining_active()) {
      // RFC 2920: MAIL, every RCPT and DATA (or BDAT) in one write.
      SubmitRecipients(d, now);
      if (!t.abandoned) SubmitBody(d, now);
    }
  }
  MaybeFinishTransaction(now);
}

void Session::SubmitRecipients(Delivery& d, Instant now) {
  Transaction& t = *txn_;
  for (size_t index : t.rcpts) {
    Recipient r = d.envelope.recipients[index];
    if (d.strip_dsn) {
      r.params.notify = kNotifyDefault;
      r.params.orcpt.reset();
    }
    CommandId id = 0;
    if (!Submit(RcptTo{r.address, r.params}, now, &id)) return;
    t.sent.push_back({id, CommandKind::kRcptTo, index});
    ++t.outstanding;
  }
}

void Session::SubmitBody(Delivery& d, Instant now) {
  Transaction& t = *txn_;
  t.body_submitted = true;
  CommandId id = 0;
  if (d.use_bdat) {
    const bool normalize = !d.binary;
    if (!d.body_complete) {
      if (!d.body.empty()) {
        if (!Submit(Bdat{d.body, false, normalize}, now, &id)) return;
        t.sent.push_back({id, CommandKind::kBdat, 0, false});
        ++t.outstanding;
      }
      return;  // AppendBody sends the following chunks
    }
    if (!Submit(Bdat{d.body, true, normalize}, now, &id)) return;
    t.sent.push_back({id, CommandKind::kBdat, 0, true});
    ++t.outstanding;
    return;
  }
  if (!Submit(Data{d.body, !d.body_complete}, now, &id)) return;
  t.data_id = id;
  t.sent.push_back({id, CommandKind::kData});
  ++t.outstanding;
}

void Session::AbandonTransaction(SmtpError error) {
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

void Session::MaybeFinishTransaction(Instant now) {
  if (txn_ == nullptr || deliveries_.empty()) return;
  const Transaction& t = *txn_;
  if (t.outstanding != 0) return;
  const bool done =
      t.abandoned || t.mail_failed ||
      (t.rcpt_replies == t.rcpts.size() && (t.data_final || !t.body_submitted));
  if (done) FinishTransaction(*deliveries_.front(), now);
}

void Session::OnTransactionReply(const ReplyReceived& r, Instant now) {
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
      } else if (!connection_.pipelining_active() && !t.abandoned) {
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
      } else if (code == 452 || code == 552) {
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
      if (!connection_.pipelining_active() &&
          t.rcpt_replies == t.rcpts.size()) {
        if (!t.accepted.empty()) {
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
      Reply final_reply = t.bdat_failure.has_value() ? *t.bdat_failure : reply;
      const bool delivered = final_reply.code() >= 200 &&
                             final_reply.code() < 300;
      for (size_t index : t.accepted) {
        RecipientResult& rr = d.result.recipients[index];
        rr.data_reply = final_reply;
        rr.status = StatusForReply(final_reply);
      }
      if (!delivered) {
        need_rset_ = true;
        if (!t.accepted.empty()) {
          d.error = SmtpError::FromReply(sent.kind, final_reply.view());
        }
      }
      Emit(TransactionComplete{d.id, final_reply, t.accepted.size(),
                               t.rejected});
      break;
    }
    default:
      break;
  }
  MaybeFinishTransaction(now);
}

void Session::FinishTransaction(Delivery& d, Instant now) {
  std::unique_ptr<Transaction> t = std::move(txn_);
  state_ = SessionState::kReady;
  if (t->mail_failed || t->abandoned) {
    // MAIL refused, or a local refusal: the whole delivery fails with that
    // reply or error.
    RecipientStatus status = d.error.has_value() && d.error->permanent
                                 ? RecipientStatus::kRejected
                                 : RecipientStatus::kDeferred;
    for (RecipientResult& rr : d.result.recipients) {
      if (rr.status == RecipientStatus::kPending) rr.status = status;
    }
    d.remaining.clear();
    FinishDelivery(now);
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
    FinishDelivery(now);
    return;
  }
  StartTransaction(d, now);
}

void Session::FinishDelivery(Instant now) {
  std::unique_ptr<Delivery> d = std::move(deliveries_.front());
  deliveries_.pop_front();
  txn_.reset();
  for (RecipientResult& rr : d->result.recipients) {
    if (rr.status == RecipientStatus::kPending) {
      rr.status = RecipientStatus::kDeferred;
    }
  }
  if (d->result.delivered() > 0) {
    Emit(DeliveryDone{d->id, std::move(d->result)});
  } else {
    SmtpError error = d->error.value_or(SmtpError());
    error.permanent = d->result.deferred() == 0;
    Emit(DeliveryFailed{d->id, std::move(error), std::move(d->result)});
  }
  if (state_ == SessionState::kTransaction) state_ = SessionState::kReady;
  if (state_ == SessionState::kReady) MaybeStartTransaction(now);
}

void Session::FailFrontDelivery(SmtpError error, Instant now) {
  std::unique_ptr<Delivery> d = std::move(deliveries_.front());
  deliveries_.pop_front();
  RecipientStatus status = error.permanent ? RecipientStatus::kRejected
                                           : RecipientStatus::kDeferred;
  for (RecipientResult& rr : d->result.recipients) {
    if (rr.status == RecipientStatus::kPending) rr.status = status;
  }
  Emit(DeliveryFailed{d->id, std::move(error), std::move(d->result)});
}

void Session::FailAllDeliveries(const SmtpError& error) {
  txn_.reset();
  while (!deliveries_.empty()) {
    std::unique_ptr<Delivery> d = std::move(deliveries_.front());
    deliveries_.pop_front();
    for (RecipientResult& rr : d->result.recipients) {
      if (rr.status == RecipientStatus::kPending) {
        rr.status = RecipientStatus::kDeferred;
      }
    }
    SmtpError e = error;
    e.permanent = false;
    Emit(DeliveryFailed{d->id, std::move(e), std::move(d->result)});
  }
}

void Session::FailSession(SmtpError error, bool send_quit, Instant now) {
  if (session_error_.has_value() || connection_.closed()) return;
  session_error_ = error;
  FailAllDeliveries(error);
  if (send_quit) {
    SendQuit(now);
  } else {
    connection_.Abort(error.ToStatus(), now);
  }
}

}  // namespace smtpcore
