// GreetingDiagnosis: how the client transports tell "this port expects
// implicit TLS" (RFC 8314 §3.3) from an ordinary greeting failure when a
// session in plaintext or STARTTLS mode never got ready:
//
//  - the server's first bytes are a TLS record header (a handshake or an
//    alert, RFC 8446 §5.1 / RFC 5246 §6.2.1) instead of "220 ...";
//  - on a port of ClientOptions::implicit_tls_ports (465) no greeting came
//    within ClientOptions::implicit_tls_greeting_window (a TLS server waits
//    silently for the ClientHello).
//
// Either way the error becomes ErrorDetail::kTlsPeerExpectsTls. This lives
// in transports/common, not in core/: the core speaks SMTP and sees only
// "not a reply" (kMalformedReply) or a closed connection; recognising TLS
// record bytes is the transports' business, which own the TLS layer and
// the bytes as they arrive. Pure functions and a value type; no I/O.

#ifndef SMTP_TRANSPORTS_COMMON_GREETING_DIAGNOSIS_H_
#define SMTP_TRANSPORTS_COMMON_GREETING_DIAGNOSIS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "transports/common/client_options.h"

namespace smtpcore {

// LooksLikeTlsRecord returns true when `bytes` start like a TLS record:
// content type 22 (handshake) or 21 (alert) followed by the major version
// byte 3 (SSL 3.0 .. TLS 1.3 record layers). Needs at least two bytes;
// never fails.
bool LooksLikeTlsRecord(absl::string_view bytes);

// ExpectsImplicitTls returns true when `options` dial TCP (not a Unix
// socket), the session is not TlsMode::kImplicit and EffectivePort(options)
// is one of `options.implicit_tls_ports`.
bool ExpectsImplicitTls(const ClientOptions& options);

// ApplyImplicitTlsGreetingWindow shortens `options->session` greeting
// timeout to `implicit_tls_greeting_window` when ExpectsImplicitTls;
// otherwise leaves `options` unchanged. `options` must not be null.
void ApplyImplicitTlsGreetingWindow(ClientOptions* options);

// GreetingPrefix keeps the first bytes a session received in plaintext, to
// recognise a TLS server answering where SMTP was expected. A value type;
// Record copies what it keeps (at most kSize bytes).
class GreetingPrefix {
 public:
  static constexpr size_t kSize = 2;

  // Record appends from `bytes` until kSize bytes are kept; later calls
  // are no-ops.
  void Record(absl::string_view bytes);
  // view returns the bytes kept so far.
  absl::string_view view() const { return absl::string_view(bytes_, size_); }

 private:
  char bytes_[kSize] = {};
  size_t size_ = 0;
};

// DiagnoseGreetingFailure returns the error for a session made with
// `options` that failed with `status` before it was ready, having received
// `prefix` in plaintext: kTlsPeerExpectsTls (permanent, command kGreeting)
// when `prefix` LooksLikeTlsRecord (and the session was not implicit TLS),
// else DiagnoseSilentImplicitTlsPort when ExpectsImplicitTls(options), else
// `status` unchanged. An OK `status` is returned unchanged.
absl::Status DiagnoseGreetingFailure(const absl::Status& status,
                                     const ClientOptions& options,
                                     const GreetingPrefix& prefix);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_GREETING_DIAGNOSIS_H_
