// SmtpError: the typed error of a failed operation (delivery, greeting,
// authentication, connection), carrying everything a caller needs to decide
// what to do: permanent or temporary, the server's reply (code, RFC 3463
// enhanced code, first line and further lines), the command that failed and
// the underlying cause (`ErrorDetail`).
//
// Secrets never appear here: messages name commands and replies, never AUTH
// payloads (a server's 334 challenge is not copied either).

#ifndef SMTP_CORE_SMTP_ERROR_H_
#define SMTP_CORE_SMTP_ERROR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/command.h"
#include "core/errors.h"
#include "core/reply.h"

namespace smtpcore {

// SmtpError describes one failure. A value type that owns its strings.
struct SmtpError {
  // permanent: true when retrying the same thing will fail again (5xx,
  // local refusals such as kMessageTooLarge, protocol errors); false for
  // temporary failures (4xx, 421, timeouts, EOF, I/O).
  bool permanent = false;
  // code is the server's reply code, 0 when there was no reply (timeout,
  // EOF, local refusal).
  int code = 0;
  absl::optional<EnhancedCode> enhanced;
  // command is what failed (kGreeting for the greeting).
  CommandKind command = CommandKind::kGreeting;
  // first_line is the text of the reply's first line (enhanced code
  // included, as sent); further_lines the rest. Empty without a reply.
  std::string first_line;
  std::vector<std::string> further_lines;
  // cause is the precise reason: kRejected for a plain 4xx/5xx reply,
  // kServiceClosing for 421, kAuthFailed, kTimeout, kMessageTooLarge, ...
  ErrorDetail cause = ErrorDetail::kNone;
  // status_code is the canonical code `ToStatus` uses (see below).
  absl::StatusCode status_code = absl::StatusCode::kUnknown;
  // what is a short description of what happened, without secrets, e.g.
  // "server closed the connection while waiting for the reply to RCPT".
  std::string what;

  // FromReply makes the error for `reply` (4xx/5xx) to `command`: permanent
  // iff 5xx; cause `cause` (kRejected by default, kServiceClosing for 421
  // whatever `cause` says); status code kUnavailable for 4xx,
  // kFailedPrecondition for 5xx, kPermissionDenied for a 5xx with cause
  // kAuthFailed.
  static SmtpError FromReply(CommandKind command, const ReplyView& reply,
                             ErrorDetail cause = ErrorDetail::kRejected);

  // FromStatus wraps a non-OK `status` (its `ErrorDetail`, code and
  // message) that happened during `command`; permanent unless the status is
  // kUnavailable or kDeadlineExceeded. If `status` came from `ToStatus`, the
  // reply fields are restored from its payload.
  static SmtpError FromStatus(const absl::Status& status, CommandKind command);

  // ToStatus returns a status with `status_code`, `Message()` as message,
  // `cause` as ErrorDetail payload and the reply fields as a second payload
  // (so `FromStatus(ToStatus())` round-trips). OK is never returned.
  absl::Status ToStatus() const;

  // Message says what happened and what to do, in one line, e.g.
  //   "RCPT rejected with 550 5.1.1 <bob@example.org>: no such user
  //    (permanent failure: do not retry this message to this recipient)"
  //   "no reply to DATA within the deadline (timeout; temporary failure:
  //    retry later)".
  std::string Message() const;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_SMTP_ERROR_H_
