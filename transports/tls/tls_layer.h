// TlsLayer: a sans-I/O TLS filter over BoringSSL, written once and used by
// every transport (blocking, libuv, the demo's embedded sink, tests).
//
// The layer owns an `SSL` whose BIOs are in memory: incoming ciphertext goes
// through a memory BIO, outgoing ciphertext is appended by a custom BIO
// straight to the layer's pending buffer. It never touches a socket, a
// clock or a thread. The caller moves bytes:
//
//   socket --ReceiveCiphertext()--> [TlsLayer] --ReadPlaintext()--> core
//   socket <--PendingCiphertext()/ConsumeCiphertext()-- [TlsLayer]
//                                    <--WritePlaintext()-- core
//
// Invariants:
//   - Every call that may produce TLS records (ReceiveCiphertext,
//     ReadPlaintext, WritePlaintext, Shutdown) appends them to the pending
//     ciphertext. The caller must send `PendingCiphertext()` after each call,
//     including after a failure (the buffer may hold an alert for the peer).
//   - The first fatal error is sticky: `status()` returns it and every later
//     input or plaintext call returns it again.
//   - `info()` is filled in once, when the handshake completes.
//
// Typical pump (client, STARTTLS after the core's `TlsUpgradeRequired`):
//   auto tls = TlsLayer::Create(options);          // role kClient
//   tls->Start();                                  // ClientHello queued
//   loop:
//     send(tls->PendingCiphertext()); tls->ConsumeCiphertext(n_sent);
//     n = recv(...); tls->ReceiveCiphertext({buf, n});
//     if (tls->handshake_done()) connection.OnTlsEstablished(tls->info(), now);
//     while ((m = tls->ReadPlaintext(out)) > 0) connection.Receive(out[0..m]);
//     tls->WritePlaintext(core bytes) -> consumed; ...
//
// Errors (absl::Status with an `ErrorDetail` payload, core/errors.h):
//   kUnauthenticated / kTlsVerification  the peer's certificate failed PKIX
//                                        or host name verification.
//   kDataLoss / kTlsHandshake            any other handshake failure
//                                        (protocol error, alert, garbage).
//   kDataLoss / kIo                      a record-layer failure after the
//                                        handshake (bad MAC, garbage, alert).
//   kUnavailable / kConnectionClosed     EOF from the peer during the
//                                        handshake.
//   kInvalidArgument / kInvalidArgument  bad `TlsOptions` (from `Create`).
//   kFailedPrecondition / kTlsRequired   the trust anchors cannot be loaded
//                                        (for example no system CA bundle).

#ifndef SMTP_TRANSPORTS_TLS_TLS_LAYER_H_
#define SMTP_TRANSPORTS_TLS_TLS_LAYER_H_

#include <openssl/base.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"
#include "transports/tls/dane_verifier.h"

namespace smtpcore {

class TlsContext;  // transports/tls/tls_context_cache.h

// kSystemCaFile is the system trust store (Debian/Ubuntu ca-certificates)
// used when `TlsOptions` names no CA file or PEM.
inline constexpr char kSystemCaFile[] = "/etc/ssl/certs/ca-certificates.crt";

// TlsRole says which side of the handshake a `TlsLayer` plays.
enum class TlsRole { kClient, kServer };

// TlsVersion names the protocol versions a `TlsLayer` may negotiate. Nothing
// below TLS 1.2 is offered (RFC 8996 deprecates TLS 1.0 and 1.1).
enum class TlsVersion { kTls12, kTls13 };

// TlsOptions configures one `TlsLayer`. Copied by `TlsLayer::Create`; nothing
// is borrowed.
struct TlsOptions {
  // role selects client (the SMTP client, the default) or server (the demo's
  // embedded sink, tests).
  TlsRole role = TlsRole::kClient;

  // server_name is, for a client, the host name sent as SNI (RFC 6066 §3) and
  // checked against the certificate (RFC 6125). An IP literal is matched
  // against iPAddress SANs and not sent as SNI. Required for a client unless
  // `insecure`. Ignored by a server (it reports the SNI it received).
  std::string server_name;

  // ca_pem holds PEM trust anchors. If empty, `ca_file` is read; if that is
  // empty too, `kSystemCaFile`. A client uses them to verify the server; a
  // server to verify client certificates.
  std::string ca_pem;
  std::string ca_file;

  // insecure lets the handshake proceed whatever the verification result
  // (opportunistic STARTTLS, as MTAs do). Verification still runs and its
  // result is reported in `TlsInfo::verified` / `verify_error`. On a server,
  // it accepts any client certificate.
  bool insecure = false;

