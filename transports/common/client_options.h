// ClientOptions: what every client transport (transports/blocking,
// transports/libuv) is configured with, plus the small pure helpers that
// derive the connection target from it (port, host, TLS options).
//
// No sockets, no clock: `IsIpLiteral` only parses text.

#ifndef SMTP_TRANSPORTS_COMMON_CLIENT_OPTIONS_H_
#define SMTP_TRANSPORTS_COMMON_CLIENT_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/session.h"
#include "transports/common/dial_history.h"
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
  // addresses, when not empty, are the numeric IPs to dial instead of
  // resolving `host` (an MX driver resolved them through its own
  // validating resolver, route/delivery_plan.h); `host` then only names the
  // server (messages, TLS server name, dial history). Ordered and recorded
  // like resolved addresses.
  std::vector<std::string> addresses;
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
  // implicit_tls_ports are the ports that expect TLS from the first byte
  // (RFC 8314 §3.3: 465). A session that is not TlsMode::kImplicit and
  // connects to one waits for the greeting at most
  // `implicit_tls_greeting_window`; no greeting by then fails with
  // ErrorDetail::kTlsPeerExpectsTls (DiagnoseSilentImplicitTlsPort).
  std::vector<uint16_t> implicit_tls_ports = {465};
  Duration implicit_tls_greeting_window = absl::Seconds(10);
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

// EffectivePort returns `options.port`, or the default for its TLS mode
// (465 for TlsMode::kImplicit, 25 otherwise). Never fails.
uint16_t EffectivePort(const ClientOptions& options);

// HostWithoutBrackets returns `host` without surrounding "[...]". The result
// is a view into `host` and valid as long as `host`'s storage. Never fails.
absl::string_view HostWithoutBrackets(absl::string_view host);

// IsIpLiteral is true if `host` (brackets allowed) is a numeric IPv4 or
// IPv6 address. No DNS.
bool IsIpLiteral(absl::string_view host);

// MakeClientTlsOptions returns a copy of `options.tls` completed for a
// client: role kClient and `server_name` defaulted to the host without
// brackets. Never fails (bad TLS options fail later, in TlsLayer::Create).
TlsOptions MakeClientTlsOptions(const ClientOptions& options);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_CLIENT_OPTIONS_H_
