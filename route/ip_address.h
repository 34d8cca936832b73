// IpAddress: a numeric IPv4 or IPv6 address as data, parsed and printed
// without the C library's socket headers, so that the route layer stays pure
// (no sockets, no DNS; see //route:no_io_test).
//
// Text forms accepted by `ParseIpAddress`: dotted-quad IPv4 ("192.0.2.1",
// exactly four decimal octets, no leading zeros beyond "0"), and IPv6 in
// RFC 4291 §2.2 form ("2001:db8::1", "::ffff:192.0.2.1"). `ToString` prints
// the RFC 5952 §4 canonical form (lower case, longest zero run compressed,
// the first one on a tie), with the IPv4 tail for IPv4-mapped addresses, the
// way glibc's inet_ntop does, so texts from both agree.

#ifndef SMTP_ROUTE_IP_ADDRESS_H_
#define SMTP_ROUTE_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace smtpcore {

// IpFamily is the address family of an IpAddress.
enum class IpFamily : uint8_t { kV4, kV6 };

// IpFamilyName returns "ipv4" or "ipv6".
absl::string_view IpFamilyName(IpFamily family);

// IpAddress is one numeric address. A value type; compare with ==.
struct IpAddress {
  IpFamily family = IpFamily::kV4;
  // bytes holds the address in network order: the first 4 for IPv4, all 16
  // for IPv6; the rest is zero.
  std::array<uint8_t, 16> bytes = {};

  // ToString returns the canonical text ("192.0.2.1", "2001:db8::1").
  std::string ToString() const;
  // is_loopback is true for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
  bool is_loopback() const;

  bool operator==(const IpAddress& other) const {
    return family == other.family && bytes == other.bytes;
  }
  bool operator!=(const IpAddress& other) const { return !(*this == other); }
};

// ParseIpAddress parses numeric `text` (no brackets, no port); nullopt when
// it is not an address. Never fails otherwise.
absl::optional<IpAddress> ParseIpAddress(absl::string_view text);

// IpAddressFromBytes makes an address from raw network-order bytes: 4
// (an A record's rdata) or 16 (AAAA); nullopt for any other length.
absl::optional<IpAddress> IpAddressFromBytes(absl::string_view raw);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_IP_ADDRESS_H_
