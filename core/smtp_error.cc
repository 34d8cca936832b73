#include "core/smtp_error.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace smtpcore {
namespace {

constexpr absl::string_view kErrorPayloadUrl = "smtpcore/SmtpError";

absl::string_view Advice(const SmtpError& e) {
  switch (e.cause) {
    case ErrorDetail::kMessageTooLarge:
      return "the message exceeds the server's SIZE limit: do not retry it "
             "with this server";
    case ErrorDetail::kNeeds8BitMime:
      return "the server lacks 8BITMIME: re-encode the body as 7-bit "
             "(quoted-printable or base64) or use another server";
    case ErrorDetail::kNeedsSmtpUtf8:
      return "the server lacks SMTPUTF8: use ASCII addresses or another "
             "server";
    case ErrorDetail::kNeedsRequireTls:
      return "REQUIRETLS needs verified TLS (PKIX or DANE), a secure route "
             "and a server offering REQUIRETLS: do not send this message "
             "this way";
    case ErrorDetail::kNeedsBinaryMime:
      return "the server lacks BINARYMIME/CHUNKING: re-encode the body or "
             "use another server";
    case ErrorDetail::kNeedsStartTls:
    case ErrorDetail::kTlsRequired:
      return "TLS is required but not available with this server: do not "
             "fall back to plaintext";
    case ErrorDetail::kTlsPeerPlaintext:
      return "the server speaks plaintext SMTP on this port: use STARTTLS "
             "(usually port 587) instead of implicit TLS";
    case ErrorDetail::kTlsPeerExpectsTls:
      return "this port seems to expect implicit TLS (RFC 8314, port 465): "
             "use implicit TLS instead of STARTTLS or plaintext";
    case ErrorDetail::kNeedsAuth:
      return "no usable authentication mechanism: check the server's AUTH "
             "list and the client configuration";
    case ErrorDetail::kInsecureAuth:
      return "refusing to send credentials without TLS: enable TLS or "
             "allow_insecure_auth for trusted local peers";
    case ErrorDetail::kAuthFailed:
      return e.permanent ? "check the credentials and the mechanism"
                         : "temporary failure: retry later";
    case ErrorDetail::kAuthMechanism:
      return "the SASL mechanism failed: check its configuration";
    case ErrorDetail::kTooManyChallenges:
      return "the server sent too many AUTH challenges: check the mechanism";
    case ErrorDetail::kServiceClosing:
      return "the server is shutting the connection down: retry later";
    case ErrorDetail::kConnectionClosed:
    case ErrorDetail::kIo:
      return "connection lost: retry later";
    case ErrorDetail::kTimeout:
      return "timeout: retry later";
    case ErrorDetail::kTlsHandshake:
    case ErrorDetail::kTlsVerification:
      return "TLS failed: check the server's certificate and TLS settings";
    case ErrorDetail::kMalformedReply:
    case ErrorDetail::kReplyCodeMismatch:
    case ErrorDetail::kUnexpectedReply:
    case ErrorDetail::kStartTlsInjection:
    case ErrorDetail::kBadChallenge:
    case ErrorDetail::kReplyLineTooLong:
    case ErrorDetail::kReplyTooManyLines:
    case ErrorDetail::kReplyTooLarge:
      return "the server broke the SMTP protocol: the connection was "
             "dropped; retry later and report it if it persists";
    case ErrorDetail::kNullMx:
      return "the domain accepts no mail (null MX): do not retry";
    case ErrorDetail::kNoSuchDomain:
      return "the domain does not exist: check the address";
    case ErrorDetail::kDnsTemporary:
      return "DNS lookup failed: retry later";
    case ErrorDetail::kDnssecBogus:
      return "DNSSEC validation failed: retry later; the domain's DNS is "
             "broken or under attack";
    case ErrorDetail::kMtaStsMismatch:
      return "the domain's MTA-STS policy does not allow this MX: retry "
             "later";
    case ErrorDetail::kProxyFailure:
    case ErrorDetail::kProxyNetworkUnreachable:
    case ErrorDetail::kProxyHostUnreachable:
    case ErrorDetail::kProxyConnectionRefused:
    case ErrorDetail::kProxyTimeout:
      return "the proxy could not reach the server: check the server "
             "address, or retry later";
    case ErrorDetail::kProxyNotAllowed:
      return "the proxy's rules forbid this destination: check the proxy "
             "configuration";
    case ErrorDetail::kProxyCommandNotSupported:
    case ErrorDetail::kProxyAddressNotSupported:
      return "the proxy does not support this kind of connection: use "
             "another proxy";
    case ErrorDetail::kProxyAuthRequired:
      return "the proxy requires credentials: give user:password in the "
             "proxy URL";
    case ErrorDetail::kProxyAuthFailed:
      return "the proxy refused the credentials: check the user and "
             "password in the proxy URL";
    case ErrorDetail::kProxyProtocol:
      return "the proxy broke its protocol: check that the URL names a "
             "proxy of that kind (socks5:// or http://)";
    case ErrorDetail::kBroken:
      return "the connection failed earlier: open a new one";
    case ErrorDetail::kClosed:
      return "the connection is closed: open a new one";
    default:
      break;
  }
  if (e.code != 0) {
    return e.permanent ? "permanent failure: do not retry unchanged"
                       : "temporary failure: retry later";
  }
  return e.permanent ? "do not retry unchanged" : "retry later";
}

}  // namespace

