// The MTA-STS policy fetch (RFC 8461 §3.3), blocking: HTTPS GET of
// "https://mta-sts.<domain>/.well-known/mta-sts.txt" through our own TLS
// layer with PKIX verification against "mta-sts.<domain>", no redirects
// (a 3xx is an error), a body of at most 64 KiB (kStsMaxPolicySize), one
// overall deadline. The addresses of "mta-sts.<domain>" come from the
// caller (resolved by transports/dns, like every name on the route).
//
// Reads the clock (the deadline) and opens sockets: an adapter, not pure.

#ifndef SMTP_TRANSPORTS_MTA_STS_POLICY_FETCHER_H_
#define SMTP_TRANSPORTS_MTA_STS_POLICY_FETCHER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "route/ip_address.h"
#include "route/mta_sts_policy.h"
#include "transports/mta_sts/sts_fetch_result.h"

namespace smtpcore {

// FetchStsPolicy fetches and parses `domain`'s policy from `addresses`
// (tried in order until one connects). Never throws; failures are typed
// statuses in the result (kIo/kTimeout/kTlsVerification/kInvalidArgument)
// with `failure` set.
StsFetchResult FetchStsPolicy(absl::string_view domain,
                              absl::Span<const IpAddress> addresses,
                              const StsFetchOptions& options);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_MTA_STS_POLICY_FETCHER_H_
