// CRAM-MD5 (RFC 2195): the server sends a challenge, the client answers
// "user SP hex(HMAC-MD5(password, challenge))".
//
//   S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
//   Respond("<1896.697170952@postoffice.reston.mci.net>")
//       -> "tim b913a602c7eda7a495b4e6e7334d3890"

#ifndef SMTP_SASL_CRAM_MD5_H_
#define SMTP_SASL_CRAM_MD5_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// CramMd5Mechanism answers one CRAM-MD5 challenge. Owns copies of the
// credentials and wipes the password on destruction.
class CramMd5Mechanism final : public SaslMechanism {
 public:
  CramMd5Mechanism(std::string username, std::string password);
  ~CramMd5Mechanism() override;

  absl::string_view name() const override { return "CRAM-MD5"; }

  // Start fails with kFailedPrecondition/kAuthMechanism if `username` is
  // empty.
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns nullopt: CRAM-MD5 starts with the challenge.
  absl::optional<std::string> InitialResponse() override {
    return absl::nullopt;
  }

  // Respond answers the challenge. An empty challenge or a second one fails
  // with kDataLoss/kAuthMechanism.
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

 private:
  std::string username_;
  std::string password_;
  bool responded_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_CRAM_MD5_H_
