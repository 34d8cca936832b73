#include "core/connection.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

// Static storage for the lone end-of-data marker of a suppressed body
// (rule 4): slices may point here for the connection's whole life.
constexpr absl::string_view kLoneDot = ".\r\n";

// IsGroupEnd: commands after which nothing may be pipelined until their
// final reply (RFC 2920 §3.1; STARTTLS RFC 3207 §4; AUTH RFC 4954 §4).
bool IsGroupEnd(CommandKind kind) {
  switch (kind) {
    case CommandKind::kMailFrom:
    case CommandKind::kRcptTo:
    case CommandKind::kRset:
    case CommandKind::kBdat:
      return false;
    default:
      return true;
  }
}

ErrorDetail DetailForReplyError(ReplyError error) {
  switch (error) {
    case ReplyError::kCodeMismatch: return ErrorDetail::kReplyCodeMismatch;
    case ReplyError::kLineTooLong: return ErrorDetail::kReplyLineTooLong;
    case ReplyError::kTooManyLines: return ErrorDetail::kReplyTooManyLines;
    case ReplyError::kReplyTooLarge: return ErrorDetail::kReplyTooLarge;
    default: return ErrorDetail::kMalformedReply;
  }
}

// LocalFailure makes the SmtpError for a failure without a reply.
SmtpError LocalFailure(absl::StatusCode code, ErrorDetail detail,
                       CommandKind command, std::string what) {
  SmtpError e;
  e.command = command;
  e.cause = detail;
  e.status_code = code;
  e.permanent = !(code == absl::StatusCode::kUnavailable ||
                  code == absl::StatusCode::kDeadlineExceeded);
  e.what = std::move(what);
  return e;
}

}  // namespace

absl::string_view ConnectionStateName(ConnectionState state) {
  switch (state) {
    case ConnectionState::kAwaitingGreeting: return "awaiting_greeting";
    case ConnectionState::kReady: return "ready";
    case ConnectionState::kTlsHandshake: return "tls_handshake";
    case ConnectionState::kQuitting: return "quitting";
    case ConnectionState::kClosed: return "closed";
    case ConnectionState::kBroken: return "broken";
  }
  return "unknown";
}

// BodyPart is one body chunk: the Cord (kept at a stable address) and the
// encoded slices pointing into it or into static storage.
struct Connection::BodyPart {
  std::unique_ptr<absl::Cord> owner;
  std::vector<IoSlice> slices;
};

// Pending is one submitted command, from Submit to its final reply.
struct Connection::Pending {
  CommandId id = 0;
  CommandKind kind = CommandKind::kNoop;
  std::string line;        // serialized line, until transmitted
  std::string trace_line;  // redacted form for Trace
  // end_offset: transmit offset just past this command's last byte (line,
  // BDAT payload or DATA terminator); 0 while unknown.
  uint64_t end_offset = 0;

  // AUTH.
  std::unique_ptr<SaslExchange> sasl;

  // DATA / BDAT.
  std::unique_ptr<DotStuffer> stuffer;  // DATA only
  std::vector<BodyPart> parts;          // encoded, not yet queued
  uint64_t body_bytes = 0;              // input octets so far
  bool more_body = false;               // DATA: chunks still to come
  bool got_354 = false;
  bool body_finished = false;           // terminator queued
  bool body_suppressed = false;         // rule 4
  bool bdat_last = false;
  // lmtp_replies_left: LMTP final replies still expected after the end of
  // data, counting the one being handled (rule 6); 0 until the first.
  size_t lmtp_replies_left = 0;
};

Connection::Connection(ConnectionOptions options, Instant now)
    : options_(std::move(options)), parser_(options_.reply_limits) {
  timer_.Set(TimerStage::kGreeting, now);
}

Connection::~Connection() = default;

// --- Getters ------------------------------------------------------------

bool Connection::pipelining_active() const {
  return options_.pipelining && capabilities_.pipelining();
}

bool Connection::idle() const {
  return pending_.empty() && held_.empty() && transmit_.empty();
}

absl::Status Connection::BrokenError() const {
  if (state_ == ConnectionState::kClosed) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kClosed, "the connection is closed");
  }
  return MakeError(absl::StatusCode::kFailedPrecondition, ErrorDetail::kBroken,
                   absl::StrCat("the connection failed earlier: ",
                                close_status_.message()));
}

CommandKind Connection::FrontKind() const {
  if (state_ == ConnectionState::kAwaitingGreeting) {
    return CommandKind::kGreeting;
  }
  if (!pending_.empty()) return pending_.front()->kind;
  if (state_ == ConnectionState::kTlsHandshake) return CommandKind::kStartTls;
  return CommandKind::kNoop;
}

