// DialHistory and address ordering: which IP addresses of a host to try, in
// what order, given what earlier attempts did (mox smtpclient `Dial` and its
// `dialedIPs` map, made explicit and caller-owned).
//
// Rules of `OrderDialAddresses` (pure: no sockets, no clock, no DNS):
//  1. The resolver's order (RFC 6724 destination address selection, done by
//     getaddrinfo) is kept within each address family.
//  2. Families alternate: first address of the first family, first of the
//     other family, second of the first, ... (RFC 8305 §4 interleaving), so
//     a dead IPv6 path costs one connect timeout, not all of them.
//  3. Without history the first family is the resolver's first address's.
//  4. With history for this host, the last attempt decides: if it failed
//     (connect failed, or the session failed afterwards) the OTHER family
//     goes first (a blocklisted or broken address family is avoided); if it
//     succeeded, the SAME family goes first.
//  5. Within a family: first the addresses whose last attempt connected
//     (most recent first), so a retry after a greylisting 4xx reaches the
//     same server IP (greylisting is keyed on the triple and MX clusters
//     often do not share state); then the addresses never dialed; last
//     those whose last attempt failed (most recent failure last).
//
// Thread-compatible: one owner, or external locking.

#ifndef SMTP_TRANSPORTS_COMMON_DIAL_HISTORY_H_
#define SMTP_TRANSPORTS_COMMON_DIAL_HISTORY_H_

#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace smtpcore {

// AddressFamily restricts which resolved addresses are dialed.
enum class AddressFamily : uint8_t {
  kAny,       // IPv4 and IPv6, alternating
  kIpv4Only,  // like `swaks -4` / `curl -4`
  kIpv6Only,  // like `swaks -6` / `curl -6`
};

// DialAddress is one resolved socket address of a host. A value type.
struct DialAddress {
  // ip is the numeric address without brackets or port ("192.0.2.1",
  // "2001:db8::1").
  std::string ip;
  // family is AF_INET or AF_INET6.
  int family = AF_UNSPEC;
  uint16_t port = 0;
  // sockaddr holds the full socket address (port included), `sockaddr_len`
  // bytes of it are meaningful; ready for connect() / uv_tcp_connect().
  sockaddr_storage sockaddr = {};
  socklen_t sockaddr_len = 0;

  // ToString returns "192.0.2.1:25" or "[2001:db8::1]:25".
  std::string ToString() const;
  // is_loopback is true for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
  bool is_loopback() const;
};

// MakeDialAddress parses the numeric `ip` (IPv4 or IPv6, brackets allowed)
// into a DialAddress for `port`. Fails with kInvalidArgument if `ip` is not
// a numeric address. No DNS.
absl::StatusOr<DialAddress> MakeDialAddress(absl::string_view ip,
                                            uint16_t port);

// DialOutcome is what happened with one dialed address.
enum class DialOutcome : uint8_t {
  kConnectFailed,  // TCP connect failed (refused, unreachable, timed out)
  kConnected,      // TCP connected; the session has not failed (yet)
  kSessionFailed,  // connected, but the SMTP session failed afterwards
                   // (4xx greeting, timeout, TLS failure, EOF, ...)
};

// DialOutcomeName returns "connect_failed", "connected" or
// "session_failed".
absl::string_view DialOutcomeName(DialOutcome outcome);

// DialAttempt is one entry of a DialHistory.
struct DialAttempt {
  std::string ip;  // numeric, no brackets
  int family = AF_UNSPEC;
  DialOutcome outcome = DialOutcome::kConnectFailed;
};

// DialHistory remembers, per host name (as given to the transport, compared
// case-insensitively), the addresses dialed and how each attempt ended. The
// caller owns it and passes it by pointer in `ClientOptions::dial_history`;
// it must outlive every client using it. Keep one per destination queue
// entry (or one for the whole process) across retries of a message.
class DialHistory {
 public:
  DialHistory() = default;

  // Record appends an attempt for `host`. Never fails.
  void Record(absl::string_view host, absl::string_view ip, int family,
              DialOutcome outcome);

  // UpdateLast changes the outcome of the most recent attempt for `host`
  // to `ip` (e.g. kConnected -> kSessionFailed). No-op if there is none.
  void UpdateLast(absl::string_view host, absl::string_view ip,
                  DialOutcome outcome);

  // attempts returns the attempts for `host`, oldest first (empty if
  // none). The span is valid until the next non-const call.
  absl::Span<const DialAttempt> attempts(absl::string_view host) const;

  // last returns the most recent attempt for `host`, or nullptr. Valid
  // until the next non-const call.
  const DialAttempt* last(absl::string_view host) const;

  // Clear forgets everything.
  void Clear() { hosts_.clear(); }

 private:
  std::map<std::string, std::vector<DialAttempt>> hosts_;
};

// OrderDialAddresses returns `addresses` filtered by `family` and ordered by
// the rules in the file comment, using `history` (may be null) for `host`.
// Duplicates (same ip) are removed. Never fails; the result may be empty
// when `family` filters everything out.
std::vector<DialAddress> OrderDialAddresses(
    absl::string_view host, absl::Span<const DialAddress> addresses,
    const DialHistory* history, AddressFamily family = AddressFamily::kAny);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_DIAL_HISTORY_H_
