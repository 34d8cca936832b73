// ClientConfig: turns the shared `smtpc` connection flags (tools/options.h)
// into transport options (transports/blocking/client_options.h) for the
// blocking client (`send`) and the libuv pool (`bulk`).
//
// TLS verification follows the flags like the reference client: `starttls`
// and `implicit` verify the server certificate (against --ca-file or the
// system store) unless --insecure; `opportunistic` verifies only when a
// --ca-file is given (otherwise it encrypts without authenticating, as MTAs
// do, RFC 7435). The certificate name checked is the --server host.
//
// Files named by flags (--ca-file, --client-cert, --client-key) are read
// here, so an unreadable file is a usage error before any connection.

#ifndef SMTP_TOOLS_CLIENT_CONFIG_H_
#define SMTP_TOOLS_CLIENT_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "transports/common/client_options.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {

// ClientConfig is the result of `MakeClientConfig`.
struct ClientConfig {
  ClientOptions options;
  // auth_note receives, when the SASL chooser finds no usable mechanism,
  // why (what the server offers and what was tried; never a secret). Shared
  // with the chooser inside `options`.
  std::shared_ptr<std::string> auth_note = std::make_shared<std::string>();
};

// MakeClientConfig builds the options for `flags`: host and port, TLS mode
// and TlsOptions, SASL credentials and mechanism preference, EHLO name,
// IDNA (A-labels for servers without SMTPUTF8, //idna),
// PIPELINING/CHUNKING switches, per-stage timeouts capped by --timeout (and
// the connect timeout, 30 s by default, too). Fails with kInvalidArgument
// ("cannot read --ca-file /x: No such file or directory") when a file
// cannot be read.
absl::StatusOr<ClientConfig> MakeClientConfig(const ConnectionFlags& flags);

// ReadFileForFlag reads the whole file `path` named by option `flag`;
// kInvalidArgument with a user-facing message on failure.
absl::StatusOr<std::string> ReadFileForFlag(absl::string_view flag,
                                            const std::string& path);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_CLIENT_CONFIG_H_
