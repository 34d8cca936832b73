#include "sasl/plain.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "sasl/mechanism_util.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {

PlainMechanism::PlainMechanism(std::string username, std::string password,
                               std::string authzid)
    : username_(std::move(username)),
      password_(std::move(password)),
      authzid_(std::move(authzid)) {}

PlainMechanism::~PlainMechanism() { internal::Wipe(password_); }

absl::Status PlainMechanism::Start(const TlsInfo* tls) {
  if (username_.empty()) {
    return internal::MechanismPreconditionError("PLAIN: empty user name");
  }
  const absl::string_view nul("\0", 1);
  if (absl::StrContains(username_, nul) || absl::StrContains(password_, nul) ||
      absl::StrContains(authzid_, nul)) {
    return internal::MechanismPreconditionError(
        "PLAIN: NUL in user name, password or authzid");
  }
  return absl::OkStatus();
}

std::string PlainMechanism::Message() const {
  std::string message;
  message.reserve(authzid_.size() + username_.size() + password_.size() + 2);
  message.append(authzid_);
  message.push_back('\0');
  message.append(username_);
  message.push_back('\0');
  message.append(password_);
  return message;
}

absl::optional<std::string> PlainMechanism::InitialResponse() {
  return Message();
}

absl::StatusOr<std::string> PlainMechanism::Respond(
    absl::string_view challenge) {
  if (!challenge.empty() || responded_) {
    return internal::MechanismError("PLAIN: unexpected server challenge");
  }
  responded_ = true;
  return Message();
}

}  // namespace smtpcore
