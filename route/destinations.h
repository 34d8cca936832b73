// Destinations: the hosts to deliver a domain's mail to, in the order to try
// them (RFC 5321 §5.1), decided from DNS answers without doing any DNS.
//
// Sans-I/O shape: `GatherDestinations` looks at the answers it has (a
// DnsAnswerSet) and either finishes or lists the questions it still needs;
// the caller asks them (in parallel if it likes), adds the answers and calls
// again. The same inputs give the same result; the only "randomness" is
// `seed`.
//
// Rules, in order:
//  1. An address-literal next hop ("[192.0.2.1]", "[IPv6:2001:db8::1]",
//     RFC 5321 §4.1.3) is the only destination; no DNS.
//  2. CNAMEs of the domain are followed, at most `kMaxCnameChain` steps
//     (RFC 5321 §5.1: "if a CNAME record is found, the resulting name is
//     processed as if it were the initial name"); a loop or a longer chain
//     is a temporary failure (kDnsTemporary).
//  3. MX at the CNAME-expanded name. NXDOMAIN: permanent (kNoSuchDomain).
//     SERVFAIL: temporary (kDnsTemporary). Bogus: temporary (kDnssecBogus;
//     RFC 4035 §5.5: a bogus answer must not be used).
//  4. A null MX (a single MX whose target is ".", RFC 7505 §3) is a
//     permanent failure (kNullMx). A "." among other MX records is ignored
//     with a warning (RFC 7505 §3 forbids the mix).
//  5. No MX records: the domain itself is the implicit MX, preference 0
//     (RFC 5321 §5.1).
//  6. MX records are sorted by preference; equal preferences are shuffled
//     (RFC 5321 §5.1 "randomized") with a generator seeded by `seed`.
//     Duplicate targets are dropped.
//  7. An MX target that is an IP address is tolerated and reported (RFC
//     5321 §5.1 says it must be a name). An MX target that is a CNAME is
//     found later, when its addresses are resolved (route/host_addresses.h).
// Each DNS step is recorded with its DNSSEC status; `secure` says whether
// every step was secure (RFC 7672 §2.2.1 needs that to trust MX names).

#ifndef SMTP_ROUTE_DESTINATIONS_H_
#define SMTP_ROUTE_DESTINATIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/idna_converter.h"
#include "absl/types/optional.h"
#include "route/dns_answer.h"
#include "route/ip_address.h"

namespace smtpcore {

// kMaxCnameChain bounds the CNAMEs followed from a next-hop domain.
inline constexpr int kMaxCnameChain = 8;

// NextHop is where mail for a recipient goes first: a domain, or an address
// literal. A value type.
struct NextHop {
  // domain is the normalised domain ("" for an address literal).
  std::string domain;
  // ip is set for an address literal.
  absl::optional<IpAddress> ip;

  // ToString returns the domain or the literal ("[192.0.2.1]",
  // "[IPv6:2001:db8::1]").
  std::string ToString() const;
};

// ParseNextHop parses a recipient domain or an RFC 5321 §4.1.3 address
// literal. A domain with non-ASCII (UTF-8) labels is converted to its
// A-labels with `idna` first (RFC 5890 §2.3.2.1; DNS holds only the ASCII
// form). Fails with kInvalidArgument for anything else (an unbracketed IP,
// an invalid domain, a general address literal other than IPv6, a
// non-ASCII domain when `idna` is unset or refuses it). `idna` is borrowed
// for the call.
absl::StatusOr<NextHop> ParseNextHop(absl::string_view text,
                                     const IdnaConverter& idna = nullptr);

// DnsStep is one DNS answer the decision used, for reports and
// `smtpc route`.
struct DnsStep {
  DnsQuestion question;
  DnsRcode rcode = DnsRcode::kNoError;
  DnsSecurity security = DnsSecurity::kInsecure;
  // summary is the answer in one line (DnsAnswer::Summary).
  std::string summary;
};

// MakeDnsStep records `answer` as a step.
DnsStep MakeDnsStep(const DnsAnswer& answer);

// Destination is one host to try.
struct Destination {
  // host is the MX target (normalised), the implicit-MX domain, or the text
  // of an IP (address literal, or an MX target that is an IP).
  std::string host;
  // ip is set when `host` is an IP address: nothing to resolve.
  absl::optional<IpAddress> ip;
  uint16_t preference = 0;
  // implicit is true for the implicit MX (no MX records).
  bool implicit = false;
};

// Destinations is the result of a completed decision.
struct Destinations {
  NextHop next_hop;
  // expanded_domain is the domain after CNAMEs ("" for a literal).
  std::string expanded_domain;
  // have_mx is true when MX records were found (not implicit, not literal).
  bool have_mx = false;
  // original_secure: the first answer about the original domain (its CNAME
  // or MX answer) was DNSSEC-secure.
  bool original_secure = false;
  // secure: every step (each CNAME and the MX answer) was secure.
  bool secure = false;
  std::vector<Destination> hosts;  // in the order to try
  std::vector<DnsStep> steps;      // in the order taken
  std::vector<std::string> warnings;
};

// DestinationsStep is what one call of GatherDestinations produced: either
// questions to answer first, or a final result (destinations or error).
struct DestinationsStep {
  // needed: ask these and call again (empty when the decision is final).
  std::vector<DnsQuestion> needed;
  // destinations is set on success.
  absl::optional<Destinations> destinations;
  // error is set on failure (null MX, NXDOMAIN, SERVFAIL, bogus, CNAME
  // chain too long); `steps` says what was seen.
  absl::Status error;
  std::vector<DnsStep> steps;
};

// GatherDestinations decides the destinations of `next_hop` from `answers`
// (see the file comment). Never fails itself; failures are in the step.
DestinationsStep GatherDestinations(const NextHop& next_hop,
                                    const DnsAnswerSet& answers,
                                    uint64_t seed);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_DESTINATIONS_H_