// --- Events -------------------------------------------------------------

void Connection::Emit(Event event) { events_.push_back(std::move(event)); }

absl::optional<Event> Connection::PollEvent() {
  if (events_.empty()) return absl::nullopt;
  Event event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void Connection::TraceLine(bool from_client, std::string line) {
  if (!options_.trace) return;
  Emit(Trace{from_client, std::move(line)});
}

void Connection::TraceReply(const ReplyView& reply, bool redact) {
  if (!options_.trace) return;
  if (redact) {
    TraceLine(false, absl::StrCat(reply.code(), " <redacted>"));
    return;
  }
  for (absl::string_view line :
       absl::StrSplit(reply.raw(), '\n', absl::SkipEmpty())) {
    absl::ConsumeSuffix(&line, "\r");
    TraceLine(false, std::string(line));
  }
}

// --- Commands -----------------------------------------------------------

absl::StatusOr<CommandId> Connection::Submit(Command command, Instant now) {
  if (closed()) return BrokenError();
  if (state_ == ConnectionState::kAwaitingGreeting) {
    return WrongStateError("wait for the greeting before submitting commands");
  }
  if (state_ == ConnectionState::kTlsHandshake) {
    return WrongStateError("TLS handshake in progress");
  }
  if (state_ == ConnectionState::kQuitting) {
    return WrongStateError("QUIT already submitted");
  }
  auto p = std::make_unique<Pending>();
  p->kind = KindOf(command);
  absl::Status s;
  switch (p->kind) {
    case CommandKind::kStartTls:
      if (tls_.has_value()) return WrongStateError("TLS is already active");
      s = SerializeCommand(command, &p->line, options_.max_command_line);
      p->trace_line = "STARTTLS";
      break;
    case CommandKind::kAuth: {
      Auth& auth = std::get<Auth>(command);
      if (auth.mechanism == nullptr) {
        return LocalError(ErrorDetail::kInvalidArgument,
                          "AUTH without a mechanism");
      }
      if (!tls_.has_value() && !options_.allow_insecure_auth) {
        return MakeError(absl::StatusCode::kPermissionDenied,
                         ErrorDetail::kInsecureAuth,
                         "refusing AUTH without TLS (allow_insecure_auth is "
                         "off)");
      }
      if (!authenticated_.empty()) {
        return WrongStateError("already authenticated (RFC 4954 §4)");
      }
      for (const auto& q : held_) {
        if (q->kind == CommandKind::kAuth) {
          return WrongStateError("AUTH already in progress");
        }
      }
      for (const auto& q : pending_) {
        if (q->kind == CommandKind::kAuth) {
          return WrongStateError("AUTH already in progress");
        }
      }
      auto exchange = std::make_unique<SaslExchange>(
          std::move(auth.mechanism), options_.max_auth_challenges,
          auth.renew_on_refusal);
      s = exchange->Start(tls(), options_.max_command_line, &p->line);
      if (!s.ok()) return s;
      // "AUTH MECH ir": the initial response is a secret.
      std::vector<absl::string_view> words =
          absl::StrSplit(absl::StripSuffix(p->line, "\r\n"), ' ');
      p->trace_line = absl::StrCat("AUTH ", exchange->mechanism_name(),
                                   words.size() > 2 ? " <redacted>" : "");
      p->sasl = std::move(exchange);
      break;
    }
    case CommandKind::kData:
      if (open_data_ != 0) {
        return WrongStateError("the previous DATA body is still open");
      }
      s = SerializeCommand(command, &p->line, options_.max_command_line);
      if (s.ok()) s = PrepareData(*p, std::get<Data>(command));
      p->trace_line = "DATA";
      break;
    case CommandKind::kBdat:
      if (open_data_ != 0) {
        return WrongStateError("a DATA body is still open");
      }
      s = PrepareBdat(*p, std::get<Bdat>(command));
      break;
    default:
      s = SerializeCommand(command, &p->line, options_.max_command_line);
      p->trace_line = std::string(absl::StripSuffix(p->line, "\r\n"));
      break;
  }
  if (!s.ok()) return s;
  p->id = next_id_++;
  CommandId id = p->id;
  if (p->kind == CommandKind::kData && p->more_body) open_data_ = id;
  if (p->kind == CommandKind::kQuit) state_ = ConnectionState::kQuitting;
  if (p->kind == CommandKind::kMailFrom || p->kind == CommandKind::kRset) {
    bdat_stuffer_.reset();  // a new message starts
  }
  held_.push_back(std::move(p));
  PumpHeld(now);
  UpdateTimer(now);
  return id;
}

absl::Status Connection::EncodeInto(DotStuffer& stuffer,
                                    std::unique_ptr<absl::Cord> cord,
                                    bool last, uint64_t slice_hint,
                                    BodyPart* out) {
  // The DotStuffer decides everything about the body's bytes, all or
  // nothing: on error `stuffer` is unchanged.
  DotStuffer trial = stuffer;
  std::vector<IoSlice> slices;
  // A capacity hint only (Data::slice_hint), capped so that a wrong hint
  // cannot ask for more than a slice per input octet plus the tail.
  if (slice_hint > 0) {
    slices.reserve(static_cast<size_t>(
        std::min<uint64_t>(slice_hint, uint64_t{2} * cord->size() + 2)));
  }
  absl::Status s = trial.EncodeCord(*cord, &slices);
  if (s.ok() && last) s = trial.CheckFinish();
  if (!s.ok()) return s;
  stuffer = trial;
  out->owner = std::move(cord);
  out->slices = std::move(slices);
  return absl::OkStatus();
}

absl::Status Connection::CheckEncoded(const EncodedBody& encoded, bool data,
                                      bool normalize) const {
  const DotStufferOptions& o = encoded.options();
  if (encoded.spent()) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      "the encoded body was already sent");
  }
  const bool mode_ok =
      data ? o.stuff_dots && o.terminator
           : !o.stuff_dots && !o.terminator && o.normalize == normalize;
  if (!mode_ok) {
    return LocalError(ErrorDetail::kInvalidArgument,
                      data ? "the body was not encoded for DATA"
                           : "the body was not encoded for this BDAT");
  }
  // The same verdict as encoding the bytes here under this connection's
  // policy (EncodeInto): a bare CR or LF anywhere, or a final CR, refuses
  // the body. A pass-through BDAT (BINARYMIME) has no line endings to
  // judge.
  const bool judged = data || normalize;
  if (judged && options_.line_endings == LineEndingPolicy::kReject) {
    const DotStufferStats& st = encoded.stuffer().stats();
    if (st.bare_cr + st.bare_lf > 0) {
      return LocalError(ErrorDetail::kBareLineEnding,
                        "bare CR or LF in message body");
    }
    if (encoded.stuffer().pending_cr()) {
      return LocalError(ErrorDetail::kBareLineEnding,
                        "body ends with a bare CR (line_endings is reject)");
    }
  }
  return absl::OkStatus();
}

