// EXTERNAL (RFC 4422 Appendix A): authentication by the TLS client
// certificate. The only message is the authorization identity, usually
// empty ("derive it from my certificate"), sent as "=" with SASL-IR.
//
//   Start(tls with client_certificate) ; InitialResponse() -> ""
//   C: AUTH EXTERNAL =     S: 235

#ifndef SMTP_SASL_EXTERNAL_H_
#define SMTP_SASL_EXTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// ExternalMechanism asks the server to use the identity established by the
// TLS client certificate.
class ExternalMechanism final : public SaslMechanism {
 public:
  // ExternalMechanism sends `authzid` (empty: the certificate's identity).
  explicit ExternalMechanism(std::string authzid = "");

  absl::string_view name() const override { return "EXTERNAL"; }

  // Start fails with kFailedPrecondition/kAuthMechanism unless `tls` is
  // non-null and a client certificate was sent
  // (`TlsInfo::client_certificate`), or if `authzid` contains NUL.
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns the authzid (possibly empty).
  absl::optional<std::string> InitialResponse() override { return authzid_; }

  // Respond answers an empty challenge with the authzid, once; anything
  // else fails with kDataLoss/kAuthMechanism.
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

 private:
  std::string authzid_;
  bool responded_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_EXTERNAL_H_
