// `smtpc route DOMAIN`: print the delivery plan for DOMAIN without sending
// anything: the MX hosts in order, their IPs, the TLS policy of each and
// why (DANE, MTA-STS, opportunistic), and the DNSSEC status of each DNS
// step; `--json` prints tools/route_report.h's object. What an operator
// runs first when mail does not arrive.
//
// Exit status: 0 when the plan has something to try, else the status of
// its error (tools/exit_status.h: null MX 4, DNS failures 3), 64 for usage
// errors.

#ifndef SMTP_TOOLS_ROUTE_COMMAND_H_
#define SMTP_TOOLS_ROUTE_COMMAND_H_

#include <string>

#include "absl/types/span.h"
#include "tools/command_io.h"

namespace smtpcore {
namespace cli {

// RouteUsage returns the text of `smtpc route --help`.
std::string RouteUsage();

// RunRouteCommand runs `smtpc route` with `args` (after "route").
int RunRouteCommand(absl::Span<const std::string> args, const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_ROUTE_COMMAND_H_
