// `smtpc demo`: a complete SMTP session on one machine, nothing to set up.
//
// It starts the embedded sink (tools/sink/sink_server.h) on 127.0.0.1 with a
// free port and a throwaway certificate, then sends a sample message to it
// with the libuv transport (transports/libuv/uv_client.h) on the same loop:
// STARTTLS (verified against the sink's throwaway CA), AUTH PLAIN with the
// demo user, PIPELINING, CHUNKING (BDAT), 8BITMIME and an SMTPUTF8
// recipient. It prints the live transcript (C:/S: lines, secrets redacted)
// and then what the sink received: the envelope and the message bytes.
// `--plain` skips STARTTLS and AUTH.
//
// Exit status as `smtpc send` (0 when the sample was delivered).

#ifndef SMTP_TOOLS_DEMO_COMMAND_H_
#define SMTP_TOOLS_DEMO_COMMAND_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "tools/command_io.h"
#include "tools/sink/sink_session.h"

namespace smtpcore {
namespace cli {

// DemoUsage returns the text of `smtpc demo --help`.
std::string DemoUsage();

// DemoSender and DemoRecipients are the sample envelope.
inline constexpr char kDemoSender[] = "alice@example.org";
std::vector<std::string> DemoRecipients();

// DemoMessage returns the sample message (UTF-8 headers and body, a line
// starting with a dot, CRLF line endings) dated `date`.
std::string DemoMessage(absl::string_view date);

// FormatReceivedMessage renders what the sink received, for the demo's
// second part: a header line, the envelope (MAIL and RCPT lines with their
// parameters), then every line of the message prefixed with "  | " (line
// endings not shown; bare CR/LF would be shown as \r and \n). Never fails.
std::string FormatReceivedMessage(const ReceivedMessage& message);

// RunDemoCommand runs `smtpc demo` with `args` (after "demo").
int RunDemoCommand(absl::Span<const std::string> args, const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_DEMO_COMMAND_H_
