// Host addresses: the IP addresses of one destination host and what the
// DNS said about them (mox smtpclient `GatherIPs`), decided from A and AAAA
// answers without doing any DNS (sans-I/O, like route/destinations.h).
//
// Rules:
//  - A and AAAA are both asked. One failing (SERVFAIL) while the other
//    gives addresses is tolerated and reported; both failing is a temporary
//    failure (kDnsTemporary). A bogus answer makes the host unusable
//    (temporary, kDnssecBogus): its addresses cannot be trusted. NXDOMAIN
//    for both: kNoSuchDomain (permanent for this host).
//  - A host that is a CNAME is followed by the resolver; the canonical name
//    is reported (an MX target must not be a CNAME, RFC 5321 §5.1 and RFC
//    2181 §10.3; tolerated, as every MTA does).
//  - `secure` is true when both answers were DNSSEC-secure (a secure NODATA
//    counts): RFC 7672 §2.2.2 looks up TLSA only then.
//  - The addresses are ordered with the dial history (route/dial_history.h).

#ifndef SMTP_ROUTE_HOST_ADDRESSES_H_
#define SMTP_ROUTE_HOST_ADDRESSES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "route/destinations.h"
#include "route/dial_history.h"
#include "route/dns_answer.h"
#include "route/ip_address.h"

namespace smtpcore {

// HostAddresses is the completed decision for one host.
struct HostAddresses {
  std::string host;
  // canonical is the CNAME-expanded name ("" when not a CNAME).
  std::string canonical;
  // secure: the A and AAAA answers were both DNSSEC-secure.
  bool secure = false;
  // ips in the order to dial.
  std::vector<IpAddress> ips;
  std::vector<DnsStep> steps;
  std::vector<std::string> warnings;
};

// HostAddressesStep is either questions to answer first or a result
// (addresses or error).
struct HostAddressesStep {
  std::vector<DnsQuestion> needed;
  absl::optional<HostAddresses> addresses;
  absl::Status error;
  std::vector<DnsStep> steps;
};

// GatherHostAddresses decides the addresses of `host` (a normalised name)
// from `answers`, ordered with `history` (may be null) and filtered by
// `family`. Never fails itself; failures are in the step.
HostAddressesStep GatherHostAddresses(absl::string_view host,
                                      const DnsAnswerSet& answers,
                                      const DialHistory* history,
                                      AddressFamily family);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_HOST_ADDRESSES_H_
