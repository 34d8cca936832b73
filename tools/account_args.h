// AccountArgs: `--account NAME` and `--config FILE` for the subcommands that
// take connection flags (`smtpc send`, `smtpc bulk`): the account's server,
// TLS, credentials, EHLO name, timeout and sender (tools/account_config.h)
// become the flags the command line did not give.

#ifndef SMTP_TOOLS_ACCOUNT_ARGS_H_
#define SMTP_TOOLS_ACCOUNT_ARGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tools/account_config.h"

namespace smtpcore {
namespace cli {

// ExpandAccountArgs returns `args` unchanged when they hold neither
// --account nor --config. Otherwise it removes both, finds and loads the
// configuration file (FindConfigFile, LoadAccountConfig), selects the
// account (SelectAccount: --account, else the one whose `from` is --from,
// else "default") and returns the flags it implies placed before the
// remaining arguments: --server, --tls, --ca-file, --insecure,
// --client-cert/--client-key, --user with --password or --oauth-token
// (secrets stay in this process: they are not in any real argv), --auth,
// --ehlo, --timeout, --from (when `with_from`). A flag the command line
// gives is not added; the credentials are added only when the command line
// gives none of --user, --password, --password-file, --oauth-token.
// Fails with kInvalidArgument (a usage error) as the functions it calls.
absl::StatusOr<std::vector<std::string>> ExpandAccountArgs(
    absl::Span<const std::string> args, bool with_from, const EnvLookup& env);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_ACCOUNT_ARGS_H_