  // certificate_chain_pem and private_key_pem are this side's certificate
  // (leaf first, then intermediates) and its key, in PEM. A server needs
  // them; a client sends them when the server asks (client certificate
  // authentication, SASL EXTERNAL).
  std::string certificate_chain_pem;
  std::string private_key_pem;

  // request_client_certificate makes a server ask for a client certificate
  // (optional for the client) and verify it against the trust anchors.
  bool request_client_certificate = false;

  // dane, when set on a client, replaces PKIX: the server's chain is
  // verified against these TLSA records during the handshake
  // (transports/tls/dane_verifier.h, RFC 7672 §3), `insecure` and the CA
  // options are ignored, and a mismatch fails the handshake with
  // kUnauthenticated / kTlsVerification (never a fallback). `server_name`
  // is still sent as SNI (RFC 7672 §8.1: the TLSA base domain).
  absl::optional<DaneOptions> dane;

  // min_version and max_version bound the negotiated version (defaults:
  // TLS 1.2 to TLS 1.3). Tests force TLS 1.2 with max_version.
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;

  // resume_sessions lets a client offer the last session it got from a
  // server of the same `server_name` under the same configuration (same
  // anchors, versions, `insecure`), skipping the certificate exchange (RFC
  // 8446 §2.2). The server's certificate was verified, under these same
  // options, when the session was made. Never done with `dane` or with a
  // client certificate (each connection proves those afresh), nor without
  // a `server_name`. A server always accepts resumption by tickets.
  bool resume_sessions = true;
};

// TlsLayer is one TLS connection as a sans-I/O filter (see the file comment).
//
// Methods by category:
//   construction   Create, Start
//   inputs         ReceiveCiphertext, ReceiveCiphertextEof
//   outputs        PendingCiphertext, ConsumeCiphertext
//   plaintext      WritePlaintext, ReadPlaintext, Shutdown
//   getters        handshake_done, peer_closed, status, info,
//                  PeerCertificateChainDer, PeerCertificateChainPem
// Call order: Create, Start, then any mix of the others. Not thread-safe;
// one owner drives it. Neither copyable nor movable: the SSL's write BIO
// points at the layer's pending ciphertext, so a layer stays where `Create`
// allocated it (held by the returned unique_ptr).
class TlsLayer {
 public:
  // Create builds a layer from `options`. The `SSL_CTX` is shared by every
  // layer with the same configuration (transports/tls/tls_context_cache.h):
  // it is built, and a CA file read, once per process, and built again only
  // when the file's size or modification time changed. It fails with kInvalidArgument for
  // unusable options (unparsable certificate or key, a client without
  // `server_name` and not `insecure`, a server without a certificate,
  // min_version > max_version) and with kFailedPrecondition/kTlsRequired when
  // the trust anchors cannot be loaded; the message names the file but never
  // contains key material.
  static absl::StatusOr<std::unique_ptr<TlsLayer>> Create(
      const TlsOptions& options);

  TlsLayer(const TlsLayer&) = delete;
  TlsLayer& operator=(const TlsLayer&) = delete;
  ~TlsLayer();

  // Start begins the handshake. For a client it queues the ClientHello in the
  // pending ciphertext; for a server it does nothing visible. Call once.
  // Returns `status()`.
  absl::Status Start();

  // ReceiveCiphertext appends `bytes` read from the peer (copied) and
  // advances the handshake. After the handshake the bytes are decrypted
  // lazily by `ReadPlaintext`. Returns a typed error (see the file comment)
  // when the handshake fails, and the sticky status after any failure.
  absl::Status ReceiveCiphertext(absl::string_view bytes);

  // ReceiveCiphertextEof records that the peer closed its side of the
  // transport. During the handshake this fails the layer with
  // kUnavailable/kConnectionClosed; afterwards, `ReadPlaintext` returns what
  // is still buffered and then `peer_closed()` becomes true.
  absl::Status ReceiveCiphertextEof();

  // PendingCiphertext returns the bytes to send to the peer, possibly empty.
  // The view is valid until the next non-const call.
  absl::string_view PendingCiphertext() const ABSL_ATTRIBUTE_LIFETIME_BOUND;

  // ConsumeCiphertext drops the first `n` bytes of `PendingCiphertext()`
  // (they were written to the socket). `n` larger than the pending size is
  // clamped.
  void ConsumeCiphertext(size_t n);

  // WritePlaintext encrypts a prefix of `bytes` into the pending ciphertext
  // and returns how many bytes it consumed. It returns 0 before the
  // handshake completes and when more than `kMaxPendingCiphertext` bytes
  // already wait to be sent (back-pressure: send, then call again). Fails
  // with the sticky status, or kDataLoss/kIo on a record-layer failure.
  absl::StatusOr<size_t> WritePlaintext(absl::string_view bytes);

