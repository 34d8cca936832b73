// PLAIN (RFC 4616): one message "[authzid] NUL authcid NUL passwd".
//
//   InitialResponse() -> "\0tim\0tanstaaftanstaaf"      (SASL-IR)
//   or, without SASL-IR: S: 334 (empty) -> Respond("") -> the same message.

#ifndef SMTP_SASL_PLAIN_H_
#define SMTP_SASL_PLAIN_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"

namespace smtpcore {

// PlainMechanism sends the credentials in clear inside the (TLS) channel.
// Owns copies of the credentials and wipes them on destruction.
class PlainMechanism final : public SaslMechanism {
 public:
  // PlainMechanism takes the authentication identity `username`, `password`
  // and optional authorization identity `authzid` (empty: act as yourself).
  PlainMechanism(std::string username, std::string password,
                 std::string authzid = "");
  ~PlainMechanism() override;

  absl::string_view name() const override { return "PLAIN"; }

  // Start fails with kFailedPrecondition/kAuthMechanism if `username` is
  // empty or any field contains NUL (RFC 4616 §2).
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns the PLAIN message.
  absl::optional<std::string> InitialResponse() override;

  // Respond answers an empty challenge (no SASL-IR) with the message, once;
  // any other challenge fails with kDataLoss/kAuthMechanism.
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

 private:
  std::string Message() const;

  std::string username_;
  std::string password_;
  std::string authzid_;
  bool responded_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_PLAIN_H_