absl::Status Connection::PrepareData(Pending& p, Data& data) {
  if (data.encoded != nullptr) {
    if (!data.body.empty() || data.more_body) {
      return LocalError(ErrorDetail::kInvalidArgument,
                        "DATA with an encoded body takes no other bytes");
    }
    absl::Status s = CheckEncoded(*data.encoded, /*data=*/true,
                                  /*normalize=*/true);
    if (!s.ok()) return s;
    EncodedBody::Parts parts = data.encoded->Take();
    p.stuffer = std::make_unique<DotStuffer>(std::move(parts.stuffer));
    p.more_body = false;
    p.body_bytes = p.stuffer->stats().input_bytes;
    if (p.body_bytes > 0) {
      BodyPart part;
      part.owner = std::move(parts.owner);
      part.slices = std::move(parts.slices);
      p.parts.push_back(std::move(part));
    }
    return absl::OkStatus();
  }
  DotStufferOptions o;
  o.stuff_dots = true;
  o.terminator = true;
  o.line_endings = options_.line_endings;
  p.stuffer = std::make_unique<DotStuffer>(o);
  p.more_body = data.more_body;
  p.body_bytes = data.body.size();
  if (!data.body.empty()) {
    BodyPart part;
    absl::Status s = EncodeInto(
        *p.stuffer, std::make_unique<absl::Cord>(std::move(data.body)),
        !data.more_body, data.slice_hint, &part);
    if (!s.ok()) return s;
    p.parts.push_back(std::move(part));
  }
  return absl::OkStatus();
}

