// DialHistory and IP ordering: which IP addresses of a host to try, in what
// order, given what earlier attempts did (mox smtpclient `Dial` and its
// `dialedIPs` map, made explicit, caller-owned and serialisable so that a
// queue can persist it next to a message).
//
// Rules of `OrderIpAddresses` (pure: no sockets, no clock, no DNS):
//  1. The resolver's order (RFC 6724 destination address selection) is kept
//     within each address family.
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

#ifndef SMTP_ROUTE_DIAL_HISTORY_H_
#define SMTP_ROUTE_DIAL_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "route/ip_address.h"

namespace smtpcore {

// AddressFamily restricts which addresses are dialed.
enum class AddressFamily : uint8_t {
  kAny,       // IPv4 and IPv6, alternating
  kIpv4Only,  // like `swaks -4` / `curl -4`
  kIpv6Only,  // like `swaks -6` / `curl -6`
};

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
  std::string ip;  // canonical numeric text, no brackets
  IpFamily family = IpFamily::kV4;
  DialOutcome outcome = DialOutcome::kConnectFailed;
};

// DialHistory remembers, per host name (compared case-insensitively), the
// addresses dialed and how each attempt ended; at most
// `kMaxAttemptsPerHost` per host (the oldest are dropped). Keep one per
// destination queue entry (or one for the whole process) across retries of
// a message; `Serialize`/`Parse` store it.
class DialHistory {
 public:
  // kMaxAttemptsPerHost bounds what is kept (and persisted) per host.
  static constexpr size_t kMaxAttemptsPerHost = 16;

  DialHistory() = default;

  // Record appends an attempt for `host` to the numeric `ip` (any text
  // form; stored canonical). An `ip` that is not numeric is ignored.
  void Record(absl::string_view host, absl::string_view ip,
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

  // Serialize returns a text form: the line "smtpcore-dial-history 1", then
  // one line "HOST IP OUTCOME" per attempt (hosts in order, attempts oldest
  // first). `Parse(Serialize())` gives an equal history.
  std::string Serialize() const;

  // Parse reads what `Serialize` wrote. Fails with kInvalidArgument, naming
  // the line, on an unknown header, a malformed line, a non-numeric IP or
  // an unknown outcome; nothing partial is returned.
  static absl::StatusOr<DialHistory> Parse(absl::string_view text);

 private:
  std::map<std::string, std::vector<DialAttempt>> hosts_;
};

// OrderIpAddressIndices returns indices into `addresses`, filtered by
// `family`, ordered by the rules in the file comment, using `history` (may
// be null) for `host`; duplicates are dropped (the first one stays). Never
// fails; the result may be empty.
std::vector<size_t> OrderIpAddressIndices(
    absl::string_view host, absl::Span<const IpAddress> addresses,
    const DialHistory* history, AddressFamily family = AddressFamily::kAny);

// OrderIpAddresses returns the addresses in the order of
// `OrderIpAddressIndices`.
std::vector<IpAddress> OrderIpAddresses(
    absl::string_view host, absl::Span<const IpAddress> addresses,
    const DialHistory* history, AddressFamily family = AddressFamily::kAny);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_DIAL_HISTORY_H_
