#include "tools/exit_status.h"

namespace smtpcore {
namespace cli {

absl::string_view ExitStatusName(ExitStatus status) {
  switch (status) {
    case ExitStatus::kOk: return "ok";
    case ExitStatus::kPartial: return "partial";
    case ExitStatus::kTemporary: return "temporary";
    case ExitStatus::kPermanent: return "permanent";
    case ExitStatus::kProtocol: return "protocol";
    case ExitStatus::kUsage: return "usage";
  }
  return "protocol";
}

ExitStatus ExitStatusForDetail(ErrorDetail cause, int code) {
  switch (cause) {
    case ErrorDetail::kRejected:
    case ErrorDetail::kAuthFailed:
      return code >= 400 && code < 500 ? ExitStatus::kTemporary
                                       : ExitStatus::kPermanent;
    case ErrorDetail::kConnectionClosed:
    case ErrorDetail::kServiceClosing:
    case ErrorDetail::kIo:
    case ErrorDetail::kTimeout:
    case ErrorDetail::kDnsTemporary:     // route: SERVFAIL, timeout
    case ErrorDetail::kDnssecBogus:      // route: retry once the zone is fixed
    case ErrorDetail::kMtaStsMismatch:   // RFC 8461 §5.1: temporary
      return ExitStatus::kTemporary;
    case ErrorDetail::kNullMx:           // RFC 7505: the domain takes no mail
    case ErrorDetail::kNoSuchDomain:
    case ErrorDetail::kMessageTooLarge:
    case ErrorDetail::kNeeds8BitMime:
    case ErrorDetail::kNeedsSmtpUtf8:
    case ErrorDetail::kNeedsRequireTls:
    case ErrorDetail::kNeedsBinaryMime:
    case ErrorDetail::kNeedsAuth:
      return ExitStatus::kPermanent;
    case ErrorDetail::kInvalidArgument:
    case ErrorDetail::kControlCharacter:
    case ErrorDetail::kLineTooLong:
      return ExitStatus::kUsage;
    default:
      return ExitStatus::kProtocol;
  }
}

ExitStatus ExitStatusForError(const SmtpError& error) {
  return ExitStatusForDetail(error.cause, error.code);
}

ExitStatus ExitStatusForResult(const DeliveryResult& result) {
  const size_t delivered = result.delivered();
  if (!result.recipients.empty() && delivered == result.recipients.size()) {
    return ExitStatus::kOk;
  }
  if (delivered > 0) return ExitStatus::kPartial;
  if (result.deferred() > 0 || result.unknown() > 0) {
    return ExitStatus::kTemporary;
  }
  return ExitStatus::kPermanent;
}

ExitStatus ExitStatusForDelivery(const DeliveryResult& result,
                                 const SmtpError* error) {
  if (result.delivered() > 0 || error == nullptr) {
    return ExitStatusForResult(result);
  }
  if (result.unknown() > 0) return ExitStatus::kTemporary;
  if (error->cause == ErrorDetail::kRejected &&
      error->command == CommandKind::kRcptTo && !result.recipients.empty()) {
    return ExitStatusForResult(result);
  }
  return ExitStatusForError(*error);
}

bool IsPermanentExit(ExitStatus status) {
  return status == ExitStatus::kPermanent || status == ExitStatus::kProtocol;
}

}  // namespace cli
}  // namespace smtpcore
