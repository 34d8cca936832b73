// SendmailExit: the exit statuses of `smtpc sendmail`, from sysexits.h,
// because programs that call /usr/sbin/sendmail (mail, git send-email,
// cron, mutt) act on them: EX_TEMPFAIL means "keep the message, try later".
//
//   EX_OK (0)            every recipient accepted
//   EX_USAGE (64)        bad flags, no recipients or sender, configuration
//                        file missing, unreadable, invalid or insecure
//   EX_DATAERR (65)      a bad address (in the arguments or the message)
//   EX_NOHOST (68)       the server's name does not resolve
//   EX_UNAVAILABLE (69)  refused for good: 5xx, AUTH failed, TLS or protocol
//                        error, a recipient refused for good (the others
//                        were then not sent: SessionOptions::
//                        all_recipients_or_none, as msmtp)
//   EX_SOFTWARE (70)     standard input could not be read; internal error
//   EX_TEMPFAIL (75)     try again later: 4xx, 421, timeout, connection
//                        refused or lost, outcome unknown after the data
//                        was sent (a retry may deliver twice), a
//                        recipient deferred (4xx; nobody got the message)

#ifndef SMTP_TOOLS_SENDMAIL_EXIT_H_
#define SMTP_TOOLS_SENDMAIL_EXIT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "core/delivery.h"
#include "core/smtp_error.h"

namespace smtpcore {
namespace cli {

// SendmailExitForDelivery maps a finished delivery and its error (nullptr
// when it completed) to a sysexits.h status (see the file comment), via
// tools/exit_status.h's ExitStatusForDelivery.
int SendmailExitForDelivery(const DeliveryResult& result,
                            const SmtpError* error);

// SendmailExitForConnectError maps an error before any transaction
// (connection, greeting, TLS, AUTH).
int SendmailExitForConnectError(const SmtpError& error);

// SysexitName returns "EX_OK", "EX_TEMPFAIL", ... ("EX_<n>" for others).
std::string SysexitName(int status);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SENDMAIL_EXIT_H_
