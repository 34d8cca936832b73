// What an MTA-STS policy fetch is asked to do and what it produced
// (RFC 8461 §3.3), as plain data shared by the blocking fetch
// (transports/mta_sts/policy_fetcher.h) and the drivers that run it.

#ifndef SMTP_TRANSPORTS_MTA_STS_STS_FETCH_RESULT_H_
#define SMTP_TRANSPORTS_MTA_STS_STS_FETCH_RESULT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_MTA_STS_STS_FETCH_RESULT_H_
