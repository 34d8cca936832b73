// Dial addresses: the socket-address side of the dial history. The history
// itself and the pure ordering rules live in route/dial_history.h (no
// sockets there); this file turns numeric addresses into `sockaddr`s ready
// for connect() / uv_tcp_connect() and applies those rules to them.
//
// Thread-compatible: one owner, or external locking.

#ifndef SMTP_TRANSPORTS_COMMON_DIAL_HISTORY_H_
#define SMTP_TRANSPORTS_COMMON_DIAL_HISTORY_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "route/dial_history.h"

namespace smtpcore {

// DialAddress is one resolved socket address of a host, or the path of a
// Unix-domain socket (`MakeUnixDialAddress`). A value type.
struct DialAddress {
  // ip is the numeric address without brackets or port ("192.0.2.1",
  // "2001:db8::1"); for AF_UNIX the socket's path.
  std::string ip;
  // family is AF_INET, AF_INET6 or AF_UNIX.
  int family = AF_UNSPEC;
  uint16_t port = 0;
  // sockaddr holds the full socket address (port included), `sockaddr_len`
  // bytes of it are meaningful; ready for connect() / uv_tcp_connect().
  sockaddr_storage sockaddr = {};
  socklen_t sockaddr_len = 0;

  // ToString returns "192.0.2.1:25", "[2001:db8::1]:25" or
  // "unix:/run/dovecot/lmtp".
  std::string ToString() const;
  // is_loopback is true for 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and
  // every Unix-domain socket (the peer is on this machine).
  bool is_loopback() const;
};

// MakeDialAddress parses the numeric `ip` (IPv4 or IPv6, brackets allowed)
// into a DialAddress for `port`. Fails with kInvalidArgument if `ip` is not
// a numeric address. No DNS.
absl::StatusOr<DialAddress> MakeDialAddress(absl::string_view ip,
                                            uint16_t port);

// MakeUnixDialAddress returns the address of the Unix-domain stream socket
// at `path` (port 0). Fails with kInvalidArgument for an empty path, a NUL
// in it, or a path too long for `sockaddr_un` (107 octets on Linux).
absl::StatusOr<DialAddress> MakeUnixDialAddress(absl::string_view path);

// OrderDialAddresses returns `addresses` filtered by `family` and ordered by
// the rules of route/dial_history.h (`OrderIpAddressIndices`), using
// `history` (may be null) for `host`.
// Duplicates (same ip) are removed. Never fails; the result may be empty
// when `family` filters everything out.
std::vector<DialAddress> OrderDialAddresses(
    absl::string_view host, absl::Span<const DialAddress> addresses,
    const DialHistory* history, AddressFamily family = AddressFamily::kAny);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_DIAL_HISTORY_H_
