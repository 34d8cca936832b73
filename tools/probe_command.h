// `smtpc probe`: connect to a server and report what it offers, step by
// step, without sending mail: greeting, EHLO, STARTTLS, EHLO again, AUTH
// when credentials are given, QUIT (tools/session_steps.h).
//
//   smtpc probe --server HOST[:PORT]|unix:PATH [TLS and AUTH flags]
//               [--lmtp] [--proxy URL] [--local-address IP] [--json]
//
// Output (stdout): the banner, the capabilities before and after TLS, the
// TLS version, cipher, the server certificate's subject, issuer, expiry
// and verification result, the AUTH result and each step's reply and time;
// with --json one object (tools/steps_report.h). --trace writes the
// session on stderr.
//
// Exit status (tools/exit_status.h): 0 when every step asked for worked
// (TLS when --tls starttls/implicit, AUTH when --user is given), 3 for a
// temporary failure (4xx, timeout, connection), 4 for a permanent one
// (5xx, AUTH refused with 5xx), 5 for a protocol or TLS error, 64 for a
// usage error.

#ifndef SMTP_TOOLS_PROBE_COMMAND_H_
#define SMTP_TOOLS_PROBE_COMMAND_H_

#include <string>

#include "absl/types/span.h"
#include "tools/command_io.h"
#include "tools/flags.h"

namespace smtpcore {
namespace cli {

// ProbeUsage returns the text of `smtpc probe --help`.
std::string ProbeUsage();

// ProbeFlagSpecs is the flag table of the command (for parsing, --help and
// the manual page); static storage, never fails.
absl::Span<const FlagSpec> ProbeFlagSpecs();

// RunProbeCommand runs `smtpc probe` with `args` (after "probe") and
// returns the exit status. Never throws; failures are reported on `io`.
int RunProbeCommand(absl::Span<const std::string> args, const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_PROBE_COMMAND_H_
