// `smtpc vrfy`, `smtpc expn` and `smtpc etrn`: the service commands of
// RFC 5321 §3.5 (VRFY, EXPN) and RFC 1985 (ETRN), one session each with
// the blocking transport (BlockingClient::Vrfy/Expn/Etrn: typed results,
// core/service_reply.h).
//
//   smtpc vrfy --server HOST[:PORT] [connection flags] ADDRESS
//   smtpc expn --server HOST[:PORT] [connection flags] LIST
//   smtpc etrn --server HOST[:PORT] [connection flags] DOMAIN...
//
// The connection flags are those of `smtpc probe` (TLS, AUTH, --lmtp is
// refused: LMTP has no such commands, proxy, source address) plus --json.
// Output: one line per argument, "VRFY bob: 250 Fred <bob@x> (found)"
// and the mailboxes the reply names; with --json one object: "command",
// "server", "peer", "results" (argument, reply, code, outcome, entries of
// name and mailbox, pending_messages for ETRN 253), "status", "exit",
// "error".
//
// Exit status: 0 when every reply is 250-253, 3 when one is 4xx (and none
// 5xx) or the connection failed temporarily, 4 when one is 5xx (or ETRN is
// not offered), 5 for a protocol or TLS error, 64 for a usage error.

#ifndef SMTP_TOOLS_SERVICE_COMMAND_H_
#define SMTP_TOOLS_SERVICE_COMMAND_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tools/command_io.h"
#include "tools/flags.h"

namespace smtpcore {
namespace cli {

// ServiceUsage returns the `--help` text of `command` ("vrfy", "expn" or
// "etrn").
std::string ServiceUsage(absl::string_view command);

// ServiceFlagSpecs is the flag table of the command (for parsing, --help and
// the manual page); static storage, never fails.
absl::Span<const FlagSpec> ServiceFlagSpecs();

// RunServiceCommand runs `command` ("vrfy", "expn" or "etrn") with `args`
// (after the command's name) and returns the exit status. Never throws.
int RunServiceCommand(absl::string_view command,
                      absl::Span<const std::string> args, const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SERVICE_COMMAND_H_