absl::Status Connection::PrepareBdat(Pending& p, Bdat& bdat) {
  if (bdat.encoded != nullptr) {
    if (!bdat.chunk.empty() || !bdat.last) {
      return LocalError(ErrorDetail::kInvalidArgument,
                        "an encoded body is a whole message: one BDAT LAST "
                        "without other bytes");
    }
    if (bdat_stuffer_ != nullptr) {
      return WrongStateError(
          "an encoded body cannot follow a BDAT chunk of the same message");
    }
    absl::Status s =
        CheckEncoded(*bdat.encoded, /*data=*/false, bdat.normalize);
    if (!s.ok()) return s;
    EncodedBody::Parts parts = bdat.encoded->Take();
    BodyPart part;
    part.owner = std::move(parts.owner);
    part.slices = std::move(parts.slices);
    parts.stuffer.Finish(&part.slices);
    const uint64_t size = TotalSize(part.slices);
    SerializeBdat(size, /*last=*/true, &p.line);
    p.trace_line = std::string(absl::StripSuffix(p.line, "\r\n"));
    p.body_bytes = size;
    p.bdat_last = true;
    p.parts.push_back(std::move(part));
    return absl::OkStatus();
  }
  if (bdat_stuffer_ == nullptr) {
    // One encoder for every BDAT chunk of the message: line-ending state
    // carries across chunks. Without `normalize` (BINARYMIME) it passes
    // the bytes through untouched (RFC 3030 §3).
    DotStufferOptions o;
    o.stuff_dots = false;
    o.terminator = false;
    o.normalize = bdat.normalize;
    o.line_endings =
        bdat.normalize ? options_.line_endings : LineEndingPolicy::kNormalize;
    bdat_stuffer_ = std::make_unique<DotStuffer>(o);
  }
  BodyPart part;
  absl::Status s =
      EncodeInto(*bdat_stuffer_,
                 std::make_unique<absl::Cord>(std::move(bdat.chunk)),
                 bdat.last, bdat.slice_hint, &part);
  if (!s.ok()) return s;
  if (bdat.last) {
    bdat_stuffer_->Finish(&part.slices);
    bdat_stuffer_.reset();
  }
  uint64_t size = TotalSize(part.slices);
  SerializeBdat(size, bdat.last, &p.line);
  p.trace_line = std::string(absl::StripSuffix(p.line, "\r\n"));
  p.body_bytes = size;
  p.bdat_last = bdat.last;
  p.parts.push_back(std::move(part));
  return absl::OkStatus();
}

Connection::Pending* Connection::FindCommand(CommandId id) {
  for (auto& p : pending_) {
    if (p->id == id) return p.get();
  }
  for (auto& p : held_) {
    if (p->id == id) return p.get();
  }
  return nullptr;
}

absl::Status Connection::AppendBody(CommandId id, absl::Cord chunk, bool last,
                                    Instant now) {
  if (closed()) return BrokenError();
  Pending* p = FindCommand(id);
  if (p == nullptr || p->kind != CommandKind::kData || !p->more_body) {
    return WrongStateError("no open DATA body with this id");
  }
  if (p->body_suppressed) {
    if (last) {
      p->more_body = false;
      open_data_ = 0;
    }
    return absl::OkStatus();
  }
  if (!chunk.empty() || last) {
    BodyPart part;
    const size_t size = chunk.size();
    absl::Status s = EncodeInto(
        *p->stuffer, std::make_unique<absl::Cord>(std::move(chunk)), last,
        /*slice_hint=*/0, &part);
    if (!s.ok()) return s;
    if (size > 0) {
      p->body_bytes += size;
      p->parts.push_back(std::move(part));
    }
  }
  if (last) {
    p->more_body = false;
    open_data_ = 0;
  }
  if (p->got_354) {
    QueueBodyParts(*p);
    if (!p->more_body) FinishBody(*p);
  }
  UpdateTimer(now);
  return absl::OkStatus();
}

// --- Transmission -------------------------------------------------------

bool Connection::CanTransmitNext() const {
  if (state_ != ConnectionState::kReady &&
      state_ != ConnectionState::kQuitting) {
    return false;
  }
  if (pending_.empty()) return true;
  if (!pipelining_active()) return false;
  for (const auto& p : pending_) {
    if (IsGroupEnd(p->kind)) return false;
  }
  return true;
}

void Connection::PumpHeld(Instant now) {
  bool moved = false;
  while (!held_.empty() && CanTransmitNext()) {
    std::unique_ptr<Pending> p = std::move(held_.front());
    held_.pop_front();
    Transmit(*p);
    pending_.push_back(std::move(p));
    moved = true;
  }
  if (moved) UpdateTimer(now);
}

