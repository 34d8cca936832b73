// `smtpc sendmail`: a drop-in /usr/sbin/sendmail (msmtp's sendmail mode).
// Reads one message on standard input, sends it with the account's server
// (tools/account_config.h) and answers with a sysexits.h status
// (tools/sendmail_exit.h). Quiet on success, like sendmail; errors and
// refused recipients go to stderr. Also run when smtpc is invoked through
// a link named `sendmail`.
//
//   smtpc sendmail [-t] [-i] [-f ADDR] [-F NAME] [--account NAME]
//                  [--config FILE] [recipient...]   (tools/sendmail_args.h)
//
// The message is sent as read, except: Bcc fields are removed (always, as
// msmtp does: a blind copy must not show); From ("NAME <sender>" with -F),
// Date and Message-ID are added when missing (RFC 5322 §3.6). When the
// account sets `logfile` or `syslog`, one line per message is written
// (tools/delivery_log.h), also for failures.

#ifndef SMTP_TOOLS_SENDMAIL_COMMAND_H_
#define SMTP_TOOLS_SENDMAIL_COMMAND_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tools/command_io.h"

namespace smtpcore {
namespace cli {

// SendmailUsage returns the text of `smtpc sendmail --help`.
std::string SendmailUsage();

// ReadSendmailMessage reads the message from `in` to its end, or, unless
// `ignore_dots`, up to a line holding a single "." (not included), as
// sendmail does without -i. Fails with kDataLoss when `in` reports a read
// error.
absl::StatusOr<std::string> ReadSendmailMessage(std::FILE* in,
                                                bool ignore_dots);

// PrepareSendmailMessage returns `message` without Bcc fields and with
// From, Date and Message-ID added at the top when missing. `from` is the
// envelope sender (no From is added when empty); `full_name` its display
// name (quoted, or RFC 2047 encoded when not ASCII); `date` and
// `message_id` the values to add.
std::string PrepareSendmailMessage(absl::string_view message,
                                   absl::string_view from,
                                   absl::string_view full_name,
                                   absl::string_view date,
                                   absl::string_view message_id);

// RunSendmailCommand runs `smtpc sendmail` with `args` (after "sendmail",
// or after the program name when run as `sendmail`) and returns a
// sysexits.h status. Never throws.
int RunSendmailCommand(absl::Span<const std::string> args,
                       const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SENDMAIL_COMMAND_H_
