// ExitStatus: how `smtpc send` (and `bulk`) report the outcome to the shell.
//
// The contract (issue 5; tests/integration/reference_client.py implements
// the same one in Python):
//   0  every recipient accepted
//   2  partial: the message was accepted for some recipients, others were
//      rejected or deferred
//   3  temporary failure: a 4xx reply, 421, a timeout, a connection error;
//      also when the outcome is unknown (the end of data was sent and the
//      connection ended before the reply: RecipientStatus::kUnknown), which
//      the report says explicitly: a retry may deliver the message twice
//   4  permanent failure: a 5xx reply, or a local refusal the server would
//      make permanently (message too large, missing 8BITMIME, SMTPUTF8,
//      REQUIRETLS, AUTH)
//   5  protocol or TLS error (handshake, verification, STARTTLS required but
//      not offered, malformed reply, SASL mechanism failure)
//   64 usage error (EX_USAGE from sysexits.h)

#ifndef SMTP_TOOLS_EXIT_STATUS_H_
#define SMTP_TOOLS_EXIT_STATUS_H_

#include "absl/strings/string_view.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/smtp_error.h"

namespace smtpcore {
namespace cli {

// ExitStatus is the process exit status of `smtpc send`.
enum class ExitStatus : int {
  kOk = 0,
  kPartial = 2,
  kTemporary = 3,
  kPermanent = 4,
  kProtocol = 5,
  kUsage = 64,
};

// ExitStatusName returns the `status` field of the JSON output: "ok",
// "partial", "temporary", "permanent", "protocol" or "usage".
absl::string_view ExitStatusName(ExitStatus status);

// ExitStatusForDetail maps an error cause and the server's reply code (0
// when there was no reply) to an exit status:
//   kRejected, kAuthFailed               3 for a 4xx code, else 4
//   kConnectionClosed, kServiceClosing,
//   kIo, kTimeout                        3
//   kMessageTooLarge, kNeeds8BitMime, kNeedsSmtpUtf8, kNeedsRequireTls,
//   kNeedsBinaryMime, kNeedsAuth         4
//   kInvalidArgument, kControlCharacter,
//   kLineTooLong                         64 (a bad address or EHLO name
//                                        given on the command line)
//   anything else                        5
ExitStatus ExitStatusForDetail(ErrorDetail cause, int code);

// ExitStatusForError is `ExitStatusForDetail(error.cause, error.code)`.
ExitStatus ExitStatusForError(const SmtpError& error);

// ExitStatusForResult maps a finished delivery: 0 when every recipient was
// delivered, 2 when some were, else 3 if any recipient was deferred (4xx)
// or unknown, and 4 if all were rejected. An empty result gives 4.
ExitStatus ExitStatusForResult(const DeliveryResult& result);

// ExitStatusForDelivery maps a finished delivery and its error (nullptr
// when it completed): 2 or 0 when some recipient was delivered (as
// ExitStatusForResult); 3 when a recipient's outcome is unknown, whatever
// the error (the message may have arrived: never "permanent"); a refusal
// of every recipient at RCPT maps by the recipients (3 if any got a 4xx,
// else 4); any other error by ExitStatusForError.
ExitStatus ExitStatusForDelivery(const DeliveryResult& result,
                                 const SmtpError* error);

// IsPermanentExit returns true for 4 and 5: retrying the same command will
// fail again (the JSON error's `permanent` field).
bool IsPermanentExit(ExitStatus status);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_EXIT_STATUS_H_