SmtpError SmtpError::FromReply(CommandKind command, const ReplyView& reply,
                               ErrorDetail cause) {
  SmtpError e;
  e.command = command;
  e.code = reply.code();
  e.enhanced = reply.enhanced();
  e.permanent = reply.is_permanent();
  bool first = true;
  for (absl::string_view line : reply.lines()) {
    if (first) {
      e.first_line = std::string(line);
      first = false;
    } else {
      e.further_lines.emplace_back(line);
    }
  }
  e.cause = reply.code() == 421 ? ErrorDetail::kServiceClosing : cause;
  if (reply.is_transient()) {
    e.status_code = absl::StatusCode::kUnavailable;
  } else if (reply.is_permanent()) {
    e.status_code = cause == ErrorDetail::kAuthFailed
                        ? absl::StatusCode::kPermissionDenied
                        : absl::StatusCode::kFailedPrecondition;
  } else {
    e.status_code = absl::StatusCode::kDataLoss;
    e.permanent = true;
  }
  if (command == CommandKind::kGreeting) {
    e.what = "server refused the connection in its greeting";
  } else if (e.cause == ErrorDetail::kServiceClosing) {
    e.what = absl::StrCat("server closing the connection in reply to ",
                          CommandKindName(command));
  } else if (e.cause == ErrorDetail::kAuthFailed) {
    e.what = "authentication failed";
  } else {
    e.what = absl::StrCat(CommandKindName(command), " rejected");
  }
  return e;
}

SmtpError SmtpError::FromStatus(const absl::Status& status,
                                CommandKind command) {
  SmtpError e;
  e.command = command;
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorPayloadUrl);
  if (payload.has_value()) {
    std::vector<std::string> f =
        absl::StrSplit(std::string(*payload), '\n');
    if (f.size() >= 8) {
      int value = 0;
      e.permanent = f[0] == "1";
      if (absl::SimpleAtoi(f[1], &value)) e.code = value;
      EnhancedCode code;
      size_t used = 0;
      if (!f[2].empty() && ParseEnhancedCode(f[2], &code, &used)) {
        e.enhanced = code;
      }
      if (absl::SimpleAtoi(f[3], &value)) {
        e.command = static_cast<CommandKind>(value);
      }
      if (absl::SimpleAtoi(f[4], &value)) {
        e.cause = static_cast<ErrorDetail>(value);
      }
      if (absl::SimpleAtoi(f[5], &value)) {
        e.status_code = static_cast<absl::StatusCode>(value);
      }
      e.what = f[6];
      e.first_line = f[7];
      e.further_lines.assign(f.begin() + 8, f.end());
      return e;
    }
  }
  e.cause = GetErrorDetail(status);
  e.status_code = status.code();
  e.permanent = !(status.code() == absl::StatusCode::kUnavailable ||
                  status.code() == absl::StatusCode::kDeadlineExceeded ||
                  status.code() == absl::StatusCode::kAborted);
  e.what = std::string(status.message());
  return e;
}

std::string SmtpError::Message() const {
  std::string out = what.empty() ? std::string(ErrorDetailName(cause)) : what;
  if (code != 0) {
    absl::StrAppend(&out, ": ", code);
    if (!first_line.empty()) absl::StrAppend(&out, " ", first_line);
  }
  absl::StrAppend(&out, " (", Advice(*this), ")");
  return out;
}

absl::Status SmtpError::ToStatus() const {
  absl::StatusCode sc = status_code == absl::StatusCode::kOk
                            ? absl::StatusCode::kUnknown
                            : status_code;
  absl::Status status = MakeError(sc, cause, Message());
  std::vector<std::string> f = {
      permanent ? "1" : "0",
      absl::StrCat(code),
      enhanced.has_value() ? enhanced->ToString() : "",
      absl::StrCat(static_cast<int>(command)),
      absl::StrCat(static_cast<int>(cause)),
      absl::StrCat(static_cast<int>(sc)),
      what,
      first_line,
  };
  f.insert(f.end(), further_lines.begin(), further_lines.end());
  status.SetPayload(kErrorPayloadUrl, absl::Cord(absl::StrJoin(f, "\n")));
  return status;
}

}  // namespace smtpcore
