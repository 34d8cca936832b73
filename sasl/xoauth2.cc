#include "sasl/xoauth2.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sasl/mechanism_util.h"
#include "sasl/sasl_crypto.h"

namespace smtpcore {

Xoauth2Mechanism::Xoauth2Mechanism(std::string username, std::string token)
    : username_(std::move(username)), token_(std::move(token)) {}

Xoauth2Mechanism::Xoauth2Mechanism(std::string username,
                                   OAuthTokenProvider provider)
    : username_(std::move(username)), provider_(std::move(provider)) {}

Xoauth2Mechanism::~Xoauth2Mechanism() { internal::Wipe(token_); }

absl::Status Xoauth2Mechanism::Start(const TlsInfo* tls) {
  if (provider_) {
    absl::StatusOr<std::string> token = provider_(OAuthTokenRequest{});
    if (!token.ok()) {
      return internal::MechanismPreconditionError(absl::StrCat(
          "XOAUTH2: the token provider failed: ", token.status().message()));
    }
    internal::Wipe(token_);
    token_ = *std::move(token);
  }
  if (username_.empty() || token_.empty()) {
    return internal::MechanismPreconditionError(
        "XOAUTH2 needs a user name and a token");
  }
  if (absl::StrContains(username_, "\x01") ||
      absl::StrContains(token_, "\x01")) {
    return internal::MechanismPreconditionError(
        "XOAUTH2: 0x01 in user name or token");
  }
  return absl::OkStatus();
}

std::string Xoauth2Mechanism::Message() const {
  return absl::StrCat("user=", username_,
                      "\x01"
                      "auth=Bearer ",
                      token_, "\x01\x01");
}

absl::optional<std::string> Xoauth2Mechanism::InitialResponse() {
  return Message();
}

absl::StatusOr<std::string> Xoauth2Mechanism::Respond(
    absl::string_view challenge) {
  if (challenge.empty() && !responded_ && server_error_.empty()) {
    responded_ = true;
    return Message();
  }
  if (!server_error_.empty()) {
    return internal::MechanismError("XOAUTH2: unexpected second challenge");
  }
  // The error JSON; the empty answer lets the server send its final 535.
  server_error_ = std::string(challenge);
  if (server_error_.empty()) server_error_ = "{}";
  return std::string();
}

bool Xoauth2Mechanism::RenewCredentials() {
  if (!provider_) return false;
  OAuthTokenRequest request;
  request.refresh = true;
  request.server_error = server_error_;
  absl::StatusOr<std::string> token = provider_(request);
  if (!token.ok() || token->empty()) return false;
  internal::Wipe(token_);
  token_ = *std::move(token);
  return true;
}

}  // namespace smtpcore
