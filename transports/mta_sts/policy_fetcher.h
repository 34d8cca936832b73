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

namespace smtpcore {

// StsFetchOptions configures a fetch. A value type.
struct StsFetchOptions {
  // port is the HTTPS port (443; tests use another).
  uint16_t port = 443;
  // ca_file holds PEM trust anchors; "" uses the system store.
  std::string ca_file;
  // timeout bounds the whole fetch (connect, TLS, request, response).
  absl::Duration timeout = absl::Seconds(30);
};

// StsFetchFailure says which RFC 8460 result a failure is.
enum class StsFetchFailure : uint8_t {
  kNone,
  kFetchError,  // connect, HTTP status, framing, timeout: sts-policy-fetch-error
  kWebPki,      // the certificate did not verify: sts-webpki-invalid
  kInvalid,     // the body is not a valid policy: sts-policy-invalid
};

// StsFetchResult is a fetch's outcome: the policy, or why not.
struct StsFetchResult {
  absl::StatusOr<StsPolicy> policy = absl::UnknownError("not fetched");
  StsFetchFailure failure = StsFetchFailure::kFetchError;
  // body is what the server sent (for reports); empty on failure before it.
  std::string body;
};

// PolicyHostFor returns "mta-sts.<domain>".
std::string PolicyHostFor(absl::string_view domain);

// FetchStsPolicy fetches and parses `domain`'s policy from `addresses`
// (tried in order until one connects). Never throws; failures are typed
// statuses in the result (kIo/kTimeout/kTlsVerification/kInvalidArgument)
// with `failure` set.
StsFetchResult FetchStsPolicy(absl::string_view domain,
                              absl::Span<const IpAddress> addresses,
                              const StsFetchOptions& options);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_MTA_STS_POLICY_FETCHER_H_
