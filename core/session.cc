#include "core/session.h"

#include <algorithm>
#include <string>
#include <utility>

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
  c.lmtp = o.lmtp;
  return c;
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

// ArgumentOf returns the argument of a queued request, for its event.
std::string ArgumentOf(const Command& command) {
  if (const auto* c = std::get_if<Vrfy>(&command)) return c->argument;
  if (const auto* c = std::get_if<Expn>(&command)) return c->argument;
  if (const auto* c = std::get_if<Help>(&command)) return c->argument;
  if (const auto* c = std::get_if<Etrn>(&command)) return c->node;
  return "";
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

Session::Session(SessionOptions options, Instant now)
    : options_(std::move(options)),
      connection_(ToConnectionOptions(options_), now),
      flow_(DeliveryFlowOptions{options_.chunking, options_.line_endings,
                                options_.max_transactions_per_delivery,
                                options_.lmtp, options_.idna,
                                options_.all_recipients_or_none,
                                options_.remember_last_body},
            &connection_, &events_) {}

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

absl::optional<CommandId> Session::Submit(Command command, Instant now) {
  CommandKind kind = KindOf(command);
  absl::StatusOr<CommandId> id = connection_.Submit(std::move(command), now);
  if (id.ok()) return *id;
  // ConnectionClosed follows on a closed connection; any other refusal of
  // a session command (EHLO, HELO, STARTTLS, NOOP, ...) ends the session.
  if (!connection_.closed()) {
    FailSession(SmtpError::FromStatus(id.status(), kind), true, now);
  }
  return absl::nullopt;
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
    if (f->credentials_renewed && !auth_retried_ && !connection_.closed()) {
      // Refused, but the mechanism renewed its credentials (a fresh OAuth
      // token): once more, on this connection (RFC 4954 §4 allows AUTH
      // again after a failed one).
      auth_retried_ = true;
      Emit(AuthRetry{std::move(error)});
      StartAuthentication(now);
      return;
    }
    Emit(AuthFailed{std::move(error)});
    FailSession(f->error, true, now);
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
        absl::StatusOr<std::string> name = HelloName();  // as for EHLO
        Submit(Helo{name.ok() ? *name : options_.ehlo_domain}, now);
      } else {
        FailSession(SmtpError::FromReply(CommandKind::kEhlo, reply.view()),
                    true, now);
      }
      return;
    case CommandKind::kHelo:
    case CommandKind::kLhlo:
      // No fallback from HELO, nor from LHLO (RFC 2033 §4.1: an LMTP
      // server takes no HELO/EHLO).
      if (!ok && !connection_.closed()) {
        FailSession(SmtpError::FromReply(r.kind, reply.view()), true, now);
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
      flow_.OnReply(r, now);
      AfterFlow(now);
      return;
    case CommandKind::kNoop:
      // 421: the ConnectionClosed that follows reports it.
      if (reply.code() != 421) Emit(NoopDone{reply});
      return;
    case CommandKind::kVrfy:
    case CommandKind::kExpn:
    case CommandKind::kHelp:
    case CommandKind::kEtrn:
      if (reply.code() != 421) OnServiceReply(r);
      return;
    default:
      return;
  }
}

void Session::OnConnectionClosed(const ConnectionClosed& closed, Instant now) {
  flow_.OnConnectionClosed(now);
  absl::Status status = closed.status;
  SmtpError error = closed.error;
  if (session_error_.has_value()) {
    error = *session_error_;
    status = error.ToStatus();
  }
  if (!status.ok()) flow_.FailAll(error);
  close_status_ = status;
  state_ = status.ok() ? SessionState::kClosed : SessionState::kFailed;
  Emit(ConnectionClosed{status, status.ok() ? SmtpError() : error});
}

// --- Greeting, hello, STARTTLS, AUTH ------------------------------------------

absl::StatusOr<std::string> Session::HelloName() {
  const std::string& name = options_.ehlo_domain;
  if (IsAscii(name) || !options_.idna) return name;
  // The greeting comes before any SMTPUTF8 negotiation: A-labels only
  // (RFC 5321 §2.3.5, RFC 6531 §3.2).
  absl::StatusOr<std::string> ascii = options_.idna(name);
  if (!ascii.ok()) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     ErrorDetail::kInvalidArgument,
                     absl::StrCat("EHLO name: ", ascii.status().message()));
  }
  return ascii;
}

