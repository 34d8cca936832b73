#include "transports/blocking/blocking_client.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr size_t kMaxSlices = 64;

// LocalFailure makes the outcome of a delivery refused before it was
// queued: every recipient gets the error's severity.
DeliveryOutcome LocalFailure(const std::vector<std::string>& recipients,
                             SmtpError error) {
  DeliveryOutcome outcome;
  for (const std::string& address : recipients) {
    RecipientResult r;
    r.address = address;
    r.status = error.permanent ? RecipientStatus::kRejected
                               : RecipientStatus::kDeferred;
    outcome.result.recipients.push_back(std::move(r));
  }
  outcome.error = std::move(error);
  return outcome;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BlockingClient>> BlockingClient::Connect(
    ClientOptions options) {
  if (options.host.empty()) {
    return TransportError(ErrorDetail::kInvalidArgument,
                          "no server host given")
        .ToStatus();
  }
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      SocketTransport::Dial(options);
  if (!socket.ok()) return socket.status();
  if (options.loopback_allows_insecure_auth && (*socket)->peer().is_loopback()) {
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
  if (!c->ready_) {
    absl::Status status = c->close_status();
    if (status.ok()) {
      status = TransportError(ErrorDetail::kConnectionClosed,
                              absl::StrCat("session with ", c->peer().ToString(),
                                           " ended before it was ready"))
                   .ToStatus();
    }
    return status;
  }
  return client;
}

BlockingClient::BlockingClient(ClientOptions options,
                               std::unique_ptr<SocketTransport> socket,
                               Instant now)
    : options_(std::move(options)),
      socket_(std::move(socket)),
      session_(std::make_unique<Session>(options_.session, now)),
      slices_(kMaxSlices),
      read_buffer_(kReadBufferSize),
      plain_buffer_(kReadBufferSize) {}

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
  std::vector<std::string> recipients;
  recipients.reserve(envelope.recipients.size());
  for (const Recipient& r : envelope.recipients) recipients.push_back(r.address);
  if (failure_.has_value() || closed_) {
    SmtpError e = TransportError(
        ErrorDetail::kBroken,
        failure_.has_value()
            ? absl::StrCat("the connection failed earlier: ", failure_->what)
            : std::string("the connection is closed"));
    e.cause = failure_.has_value() ? ErrorDetail::kBroken : ErrorDetail::kClosed;
    e.status_code = absl::StatusCode::kFailedPrecondition;
    return LocalFailure(recipients, std::move(e));
  }
  absl::StatusOr<DeliveryId> id =
      session_->Deliver(std::move(envelope), std::move(body), MonotonicNow());
  if (!id.ok()) {
    SmtpError e = SmtpError::FromStatus(id.status(), CommandKind::kMailFrom);
    return LocalFailure(recipients, std::move(e));
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
    DeliveryOutcome outcome = LocalFailure(recipients, std::move(e));
    outcome.id = want;
    return outcome;
  }
  DeliveryOutcome outcome = std::move(it->second);
  outcomes_.erase(it);
  return outcome;
}

absl::Status BlockingClient::Close() {
  if (!socket_done_) {
    if (!closed_) {
      Instant now = MonotonicNow();
      if (session_->Close(now).ok()) {
        RunUntil([this] { return closed_; });
      }
    }
    if (tls_ != nullptr && tls_reported_ && tls_->status().ok() &&
        !read_eof_) {
      // Best effort close_notify (RFC 8446 §6.1); never blocks.
      if (tls_->Shutdown().ok()) FlushCiphertext(MonotonicNow());
    }
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
        (tls_ != nullptr && !tls_->PendingCiphertext().empty()) ||
        (tls_ == nullptr && session_->PollTransmit(absl::MakeSpan(
                                slices_.data(), 1)) > 0);
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
    } else if (auto* d = std::get_if<DeliveryDone>(&*event)) {
      DeliveryOutcome& o = outcomes_[d->delivery];
      o.id = d->delivery;
      o.result = std::move(d->result);
      o.error.reset();
    } else if (auto* f = std::get_if<DeliveryFailed>(&*event)) {
      DeliveryOutcome& o = outcomes_[f->delivery];
      o.id = f->delivery;
      o.result = std::move(f->result);
      o.error = std::move(f->error);
    } else if (auto* c = std::get_if<ConnectionClosed>(&*event)) {
      closed_ = true;
      if (!c->status.ok()) {
        failure_ = c->error;
        if (options_.dial_history != nullptr) {
          options_.dial_history->UpdateLast(options_.host, socket_->peer().ip,
                                            DialOutcome::kSessionFailed);
        }
      }
    }
  }
}

void BlockingClient::StartTls(Instant now) {
  absl::StatusOr<std::unique_ptr<TlsLayer>> tls =
      TlsLayer::Create(MakeClientTlsOptions(options_));
  if (!tls.ok()) {
    session_->OnTlsFailed(tls.status(), now);
    return;
  }
  tls_ = *std::move(tls);
  absl::Status status = tls_->Start();
  if (!status.ok()) session_->OnTlsFailed(status, now);
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
  if (tls_ == nullptr) {
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
  if (!tls_->handshake_done() || !tls_reported_) return;
  for (;;) {
    size_t n = session_->PollTransmit(absl::MakeSpan(slices_));
    if (n == 0) return;
    size_t consumed = 0;
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<size_t> taken = tls_->WritePlaintext(slices_[i].view());
      if (!taken.ok()) {
        FlushCiphertext(now);  // may carry an alert
        FailIo(ErrorFromStatus(taken.status()), now);
        return;
      }
      consumed += *taken;
      if (*taken < slices_[i].size) break;
    }
    if (consumed == 0 && !tls_->PendingCiphertext().empty()) {
      if (!FlushCiphertext(now)) return;
      continue;
    }
    if (consumed == 0) return;
    session_->ConsumeTransmit(consumed, now);
    if (!FlushCiphertext(now)) return;
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
  if (r->eof) {
    read_eof_ = true;
    if (tls_ != nullptr) {
      absl::Status status = tls_->ReceiveCiphertextEof();
      if (!status.ok() && !tls_reported_) {
        session_->OnTlsFailed(status, now);
        return;
      }
      DrainTlsPlaintext(now);
    }
    // Errors are reported as events (ConnectionClosed).
    session_->ReceiveEof(now).IgnoreError();
    return;
  }
  absl::string_view bytes(read_buffer_.data(), r->size);
  if (tls_ == nullptr) {
    session_->Receive(bytes, now).IgnoreError();  // reported as events
    return;
  }
  absl::Status status = tls_->ReceiveCiphertext(bytes);
  if (!status.ok()) {
    FlushCiphertext(now);  // send the alert
    if (!tls_reported_) {
      session_->OnTlsFailed(status, now);
    } else {
      session_->Abort(status, now);
    }
    return;
  }
  DrainTlsPlaintext(now);
}

void BlockingClient::DrainTlsPlaintext(Instant now) {
  if (tls_->handshake_done() && !tls_reported_) {
    tls_reported_ = true;
    absl::Status status = session_->OnTlsEstablished(tls_->info(), now);
    if (!status.ok()) {
      session_->Abort(status, now);
      return;
    }
  }
  if (!tls_reported_) return;
  for (;;) {
    absl::StatusOr<size_t> n = tls_->ReadPlaintext(absl::MakeSpan(plain_buffer_));
    if (!n.ok()) {
      FlushCiphertext(now);
      session_->Abort(n.status(), now);
      return;
    }
    if (*n == 0) return;
    if (!session_->Receive(absl::string_view(plain_buffer_.data(), *n), now)
             .ok()) {
      return;
    }
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
