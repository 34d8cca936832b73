// TlsPump: the glue between a transport's socket bytes, a client `TlsLayer`
// (transports/tls/tls_layer.h) and a `Session` (core/session.h), written
// once for every transport. It owns the layer and borrows the session; it
// never touches a socket, a loop or a clock (time comes in as `now`).
//
//   socket --ReceiveCiphertext/ReceiveEof--> [TlsLayer] --plaintext--> Session
//   socket <--PendingCiphertext/ConsumeCiphertext-- [TlsLayer]
//                       <--EncryptSessionOutput (PollTransmit)-- Session
//
// What it decides, so the transports do not:
//  - `Start` creates and starts the layer; a failure is reported with
//    `Session::OnTlsFailed`.
//  - A handshake failure (bad bytes, alert, verification, EOF) is reported
//    with `OnTlsFailed` while TLS was not yet reported to the session, and
//    with `Session::Abort` afterwards (a record-layer failure).
//  - `Session::OnTlsEstablished` is called exactly once, when the handshake
//    completes; only then does plaintext flow either way. A refusal by the
//    session aborts it.
//  - Decrypted plaintext goes to `Session::Receive` until the layer has no
//    more or the session ended.
//
// Errors of the session's own inputs (`Receive`, `ReceiveEof`) are reported
// by the session as events (ConnectionClosed), as with a plaintext
// connection; the statuses returned here are only the failures this pump
// found and already reported to the session. After any call, the transport
// writes `PendingCiphertext()` when it can: after a failure it may hold an
// alert for the peer.
//
// Typical driver (see transports/blocking/blocking_client.cc):
//   on TlsUpgradeRequired (or before the greeting for kImplicit):
//     pump.Start(MakeClientTlsOptions(options), now);
//   on socket bytes:  pump.ReceiveCiphertext(bytes, now);
//   on socket EOF:    pump.ReceiveEof(now);
//   to write:         pump.EncryptSessionOutput(now);
//                     n = write(pump.PendingCiphertext());
//                     pump.ConsumeCiphertext(n);
//   when done:        if (pump.Shutdown()) write the pending close_notify.
//
// Not thread-safe: the thread driving the session drives the pump.

#ifndef SMTP_TRANSPORTS_COMMON_TLS_PUMP_H_
#define SMTP_TRANSPORTS_COMMON_TLS_PUMP_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/session.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {

// TlsPump moves bytes between a socket, its TlsLayer and a Session. Method
// categories:
//   construction  TlsPump, Start
//   inputs        ReceiveCiphertext, ReceiveEof
//   outputs       EncryptSessionOutput, PendingCiphertext, ConsumeCiphertext
//   closing       Shutdown
//   getters       active, established
class TlsPump {
 public:
  // TlsPump prepares a pump for `session`, which is borrowed and must
  // outlive the pump. There is no TLS layer until `Start`.
  explicit TlsPump(Session* session);
  // ~TlsPump destroys the layer; nothing is sent (call `Shutdown` and write
  // the pending ciphertext first for a clean close).
  ~TlsPump();

  TlsPump(const TlsPump&) = delete;
  TlsPump& operator=(const TlsPump&) = delete;

  // Start creates the layer from `options` (a client's: see
  // MakeClientTlsOptions) and starts the handshake; the ClientHello is then
  // pending ciphertext. Call it once, after the session's TlsUpgradeRequired
  // event or, for TlsMode::kImplicit, as soon as the socket is connected.
  // Failures (`TlsLayer::Create`: kInvalidArgument, kFailedPrecondition /
  // kTlsRequired; `TlsLayer::Start`) are reported to the session with
  // `OnTlsFailed` and returned. `active()` is true once the layer was
  // created, even if starting it failed (its sticky error then answers
  // every later input). A second call fails with kFailedPrecondition /
  // kWrongState and changes nothing.
  absl::Status Start(const TlsOptions& options, Instant now);

  // active is true once `Start` created a layer: from then on every socket
  // byte goes through this pump.
  bool active() const { return layer_ != nullptr; }

  // established is true once the completed handshake was reported with
  // `Session::OnTlsEstablished` (also when the session refused it and was
  // aborted).
  bool established() const { return established_; }

  // ReceiveCiphertext feeds `bytes` read from the socket (copied by the
  // layer) and then reports the handshake's completion and forwards all
  // decrypted plaintext to the session. Returns OK, or the failure it
  // reported to the session (handshake or record-layer error, the
  // session's refusal of OnTlsEstablished). Requires `active()`; otherwise
  // returns kFailedPrecondition / kWrongState and does nothing.
  absl::Status ReceiveCiphertext(absl::string_view bytes, Instant now);

  // ReceiveEof reports the socket's EOF: to the layer (an EOF during the
  // handshake is a failure, reported with OnTlsFailed; the session then
  // gets no ReceiveEof), then the remaining plaintext and finally
  // `Session::ReceiveEof` to the session. Returns OK or the failure
  // reported, as ReceiveCiphertext. Requires `active()` (else as above).
  absl::Status ReceiveEof(Instant now);

  // EncryptSessionOutput moves the session's pending output into the
  // layer: `Session::PollTransmit`, `TlsLayer::WritePlaintext` slice by
  // slice, `Session::ConsumeTransmit` of what the layer took, until the
  // session has nothing more or the layer applies back-pressure (write
  // `PendingCiphertext()`, then call again). Returns the number of
  // plaintext bytes moved: 0 before `established()` or when there is
  // nothing to move. A failed write is reported with `Session::Abort` and
  // returned. Requires `active()` (else returns 0).
  absl::StatusOr<size_t> EncryptSessionOutput(Instant now);

  // PendingCiphertext returns the bytes to write to the socket (empty
  // without a layer). The view is valid until the next non-const call.
  absl::string_view PendingCiphertext() const ABSL_ATTRIBUTE_LIFETIME_BOUND;

  // ConsumeCiphertext drops the first `n` bytes of `PendingCiphertext()`
  // after they were written (clamped to its size; no-op without a layer).
  void ConsumeCiphertext(size_t n);

  // Shutdown queues a close_notify alert (RFC 8446 §6.1) in the pending
  // ciphertext, once: returns true if it did, false when there is no
  // established, healthy layer, or Shutdown already ran. Later plaintext
  // writes fail (the session should have nothing left to send).
  bool Shutdown();

 private:
  // DrainPlaintext reports the handshake's completion once, then feeds the
  // decrypted plaintext to the session. Returns the failure it reported.
  absl::Status DrainPlaintext(Instant now);

  Session* session_;  // borrowed
  std::unique_ptr<TlsLayer> layer_;
  bool established_ = false;
  bool shutdown_ = false;
  std::vector<IoSlice> slices_;
  std::vector<char> plaintext_;
  std::vector<char> record_;  // small slices gathered into one record
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_TLS_PUMP_H_
