#include "tools/step_client.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/common/transport_error.h"
#include "transports/socket/socket_dialer.h"

namespace smtpcore {
namespace cli {
namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr size_t kMaxSlices = 64;

}  // namespace

absl::StatusOr<std::unique_ptr<StepClient>> StepClient::Dial(
    const ClientOptions& given) {
  ClientOptions options = given;
  if (options.host.empty() && !options.unix_socket.empty()) {
    options.host = "localhost";
  }
  // As the blocking and libuv clients: a short greeting window on an
  // implicit-TLS port (transports/common/greeting_diagnosis.h).
  ApplyImplicitTlsGreetingWindow(&options);
  absl::StatusOr<std::unique_ptr<SocketTransport>> socket =
      DialSocket(options);
  if (!socket.ok()) return socket.status();
  return std::unique_ptr<StepClient>(
      new StepClient(std::move(options), *std::move(socket)));
}

StepClient::StepClient(ClientOptions options,
                       std::unique_ptr<SocketTransport> socket)
    : options_(std::move(options)),
      socket_(std::move(socket)),
      slices_(kMaxSlices),
      read_buffer_(kReadBufferSize, '\0') {
  const SessionOptions& s = options_.session;
  ConnectionOptions c;
  c.reply_limits = s.reply_limits;
  c.timeouts = s.timeouts;
  c.capability_filter = s.capability_filter;
  c.pipelining = false;  // one step at a time
  c.max_auth_challenges = s.max_auth_challenges;
  c.allow_insecure_auth =
      s.allow_insecure_auth || (options_.loopback_allows_insecure_auth &&
                                PeerIsLocal(options_, socket_->peer()));
  c.line_endings = s.line_endings;
  c.trace = s.trace;
  c.lmtp = s.lmtp;
  connection_ = std::make_unique<Connection>(c, MonotonicNow());
}

StepClient::~StepClient() = default;

absl::Status StepClient::Failed() const {
  if (!failure_.ok()) return failure_;
  return TransportError(ErrorDetail::kConnectionClosed,
                        "the connection is closed")
      .ToStatus();
}

void StepClient::DrainEvents() {
  while (absl::optional<Event> event = connection_->PollEvent()) {
    if (options_.on_event) options_.on_event(*event);
    if (auto* g = std::get_if<smtpcore::Greeting>(&*event)) {
      greeting_ = g->reply;
    } else if (auto* r = std::get_if<ReplyReceived>(&*event)) {
      if (r->id == waiting_for_ && r->more_replies == 0) reply_ = r->reply;
    } else if (std::holds_alternative<TlsUpgradeRequired>(*event)) {
      upgrade_required_ = true;
    } else if (auto* a = std::get_if<AuthFailed>(&*event)) {
      if (a->error.cause != ErrorDetail::kAuthFailed) {
        auth_error_ = a->error.ToStatus();
      }
    } else if (auto* c = std::get_if<ConnectionClosed>(&*event)) {
      closed_ = true;
      failure_ = c->status;
    }
  }
}

absl::Status StepClient::Flush() {
  if (socket_closed_) return absl::OkStatus();
  const bool encrypted = tls_ != nullptr && tls_->handshake_done();
  for (;;) {
    size_t n = connection_->PollTransmit(absl::MakeSpan(slices_));
    if (n == 0) break;
    if (!encrypted) {
      absl::StatusOr<size_t> written =
          socket_->Writev(absl::MakeConstSpan(slices_.data(), n));
      if (!written.ok()) return written.status();
      if (*written == 0) return absl::OkStatus();  // socket full
      connection_->ConsumeTransmit(*written, MonotonicNow());
      continue;
    }
    size_t moved = 0;
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<size_t> m = tls_->WritePlaintext(
          absl::string_view(static_cast<const char*>(slices_[i].data),
                            slices_[i].size));
      if (!m.ok()) return m.status();
      moved += *m;
      if (*m < slices_[i].size) break;
    }
    if (moved == 0) break;
    connection_->ConsumeTransmit(moved, MonotonicNow());
  }
  while (tls_ != nullptr && !tls_->PendingCiphertext().empty()) {
    absl::StatusOr<size_t> n = socket_->Write(tls_->PendingCiphertext());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    tls_->ConsumeCiphertext(*n);
  }
  return absl::OkStatus();
}

