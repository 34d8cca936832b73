#include "transports/common/tls_pump.h"

#include <cstring>
#include <utility>

#include "core/errors.h"

namespace smtpcore {
namespace {

// kPlaintextBufferSize is how much decrypted plaintext is handed to the
// session per `Session::Receive` call.
constexpr size_t kPlaintextBufferSize = 64 * 1024;
// kMaxSlices bounds one `Session::PollTransmit` batch.
constexpr size_t kMaxSlices = 256;
// kRecordPlaintext is the plaintext of one full TLS record (RFC 8446 §5.1).
constexpr size_t kRecordPlaintext = 16384;

}  // namespace

TlsPump::TlsPump(Session* session) : session_(session) {}

TlsPump::~TlsPump() = default;

absl::Status TlsPump::Start(const TlsOptions& options, Instant now) {
  if (layer_ != nullptr) {
    return WrongStateError("TlsPump::Start called twice");
  }
  absl::StatusOr<std::unique_ptr<TlsLayer>> layer = TlsLayer::Create(options);
  if (!layer.ok()) {
    session_->OnTlsFailed(layer.status(), now);
    return layer.status();
  }
  layer_ = *std::move(layer);
  slices_.resize(kMaxSlices);
  record_.resize(kRecordPlaintext);
  plaintext_.resize(kPlaintextBufferSize);
  absl::Status status = layer_->Start();
  if (!status.ok()) session_->OnTlsFailed(status, now);
  return status;
}

absl::Status TlsPump::ReceiveCiphertext(absl::string_view bytes,
                                        Instant now) {
  if (layer_ == nullptr) {
    return WrongStateError("TlsPump: no TLS layer (Start not called)");
  }
  absl::Status status = layer_->ReceiveCiphertext(bytes);
  if (!status.ok()) {
    if (!established_) {
      session_->OnTlsFailed(status, now);
    } else {
      session_->Abort(status, now);
    }
    return status;
  }
  return DrainPlaintext(now);
}

absl::Status TlsPump::ReceiveEof(Instant now) {
  if (layer_ == nullptr) {
    return WrongStateError("TlsPump: no TLS layer (Start not called)");
  }
  absl::Status status = layer_->ReceiveCiphertextEof();
  if (!status.ok() && !established_) {
    session_->OnTlsFailed(status, now);
    return status;
  }
  status = DrainPlaintext(now);
  // The session reports its own end (ConnectionClosed) as an event.
  session_->ReceiveEof(now).IgnoreError();
  return status;
}

absl::Status TlsPump::DrainPlaintext(Instant now) {
  if (layer_->handshake_done() && !established_) {
    established_ = true;
    absl::Status status = session_->OnTlsEstablished(layer_->info(), now);
    if (!status.ok()) {
      session_->Abort(status, now);
      return status;
    }
  }
  if (!established_) return absl::OkStatus();
  for (;;) {
    absl::StatusOr<size_t> n = layer_->ReadPlaintext(absl::MakeSpan(plaintext_));
    if (!n.ok()) {
      session_->Abort(n.status(), now);
      return n.status();
    }
    if (*n == 0) return absl::OkStatus();
    // A failed Receive ended the session (reported as an event): stop.
    if (!session_->Receive(absl::string_view(plaintext_.data(), *n), now)
             .ok() ||
        session_->connection().closed()) {
      return absl::OkStatus();
    }
  }
}

absl::StatusOr<size_t> TlsPump::EncryptSessionOutput(Instant now) {
  if (layer_ == nullptr || !established_) return 0;
  size_t moved = 0;
  for (;;) {
    size_t n = session_->PollTransmit(absl::MakeSpan(slices_));
    if (n == 0) return moved;
    size_t consumed = 0;
    bool full = false;
    size_t i = 0;
    while (i < n && !full) {
      // Small slices (command lines, a dot-stuffed body's lines and dots)
      // are gathered into up to one record's worth of plaintext: one
      // SSL_write per slice would make a record (an AEAD seal, a header and
      // a tag) per slice. A slice of a record or more goes to the layer as
      // it is, which cuts it into full records.
      absl::string_view unit;
      if (slices_[i].size >= kRecordPlaintext) {
        unit = slices_[i].view();
        ++i;
      } else {
        size_t gathered = 0;
        while (i < n && slices_[i].size < kRecordPlaintext &&
               gathered + slices_[i].size <= kRecordPlaintext) {
          std::memcpy(record_.data() + gathered, slices_[i].data,
                      slices_[i].size);
          gathered += slices_[i].size;
          ++i;
        }
        unit = absl::string_view(record_.data(), gathered);
      }
      absl::StatusOr<size_t> taken = layer_->WritePlaintext(unit);
      if (!taken.ok()) {
        session_->Abort(taken.status(), now);
        return taken.status();
      }
      consumed += *taken;
      full = *taken < unit.size();
    }
    if (consumed > 0) session_->ConsumeTransmit(consumed, now);
    moved += consumed;
    if (full || consumed == 0) return moved;
  }
}

absl::string_view TlsPump::PendingCiphertext() const {
  if (layer_ == nullptr) return absl::string_view();
  return layer_->PendingCiphertext();
}

void TlsPump::ConsumeCiphertext(size_t n) {
  if (layer_ != nullptr) layer_->ConsumeCiphertext(n);
}

bool TlsPump::Shutdown() {
  if (layer_ == nullptr || !established_ || shutdown_ ||
      !layer_->status().ok()) {
    return false;
  }
  shutdown_ = true;
  return layer_->Shutdown().ok();
}

}  // namespace smtpcore
