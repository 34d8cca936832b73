#include "tools/sendmail_exit.h"

#include <sysexits.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/exit_status.h"

namespace smtpcore {
namespace cli {
namespace {

int FromExitStatus(ExitStatus status, const DeliveryResult* result,
                   const SmtpError* error) {
  switch (status) {
    case ExitStatus::kOk:
      return EX_OK;
    case ExitStatus::kPartial:
      if (result != nullptr && (result->deferred() + result->unknown() > 0)) {
        return EX_TEMPFAIL;
      }
      return EX_UNAVAILABLE;
    case ExitStatus::kTemporary:
      if (error != nullptr && error->cause == ErrorDetail::kIo &&
          absl::StartsWith(error->what, "resolve ")) {
        return EX_NOHOST;
      }
      return EX_TEMPFAIL;
    case ExitStatus::kPermanent:
    case ExitStatus::kProtocol:
      return EX_UNAVAILABLE;
    case ExitStatus::kUsage:
      return EX_DATAERR;
  }
  return EX_SOFTWARE;
}

}  // namespace

int SendmailExitForDelivery(const DeliveryResult& result,
                            const SmtpError* error) {
  return FromExitStatus(ExitStatusForDelivery(result, error), &result, error);
}

int SendmailExitForConnectError(const SmtpError& error) {
  return FromExitStatus(ExitStatusForError(error), nullptr, &error);
}

std::string SysexitName(int status) {
  switch (status) {
    case EX_OK: return "EX_OK";
    case EX_USAGE: return "EX_USAGE";
    case EX_DATAERR: return "EX_DATAERR";
    case EX_NOHOST: return "EX_NOHOST";
    case EX_UNAVAILABLE: return "EX_UNAVAILABLE";
    case EX_SOFTWARE: return "EX_SOFTWARE";
    case EX_TEMPFAIL: return "EX_TEMPFAIL";
    default: return absl::StrCat("EX_", status);
  }
}

}  // namespace cli
}  // namespace smtpcore
