// Transport errors: the typed `SmtpError`s (core/smtp_error.h) a transport
// reports for failures below SMTP (resolve, connect, read, write, misuse),
// and the mapping back from a status.
//
// APIs that return `absl::Status` build it with `SmtpError::ToStatus()`, so
// `ErrorFromStatus(status)` restores every field exactly. Transport
// failures use (status code / ErrorDetail):
//   kUnavailable / kIo               resolve or connect failed, I/O error
//   kUnavailable / kConnectionClosed the peer reset or closed the connection
//   kDeadlineExceeded / kTimeout     connect (or any stage) timed out
//   kInvalidArgument / kInvalidArgument  unusable options (empty host, ...)
//   kFailedPrecondition / kBroken or kClosed  the connection is unusable
// and always say which host and port, what happened and what to check:
//   "connect to mail.example.org:25: connection refused (tried 192.0.2.1);
//    is the server running and listening on port 25?"
//
// Every function here is pure (reads errno text tables only) and never
// fails; the returned errors own their data.

#ifndef SMTP_TRANSPORTS_COMMON_TRANSPORT_ERROR_H_
#define SMTP_TRANSPORTS_COMMON_TRANSPORT_ERROR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/errors.h"
#include "core/smtp_error.h"

namespace smtpcore {

// ErrorFromStatus returns the typed error carried by `status` (as made by
// `SmtpError::ToStatus`; any other status is wrapped with its code,
// message and ErrorDetail, command kGreeting). `status` must not be OK.
SmtpError ErrorFromStatus(const absl::Status& status);

// TransportError returns an SmtpError for a failure below SMTP: temporary
// (permanent only for kInvalidArgument), code 0, command kGreeting, `cause`
// (kIo, kTimeout, kConnectionClosed, kInvalidArgument, ...) with the
// matching status code, and `what` as the one-line description (CR and LF
// become spaces).
SmtpError TransportError(ErrorDetail cause, std::string what);

// DiagnoseSilentImplicitTlsPort returns `status` unchanged unless it is a
// timeout waiting for the greeting (ErrorDetail::kTimeout, kGreeting);
// then, for a session that was not implicit TLS and connected to `port`,
// one of ClientOptions::implicit_tls_ports, it returns the error with cause
// kTlsPeerExpectsTls: a TLS server waits silently for the ClientHello, so
// no greeting means the port expects implicit TLS (RFC 8314 §3.3).
absl::Status DiagnoseSilentImplicitTlsPort(const absl::Status& status,
                                           uint16_t port);

// UnusableConnectionError returns the error for an operation on a
// connection that can no longer carry one: cause kBroken ("the connection
// failed earlier: <what>") when `earlier_failure` is set, else kClosed
// ("the connection is closed"); status code kFailedPrecondition, temporary.
SmtpError UnusableConnectionError(
    const absl::optional<SmtpError>& earlier_failure);

// ErrnoHint returns a short "what to check" for a connect/IO errno
// (ECONNREFUSED: "is the server running and listening on port N?",
// ETIMEDOUT: "is a firewall dropping the packets?", ENETUNREACH, ...), or
// "" when there is nothing useful to say.
std::string ErrnoHint(int error_number, uint16_t port);

// ConnectError returns the error for a failed connect to `host`:`port`
// after trying `tried` (numeric addresses); `error_number` is the errno of
// the last attempt (ETIMEDOUT for our own connect timeout, which makes the
// cause kTimeout; anything else is kIo). Example message: "connect to
// mail.example.org:25: connection refused (tried 192.0.2.1, 2001:db8::1);
// is the server running and listening on port 25?".
SmtpError ConnectError(absl::string_view host, uint16_t port,
                       absl::Span<const std::string> tried,
                       int error_number);

// ResolveError returns the error (kIo) for a failed name lookup of `host`;
// `detail` is the resolver's message (gai_strerror / uv_strerror).
SmtpError ResolveError(absl::string_view host, absl::string_view detail);

// IoError returns the error for an I/O failure `during` something ("read",
// "write") on the connection to `peer` ("192.0.2.1:25"), from errno
// `error_number`: cause kIo (kConnectionClosed for ECONNRESET/EPIPE).
SmtpError IoError(absl::string_view during, absl::string_view peer,
                  int error_number);

// BindError returns the error for binding the client side to
// `local_address` (ClientOptions::local_address) with errno `error_number`:
// kInvalidArgument (permanent) when the address is not one of this machine
// or not usable (EADDRNOTAVAIL, EINVAL, EAFNOSUPPORT), else kIo. Example:
// "bind to local address 192.0.2.9: cannot assign requested address; is it
// an address of this machine?".
SmtpError BindError(absl::string_view local_address, int error_number);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_TRANSPORT_ERROR_H_
