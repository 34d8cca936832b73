#include "sasl/login.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "sasl/mechanism_util.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {

LoginMechanism::LoginMechanism(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

LoginMechanism::~LoginMechanism() { internal::Wipe(password_); }

absl::Status LoginMechanism::Start(const TlsInfo* tls) {
  if (username_.empty()) {
    return internal::MechanismPreconditionError("LOGIN: empty user name");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LoginMechanism::Respond(
    absl::string_view challenge) {
  const std::string prompt = absl::AsciiStrToLower(challenge);
  enum class Want { kUser, kPassword };
  Want want;
  if (absl::StrContains(prompt, "pass")) {
    want = Want::kPassword;
  } else if (absl::StrContains(prompt, "user") ||
             absl::StrContains(prompt, "login") ||
             absl::StrContains(prompt, "name")) {
    want = Want::kUser;
  } else {
    // Unrecognised or empty prompt: answer by order.
    want = sent_username_ ? Want::kPassword : Want::kUser;
  }
  if (want == Want::kUser) {
    if (sent_username_) {
      return internal::MechanismError("LOGIN: user name asked twice");
    }
    sent_username_ = true;
    return username_;
  }
  if (sent_password_) {
    return internal::MechanismError("LOGIN: password asked twice");
  }
  sent_password_ = true;
  return password_;
}

}  // namespace smtpcore
