#include "transports/blocking/blocking_client.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/common/greeting_diagnosis.h"
#include "transports/common/transport_error.h"
#include "transports/socket/socket_dialer.h"

namespace smtpcore {
namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr size_t kMaxSlices = 64;

// DroppedDuringAuthRetry: the connection ended, not by an AUTH refusal,
// while the session's one AUTH retry ran.
bool DroppedDuringAuthRetry(ErrorDetail cause) {
  return cause == ErrorDetail::kConnectionClosed ||
         cause == ErrorDetail::kServiceClosing || cause == ErrorDetail::kIo;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlockingClient>> BlockingClient::Connect(
    ClientOptions options) {
  if (options.host.empty() && !options.unix_socket.empty()) {
    options.host = "localhost";
  }
  if (options.host.empty()) {
    return TransportError(ErrorDetail::kInvalidArgument,
                          "no server host given")
        .ToStatus();
  }
  // A server on an implicit-TLS port (465) waiting for our ClientHello while
  // we wait for its greeting: a short greeting window, then a diagnosis
  // (transports/common/greeting_diagnosis.h).
  ApplyImplicitTlsGreetingWindow(&options);
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      ConnectOnce(options);
  if (client.ok() && !(*client)->ready_ && (*client)->auth_retried_ &&
      options.reconnect_after_auth_retry &&
      (*client)->failure_.has_value() &&
      DroppedDuringAuthRetry((*client)->failure_->cause)) {
    // The token provider already holds the renewed token (docs/reach.md):
    // a new session on a new connection authenticates with it. Once.
    (*client)->FinishSocket();
    client = ConnectOnce(options);
    if (client.ok()) (*client)->reconnected_ = true;
  }
  if (!client.ok()) return client.status();
  BlockingClient* c = client->get();
  if (!c->ready_) {
    absl::Status status = c->close_status();
    if (status.ok()) {
      status = TransportError(ErrorDetail::kConnectionClosed,
                              absl::StrCat("session with ", c->peer().ToString(),
                                           " ended before it was ready"))
                   .ToStatus();
    }
    return DiagnoseGreetingFailure(status, options, c->greeting_prefix_);
  }
  return client;
}

absl::StatusOr<std::unique_ptr<BlockingClient>> BlockingClient::ConnectOnce(
    const ClientOptions& given) {
  ClientOptions options = given;
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  if (!socket.ok()) return socket.status();
  if (options.loopback_allows_insecure_auth &&
      PeerIsLocal(options, (*socket)->peer())) {
    options.session.allow_insecure_auth = true;
  }
  Instant now = MonotonicNow();
  std::unique_ptr<BlockingClient> client(
      new BlockingClient(std::move(options), *std::move(socket), now));
  if (client->options_.session.tls_mode == TlsMode::kImplicit) {
    client->StartTls(now);
  }
  BlockingClient* c = client.get();
  c->RunUntil([c] { return c->ready_; });
  return client;
}

BlockingClient::BlockingClient(ClientOptions options,
                               std::unique_ptr<SocketTransport> socket,
                               Instant now)
    : options_(std::move(options)),
      socket_(std::move(socket)),
      session_(std::make_unique<Session>(options_.session, now)),
      tls_(std::make_unique<TlsPump>(session_.get())),
      slices_(kMaxSlices),
      read_buffer_(kReadBufferSize) {}

BlockingClient::~BlockingClient() = default;

const TlsInfo* BlockingClient::tls_info() const {
  return session_->connection().tls();
}

bool BlockingClient::usable() const {
  if (!ready_ || closed_ || failure_.has_value()) return false;
  SessionState s = session_->state();
  return s == SessionState::kReady || s == SessionState::kTransaction;
}

absl::Status BlockingClient::close_status() const {
  if (failure_.has_value()) return failure_->ToStatus();
  return absl::OkStatus();
}

DeliveryOutcome BlockingClient::Deliver(Envelope envelope, absl::Cord body) {
  // Kept for the outcomes made here (the envelope moves into the session).
  std::vector<Recipient> recipients = envelope.recipients;
  if (failure_.has_value() || closed_) {
    return FailedOutcome(recipients, UnusableConnectionError(failure_));
  }
  absl::StatusOr<DeliveryId> id =
      session_->Deliver(std::move(envelope), std::move(body), MonotonicNow());
  if (!id.ok()) {
    SmtpError e = SmtpError::FromStatus(id.status(), CommandKind::kMailFrom);
    return FailedOutcome(recipients, std::move(e));
  }
  DeliveryId want = *id;
  RunUntil([this, want] { return outcomes_.count(want) != 0; });
  auto it = outcomes_.find(want);
  if (it == outcomes_.end()) {
    // The session ended without reporting the delivery (it always should):
    // report the session's failure.
    SmtpError e = failure_.has_value()
                      ? *failure_
                      : TransportError(ErrorDetail::kConnectionClosed,
                                       "the connection closed during the "
                                       "delivery");
    DeliveryOutcome outcome = FailedOutcome(recipients, std::move(e));
    outcome.id = want;
    return outcome;
  }
  DeliveryOutcome outcome = std::move(it->second);
  outcomes_.erase(it);
  return outcome;
}

template <typename DoneEvent>
absl::StatusOr<DoneEvent> BlockingClient::WaitForRequest(
    absl::StatusOr<RequestId> id) {
  if (!id.ok()) return id.status();
  const RequestId want = *id;
  RunUntil([this, want] { return request_replies_.count(want) != 0; });
  auto it = request_replies_.find(want);
  if (it == request_replies_.end()) {
    SmtpError e = failure_.has_value()
                      ? *failure_
                      : TransportError(ErrorDetail::kConnectionClosed,
                                       "the connection closed before the "
                                       "reply");
    return e.ToStatus();
  }
  DoneEvent done = std::get<DoneEvent>(std::move(it->second));
  request_replies_.erase(it);
  return done;
}

absl::StatusOr<VrfyDone> BlockingClient::Vrfy(std::string argument) {
  if (failure_.has_value() || closed_) {
    return UnusableConnectionError(failure_).ToStatus();
  }
  return WaitForRequest<VrfyDone>(
      session_->Vrfy(std::move(argument), MonotonicNow()));
}

absl::StatusOr<ExpnDone> BlockingClient::Expn(std::string argument) {
  if (failure_.has_value() || closed_) {
    return UnusableConnectionError(failure_).ToStatus();
  }
  return WaitForRequest<ExpnDone>(
      session_->Expn(std::move(argument), MonotonicNow()));
}

absl::StatusOr<HelpDone> BlockingClient::Help(std::string topic) {
  if (failure_.has_value() || closed_) {
    return UnusableConnectionError(failure_).ToStatus();
  }
  return WaitForRequest<HelpDone>(
      session_->Help(std::move(topic), MonotonicNow()));
}

absl::StatusOr<EtrnDone> BlockingClient::Etrn(std::string node) {
  if (failure_.has_value() || closed_) {
    return UnusableConnectionError(failure_).ToStatus();
  }
  return WaitForRequest<EtrnDone>(
      session_->Etrn(std::move(node), MonotonicNow()));
}

absl::Status BlockingClient::Close() {
  if (!socket_done_) {
    if (!closed_) {
      Instant now = MonotonicNow();
      if (session_->Close(now).ok()) {
        RunUntil([this] { return closed_; });
      }
    }
    // Best effort close_notify (RFC 8446 §6.1); never blocks.
    if (!read_eof_ && tls_->Shutdown()) FlushCiphertext(MonotonicNow());
    FinishSocket();
  }
  return close_status();
}

void BlockingClient::FinishSocket() {
  socket_done_ = true;
  socket_->Close();
}

template <typename Done>
void BlockingClient::RunUntil(Done done) {
  while (!socket_done_) {
    Instant now = MonotonicNow();
    DrainEvents(now);
    if (done() || closed_) return;
    FlushPlaintext(now);
    DrainEvents(now);
    if (done() || closed_) return;
    bool want_write =
        tls_->active() ? !tls_->PendingCiphertext().empty()
                       : session_->PollTransmit(
                             absl::MakeSpan(slices_.data(), 1)) > 0;
    absl::optional<Instant> deadline = session_->NextDeadline();
    absl::StatusOr<SocketReadiness> ready =
        socket_->Wait(!read_eof_, want_write, deadline);
    now = MonotonicNow();
    if (!ready.ok()) {
      FailIo(ErrorFromStatus(ready.status()), now);
      continue;
    }
    if (ready->timed_out) {
      session_->HandleTimeout(now);
      continue;
    }
    if (ready->readable) ReadInput(now);
    if (!ready->readable && !ready->writable && read_eof_ && !want_write &&
        !deadline.has_value()) {
      // Nothing can ever happen again: the peer is gone and the session
      // waits for nothing. Should not occur (ReceiveEof ends the session).
      FailIo(TransportError(ErrorDetail::kConnectionClosed,
                            "connection closed by the server"),
             now);
    }
  }
}

void BlockingClient::DrainEvents(Instant now) {
  while (absl::optional<Event> event = session_->PollEvent()) {
    if (options_.on_event) options_.on_event(*event);
    if (std::holds_alternative<TlsUpgradeRequired>(*event)) {
      StartTls(now);
    } else if (std::holds_alternative<SessionReady>(*event)) {
      ready_ = true;
    } else if (std::holds_alternative<AuthRetry>(*event)) {
      auth_retried_ = true;
    } else if (auto* v = std::get_if<VrfyDone>(&*event)) {
      request_replies_.emplace(v->request, *event);
    } else if (auto* x = std::get_if<ExpnDone>(&*event)) {
      request_replies_.emplace(x->request, *event);
    } else if (auto* h = std::get_if<HelpDone>(&*event)) {
      request_replies_.emplace(h->request, *event);
    } else if (auto* t = std::get_if<EtrnDone>(&*event)) {
      request_replies_.emplace(t->request, *event);
    } else if (absl::optional<DeliveryOutcome> outcome =
                   TakeDeliveryOutcome(*event)) {
      DeliveryId id = outcome->id;
      outcomes_[id] = *std::move(outcome);
    } else if (auto* c = std::get_if<ConnectionClosed>(&*event)) {
      closed_ = true;
      if (!c->status.ok()) {
        failure_ = c->error;
        if (options_.dial_history != nullptr && !options_.proxy.enabled() &&
            options_.unix_socket.empty()) {
          options_.dial_history->UpdateLast(options_.host, socket_->peer().ip,
                                            DialOutcome::kSessionFailed);
        }
      }
    }
  }
}

void BlockingClient::StartTls(Instant now) {
  // A failure is reported to the session (ConnectionClosed).
  tls_->Start(MakeClientTlsOptions(options_), now).IgnoreError();
}

bool BlockingClient::FlushCiphertext(Instant now) {
  while (!tls_->PendingCiphertext().empty()) {
    absl::StatusOr<size_t> n = socket_->Write(tls_->PendingCiphertext());
    if (!n.ok()) {
      FailIo(ErrorFromStatus(n.status()), now);
      return false;
    }
    if (*n == 0) return false;
    tls_->ConsumeCiphertext(*n);
  }
  return true;
}

void BlockingClient::FlushPlaintext(Instant now) {
  if (!tls_->active()) {
    for (;;) {
      size_t n = session_->PollTransmit(absl::MakeSpan(slices_));
      if (n == 0) return;
      absl::StatusOr<size_t> written =
          socket_->Writev(absl::MakeConstSpan(slices_.data(), n));
      if (!written.ok()) {
        FailIo(ErrorFromStatus(written.status()), now);
        return;
      }
      if (*written == 0) return;  // socket full: wait for POLLOUT
      session_->ConsumeTransmit(*written, now);
    }
  }
  if (!FlushCiphertext(now)) return;
  for (;;) {
    absl::StatusOr<size_t> moved = tls_->EncryptSessionOutput(now);
    if (!moved.ok()) {
      FlushCiphertext(now);  // may carry an alert; the session was aborted
      return;
    }
    if (!FlushCiphertext(now)) return;
    if (*moved == 0) return;
  }
}

void BlockingClient::ReadInput(Instant now) {
  absl::StatusOr<SocketReadResult> r =
      socket_->Read(absl::MakeSpan(read_buffer_));
  if (!r.ok()) {
    FailIo(ErrorFromStatus(r.status()), now);
    return;
  }
  if (r->would_block) return;
  // Session errors are reported as events (ConnectionClosed); a TLS failure
  // may leave an alert to send.
  if (r->eof) {
    read_eof_ = true;
    if (!tls_->active()) {
      session_->ReceiveEof(now).IgnoreError();
    } else if (!tls_->ReceiveEof(now).ok()) {
      FlushCiphertext(now);
    }
    return;
  }
  absl::string_view bytes(read_buffer_.data(), r->size);
  if (!tls_->active()) {
    if (!ready_) greeting_prefix_.Record(bytes);
    session_->Receive(bytes, now).IgnoreError();
  } else if (!tls_->ReceiveCiphertext(bytes, now).ok()) {
    FlushCiphertext(now);
  }
}

void BlockingClient::FailIo(SmtpError error, Instant now) {
  session_->Abort(error.ToStatus(), now);
  DrainEvents(now);
  if (!closed_) {
    // The session did not report the end (it always should): end here.
    closed_ = true;
    failure_ = std::move(error);
  }
}

}  // namespace smtpcore
