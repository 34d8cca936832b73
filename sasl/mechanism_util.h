// Small helpers shared by the SASL mechanisms: their error constructors and
// the GS2 "saslname" escaping of RFC 5801 §4 (used by SCRAM and OAUTHBEARER).

#ifndef SMTP_SASL_MECHANISM_UTIL_H_
#define SMTP_SASL_MECHANISM_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace smtpcore {
namespace internal {

// MechanismError returns kDataLoss/kAuthMechanism: the mechanism rejects the
// server's data (the core then sends "*"). `message` must hold no secret.
absl::Status MechanismError(absl::string_view message);

// MechanismPreconditionError returns kFailedPrecondition/kAuthMechanism:
// the mechanism cannot run in this context (no TLS, bad credentials).
// `message` must hold no secret.
absl::Status MechanismPreconditionError(absl::string_view message);

// EscapeSaslName replaces ',' by "=2C" and '=' by "=3D" (RFC 5801 §4,
// RFC 5802 §5.1 "saslname").
std::string EscapeSaslName(absl::string_view name);

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_SASL_MECHANISM_UTIL_H_