  // ReadPlaintext decrypts received records into `out` and returns the
  // number of bytes written, 0 when more ciphertext is needed or the peer
  // has closed (then `peer_closed()` is true). Before the handshake
  // completes it returns 0. Fails with kDataLoss/kIo on garbage or a fatal
  // alert.
  absl::StatusOr<size_t> ReadPlaintext(absl::Span<char> out);

  // Shutdown queues a close_notify alert (RFC 8446 §6.1) in the pending
  // ciphertext. Later writes fail with kFailedPrecondition/kClosed.
  absl::Status Shutdown();

  // handshake_done is true once the handshake completed successfully.
  bool handshake_done() const { return handshake_done_; }

  // peer_closed is true once the peer's close_notify (or, after the
  // handshake, its EOF) has been seen and all plaintext was read.
  bool peer_closed() const { return peer_closed_; }

  // status returns OK, or the first fatal error.
  const absl::Status& status() const { return status_; }

  // info returns the negotiated session: version, cipher, server name (SNI),
  // verification result, channel binding (RFC 9266 tls-exporter for TLS 1.3,
  // RFC 5929 tls-unique for TLS 1.2) and whether a client certificate was
  // sent (client) or received (server). Filled in when `handshake_done()`
  // becomes true; default values before. Valid for the layer's lifetime.
  const TlsInfo& info() const ABSL_ATTRIBUTE_LIFETIME_BOUND { return info_; }

  // PeerCertificateChainDer returns the peer's certificates, leaf first, as
  // DER (copies). Empty before the handshake or if the peer sent none.
  std::vector<std::string> PeerCertificateChainDer() const;

  // PeerCertificateChainPem returns the same chain as concatenated PEM
  // "CERTIFICATE" blocks.
  std::string PeerCertificateChainPem() const;

  // session_reused is true once a client's handshake completed by resuming
  // an earlier session (SSL_session_reused), or a server's resumed one.
  bool session_reused() const { return session_reused_; }

  // dane_match is the TLSA record that verified the server when
  // `TlsOptions::dane` was set and the handshake passed; nullopt otherwise.
  const absl::optional<TlsaRecord>& dane_match() const { return dane_match_; }

  // kMaxPendingCiphertext bounds the ciphertext `WritePlaintext` lets pile up
  // before it stops consuming plaintext (four full TLS records).
  static constexpr size_t kMaxPendingCiphertext = 4 * (16384 + 256);

 private:
  TlsLayer() = default;

  // VerifyDaneCallback is BoringSSL's custom verify callback for DANE.
  static enum ssl_verify_result_t VerifyDaneCallback(SSL* ssl,
                                                     uint8_t* out_alert);
  // NewSessionCallback stores a client's new resumable session in its
  // context (BoringSSL's new-session callback).
  static int NewSessionCallback(SSL* ssl, SSL_SESSION* session);

  absl::Status AdvanceHandshake();
  absl::Status Fail(absl::Status status);
  absl::Status HandshakeError(int ssl_error);
  void FillInfo();

  std::shared_ptr<TlsContext> context_;  // shared; see Create
  bssl::UniquePtr<SSL> ssl_;
  BIO* rbio_ = nullptr;  // memory BIO, owned by `ssl_`
  // The write BIO (owned by `ssl_`) appends to `out_` and is not kept here.
  TlsRole role_ = TlsRole::kClient;
  bool started_ = false;
  bool handshake_done_ = false;
  bool peer_eof_ = false;
  bool peer_closed_ = false;
  bool shut_down_ = false;
  bool client_cert_configured_ = false;
  bool client_cert_requested_ = false;  // set from the cert callback
  bool session_offered_ = false;        // a cached session was offered
  bool session_reused_ = false;
  std::string session_peer_;  // the resumption key; empty: no resumption
  absl::Status status_;
  // first_bytes_: the first bytes received (at most 4), to tell a server
  // that answers in plaintext SMTP ("220 ") from a TLS failure.
  std::string first_bytes_;
  // out_: pending ciphertext, appended to by the SSL's write BIO during
  // SSL_do_handshake / SSL_write / SSL_read / SSL_shutdown.
  std::string out_;
  size_t out_offset_ = 0;  // consumed prefix of `out_`
  TlsInfo info_;
  absl::optional<DaneOptions> dane_;
  absl::Status dane_status_;  // the DANE verdict, once the chain was seen
  absl::optional<TlsaRecord> dane_match_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TLS_TLS_LAYER_H_
