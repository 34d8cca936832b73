// Flags: the command-line parser shared by the `smtpc` subcommands.
//
// Syntax (GNU style, like curl and swaks): `--name value`, `--name=value`,
// boolean flags `--name` (a value after '=' is refused), `--` ends the
// flags, `-h` is an alias of `--help`. Every flag is declared in a
// `FlagSpec` table; anything else is a usage error whose message names the
// offending argument, so `smtpc` can print it and exit with status 64
// (EX_USAGE, sysexits.h).
//
// A flag given twice is an error unless it is declared `repeatable` (it is
// almost always a typo: `--from a --from b`). Values may start with '-'
// (`--data -` reads standard input).

#ifndef SMTP_TOOLS_FLAGS_H_
#define SMTP_TOOLS_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace smtpcore {
namespace cli {

// FlagSpec declares one flag. `name` is without the leading "--".
struct FlagSpec {
  const char* name;
  // value_name is the placeholder in help ("ADDR"); nullptr for a boolean
  // flag.
  const char* value_name;
  // help is the one-line description shown by `--help`.
  const char* help;
  bool repeatable = false;
};

// ParsedFlags is the result of `ParseFlags`. Owns its strings.
class ParsedFlags {
 public:
  // has returns true if flag `name` was given (boolean or not).
  bool has(absl::string_view name) const;
  // value returns the value of flag `name`, or `fallback` when absent. For
  // a repeatable flag, the last value.
  std::string value(absl::string_view name,
                    absl::string_view fallback = "") const;
  // values returns every value of flag `name` in command-line order.
  std::vector<std::string> values(absl::string_view name) const;
  // positional returns the non-flag arguments, in order.
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(
      absl::Span<const FlagSpec> specs, absl::Span<const std::string> args,
      bool allow_positional);

  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positional_;
};

// ParseFlags parses `args` (without the program and subcommand names)
// against `specs`. `--help`/`-h` is always accepted and reported as flag
// "help". Fails with kInvalidArgument and a message meant for the user:
//   "unknown option --fro (did you mean --from?)"
//   "option --to needs a value"
//   "option --insecure takes no value"
//   "option --from given more than once"
//   "unexpected argument 'foo'" (when `allow_positional` is false).
absl::StatusOr<ParsedFlags> ParseFlags(absl::Span<const FlagSpec> specs,
                                       absl::Span<const std::string> args,
                                       bool allow_positional = false);

// FormatFlagHelp returns the option list for `--help`: one line per flag,
// "  --name VALUE   help", aligned. Never fails.
std::string FormatFlagHelp(absl::Span<const FlagSpec> specs);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_FLAGS_H_
