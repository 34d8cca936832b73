// `smtpc sink`: run the embedded SMTP sink (tools/sink/sink_server.h) as a
// server on 127.0.0.1 until interrupted, printing a line per received
// message. Useful to try `smtpc send` and `smtpc bulk` without a real mail
// server:
//
//   smtpc sink --port 2525 --ca-out /tmp/sink-ca.pem &
//   smtpc send --server 127.0.0.1:2525 --tls starttls
//       --ca-file /tmp/sink-ca.pem --user demo --password demo-password
//       --from a@example.org --to b@example.org
//
// The first line printed on stdout is "listening on 127.0.0.1:PORT" (so a
// script can read the port chosen with --port 0).

#ifndef SMTP_TOOLS_SINK_COMMAND_H_
#define SMTP_TOOLS_SINK_COMMAND_H_

#include <string>

#include "absl/types/span.h"
#include "tools/command_io.h"

namespace smtpcore {
namespace cli {

// SinkUsage returns the text of `smtpc sink --help`.
std::string SinkUsage();

// RunSinkCommand runs `smtpc sink` with `args` (after "sink"); returns 0
// after SIGINT/SIGTERM or --max-messages, 64 for usage errors, 3 when the
// port cannot be bound.
int RunSinkCommand(absl::Span<const std::string> args, const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SINK_COMMAND_H_
