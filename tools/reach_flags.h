// ReachFlags: the connection flags of issue 14 ("reach") shared by
// `smtpc send`, `probe`, `vrfy`, `expn` and `etrn`: LMTP (RFC 2033), a
// SOCKS5 (RFC 1928/1929) or HTTP CONNECT (RFC 9110 §9.3.6) proxy, a source
// address, and for `send` swaks' --quit-after. `--server unix:/path` is
// parsed by ParseServerAddress (tools/options.h).
//
// Parsing never touches the network. The proxy URL is checked here
// (transports/proxy/proxy_config.h), so a bad URL is a usage error (64).

#ifndef SMTP_TOOLS_REACH_FLAGS_H_
#define SMTP_TOOLS_REACH_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "transports/proxy/proxy_config.h"
#include "tools/flags.h"

namespace smtpcore {

struct ClientOptions;  // transports/common/client_options.h

namespace cli {

// SMTPC_REACH_FLAG_SPECS are the FlagSpec rows of ReachFlagSpecs(), for
// commands whose flag tables are static arrays (tools/options.cc).
#define SMTPC_REACH_FLAG_SPECS                                              \
  {"lmtp", nullptr, "speak LMTP (RFC 2033): LHLO, a reply per recipient"}, \
      {"proxy", "URL",                                                      \
       "connect through socks5://[USER:PASS@]HOST[:PORT] (or socks5h://) "  \
       "or http://[USER:PASS@]HOST:PORT (CONNECT)"},                        \
      {"local-address", "IP", "bind the connection to this source address"}

// SMTPC_QUIT_AFTER_FLAG_SPEC is the `--quit-after` row (`smtpc send`).
#define SMTPC_QUIT_AFTER_FLAG_SPEC                                       \
  {"quit-after", "STAGE",                                               \
   "stop and QUIT after connect|greeting|ehlo|tls|auth|mail|rcpt "      \
   "(swaks; nothing is delivered)"}

// QuitAfter is `--quit-after` (swaks semantics): the last step run before
// QUIT. kNone runs the whole delivery.
enum class QuitAfter : uint8_t {
  kNone,
  kConnect,   // connected (no QUIT: the socket is closed)
  kGreeting,  // the server's 220
  kEhlo,      // EHLO (LHLO with --lmtp)
  kTls,       // STARTTLS and the second EHLO (the same as kEhlo without TLS)
  kAuth,      // AUTH (the same as kTls without --user)
  kMail,      // MAIL FROM
  kRcpt,      // every RCPT TO
};

// QuitAfterName returns the flag spelling ("connect" ... "rcpt", "" for
// kNone).
absl::string_view QuitAfterName(QuitAfter stage);

// ParseQuitAfter parses a `--quit-after` value (swaks' aliases "banner"
// for greeting, "helo"/"lhlo" for ehlo, "starttls" for tls, "from" for
// mail, "to" for rcpt are accepted). kInvalidArgument otherwise.
absl::StatusOr<QuitAfter> ParseQuitAfter(absl::string_view text);

// ReachFlags are the parsed flags. Value type.
struct ReachFlags {
  // lmtp: speak LMTP (LHLO, one reply per recipient after the data).
  bool lmtp = false;
  // proxy is the parsed `--proxy` URL (kind kNone without the flag).
  ProxyConfig proxy;
  // proxy_url is the flag as given, for reports (credentials removed).
  std::string proxy_display;
  // local_address is `--local-address` (a numeric IP), "" without it.
  std::string local_address;
  QuitAfter quit_after = QuitAfter::kNone;
};

// ReachFlagSpecs are --lmtp, --proxy and --local-address (static storage).
absl::Span<const FlagSpec> ReachFlagSpecs();

// ParseReachFlags reads the flags of ReachFlagSpecs() and, when
// `with_quit_after`, `--quit-after`, from `f`. `unix_path` is the socket
// path of `--server unix:PATH` ("" for TCP). Fails with kInvalidArgument
// and a user-facing message: a bad proxy URL, a non-numeric
// --local-address, --proxy or --local-address with a Unix socket, an
// unknown --quit-after stage.
absl::Status ParseReachFlags(const ParsedFlags& f, absl::string_view unix_path,
                             bool with_quit_after, ReachFlags* out);

// ApplyReachFlags copies the flags and `unix_path` into `options`
// (unix_socket, local_address, proxy, session.lmtp). Never fails.
void ApplyReachFlags(const ReachFlags& flags, absl::string_view unix_path,
                     ClientOptions* options);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_REACH_FLAGS_H_