void Connection::Transmit(Pending& p) {
  transmit_.AppendCopy(p.line);
  p.line.clear();
  p.line.shrink_to_fit();
  TraceLine(true, p.trace_line);
  if (p.kind == CommandKind::kBdat) {
    QueueBodyParts(p);
    TraceLine(true, absl::StrCat("<body ", p.body_bytes, " bytes>"));
  }
  p.end_offset = transmit_.queued_offset();
}

void Connection::QueueBodyParts(Pending& p) {
  for (BodyPart& part : p.parts) {
    transmit_.AppendBorrowed(part.slices, std::move(part.owner));
  }
  p.parts.clear();
  p.end_offset = transmit_.queued_offset();
}

void Connection::FinishBody(Pending& p) {
  if (p.body_finished) return;
  std::vector<IoSlice> tail;
  p.stuffer->Finish(&tail);
  transmit_.AppendBorrowed(tail, nullptr);
  p.body_finished = true;
  p.end_offset = transmit_.queued_offset();
  TraceLine(true, absl::StrCat("<body ", p.body_bytes, " bytes>"));
}

size_t Connection::PollTransmit(absl::Span<IoSlice> out) {
  if (closed()) return 0;
  return transmit_.Poll(out);
}

void Connection::ConsumeTransmit(size_t bytes_written, Instant now) {
  if (bytes_written == 0) return;
  if (transmit_.Consume(bytes_written) == 0) return;
  if (closed()) return;
  // Our writes are progress only while we are the ones sending: the body
  // (RFC 5321 §4.5.3.2.5, per send call), or lines nobody awaits a reply
  // to. A stage waiting for a reply is not extended by them
  // (core/timers.h).
  if (timer_.stage() == TimerStage::kDataBlock || pending_.empty()) {
    timer_.Touch(now);
  }
  UpdateTimer(now);
}

// --- Inputs -------------------------------------------------------------

absl::Status Connection::Receive(absl::string_view bytes, Instant now) {
  if (closed()) return BrokenError();
  if (bytes.empty()) return absl::OkStatus();
  // No timer restart here: bytes that do not complete a reply are not
  // progress (core/timers.h); HandleFinalReply restarts the clock.
  while (!bytes.empty()) {
    if (state_ == ConnectionState::kTlsHandshake) {
      Fail(LocalFailure(absl::StatusCode::kDataLoss,
                        ErrorDetail::kStartTlsInjection,
                        CommandKind::kStartTls,
                        absl::StrCat("server sent ", bytes.size(),
                                     " plaintext bytes after the 220 to "
                                     "STARTTLS (RFC 3207 §5, CVE-2011-0411)")),
           now);
      return close_status_;
    }
    ReplyView reply;
    ParseResult r = parser_.Parse(bytes, &reply);
    if (r.status == ParseStatus::kIncomplete) break;
    if (r.status == ParseStatus::kError) {
      ErrorDetail detail = DetailForReplyError(r.error);
      absl::StatusCode code = detail == ErrorDetail::kMalformedReply ||
                                      detail == ErrorDetail::kReplyCodeMismatch
                                  ? absl::StatusCode::kDataLoss
                                  : absl::StatusCode::kResourceExhausted;
      Fail(LocalFailure(code, detail, FrontKind(),
                        absl::StrCat("bad reply from the server (",
                                     ReplyErrorName(r.error), ")")),
           now);
      return close_status_;
    }
    bytes.remove_prefix(r.consumed);
    ProcessReply(reply, now);
    if (state_ == ConnectionState::kBroken) return close_status_;
    if (state_ == ConnectionState::kClosed) return absl::OkStatus();
  }
  PumpHeld(now);
  UpdateTimer(now);
  return absl::OkStatus();
}

