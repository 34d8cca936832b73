// LOGIN (draft-murchison-sasl-login, obsolete but widely deployed): the
// server prompts for the user name, then the password, one 334 each.
//
// Servers disagree on the prompts: most send "Username:" and "Password:"
// (base64 "VXNlcm5hbWU6" / "UGFzc3dvcmQ6"), some "User Name\0" or
// "Password\0", some send empty or arbitrary text. A prompt that names the
// user or the password is answered accordingly; any other prompt is answered
// by order (first the user name, then the password).
//
//   S: 334 VXNlcm5hbWU6   Respond("Username:") -> "user"
//   S: 334 UGFzc3dvcmQ6   Respond("Password:") -> "pass"

#ifndef SMTP_SASL_LOGIN_H_
#define SMTP_SASL_LOGIN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// LoginMechanism answers the two LOGIN prompts. Owns copies of the
// credentials and wipes them on destruction.
class LoginMechanism final : public SaslMechanism {
 public:
  LoginMechanism(std::string username, std::string password);
  ~LoginMechanism() override;

  absl::string_view name() const override { return "LOGIN"; }

  // Start fails with kFailedPrecondition/kAuthMechanism if `username` is
  // empty.
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns nullopt: LOGIN waits for the first prompt.
  absl::optional<std::string> InitialResponse() override {
    return absl::nullopt;
  }

  // Respond answers a prompt (see the file comment). A third prompt, or a
  // prompt asking again for what was already sent, fails with
  // kDataLoss/kAuthMechanism.
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

 private:
  std::string username_;
  std::string password_;
  bool sent_username_ = false;
  bool sent_password_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_LOGIN_H_
