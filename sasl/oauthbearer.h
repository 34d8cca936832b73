// OAUTHBEARER (RFC 7628): an OAuth 2.0 bearer token in a GS2-framed
// message (RFC 7628 §3.1):
//   "n,a=" authzid "," ^A "host=" host ^A "port=" port ^A
//   "auth=Bearer " token ^A ^A                           (^A = 0x01)
// On failure the server sends a 334 with a JSON error
// ({"status":"invalid_token",...}); the client answers with a single ^A
// (RFC 7628 §3.2.3) and the server then fails the exchange (535). With a
// token provider (sasl/oauth_token.h) a fresh token is then fetched for one
// retry (RenewCredentials).
//
//   InitialResponse() -> "n,a=user@example.com,\x01host=server.example.com
//                         \x01port=587\x01auth=Bearer vF9dft4qmT\x01\x01"
//   S: 334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=   Respond(json) -> "\x01"

#ifndef SMTP_SASL_OAUTHBEARER_H_
#define SMTP_SASL_OAUTHBEARER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"
#include "sasl/oauth_token.h"

namespace smtpcore {

// OAuthBearerOptions are the inputs of an `OAuthBearerMechanism`.
struct OAuthBearerOptions {
  std::string username;  // sent as the GS2 authzid ("a="); may be empty
  std::string token;     // the bearer token (secret)
  // token_provider, when set, gives the token instead (fetched at Start,
  // renewed by RenewCredentials; sasl/oauth_token.h) and `token` is unused.
  OAuthTokenProvider token_provider;
  std::string host;      // server host name for "host=", omitted if empty
  uint16_t port = 0;     // server port for "port=", omitted if 0
};

// OAuthBearerMechanism sends an RFC 6750 bearer token. Owns a copy of the
// options and wipes the token on destruction.
class OAuthBearerMechanism final : public SaslMechanism {
 public:
  explicit OAuthBearerMechanism(OAuthBearerOptions options);
  ~OAuthBearerMechanism() override;

  absl::string_view name() const override { return "OAUTHBEARER"; }

  // Start fetches the token from the provider, if any, then fails with
  // kFailedPrecondition/kAuthMechanism if the provider failed, the token is
  // empty or a field contains 0x01 or a control character.
  absl::Status Start(const TlsInfo* tls) override;

  // InitialResponse returns the client's message.
  absl::optional<std::string> InitialResponse() override;

  // Respond answers an empty challenge (no SASL-IR) with the message, once.
  // A non-empty challenge is the server's JSON error: it is kept in
  // `server_error()` and answered with "\x01" (RFC 7628 §3.2.3).
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override;

  // RenewCredentials (after the server refused the exchange) asks the
  // provider for a fresh token with the server's JSON error; true when it
  // gave one. False without a provider.
  bool RenewCredentials() override;

  // server_error returns the JSON error the server sent, empty if none.
  const std::string& server_error() const { return server_error_; }

 private:
  std::string Message() const;

  OAuthBearerOptions options_;
  std::string server_error_;
  bool responded_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_SASL_OAUTHBEARER_H_