void Connection::ProcessReply(const ReplyView& reply, Instant now) {
  if (state_ == ConnectionState::kAwaitingGreeting) {
    TraceReply(reply, false);
    HandleGreeting(reply, now);
    return;
  }
  if (pending_.empty()) {
    TraceReply(reply, false);
    if (reply.code() == 421) {
      Fail(SmtpError::FromReply(CommandKind::kNoop, reply), now);
    } else {
      Fail(LocalFailure(absl::StatusCode::kDataLoss,
                        ErrorDetail::kUnexpectedReply, CommandKind::kNoop,
                        absl::StrCat("unexpected reply ", reply.code(),
                                     " while no command was pending")),
           now);
    }
    return;
  }
  Pending& p = *pending_.front();
  if (p.kind == CommandKind::kAuth && reply.code() == 334) {
    TraceReply(reply, /*redact=*/true);
    // The kAuth stage bounds the whole exchange: a 334 does not restart it.
    HandleAuthChallenge(p, reply);
    return;
  }
  TraceReply(reply, false);
  if (p.kind == CommandKind::kData && !p.got_354 && reply.code() == 354) {
    HandleDataIntermediate(p, reply);
    timer_.Set(TimerStage::kDataBlock, now);
    return;
  }
  if (reply.code() >= 300 && reply.code() < 400) {
    // RFC 5321 §4.2.1: 3yz replies are intermediate, never final; the only
    // ones expected are the 354 to DATA (once) and AUTH's 334 (RFC 4954
    // §4). Taken as final, a second 354 left DATA without a reply to wait
    // for and the session waiting forever with no deadline.
    Fail(LocalFailure(absl::StatusCode::kDataLoss,
                      ErrorDetail::kUnexpectedReply, p.kind,
                      absl::StrCat("unexpected intermediate reply ",
                                   reply.code(), " to ",
                                   CommandKindName(p.kind))),
         now);
    return;
  }
  HandleFinalReply(reply, now);
}

void Connection::HandleGreeting(const ReplyView& reply, Instant now) {
  greeting_ = reply.ToOwned();
  Emit(Greeting{greeting_});
  if (reply.code() == 220) {
    state_ = ConnectionState::kReady;
    timer_.Stop();
    return;
  }
  if (reply.code() == 421) {
    Fail(SmtpError::FromReply(CommandKind::kGreeting, reply), now);
    return;
  }
  if (reply.is_transient() || reply.is_permanent()) {
    // 554 (or another refusal): the server waits for QUIT (RFC 5321
    // §3.1); the caller sees the code in the Greeting event.
    state_ = ConnectionState::kReady;
    timer_.Stop();
    return;
  }
  Fail(LocalFailure(absl::StatusCode::kDataLoss, ErrorDetail::kUnexpectedReply,
                    CommandKind::kGreeting,
                    absl::StrCat("unexpected greeting code ", reply.code())),
       now);
}

void Connection::HandleAuthChallenge(Pending& p, const ReplyView& reply) {
  SaslExchange::Step step = p.sasl->OnChallenge(reply);
  transmit_.AppendCopy(step.line);
  TraceLine(true, step.cancelled ? "*" : "<redacted>");
  p.end_offset = transmit_.queued_offset();
}

void Connection::HandleDataIntermediate(Pending& p, const ReplyView& reply) {
  p.got_354 = true;
  Emit(ReplyReceived{p.id, p.kind, reply.ToOwned()});
  if (rcpt_accepted_ == 0) {
    // RFC 2920 §3.1: no recipient was accepted, yet DATA got 354: send an
    // empty message (a lone ".") so the server fails the transaction.
    p.body_suppressed = true;
    p.parts.clear();
    IoSlice dot{kLoneDot.data(), kLoneDot.size()};
    transmit_.AppendBorrowed(absl::MakeConstSpan(&dot, 1), nullptr);
    p.body_finished = true;
    p.end_offset = transmit_.queued_offset();
    TraceLine(true, ".");
    return;
  }
  QueueBodyParts(p);
  if (!p.more_body) FinishBody(p);
}

bool Connection::TakeLmtpReply(Pending& p, const ReplyView& reply,
                               Instant now) {
  const bool end_of_data = (p.kind == CommandKind::kData && p.got_354) ||
                           (p.kind == CommandKind::kBdat && p.bdat_last);
  if (!options_.lmtp || !end_of_data || reply.code() == 421) return false;
  if (p.lmtp_replies_left == 0) {
    // RFC 2033 §4.2 (DATA), §4.3 (BDAT LAST): one reply per RCPT accepted
    // in this transaction; one when none was (a suppressed body).
    p.lmtp_replies_left = std::max<size_t>(rcpt_accepted_, 1);
  }
  if (--p.lmtp_replies_left == 0) return false;  // the last: popped as usual
  Emit(ReplyReceived{p.id, p.kind, reply.ToOwned(), p.lmtp_replies_left});
  timer_.Touch(now);
  return true;
}