void Session::SendHello(Instant now) {
  state_ = SessionState::kHello;
  absl::StatusOr<std::string> name = HelloName();
  if (!name.ok()) {
    CommandKind kind = options_.lmtp         ? CommandKind::kLhlo
                       : options_.force_helo ? CommandKind::kHelo
                                             : CommandKind::kEhlo;
    FailSession(SmtpError::FromStatus(name.status(), kind), true, now);
    return;
  }
  if (options_.lmtp) {
    Submit(Lhlo{*name}, now);
  } else if (options_.force_helo) {
    Submit(Helo{*name}, now);
  } else {
    Submit(Ehlo{*name}, now);
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
      Submit(StartTls{}, now);
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
  const bool renew = options_.renew_auth_credentials && !auth_retried_;
  absl::StatusOr<CommandId> id =
      connection_.Submit(Auth{std::move(mechanism), renew}, now);
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

absl::Status Session::CheckAcceptingWork() const {
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
  return absl::OkStatus();
}

absl::StatusOr<DeliveryId> Session::Deliver(Envelope envelope, absl::Cord body,
                                            Instant now) {
  absl::Status s = CheckAcceptingWork();
  if (!s.ok()) return s;
  absl::StatusOr<DeliveryId> id =
      flow_.Enqueue(std::move(envelope), std::move(body), false);
  if (id.ok()) MaybeStartTransaction(now);
  return id;
}

absl::StatusOr<DeliveryId> Session::StartDelivery(Envelope envelope,
                                                  Instant now) {
  absl::Status s = CheckAcceptingWork();
  if (!s.ok()) return s;
  absl::StatusOr<DeliveryId> id =
      flow_.Enqueue(std::move(envelope), absl::Cord(), true);
  if (id.ok()) MaybeStartTransaction(now);
  return id;
}

absl::Status Session::AppendBody(DeliveryId id, absl::Cord chunk, bool last,
                                 Instant now) {
  absl::Status s = flow_.AppendBody(id, std::move(chunk), last, now);
  if (absl::optional<SmtpError> failure = flow_.TakeSessionFailure()) {
    FailSession(*std::move(failure), /*send_quit=*/false, now);
  } else {
    AfterFlow(now);
  }
  Pump(now);
  return s;
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
  if (state_ == SessionState::kReady && flow_.queued() == 0) SendQuit(now);
  Pump(now);
  return absl::OkStatus();
}

absl::Status Session::Noop(Instant now) {
  absl::Status s = CheckAcceptingWork();
  if (!s.ok()) return s;
  idle_commands_.push_back(IdleCommand{0, smtpcore::Noop{}});
  MaybeStartTransaction(now);
  Pump(now);
  return absl::OkStatus();
}

absl::StatusOr<RequestId> Session::Vrfy(std::string argument, Instant now) {
  return QueueRequest(smtpcore::Vrfy{std::move(argument)}, now);
}

absl::StatusOr<RequestId> Session::Expn(std::string argument, Instant now) {
  return QueueRequest(smtpcore::Expn{std::move(argument)}, now);
}

absl::StatusOr<RequestId> Session::Help(std::string topic, Instant now) {
  return QueueRequest(smtpcore::Help{std::move(topic)}, now);
}

absl::StatusOr<RequestId> Session::Etrn(std::string node, Instant now) {
  return QueueRequest(smtpcore::Etrn{std::move(node)}, now);
}

absl::StatusOr<RequestId> Session::QueueRequest(Command command,
                                                Instant now) {
  absl::Status s = CheckAcceptingWork();
  if (!s.ok()) return s;
  // Validate now, so that argument errors are synchronous (nothing queued).
  std::string scratch;
  s = SerializeCommand(command, &scratch);
  if (!s.ok()) return s;
  RequestId id = next_request_++;
  idle_commands_.push_back(IdleCommand{id, std::move(command)});
  MaybeStartTransaction(now);
  Pump(now);
  return id;
}

void Session::SendIdleCommands(Instant now) {
  while (!idle_commands_.empty() && !connection_.closed()) {
    IdleCommand next = std::move(idle_commands_.front());
    idle_commands_.pop_front();
    std::string argument = ArgumentOf(next.command);
    if (std::holds_alternative<smtpcore::Etrn>(next.command) &&
        !connection_.capabilities().etrn()) {
      // RFC 1985: ETRN only to a server that lists it.
      EtrnResult result;
      result.outcome = EtrnOutcome::kNotOffered;
      Emit(EtrnDone{next.request, std::move(argument), Reply(), result});
      continue;
    }
    absl::optional<CommandId> id = Submit(std::move(next.command), now);
    if (!id.has_value()) return;
    if (next.request != 0) {
      sent_requests_.push_back(
          SentRequest{*id, next.request, std::move(argument)});
    }
  }
}

void Session::OnServiceReply(const ReplyReceived& r) {
  auto it = std::find_if(
      sent_requests_.begin(), sent_requests_.end(),
      [&r](const SentRequest& sent) { return sent.command == r.id; });
  if (it == sent_requests_.end()) return;  // not ours
  SentRequest sent = std::move(*it);
  sent_requests_.erase(it);
  const ReplyView view = r.reply.view();
  switch (r.kind) {
    case CommandKind::kVrfy:
      Emit(VrfyDone{sent.request, std::move(sent.argument), r.reply,
                    ParseLookupReply(view)});
      break;
    case CommandKind::kExpn:
      Emit(ExpnDone{sent.request, std::move(sent.argument), r.reply,
                    ParseLookupReply(view)});
      break;
    case CommandKind::kHelp:
      Emit(HelpDone{sent.request, std::move(sent.argument), r.reply,
                    ParseHelpReply(view)});
      break;
    case CommandKind::kEtrn:
      Emit(EtrnDone{sent.request, std::move(sent.argument), r.reply,
                    ParseEtrnReply(view)});
      break;
    default:
      break;
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

void Session::AfterFlow(Instant now) {
  if (state_ != SessionState::kReady && state_ != SessionState::kTransaction) {
    return;
  }
  state_ = flow_.busy() ? SessionState::kTransaction : SessionState::kReady;
  MaybeStartTransaction(now);
}

void Session::MaybeStartTransaction(Instant now) {
  if (connection_.closed()) return;  // ConnectionClosed fails the rest
  if (state_ != SessionState::kReady || flow_.busy()) return;
  // NOOPs and requests (`Noop`, `Vrfy`, ...) go out whenever the session
  // is idle, before the next transaction or QUIT.
  SendIdleCommands(now);
  if (state_ != SessionState::kReady) return;
  flow_.StartNext(now);
  if (flow_.busy()) {
    state_ = SessionState::kTransaction;
  } else if (flow_.queued() == 0 && close_requested_) {
    SendQuit(now);
  }
}

void Session::FailSession(SmtpError error, bool send_quit, Instant now) {
  if (session_error_.has_value() || connection_.closed()) return;
  session_error_ = error;
  flow_.FailAll(error);
  if (send_quit) {
    SendQuit(now);
  } else {
    connection_.Abort(error.ToStatus(), now);
  }
}

}  // namespace smtpcore
