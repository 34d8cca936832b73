// CommandIo: the standard streams a `smtpc` subcommand uses, injectable so
// tests can capture output (open_memstream) and feed input.

#ifndef SMTP_TOOLS_COMMAND_IO_H_
#define SMTP_TOOLS_COMMAND_IO_H_

#include <unistd.h>

#include <cstdio>

namespace smtpcore {
namespace cli {

// CommandIo holds borrowed streams; they must outlive the command.
struct CommandIo {
  std::FILE* in = stdin;
  std::FILE* out = stdout;
  std::FILE* err = stderr;

  // err_is_tty is true when `err` is a terminal (live progress lines,
  // colour).
  bool err_is_tty() const { return isatty(fileno(err)) == 1; }
  // out_is_tty is true when `out` is a terminal.
  bool out_is_tty() const { return isatty(fileno(out)) == 1; }
};

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_COMMAND_IO_H_