void Connection::HandleFinalReply(const ReplyView& reply, Instant now) {
  if (TakeLmtpReply(*pending_.front(), reply, now)) return;
  std::unique_ptr<Pending> p = std::move(pending_.front());
  pending_.pop_front();
  Reply owned = reply.ToOwned();
  Emit(ReplyReceived{p->id, p->kind, owned});
  const bool ok = reply.is_positive();
  switch (p->kind) {
    case CommandKind::kEhlo:
    case CommandKind::kLhlo:
      if (ok) {
        capabilities_ =
            Capabilities::Parse(reply, options_.capability_filter);
        esmtp_ = true;
        Emit(CapabilitiesUpdated{capabilities_, true});
      }
      break;
    case CommandKind::kHelo:
      if (ok) {
        capabilities_ = Capabilities();
        esmtp_ = false;
        Emit(CapabilitiesUpdated{capabilities_, false});
      }
      break;
    case CommandKind::kStartTls:
      if (reply.code() == 220) {
        state_ = ConnectionState::kTlsHandshake;
        capabilities_ = Capabilities();
        esmtp_ = false;
        Emit(TlsUpgradeRequired{});
        timer_.Set(TimerStage::kTlsHandshake, now);
      }
      break;
    case CommandKind::kAuth: {
      absl::Status s = p->sasl->OnFinal(reply);
      if (s.ok()) {
        authenticated_ = std::string(p->sasl->mechanism_name());
        Emit(Authenticated{authenticated_});
      } else if (GetErrorDetail(s) == ErrorDetail::kAuthFailed) {
        Emit(AuthFailed{SmtpError::FromReply(CommandKind::kAuth, reply,
                                             ErrorDetail::kAuthFailed),
                        p->sasl->credentials_renewed()});
      } else {
        Emit(AuthFailed{SmtpError::FromStatus(s, CommandKind::kAuth)});
      }
      break;
    }
    case CommandKind::kMailFrom:
      rcpt_accepted_ = 0;
      break;
    case CommandKind::kRcptTo:
      if (ok) ++rcpt_accepted_;
      break;
    case CommandKind::kData:
      rcpt_accepted_ = 0;
      if (open_data_ == p->id) open_data_ = 0;
      break;
    case CommandKind::kBdat:
      if (p->bdat_last) rcpt_accepted_ = 0;
      break;
    case CommandKind::kRset:
      rcpt_accepted_ = 0;
      break;
    case CommandKind::kQuit:
      CloseCleanly(now);
      return;
    default:
      break;
  }
  if (reply.code() == 421) {
    Fail(SmtpError::FromReply(p->kind, reply), now);
    return;
  }
  timer_.Touch(now);
}

absl::Status Connection::ReceiveEof(Instant now) {
  if (state_ == ConnectionState::kClosed) return absl::OkStatus();
  if (broken()) return close_status_;
  if (state_ == ConnectionState::kQuitting && !parser_.has_partial()) {
    // QUIT submitted: the server may close without (or before) its 221.
    bool quit_sent = false;
    for (const auto& p : pending_) {
      if (p->kind == CommandKind::kQuit) quit_sent = true;
    }
    if (quit_sent) {
      CloseCleanly(now);
      return absl::OkStatus();
    }
  }
  CommandKind kind = FrontKind();
  std::string what;
  if (parser_.has_partial()) {
    what = "server closed the connection in the middle of a reply";
  } else if (state_ == ConnectionState::kAwaitingGreeting) {
    what = "server closed the connection before its greeting";
  } else if (!pending_.empty()) {
    what = absl::StrCat("server closed the connection while waiting for the "
                        "reply to ",
                        CommandKindName(kind));
  } else {
    what = "server closed the connection";
  }
  Fail(LocalFailure(absl::StatusCode::kUnavailable,
                    ErrorDetail::kConnectionClosed, kind, std::move(what)),
       now);
  return close_status_;
}

void Connection::HandleTimeout(Instant now) {
  if (closed()) return;
  if (!timer_.Expired(options_.timeouts, now)) return;
  TimerStage stage = timer_.stage();
  Fail(LocalFailure(absl::StatusCode::kDeadlineExceeded, ErrorDetail::kTimeout,
                    FrontKind(),
                    absl::StrCat("timed out (stage ", TimerStageName(stage),
                                 ", limit ",
                                 absl::FormatDuration(
                                     options_.timeouts.For(stage)),
                                 ")")),
       now);
}

absl::Status Connection::OnTlsEstablished(TlsInfo info, Instant now) {
  if (state_ == ConnectionState::kAwaitingGreeting && !tls_.has_value()) {
    // Implicit TLS (RFC 8314 §3.3): TLS first, then the greeting.
    tls_ = info;
    Emit(TlsEstablished{std::move(info)});
    return absl::OkStatus();
  }
  if (state_ != ConnectionState::kTlsHandshake) {
    return WrongStateError("OnTlsEstablished without a pending TLS upgrade");
  }
  tls_ = info;
  state_ = ConnectionState::kReady;
  // RFC 3207 §4.2: forget everything learned before TLS.
  capabilities_ = Capabilities();
  esmtp_ = false;
  parser_.Reset();
  Emit(TlsEstablished{std::move(info)});
  timer_.Stop();
  PumpHeld(now);
  UpdateTimer(now);
  return absl::OkStatus();
}

