// `smtpc bulk`: a load generator. Sends `--count` generated messages of
// about `--size` bytes over `--concurrency` connections of a libuv
// connection pool (transports/libuv/uv_pool.h): connections are reused,
// commands pipelined when the server offers PIPELINING, BDAT used when it
// offers CHUNKING. On a terminal a live progress line on stderr shows
// messages sent, errors, messages/s and MB/s; at the end one summary line
// (or one JSON object with --json) goes to stdout:
//
//   bulk: 10000 sent, 0 failed, 2.41 s, 4149.4 messages/s, 4.25 MB/s
//
// At most a window of 4 x concurrency messages is queued in the pool at a
// time, so memory stays flat for any --count; every message shares one
// body (a Cord, never copied). MB are 10^6 bytes of message data.
//
// Exit status: 0 when every message was accepted, 2 when some failed, else
// the status of the first error (as `smtpc send`), 64 for usage errors.

#ifndef SMTP_TOOLS_BULK_COMMAND_H_
#define SMTP_TOOLS_BULK_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/types/span.h"
#include "tools/command_io.h"

namespace smtpcore {
namespace cli {

// BulkSummary is what `smtpc bulk` reports at the end.
struct BulkSummary {
  uint64_t sent = 0;
  uint64_t failed = 0;
  double seconds = 0;
  uint64_t bytes = 0;  // message bytes of the sent messages
  int connections = 0;
  std::string first_error;  // SmtpError::Message() of the first failure
  std::string first_error_kind;
};

// FormatBulkSummary renders the one-line summary (with '\n').
std::string FormatBulkSummary(const BulkSummary& summary);

// BulkSummaryToJson renders the JSON object (no trailing newline).
std::string BulkSummaryToJson(const BulkSummary& summary);

// BulkUsage returns the text of `smtpc bulk --help`.
std::string BulkUsage();

// RunBulkCommand runs `smtpc bulk` with `args` (after "bulk").
int RunBulkCommand(absl::Span<const std::string> args, const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_BULK_COMMAND_H_
