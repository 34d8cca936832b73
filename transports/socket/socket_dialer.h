// Socket dialing for the poll-based drivers (BlockingClient, the MTA-STS
// fetcher): resolve with getaddrinfo, bind a source address, connect with a
// timeout in the order of transports/common/dial_history.h (alternating
// address families, recording a `DialHistory`), Unix-domain sockets, and
// the proxy handshake (transports/proxy) before handing over the socket.
// Sequential: one address at a time (the libuv transport races them, RFC
// 8305; transports/libuv/uv_dialer.h).
//
// Blocking calls; the clock is `MonotonicNow`. Errors are typed statuses
// (`ErrorFromStatus`, transports/common/transport_error.h).

#ifndef SMTP_TRANSPORTS_SOCKET_SOCKET_DIALER_H_
#define SMTP_TRANSPORTS_SOCKET_SOCKET_DIALER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/instant.h"
#include "transports/common/client_options.h"
#include "transports/common/dial_history.h"
#include "transports/socket/socket_transport.h"

namespace smtpcore {

// ResolveHost resolves `host` (name or IP literal, brackets allowed) for TCP
// port `port` with getaddrinfo (blocking), keeping the resolver's order.
// Fails with the `ResolveError` status ("resolve mail.example.org: Name or
// service not known; check the host name") or, when nothing of `family` is
// left, kUnavailable / kIo naming the family.
absl::StatusOr<std::vector<DialAddress>> ResolveHost(absl::string_view host,
                                                     uint16_t port,
                                                     AddressFamily family);

// DialSocket connects as `options` say (transports/common/client_options.h):
//   - `unix_socket`: that Unix-domain socket, within `connect_timeout`;
//   - otherwise `host` is resolved (or `addresses` taken as they are) and
//     its addresses are tried in the order of `OrderDialAddresses` (history
//     and family from `options`, restricted to `local_address`'s family),
//     each bounded by `connect_timeout`, at most `max_addresses`, each
//     recorded in `dial_history` (if set);
//   - `local_address` is bound before each connect;
//   - with `proxy`, the proxy's addresses are dialed instead (no history)
//     and its handshake runs to `ProxyDestination(options)`:`EffectivePort`
//     within `connect_timeout` from the connect; bytes the proxy sent after
//     its reply are given back by the socket's first reads.
// Returns the connected socket or the typed error: `ConnectError` of the
// last attempt (kUnavailable/kIo, or kDeadlineExceeded/kTimeout when every
// attempt timed out), `ResolveError`, kInvalidArgument (empty host, bad
// options: `ValidateClientOptions`, a local address not on this machine), a
// proxy refusal (kProxy*, transports/proxy/proxy_error.h) or kTimeout for a
// proxy that did not finish its handshake in time.
absl::StatusOr<std::unique_ptr<SocketTransport>> DialSocket(
    const ClientOptions& options);

// ConnectSocketTo connects to the single numeric `address` with `timeout`
// (no DNS, no history, no proxy). Errors as `DialSocket`, with `host` in
// the message.
absl::StatusOr<std::unique_ptr<SocketTransport>> ConnectSocketTo(
    absl::string_view host, const DialAddress& address, Duration timeout);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_SOCKET_SOCKET_DIALER_H_
