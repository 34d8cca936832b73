#include "sasl/external.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "sasl/mechanism_util.h"

namespace smtpcore {

ExternalMechanism::ExternalMechanism(std::string authzid)
    : authzid_(std::move(authzid)) {}

absl::Status ExternalMechanism::Start(const TlsInfo* tls) {
  if (tls == nullptr || !tls->client_certificate) {
    return internal::MechanismPreconditionError(
        "EXTERNAL needs TLS with a client certificate");
  }
  if (absl::StrContains(authzid_, absl::string_view("\0", 1))) {
    return internal::MechanismPreconditionError("EXTERNAL: NUL in authzid");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ExternalMechanism::Respond(
    absl::string_view challenge) {
  if (!challenge.empty() || responded_) {
    return internal::MechanismError("EXTERNAL: unexpected server challenge");
  }
  responded_ = true;
  return authzid_;
}

}  // namespace smtpcore
