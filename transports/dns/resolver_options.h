// ResolverOptions: how the in-process validating resolver (libunbound) is
// configured, shared by the blocking and the libuv resolvers.
//
// By default the resolver recurses from the root itself and validates with
// Debian's root trust anchor (`dns-root-data`). DNSSEC is always validated
// in this process: an upstream resolver's AD bit is never trusted (unlike
// mox), so `DnsAnswer::security` means what this process checked.

#ifndef SMTP_TRANSPORTS_DNS_RESOLVER_OPTIONS_H_
#define SMTP_TRANSPORTS_DNS_RESOLVER_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace smtpcore {

// kDebianRootTrustAnchor is the root key file of Debian's dns-root-data.
inline constexpr char kDebianRootTrustAnchor[] = "/usr/share/dns/root.key";

// ResolverOptions configures a resolver. A value type.
struct ResolverOptions {
  // forward_address, when set, sends every query to that resolver
  // ("127.0.0.1", "::1") on `forward_port` instead of recursing; answers are
  // still validated here. Forwarding also lets names under the special-use
  // "test." domain (RFC 6761 §6.2) through (local-zone "test." transparent),
  // which libunbound otherwise answers NXDOMAIN itself: test setups serve
  // their zones there.
  std::string forward_address;
  uint16_t forward_port = 53;
  // trust_anchor_file holds DS or DNSKEY records (zone-file format) of the
  // trust anchors; "" means kDebianRootTrustAnchor.
  std::string trust_anchor_file;
  // timeout bounds each query (the blocking resolver cancels it then and
  // answers SERVFAIL "timed out"); the libuv resolver applies it too.
  absl::Duration timeout = absl::Seconds(20);
};

// ParseResolverAddress parses "ADDR[:PORT]" / "[IPv6]:PORT" into
// `forward_address`/`forward_port` of `options` (port default 53). Fails
// with kInvalidArgument when ADDR is not a numeric IP or PORT is not
// 1..65535.
absl::Status ParseResolverAddress(absl::string_view text,
                                  ResolverOptions* options);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_DNS_RESOLVER_OPTIONS_H_
