#include "core/sasl_exchange.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

// IsBase64 accepts the RFC 4648 §4 alphabet with optional '=' padding at the
// end only (absl's decoder alone is more lenient than we want).
bool IsBase64(absl::string_view text) {
  size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (!(absl::ascii_isalnum(c) || c == '+' || c == '/')) break;
  }
  size_t pad = 0;
  for (; i < text.size(); ++i, ++pad) {
    if (text[i] != '=') return false;
  }
  return pad <= 2 && text.size() % 4 == 0;
}

// AdditionalData returns the decoded "additional data with success" of a
// 235 reply, or "" if it has none. RFC 4954 §4 lets a server put the SASL
// outcome's additional data (RFC 4422 §3.6; SCRAM's server-final, RFC 5802
// §5) in the text of the 235 reply, base64 encoded like a 334 challenge.
// The rule: the first line's text after the enhanced status code (RFC 2034)
// must be one non-empty token of strict RFC 4648 base64 (alphabet, length a
// multiple of 4, at most two '=' at the end); anything else ("Authentication
// successful", "OK", a text with spaces) is human-readable text and gives "".
// A single word such as "Accepted" is valid base64, so a mechanism may get
// garbage here: mechanisms ignore the data once they have verified the
// server (SCRAM, DIGEST-MD5 via 334) and fail on it only when they would
// have failed on "" too (no server signature seen).
std::string AdditionalData(const ReplyView& reply) {
  absl::string_view text = absl::StripAsciiWhitespace(reply.message());
  std::string decoded;
  if (text.empty() || !IsBase64(text) ||
      !absl::Base64Unescape(text, &decoded)) {
    return "";
  }
  return decoded;
}

}  // namespace

SaslExchange::SaslExchange(std::unique_ptr<SaslMechanism> mechanism,
                           int max_challenges, bool renew_on_refusal)
    : mechanism_(std::move(mechanism)),
      max_challenges_(max_challenges),
      renew_on_refusal_(renew_on_refusal) {}

SaslExchange::~SaslExchange() = default;

absl::string_view SaslExchange::mechanism_name() const {
  return mechanism_->name();
}

absl::Status SaslExchange::Start(const TlsInfo* tls, size_t max_line_length,
                                 std::string* out) {
  absl::Status started = mechanism_->Start(tls);
  if (!started.ok()) {
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     ErrorDetail::kAuthMechanism,
                     absl::StrCat("SASL mechanism ", mechanism_->name(),
                                  " cannot start: ", started.message()));
  }
  absl::optional<std::string> initial = mechanism_->InitialResponse();
  if (!initial.has_value()) {
    return SerializeAuth(mechanism_->name(), absl::nullopt, out,
                         max_line_length);
  }
  // RFC 4954 §4: an empty initial response is sent as "=".
  std::string encoded = initial->empty() ? "=" : absl::Base64Escape(*initial);
  std::string line;
  absl::Status s =
      SerializeAuth(mechanism_->name(), absl::string_view(encoded), &line,
                    max_line_length);
  if (s.ok()) {
    out->append(line);
    return s;
  }
  if (GetErrorDetail(s) != ErrorDetail::kLineTooLong) return s;
  // Too long with the initial response: send it after the first (empty) 334
  // instead (RFC 4954 §4).
  s = SerializeAuth(mechanism_->name(), absl::nullopt, out, max_line_length);
  if (s.ok()) deferred_initial_ = std::move(*initial);
  return s;
}

SaslExchange::Step SaslExchange::OnChallenge(const ReplyView& reply) {
  Step step;
  auto cancel = [&step, this](ErrorDetail detail, absl::StatusCode code,
                              std::string message) {
    step.line = "*\r\n";
    step.cancelled = true;
    step.error = MakeError(code, detail, message);
    cancel_reason_ = step.error;
    return step;
  };
  ++challenges_;
  if (challenges_ > max_challenges_) {
    return cancel(ErrorDetail::kTooManyChallenges,
                  absl::StatusCode::kResourceExhausted,
                  absl::StrCat("more than ", max_challenges_,
                               " AUTH challenges from the server"));
  }
  std::string response;
  if (deferred_initial_.has_value()) {
    response = std::move(*deferred_initial_);
    deferred_initial_.reset();
  } else {
    absl::string_view text =
        absl::StripAsciiWhitespace(reply.first_line());
    std::string challenge;
    if (!IsBase64(text) || !absl::Base64Unescape(text, &challenge)) {
      return cancel(ErrorDetail::kBadChallenge, absl::StatusCode::kDataLoss,
                    "AUTH challenge is not valid base64");
    }
    absl::StatusOr<std::string> answer = mechanism_->Respond(challenge);
    if (!answer.ok()) {
      return cancel(ErrorDetail::kAuthMechanism,
                    absl::StatusCode::kPermissionDenied,
                    absl::StrCat("SASL mechanism ", mechanism_->name(),
                                 " failed: ", answer.status().message()));
    }
    response = std::move(*answer);
  }
  step.line = absl::Base64Escape(response);
  if (step.line.size() + 2 > kMaxAuthResponseLine) {
    return cancel(ErrorDetail::kAuthMechanism,
                  absl::StatusCode::kPermissionDenied,
                  "SASL response exceeds 12288 octets (RFC 4954 §4)");
  }
  step.line.append("\r\n");
  return step;
}

absl::Status SaslExchange::OnFinal(const ReplyView& reply) {
  if (!cancel_reason_.ok()) return cancel_reason_;
  if (reply.code() == 235) {
    absl::Status finished = mechanism_->Finish(AdditionalData(reply));
    if (!finished.ok()) {
      return MakeError(absl::StatusCode::kPermissionDenied,
                       ErrorDetail::kAuthMechanism,
                       absl::StrCat("SASL mechanism ", mechanism_->name(),
                                    " rejected the server's final data: ",
                                    finished.message()));
    }
    return absl::OkStatus();
  }
  // A refusal (535, 454, ... after the exchange finished normally, e.g.
  // the empty answer to an OAuth error challenge) may be retried once with
  // renewed credentials; a 421 ends the connection instead.
  if (renew_on_refusal_ && reply.code() != 421) {
    credentials_renewed_ = mechanism_->RenewCredentials();
  }
  absl::StatusCode code = reply.is_transient()
                              ? absl::StatusCode::kUnavailable
                              : absl::StatusCode::kPermissionDenied;
  return MakeError(code, ErrorDetail::kAuthFailed,
                   absl::StrCat("AUTH ", mechanism_->name(), " failed with ",
                                reply.code()));
}

}  // namespace smtpcore
