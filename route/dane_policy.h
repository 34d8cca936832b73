// DANE policy for one MX host (RFC 7672 §2.2, RFC 7671, RFC 6698), decided
// from DNS answers without doing any DNS (sans-I/O, like
// route/destinations.h). Chain verification against the records is done by
// transports/tls/dane_verifier.h, during the handshake.
//
// Rules:
//  1. No DANE for a host that is an IP address, or whose address records
//     were not all DNSSEC-secure (RFC 7672 §2.2.2: the TLSA lookup is only
//     meaningful, and only made, when the address records are secure).
//  2. The TLSA base domain (RFC 7672 §2.2.3): when the host is a CNAME and
//     the expansion was secure, first the CNAME-expanded name, and if that
//     has no TLSA records (securely denied), the original name; otherwise
//     the original name only.
//  3. The TLSA answer at `_PORT._tcp.BASE`:
//       bogus or SERVFAIL  -> temporary failure of this host, never a
//                             fallback to unauthenticated TLS (RFC 7672
//                             §2.2.1: treat the server as unreachable);
//       insecure           -> ignored: no DANE (only secure records count);
//       secure, no records -> next base domain, else no DANE;
//       secure, records    -> DANE is required: verification with the
//                             usable records (route/tlsa.h); when none is
//                             usable, TLS is still mandatory but the
//                             certificate is not authenticated (RFC 7672
//                             §2.2, "unusable TLSA records").
//  4. Names a DANE-TA certificate may carry (RFC 7672 §3.2.2): the TLSA base
//     domain(s) used, and the next-hop domain (original and CNAME-expanded)
//     when the MX lookup was secure. The first name is sent as SNI (RFC 7672
//     §8.1: the TLSA base domain).

#ifndef SMTP_ROUTE_DANE_POLICY_H_
#define SMTP_ROUTE_DANE_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "route/destinations.h"
#include "route/dns_answer.h"
#include "route/host_addresses.h"
#include "route/tlsa.h"

namespace smtpcore {

// DaneState is the DANE outcome for one host.
enum class DaneState : uint8_t {
  kNotApplicable,  // no secure TLSA records: other policies apply
  kRequired,       // verify the certificate against `records`
  kUnusable,       // secure TLSA records, none usable: TLS mandatory, the
                   // certificate is not authenticated
};

// DaneStateName returns "not_applicable", "required" or "unusable".
absl::string_view DaneStateName(DaneState state);

// DanePolicy is the completed decision for one host.
struct DanePolicy {
  DaneState state = DaneState::kNotApplicable;
  // records are the usable TLSA records (kRequired).
  std::vector<TlsaRecord> records;
  // unusable lists the ignored records with the reason, for reports.
  std::vector<std::string> unusable;
  // base_domain is the TLSA base domain whose records were used.
  std::string base_domain;
  // names are the reference identifiers for DANE-TA; names[0] is the SNI.
  std::vector<std::string> names;
  // reason says why, in one line ("secure TLSA at _25._tcp.mx.example").
  std::string reason;
  std::vector<DnsStep> steps;
};

// DaneStep is either questions to answer first or a result (policy or a
// temporary error: kDnssecBogus or kDnsTemporary).
struct DaneStep {
  std::vector<DnsQuestion> needed;
  absl::optional<DanePolicy> policy;
  absl::Status error;
  std::vector<DnsStep> steps;
};

// DecideDane decides the DANE policy of `destination` (whose addresses are
// `addresses`, reached on `port`) from `answers`; `destinations` supplies
// the next-hop names and whether the MX lookup was secure. Never fails
// itself; failures are in the step.
DaneStep DecideDane(const Destinations& destinations,
                    const Destination& destination,
                    const HostAddresses& addresses, uint16_t port,
                    const DnsAnswerSet& answers);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_DANE_POLICY_H_
