// XOAUTH2 (Google's format, also Microsoft 365):
//   "user=" user ^A "auth=Bearer " token ^A ^A        (^A = 0x01)
// On failure the server sends a 334 with a base64 JSON error
// ({"status":"401","schemes":"Bearer","scope":"..."}); the client must
// answer with an empty response, after which the server sends 535.
// https://developers.google.com/gmail/imap/xoauth2-protocol
//
//   InitialResponse() -> "user=a@b\x01auth=Bearer ya29...\x01\x01"
//   S: 334 eyJzdGF0dXMiOiI0MDEi...  Respond(json) -> ""   S: 535 ...
//
// With a token provider (sasl/oauth_token.h) the token is fetched at Start,
// and after such a refusal RenewCredentials asks the provider for a fresh
// one, so that the session can retry once.

#ifndef SMTP_SASL_XOAUTH2_H_
#define SMTP_SASL_XOAUTH2_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"
#include "sasl/oauth_token.h"

namespace smtpcore {

// Xoauth2Mechanism sends an OAuth 2.0 bearer token. Owns copies of the
// user name and token (and of the provider) and wipes the token on
// destruction.
class Xoauth2Mechanism final : public SaslMechanism {
 public:
  // Xoauth2Mechanism with a fixed `token` (never renewed).
  Xoauth2Mechanism(std::string username, std::string token);
  // Xoauth2Mechanism with a `provider` (must not be empty), called at Start
  // and by RenewCredentials.
  Xoauth2Mechanism(std::string username, OAuthTokenProvider provider);
  ~Xoauth2Mechanism() override;

  absl::string_view name() const override { return "XOAUTH2"; }

  // Start fetches the token from the provider, if any, then fails with
  // kFailedPrecondition/kAuthMechanism if the provider failed, or if the
  // user name or token is empty or contains 0x01 (the field separator).
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns the XOAUTH2 message.
  absl::optional<std::string> InitialResponse() override;

  // Respond answers an empty challenge (no SASL-IR) with the message, once.
  // A non-empty challenge is the server's JSON error: it is kept in
  // `server_error()` and answered with "" so the server can finish (535).
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

  // RenewCredentials (after the server refused the exchange) asks the
  // provider for a fresh token, passing the JSON error if one came; true
  // when it gave one. False without a provider.
  bool RenewCredentials() override;

  // server_error returns the JSON error the server sent, empty if none.
  // It holds no secret.
  const std::string& server_error() const { return server_error_; }

 private:
  std::string Message() const;

  std::string username_;
  OAuthTokenProvider provider_;
  std::string token_;
  std::string server_error_;
  bool responded_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_XOAUTH2_H_
