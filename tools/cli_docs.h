// CliDocs: the smtpc(1) manual page and the bash completion script, both
// rendered from the sources (each subcommand's --help text and flag table),
// so they cannot drift from the program: tools/smtpc_docs writes them, and
// tools/smtpc_docs_test.sh fails when the checked-in copies
// (tools/smtpc.1, tools/smtpc.bash) differ from what it writes.

#ifndef SMTP_TOOLS_CLI_DOCS_H_
#define SMTP_TOOLS_CLI_DOCS_H_

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "tools/flags.h"

namespace smtpcore {
namespace cli {

// CommandDoc describes one subcommand. Borrowed pointers: static storage.
struct CommandDoc {
  const char* name;     // "send"
  const char* summary;  // one line
  // usage is the full `smtpc NAME --help` text.
  std::string usage;
  // flags is the flag table (long options) for completion.
  absl::Span<const FlagSpec> flags;
  // extra_words are more completion words (short sendmail flags).
  std::vector<std::string> extra_words;
};

// SmtpcCommandDocs returns the documentation of every subcommand, in the
// order of `smtpc --help`.
std::vector<CommandDoc> SmtpcCommandDocs();

// RenderManPage returns smtpc.1 in man(7) roff: NAME, SYNOPSIS,
// DESCRIPTION, a section per subcommand (its --help text, verbatim), EXIT
// STATUS, FILES, EXAMPLES, SEE ALSO. Deterministic (no date).
std::string RenderManPage(const std::vector<CommandDoc>& commands);

// RenderBashCompletion returns a bash completion script for `smtpc` (and
// `sendmail` when it is a link to smtpc is not touched): subcommands, then
// each subcommand's flags; file names after flags that take a FILE, PEM or
// FILE|- value.
std::string RenderBashCompletion(const std::vector<CommandDoc>& commands);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_CLI_DOCS_H_