absl::Status StepClient::ReadSome() {
  absl::StatusOr<SocketReadResult> r =
      socket_->Read(absl::MakeSpan(read_buffer_.data(), read_buffer_.size()));
  if (!r.ok()) return r.status();
  if (r->would_block) return absl::OkStatus();
  const Instant now = MonotonicNow();
  if (tls_ == nullptr) {
    if (r->eof) {
      connection_->ReceiveEof(now).IgnoreError();  // reported as an event
    } else {
      const absl::string_view bytes(read_buffer_.data(), r->size);
      if (!greeting_.has_value()) greeting_prefix_.Record(bytes);
      connection_->Receive(bytes, now).IgnoreError();
    }
    return absl::OkStatus();
  }
  absl::Status s = r->eof ? tls_->ReceiveCiphertextEof()
                          : tls_->ReceiveCiphertext(absl::string_view(
                                read_buffer_.data(), r->size));
  if (!tls_reported_) return s;  // the handshake loop handles it
  if (!s.ok()) {
    connection_->Abort(s, now);
    return absl::OkStatus();
  }
  for (;;) {
    char plain[16384];
    absl::StatusOr<size_t> m = tls_->ReadPlaintext(absl::MakeSpan(plain));
    if (!m.ok()) {
      connection_->Abort(m.status(), now);
      break;
    }
    if (*m == 0) break;
    connection_->Receive(absl::string_view(plain, *m), now).IgnoreError();
  }
  if (r->eof || tls_->peer_closed()) {
    connection_->ReceiveEof(now).IgnoreError();
  }
  return absl::OkStatus();
}

template <typename Done>
absl::Status StepClient::RunUntil(Done done) {
  for (;;) {
    DrainEvents();
    if (done()) return absl::OkStatus();
    if (closed_) return Failed();
    if (absl::Status s = Flush(); !s.ok()) {
      connection_->Abort(s, MonotonicNow());
      continue;
    }
    DrainEvents();
    if (done()) return absl::OkStatus();
    if (closed_) return Failed();
    const bool want_write = tls_ != nullptr
                                ? !tls_->PendingCiphertext().empty()
                                : connection_->transmit_pending() > 0;
    absl::StatusOr<SocketReadiness> ready =
        socket_->Wait(true, want_write, connection_->NextDeadline());
    if (!ready.ok()) {
      connection_->Abort(ready.status(), MonotonicNow());
      continue;
    }
    if (ready->timed_out) {
      connection_->HandleTimeout(MonotonicNow());
      continue;
    }
    if (ready->readable) {
      if (absl::Status s = ReadSome(); !s.ok()) {
        connection_->Abort(s, MonotonicNow());
      }
    }
  }
}

absl::Status StepClient::Handshake() {
  absl::StatusOr<std::unique_ptr<TlsLayer>> layer =
      TlsLayer::Create(MakeClientTlsOptions(options_));
  if (!layer.ok()) {
    connection_->OnTlsFailed(layer.status(), MonotonicNow());
    DrainEvents();
    return layer.status();
  }
  tls_ = *std::move(layer);
  absl::Status s = tls_->Start();
  while (s.ok() && !tls_->handshake_done()) {
    if (absl::Status f = Flush(); !f.ok()) {
      s = f;
      break;
    }
    absl::StatusOr<SocketReadiness> ready = socket_->Wait(
        true, !tls_->PendingCiphertext().empty(), connection_->NextDeadline());
    if (!ready.ok()) {
      s = ready.status();
      break;
    }
    if (ready->timed_out) {
      connection_->HandleTimeout(MonotonicNow());
      DrainEvents();
      if (closed_) return Failed();
      continue;
    }
    if (ready->readable) s = ReadSome();
  }
  if (!s.ok()) {
    Flush().IgnoreError();  // an alert, maybe
    connection_->OnTlsFailed(s, MonotonicNow());
    DrainEvents();
    return s;
  }
  tls_reported_ = true;
  absl::Status established =
      connection_->OnTlsEstablished(tls_->info(), MonotonicNow());
  DrainEvents();
  if (!established.ok()) return established;
  // Application data that came with the handshake's last flight.
  for (;;) {
    char plain[16384];
    absl::StatusOr<size_t> m = tls_->ReadPlaintext(absl::MakeSpan(plain));
    if (!m.ok() || *m == 0) break;
    connection_->Receive(absl::string_view(plain, *m), MonotonicNow())
        .IgnoreError();
  }
  return Flush();
}

