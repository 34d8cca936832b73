#include "core/errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

constexpr absl::string_view kPayloadUrl = "smtpcore/ErrorDetail";

}  // namespace

absl::string_view ErrorDetailName(ErrorDetail detail) {
  switch (detail) {
    case ErrorDetail::kNone: return "none";
    case ErrorDetail::kWrongState: return "wrong_state";
    case ErrorDetail::kInvalidArgument: return "invalid_argument";
    case ErrorDetail::kControlCharacter: return "control_character";
    case ErrorDetail::kLineTooLong: return "line_too_long";
    case ErrorDetail::kMessageTooLarge: return "message_too_large";
    case ErrorDetail::kNeeds8BitMime: return "needs_8bitmime";
    case ErrorDetail::kNeedsSmtpUtf8: return "needs_smtputf8";
    case ErrorDetail::kNeedsRequireTls: return "needs_requiretls";
    case ErrorDetail::kNeedsBinaryMime: return "needs_binarymime";
    case ErrorDetail::kNeedsStartTls: return "needs_starttls";
    case ErrorDetail::kNeedsAuth: return "needs_auth";
    case ErrorDetail::kBareLineEnding: return "bare_line_ending";
    case ErrorDetail::kInsecureAuth: return "insecure_auth";
    case ErrorDetail::kReplyLineTooLong: return "reply_line_too_long";
    case ErrorDetail::kReplyTooManyLines: return "reply_too_many_lines";
    case ErrorDetail::kReplyTooLarge: return "reply_too_large";
    case ErrorDetail::kTooManyChallenges: return "too_many_challenges";
    case ErrorDetail::kMalformedReply: return "malformed_reply";
    case ErrorDetail::kReplyCodeMismatch: return "reply_code_mismatch";
    case ErrorDetail::kUnexpectedReply: return "unexpected_reply";
    case ErrorDetail::kStartTlsInjection: return "starttls_injection";
    case ErrorDetail::kBadChallenge: return "bad_challenge";
    case ErrorDetail::kConnectionClosed: return "connection_closed";
    case ErrorDetail::kServiceClosing: return "service_closing";
    case ErrorDetail::kIo: return "io";
    case ErrorDetail::kTimeout: return "timeout";
    case ErrorDetail::kTlsHandshake: return "tls_handshake";
    case ErrorDetail::kTlsVerification: return "tls_verification";
    case ErrorDetail::kTlsRequired: return "tls_required";
    case ErrorDetail::kTlsPeerPlaintext: return "tls_peer_plaintext";
    case ErrorDetail::kTlsPeerExpectsTls: return "tls_peer_expects_tls";
    case ErrorDetail::kAuthFailed: return "auth_failed";
    case ErrorDetail::kAuthMechanism: return "auth_mechanism";
    case ErrorDetail::kBroken: return "broken";
    case ErrorDetail::kClosed: return "closed";
    case ErrorDetail::kRejected: return "rejected";
    case ErrorDetail::kNullMx: return "null_mx";
    case ErrorDetail::kNoSuchDomain: return "no_such_domain";
    case ErrorDetail::kDnsTemporary: return "dns_temporary";
    case ErrorDetail::kDnssecBogus: return "dnssec_bogus";
    case ErrorDetail::kMtaStsMismatch: return "mta_sts_mismatch";
    case ErrorDetail::kProxyFailure: return "proxy_failure";
    case ErrorDetail::kProxyNotAllowed: return "proxy_not_allowed";
    case ErrorDetail::kProxyNetworkUnreachable:
      return "proxy_network_unreachable";
    case ErrorDetail::kProxyHostUnreachable: return "proxy_host_unreachable";
    case ErrorDetail::kProxyConnectionRefused:
      return "proxy_connection_refused";
    case ErrorDetail::kProxyTimeout: return "proxy_timeout";
    case ErrorDetail::kProxyCommandNotSupported:
      return "proxy_command_not_supported";
    case ErrorDetail::kProxyAddressNotSupported:
      return "proxy_address_not_supported";
    case ErrorDetail::kProxyAuthRequired: return "proxy_auth_required";
    case ErrorDetail::kProxyAuthFailed: return "proxy_auth_failed";
    case ErrorDetail::kProxyProtocol: return "proxy_protocol";
  }
  return "unknown";
}

absl::Status MakeError(absl::StatusCode code, ErrorDetail detail,
                       absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(static_cast<int>(detail))));
  return status;
}

ErrorDetail GetErrorDetail(const absl::Status& status) {
  if (status.ok()) return ErrorDetail::kNone;
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return ErrorDetail::kNone;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) {
    return ErrorDetail::kNone;
  }
  return static_cast<ErrorDetail>(value);
}

absl::Status LocalError(ErrorDetail detail, absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, detail, message);
}

absl::Status WrongStateError(absl::string_view message) {
  return MakeError(absl::StatusCode::kFailedPrecondition,
                   ErrorDetail::kWrongState, message);
}

absl::Status ProtocolError(ErrorDetail detail, absl::string_view message) {
  return MakeError(absl::StatusCode::kDataLoss, detail, message);
}

}  // namespace smtpcore
