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
#include "transports/proxy/proxy_config.h"
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

  // unix_socket, when not empty, is the path of a Unix-domain stream socket
  // to connect to instead of TCP (LMTP servers such as Dovecot's listen on
  // one; `smtpc --server unix:/path`). Then `addresses`, `port`, `family`,
  // `max_addresses` and `dial_history` are not used, `host` only names the
  // server (messages, TLS server name; "localhost" when empty), and the
  // peer counts as loopback. With `proxy` or `local_address` it is
  // kInvalidArgument (`ValidateClientOptions`).
  std::string unix_socket;
  // local_address, when not empty, is the numeric IP the client side is
  // bound to before connecting (the source address; like swaks
  // --local-interface or curl --interface). Only destination addresses of
  // its family are dialed. Not numeric: kInvalidArgument; not an address of
  // this machine (EADDRNOTAVAIL): kInvalidArgument at connect; another bind
  // failure: kIo. With a proxy it binds the connection to the proxy.
  std::string local_address;
  // proxy, when enabled, is a SOCKS5 or HTTP CONNECT proxy the connection
  // goes through (transports/proxy). The proxy's host is resolved here and
  // its addresses are dialed (in order, each bounded by `connect_timeout`,
  // which also bounds the proxy's handshake); the destination sent to it is
  // the first of `addresses` when given, else `host` as given, so a name is
  // resolved by the proxy. Implicit TLS and STARTTLS run inside the tunnel,
  // verified against `host`. Proxied attempts are not recorded in
  // `dial_history` (the addresses dialed are the proxy's), and
  // `loopback_allows_insecure_auth` applies only when the destination is a
  // loopback IP literal. Refusals are typed (core/errors.h, kProxy*).
  ProxyConfig proxy;
  // happy_eyeballs_delay is the libuv transport's "Connection Attempt
  // Delay" (RFC 8305 §5): while one address is still connecting, the next
  // is started after this long (a failed attempt starts the next at once);
  // the first to connect wins and the others are cancelled. Zero or
  // negative: one address at a time, like the blocking transport, which
  // always dials sequentially. RFC 8305 §8 recommends 250 ms; at least
  // 10 ms is used.
  Duration happy_eyeballs_delay = absl::Milliseconds(250);
  // reconnect_after_auth_retry: when the server closes the connection
  // after the session's one AUTH retry started (the `AuthRetry` event of
  // an OAuth token refresh, docs/reach.md) and before the session was
  // ready, dial once more and run a new session with the same options: the
  // token provider then hands out the renewed token. At most one
  // reconnection per Connect. Default true.
  bool reconnect_after_auth_retry = true;
};

// ValidateClientOptions checks the connection target of `options`: a
// `unix_socket` path that fits a sockaddr_un and is used without `proxy`
// or `local_address`; a numeric `local_address` whose family `family`
// allows; a proxy with a host and a port. Fails with kInvalidArgument /
// kInvalidArgument (the typed `TransportError` status) naming the problem.
absl::Status ValidateClientOptions(const ClientOptions& options);

// ProxyDestination returns the destination to give to the proxy: the first
// of `options.addresses` when given, else `options.host` without brackets.
std::string ProxyDestination(const ClientOptions& options);

// PeerIsLocal says whether credentials sent to `peer` (the connected
// address) stay on this machine, for `loopback_allows_insecure_auth`: a
// Unix-domain socket or a loopback IP; through a proxy, only a loopback IP
// literal as the destination (the proxy itself may be local while the
// server is not).
bool PeerIsLocal(const ClientOptions& options, const DialAddress& peer);

// LocalAddressFamily restricts `family` to the family of
// `options.local_address` (unchanged when it is empty or not numeric).
AddressFamily LocalAddressFamily(const ClientOptions& options);

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
