// FakePlainMechanism: a minimal SASL PLAIN (RFC 4616) client for tests, so
// that scripted sessions can authenticate without linking sasl/.

#ifndef SMTP_TRANSPORTS_TESTING_FAKE_PLAIN_MECHANISM_H_
#define SMTP_TRANSPORTS_TESTING_FAKE_PLAIN_MECHANISM_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// FakePlainMechanism sends "\0user\0password" as its initial response and
// refuses any challenge (kInvalidArgument, which makes the core abort the
// exchange with "*"). It owns copies of the credentials.
class FakePlainMechanism : public SaslMechanism {
 public:
  FakePlainMechanism(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {}

  absl::string_view name() const override { return "PLAIN"; }
  absl::optional<std::string> InitialResponse() override;
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

 private:
  std::string user_;
  std::string password_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_FAKE_PLAIN_MECHANISM_H_