absl::Status StepClient::StartImplicitTls() { return Handshake(); }

absl::StatusOr<Reply> StepClient::Greeting() {
  absl::Status s = RunUntil([this] { return greeting_.has_value(); });
  if (!s.ok() && !greeting_.has_value()) {
    // TLS bytes instead of a greeting, or silence on port 465.
    return DiagnoseGreetingFailure(s, options_, greeting_prefix_);
  }
  return *greeting_;
}

absl::StatusOr<Reply> StepClient::Step(Command command) {
  if (closed_) return Failed();
  absl::StatusOr<CommandId> id =
      connection_->Submit(std::move(command), MonotonicNow());
  if (!id.ok()) return id.status();
  waiting_for_ = *id;
  reply_.reset();
  absl::Status s = RunUntil([this] { return reply_.has_value(); });
  if (!reply_.has_value()) return s.ok() ? Failed() : s;
  return *reply_;
}

absl::StatusOr<Reply> StepClient::Hello() {
  const std::string& name = options_.session.ehlo_domain;
  if (options_.session.lmtp) return Step(Lhlo{name});
  absl::StatusOr<Reply> ehlo = Step(Ehlo{name});
  if (!ehlo.ok()) return ehlo;
  // RFC 5321 §4.1.4: HELO only when EHLO is not recognised.
  if (ehlo->code() >= 500 && ehlo->code() <= 504) return Step(Helo{name});
  return ehlo;
}

absl::StatusOr<Reply> StepClient::StartTls() {
  upgrade_required_ = false;
  absl::StatusOr<Reply> reply = Step(smtpcore::StartTls{});
  if (!reply.ok() || !upgrade_required_) return reply;
  if (absl::Status s = Handshake(); !s.ok()) return s;
  return reply;
}

absl::StatusOr<Reply> StepClient::Authenticate(
    std::unique_ptr<SaslMechanism> mechanism) {
  auth_error_ = absl::OkStatus();
  Auth auth;
  auth.mechanism = std::move(mechanism);
  absl::StatusOr<Reply> reply = Step(std::move(auth));
  if (reply.ok() && !auth_error_.ok()) return auth_error_;
  return reply;
}

absl::StatusOr<Reply> StepClient::Mail(MailFrom command) {
  return Step(std::move(command));
}

absl::StatusOr<Reply> StepClient::Rcpt(RcptTo command) {
  return Step(std::move(command));
}

absl::StatusOr<Reply> StepClient::Quit() {
  if (socket_closed_) return Reply();
  Reply reply;
  if (!closed_) {
    absl::StatusOr<Reply> r = Step(smtpcore::Quit{});
    if (r.ok()) reply = *r;
    // The 221 (or EOF) ends the connection: ConnectionClosed{ok}.
    RunUntil([this] { return closed_; }).IgnoreError();
  }
  if (tls_ != nullptr && tls_reported_ && tls_->Shutdown().ok()) {
    Flush().IgnoreError();
  }
  Close();
  return reply;
}

void StepClient::Close() {
  if (socket_closed_) return;
  socket_closed_ = true;
  socket_->Close();
}

}  // namespace cli
}  // namespace smtpcore
