// `smtpc send --mx DOMAIN`: delivery the way an MTA does it, with
// transports/blocking/mx_delivery.h: resolve DOMAIN (MX, DNSSEC, DANE,
// MTA-STS), plan, try each destination in order, and report which MX and
// IP accepted and the TLS policy used, as text or in the `--json` object's
// "route" member (tools/route_report.h). `--tlsrpt-out FILE` writes the
// RFC 8460 report of this run: a JSON array with one report per policy
// domain. `--driver libuv` runs the same delivery with the libuv driver
// (transports/libuv/uv_mx_delivery.h) on a private loop.

#ifndef SMTP_TOOLS_MX_SEND_H_
#define SMTP_TOOLS_MX_SEND_H_

#include <string>

#include "tools/command_io.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {

// RunMxSend delivers `message` per `flags` (flags.mx.domain set) and
// returns the exit status (tools/exit_status.h: a null MX is permanent, 4;
// DNS failures temporary, 3; a DANE or PKIX failure 5).
int RunMxSend(const SendFlags& flags, std::string message,
              const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_MX_SEND_H_