void Connection::OnTlsFailed(absl::Status status, Instant now) {
  if (closed()) return;
  SmtpError e = SmtpError::FromStatus(status, CommandKind::kStartTls);
  if (e.cause == ErrorDetail::kNone) e.cause = ErrorDetail::kTlsHandshake;
  if (e.status_code == absl::StatusCode::kOk) {
    e.status_code = absl::StatusCode::kUnavailable;
  }
  e.permanent = false;
  if (e.what.empty()) e.what = "TLS handshake failed";
  Fail(std::move(e), now);
}

void Connection::Abort(absl::Status status, Instant now) {
  if (closed()) return;
  SmtpError e = SmtpError::FromStatus(status, FrontKind());
  if (e.cause == ErrorDetail::kNone) e.cause = ErrorDetail::kIo;
  if (e.status_code == absl::StatusCode::kOk) {
    e.status_code = absl::StatusCode::kUnavailable;
  }
  if (e.what.empty()) e.what = "aborted";
  Fail(std::move(e), now);
}

// --- Closing and timers -------------------------------------------------

void Connection::Fail(SmtpError error, Instant now) {
  if (closed()) return;
  if (error.cause != ErrorDetail::kServiceClosing) {
    // Whole messages the server may have taken without our hearing it.
    for (const auto& p : pending_) {
      const bool data_end =
          (p->kind == CommandKind::kData && p->got_354 && p->body_finished &&
           !p->body_suppressed) ||
          (p->kind == CommandKind::kBdat && p->bdat_last);
      if (data_end && transmit_.consumed_offset() >= p->end_offset) {
        unanswered_data_.push_back(p->id);
      }
    }
  }
  state_ = ConnectionState::kBroken;
  close_status_ = error.ToStatus();
  held_.clear();
  pending_.clear();
  open_data_ = 0;
  parser_.Reset();
  timer_.Stop();
  Emit(ConnectionClosed{close_status_, std::move(error)});
}

void Connection::CloseCleanly(Instant now) {
  state_ = ConnectionState::kClosed;
  held_.clear();
  pending_.clear();
  timer_.Stop();
  Emit(ConnectionClosed{absl::OkStatus(), SmtpError()});
}

void Connection::UpdateTimer(Instant now) {
  if (closed()) {
    timer_.Stop();
    return;
  }
  TimerStage stage = TimerStage::kNone;
  if (state_ == ConnectionState::kAwaitingGreeting) {
    stage = TimerStage::kGreeting;
  } else if (state_ == ConnectionState::kTlsHandshake) {
    stage = TimerStage::kTlsHandshake;
  } else if (!pending_.empty()) {
    const Pending& p = *pending_.front();
    if (BodyInFlight()) {
      // A pipelined BDAT payload (or a DATA body) is still being written:
      // the replies before it may be held back by the server until it has
      // read it (RFC 2920 §3.2), so our writes are the progress that
      // counts. The reply stage starts once the body is out.
      stage = TimerStage::kDataBlock;
    } else if (p.kind == CommandKind::kData && p.got_354) {
      stage = p.body_finished ? TimerStage::kDataTermination
                              : TimerStage::kDataBlock;  // awaiting chunks
    } else {
      stage = StageForReply(p.kind);
    }
  } else if (!transmit_.empty()) {
    stage = TimerStage::kOther;
  }
  if (stage == TimerStage::kNone) {
    timer_.Stop();
  } else if (stage != timer_.stage()) {
    timer_.Set(stage, now);
  }
}

bool Connection::BodyInFlight() const {
  for (const auto& p : pending_) {
    const bool body_queued = p->kind == CommandKind::kBdat ||
                             (p->kind == CommandKind::kData && p->got_354);
    if (body_queued && transmit_.consumed_offset() < p->end_offset) {
      return true;
    }
  }
  return false;
}

bool Connection::DataOutcomeUnknown(CommandId id) const {
  return std::find(unanswered_data_.begin(), unanswered_data_.end(), id) !=
         unanswered_data_.end();
}

absl::optional<Instant> Connection::NextDeadline() const {
  if (closed()) return absl::nullopt;
  return timer_.Deadline(options_.timeouts);
}

}  // namespace smtpcore
