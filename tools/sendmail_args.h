// SendmailArgs: the command line of `smtpc sendmail` (and of smtpc invoked
// through a link named `sendmail`), as callers of /usr/sbin/sendmail pass
// it (sendmail(8), msmtp(1) "SENDMAIL MODE"):
//
//   -t             take recipients from To, Cc and Bcc (added to the ones
//                  given as arguments)
//   -i, -oi        a line with a single dot does not end the message
//   -f ADDR, -r ADDR, -fADDR
//                  envelope sender ("<>" for the null sender)
//   -F NAME        the sender's full name (used for a missing From field)
//   -N LIST        DSN NOTIFY: never, or success,failure,delay
//   -R full|hdrs   DSN RET
//   -V ENVID       DSN ENVID
//   -v             print the SMTP session on stderr
//   -a NAME, --account NAME, --account=NAME   the account (msmtp's -a)
//   -C FILE, --config FILE, --config=FILE     the configuration file
//   --             the rest are recipients
// Accepted and ignored, as msmtp does, because callers pass them: -bm,
// -o* other than -oi (-oem, -odi, -odb, -oQ...), -e*, -m, -n, -U, -G, -q*
// and -B TYPE, -h N, -L TAG, -O OPT, -X FILE, -A FILE (with their values).
// Short flags without values may be grouped (-ti). Other -b modes (-bs,
// -bp, ...) and unknown flags are usage errors.

#ifndef SMTP_TOOLS_SENDMAIL_ARGS_H_
#define SMTP_TOOLS_SENDMAIL_ARGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/command.h"

namespace smtpcore {
namespace cli {

// SendmailArgs is the parsed command line. Owns its strings.
struct SendmailArgs {
  bool help = false;
  bool version = false;
  bool read_recipients = false;  // -t
  bool ignore_dots = false;      // -i, -oi
  bool trace = false;            // -v
  // from: -f/-r when given ("" for "<>").
  absl::optional<std::string> from;
  std::string full_name;  // -F
  absl::optional<uint8_t> dsn_notify;
  absl::optional<DsnRet> dsn_ret;
  absl::optional<std::string> envid;
  std::string account;
  std::string config;
  std::vector<std::string> recipients;
};

// ParseSendmailArgs parses `args` (without the program or subcommand
// name). Fails with kInvalidArgument and a message for the user (exit
// EX_USAGE) for an unknown flag, a flag without its value, a bad -N or -R
// value, an unsupported -b mode.
absl::StatusOr<SendmailArgs> ParseSendmailArgs(
    absl::Span<const std::string> args);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SENDMAIL_ARGS_H_
