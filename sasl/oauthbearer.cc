#include "sasl/oauthbearer.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sasl/mechanism_util.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {
namespace {

bool HasControl(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

}  // namespace

OAuthBearerMechanism::OAuthBearerMechanism(OAuthBearerOptions options)
    : options_(std::move(options)) {}

OAuthBearerMechanism::~OAuthBearerMechanism() {
  internal::Wipe(options_.token);
}

absl::Status OAuthBearerMechanism::Start(const TlsInfo* tls) {
  if (options_.token_provider) {
    absl::StatusOr<std::string> token =
        options_.token_provider(OAuthTokenRequest{});
    if (!token.ok()) {
      return internal::MechanismPreconditionError(
          absl::StrCat("OAUTHBEARER: the token provider failed: ",
                       token.status().message()));
    }
    internal::Wipe(options_.token);
    options_.token = *std::move(token);
  }
  if (options_.token.empty()) {
    return internal::MechanismPreconditionError("OAUTHBEARER needs a token");
  }
  if (HasControl(options_.username) || HasControl(options_.token) ||
      HasControl(options_.host)) {
    return internal::MechanismPreconditionError(
        "OAUTHBEARER: control character in user name, token or host");
  }
  return absl::OkStatus();
}

std::string OAuthBearerMechanism::Message() const {
  // RFC 7628 §3.1: gs2-header, then kvpairs each ending in ^A, then ^A.
  std::string message = "n,";
  if (!options_.username.empty()) {
    absl::StrAppend(&message,
                    "a=", internal::EscapeSaslName(options_.username));
  }
  message += ",\x01";
  if (!options_.host.empty()) {
    absl::StrAppend(&message, "host=", options_.host, "\x01");
  }
  if (options_.port != 0) {
    absl::StrAppend(&message, "port=", options_.port, "\x01");
  }
  absl::StrAppend(&message, "auth=Bearer ", options_.token, "\x01\x01");
  return message;
}

absl::optional<std::string> OAuthBearerMechanism::InitialResponse() {
  return Message();
}

absl::StatusOr<std::string> OAuthBearerMechanism::Respond(
    absl::string_view challenge) {
  if (challenge.empty() && !responded_ && server_error_.empty()) {
    responded_ = true;
    return Message();
  }
  if (!server_error_.empty()) {
    return internal::MechanismError("OAUTHBEARER: unexpected second challenge");
  }
  server_error_ = std::string(challenge);
  if (server_error_.empty()) server_error_ = "{}";
  return std::string("\x01");
}

bool OAuthBearerMechanism::RenewCredentials() {
  if (!options_.token_provider) return false;
  OAuthTokenRequest request;
  request.refresh = true;
  request.server_error = server_error_;
  absl::StatusOr<std::string> token = options_.token_provider(request);
  if (!token.ok() || token->empty()) return false;
  internal::Wipe(options_.token);
  options_.token = *std::move(token);
  return true;
}

}  // namespace smtpcore
