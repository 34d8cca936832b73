// Test helper for the `smtpc` subcommands (testonly): runs one in-process
// with its output and error streams captured in memory.

#ifndef SMTP_TOOLS_COMMAND_TEST_UTIL_H_
#define SMTP_TOOLS_COMMAND_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "tools/command_io.h"

namespace smtpcore {
namespace cli {

// RunResult is the owned outcome of RunCaptured: the command's exit status
// and everything it wrote to its `out` and `err` streams.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

// CommandFunction is the signature of a subcommand entry point
// (RunBulkCommand, RunDemoCommand, ...).
using CommandFunction = int (*)(absl::Span<const std::string> args,
                                const CommandIo& io);

// RunCaptured runs `command` with `args`, its `out` and `err` streams
// redirected to memory (open_memstream; `in` stays stdin), and returns the
// status and the captured bytes. Blocks until the command returns.
RunResult RunCaptured(CommandFunction command,
                      const std::vector<std::string>& args);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_COMMAND_TEST_UTIL_H_
