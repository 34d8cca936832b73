#include "transports/testing/fake_plain_mechanism.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {

absl::optional<std::string> FakePlainMechanism::InitialResponse() {
  return absl::StrCat(absl::string_view("\0", 1), user_,
                      absl::string_view("\0", 1), password_);
}

absl::StatusOr<std::string> FakePlainMechanism::Respond(
    absl::string_view challenge) {
  return absl::InvalidArgumentError("PLAIN expects no challenge");
}

}  // namespace smtpcore
