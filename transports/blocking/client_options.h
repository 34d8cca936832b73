// ClientOptions, DeliveryOutcome and the transport error constructors shared
// by the blocking transport (transports/blocking/blocking_client.h) and the
// libuv transport (transports/libuv/uv_client.h).
//
// Errors are typed: every failure is an `SmtpError` (core/smtp_error.h). APIs
// that return `absl::Status` build it with `SmtpError::ToStatus()`, so
// `SmtpError::FromStatus(status, ...)` (or `ErrorFromStatus` below) restores
// every field exactly. Transport failures use:
//   kUnavailable / kIo               resolve or connect failed, I/O error
//   kDeadlineExceeded / kTimeout     connect (or any stage) timed out
//   kInvalidArgument / kInvalidArgument  unusable options (empty host, ...)
// and always say which host and port, what happened and what to check:
//   "connect to mail.example.org:25: connection refused (tried 192.0.2.1);
//    is the server running and listening on port 25?"

#ifndef SMTP_TRANSPORTS_BLOCKING_CLIENT_OPTIONS_H_
#define SMTP_TRANSPORTS_BLOCKING_CLIENT_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/delivery.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/session.h"
#include "core/smtp_error.h"
#include "transports/blocking/dial_history.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {

// kSmtpPort, kSubmissionPort and kSubmissionsPort are the well-known ports
// (RFC 5321 §4.5.4.2 / RFC 6409 §3.1 / RFC 8314 §7.3).
inline constexpr uint16_t kSmtpPort = 25;
inline constexpr uint16_t kSubmissionPort = 587;
inline constexpr uint16_t kSubmissionsPort = 465;

// EventCallback receives every event of the session, in order, before the
// transport acts on it (print `Trace` events for --trace). It runs on the
// thread driving the transport; it must not call back into the client that
// reports it. The event is only borrowed for the call.
using EventCallback = std::function<void(const Event& event)>;

// ClientOptions configures one client connection (blocking or libuv). A
// value type: everything is copied except `dial_history`.
struct ClientOptions {
  // host is the server: a DNS name ("mail.example.org") or an IP literal
  // ("192.0.2.1", "2001:db8::1" or "[2001:db8::1]"). Required.
  std::string host;
  // port is the TCP port; 0 picks 465 for TlsMode::kImplicit, 25 otherwise.
  uint16_t port = 0;
  // session configures the protocol (EHLO name, `tls_mode`, AUTH, timeouts,
  // trace, ...). See core/session.h.
  SessionOptions session;
  // tls configures STARTTLS and implicit TLS. `role` is forced to kClient;
  // an empty `server_name` becomes `host` (without brackets). For
  // TlsMode::kOpportunistic set `insecure` to accept unverifiable
  // certificates the way MTAs do (RFC 7435); otherwise a verification
  // failure ends the session (it never falls back to plaintext after a
  // failed handshake). The TlsLayer is created when TLS starts; bad options
  // fail the session then (kInvalidArgument / kFailedPrecondition from
  // `TlsLayer::Create`).
  TlsOptions tls;
  // connect_timeout bounds each TCP connect attempt (each address tried
  // gets this long). Zero or negative: no limit besides the kernel's.
  Duration connect_timeout = absl::Seconds(30);
  // family restricts the dialed address families.
  AddressFamily family = AddressFamily::kAny;
  // max_addresses caps how many addresses are tried (after ordering).
  int max_addresses = 8;
  // dial_history, when set, orders the addresses (see dial_history.h) and
  // receives one entry per dialed address, updated to kSessionFailed when
  // the session fails. Caller-owned; must outlive the client.
  DialHistory* dial_history = nullptr;
  // loopback_allows_insecure_auth sets `session.allow_insecure_auth` when
  // the connected peer is a loopback address (credentials never leave the
  // machine). Default true.
  bool loopback_allows_insecure_auth = true;
  // on_event, when set, receives every session event (see EventCallback).
  EventCallback on_event;
};

// EffectivePort returns `options.port`, or the default for its TLS mode.
uint16_t EffectivePort(const ClientOptions& options);

// HostWithoutBrackets returns `host` without surrounding "[...]".
absl::string_view HostWithoutBrackets(absl::string_view host);

// DeliveryOutcome is the result of one delivery: per-recipient results
// always (envelope order; see core/delivery.h), and the typed error when the
// delivery failed (the core's DeliveryFailed: no recipient delivered, the
// connection failed, or a local refusal such as kMessageTooLarge). A
// delivery where some recipients were rejected but at least one delivered
// is `ok()`; check `result.rejected()` / `result.deferred()`. Owns its data.
struct DeliveryOutcome {
  DeliveryId id = 0;
  DeliveryResult result;
  absl::optional<SmtpError> error;

  // ok is true when the delivery completed (DeliveryDone).
  bool ok() const { return !error.has_value(); }
  // all_delivered is true when every recipient was delivered.
  bool all_delivered() const {
    return ok() && result.delivered() == result.recipients.size();
  }
};

// ErrorFromStatus returns the typed error carried by `status` (as made by
// `SmtpError::ToStatus`; any other status is wrapped with its code,
// message and ErrorDetail). `status` must not be OK.
SmtpError ErrorFromStatus(const absl::Status& status);

// TransportError returns an SmtpError for a failure below SMTP: temporary,
// code 0, command kGreeting, `cause` (kIo, kTimeout, kConnectionClosed,
// kInvalidArgument, ...) with the matching status code, and `what` as the
// one-line description (no newlines). Never fails.
SmtpError TransportError(ErrorDetail cause, std::string what);

// ErrnoHint returns a short "what to check" for a connect/IO errno
// (ECONNREFUSED: "is the server running and listening on port N?",
// ETIMEDOUT: "is a firewall dropping the packets?", ENETUNREACH, ...), or
// "" when there is nothing useful to say.
std::string ErrnoHint(int error_number, uint16_t port);

// ConnectError returns the error for a failed connect to `host`:`port`
// after trying `tried` (numeric addresses); `error_number` is the errno of
// the last attempt (ETIMEDOUT for our own connect timeout, which makes the
// cause kTimeout). Example message: "connect to mail.example.org:25:
// connection refused (tried 192.0.2.1, 2001:db8::1); is the server running
// and listening on port 25?".
SmtpError ConnectError(absl::string_view host, uint16_t port,
                       absl::Span<const std::string> tried,
                       int error_number);

// ResolveError returns the error for a failed name lookup of `host`;
// `detail` is the resolver's message (gai_strerror / uv_strerror).
SmtpError ResolveError(absl::string_view host, absl::string_view detail);

// IoError returns the error for an I/O failure `during` something ("read",
// "write") on the connection to `peer` ("192.0.2.1:25"), from errno
// `error_number`: cause kIo (kConnectionClosed for ECONNRESET/EPIPE).
SmtpError IoError(absl::string_view during, absl::string_view peer,
                  int error_number);

// IsIpLiteral is true if `host` (brackets allowed) is a numeric IPv4 or
// IPv6 address.
bool IsIpLiteral(absl::string_view host);

// MakeClientTlsOptions returns `options.tls` completed for a client: role
// kClient and `server_name` defaulted to the host without brackets.
TlsOptions MakeClientTlsOptions(const ClientOptions& options);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_BLOCKING_CLIENT_OPTIONS_H_
