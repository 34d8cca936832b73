// `smtpc send`: deliver one message with the blocking transport
// (transports/blocking/blocking_client.h) and report the outcome as text or
// as one JSON object (tools/send_report.h), with the exit status of
// tools/exit_status.h.
//
//   smtpc send --server HOST[:PORT] --from ADDR --to ADDR [--to ADDR ...]
//              [--data FILE|-] [TLS, AUTH, envelope and output flags]
//
// Output: without --json, one line per recipient and one for the message
// on stdout, and the error (if any) on stderr; with --json, the object on
// stdout and nothing else there. --trace writes the session to stderr:
// "C: " and "S: " lines as on the wire (AUTH payloads and message data
// summarised, never shown) and "* " lines for what happens between them
// (connecting, TLS established).

#ifndef SMTP_TOOLS_SEND_COMMAND_H_
#define SMTP_TOOLS_SEND_COMMAND_H_

#include <string>

#include "absl/types/span.h"
#include "tools/command_io.h"

namespace smtpcore {
namespace cli {

// SendUsage returns the text of `smtpc send --help`.
std::string SendUsage();

// RunSendCommand runs `smtpc send` with `args` (after "send") and returns
// the process exit status (0, 2, 3, 4, 5 or 64). Never throws; every
// failure is reported on `io` and in the status.
int RunSendCommand(absl::Span<const std::string> args, const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SEND_COMMAND_H_
