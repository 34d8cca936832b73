// Options: the command-line contract of `smtpc send`, `smtpc bulk`,
// `smtpc demo` and `smtpc sink`, parsed and validated into plain structs.
//
// Parsing never touches the network. It reads the files the user names
// for secrets (`--password-file`) so a missing file is a usage error (exit
// 64) rather than a failed delivery. Everything else (`--data`, PEM files)
// is read later by the command.
//
// Server addresses: "host", "host:port", "[v6-literal]", "[v6-literal]:port"
// or a bare IPv6 literal ("::1"). Default port 25. The TLS mode defaults by
// port like swaks and curl: 465 implicit, 587 starttls, anything else
// opportunistic; and `--tls implicit` without a port means port 465.

#ifndef SMTP_TOOLS_OPTIONS_H_
#define SMTP_TOOLS_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/command.h"
#include "core/instant.h"
#include "core/session.h"
#include "core/timers.h"
#include "tools/flags.h"
#include "tools/reach_flags.h"

namespace smtpcore {
namespace cli {

// TlsChoice is the `--tls` flag.
enum class TlsChoice : uint8_t {
  kNone,           // plaintext only
  kOpportunistic,  // STARTTLS when offered, certificate not required valid
  kStartTls,       // STARTTLS required and verified
  kImplicit,       // TLS from the first byte (port 465), verified
};

// TlsChoiceName returns the flag spelling ("none", "opportunistic",
// "starttls", "implicit").
absl::string_view TlsChoiceName(TlsChoice choice);

// ParseTlsChoice parses a `--tls` value. kInvalidArgument otherwise.
absl::StatusOr<TlsChoice> ParseTlsChoice(absl::string_view text);

// DefaultTlsForPort is 465 -> implicit, 587 -> starttls, else opportunistic.
TlsChoice DefaultTlsForPort(uint16_t port);

// SessionTlsMode maps a TlsChoice to the core's TlsMode.
TlsMode SessionTlsMode(TlsChoice choice);

// ServerAddress is a host (name or IP literal without brackets) and port,
// or a Unix-domain socket ("unix:/path": `unix_path` set, host
// "localhost").
struct ServerAddress {
  std::string host;
  uint16_t port = 25;
  // port_given is true when the text named a port.
  bool port_given = false;
  // unix_path is the socket path of "unix:PATH", else "".
  std::string unix_path;

  // ToString gives "host:port", "[v6]:port" for IPv6 literals, "unix:PATH"
  // for a Unix-domain socket.
  std::string ToString() const;
};

// ParseServerAddress parses `text` (see the file comment, and "unix:PATH"
// with a non-empty PATH). Fails with kInvalidArgument for an empty host, a
// bad or zero port, unbalanced brackets, or "unix:" without a path.
absl::StatusOr<ServerAddress> ParseServerAddress(absl::string_view text,
                                                 uint16_t default_port = 25);

// ParseDsnNotify parses "NEVER" or a comma list of SUCCESS, FAILURE, DELAY
// (any case) into DsnNotify bits. NEVER combined with others, an unknown
// word or an empty list is kInvalidArgument.
absl::StatusOr<uint8_t> ParseDsnNotify(absl::string_view text);

// ParseTimeoutSeconds parses a positive number of seconds ("30", "0.5"),
// at most one day. kInvalidArgument otherwise.
absl::StatusOr<Duration> ParseTimeoutSeconds(absl::string_view text);

// CappedTimeouts returns the RFC 5321 §4.5.3.2 defaults, each capped at
// `cap` when given: every stage, the TLS handshake and the whole AUTH
// exchange (core/timers.h). The connect timeout is capped separately
// (tools/client_config.h).
Timeouts CappedTimeouts(absl::optional<Duration> cap);

// ConnectionFlags are the flags `send` and `bulk` share: where to connect,
// how to secure and authenticate the session, and protocol switches.
struct ConnectionFlags {
  ServerAddress server;
  TlsChoice tls = TlsChoice::kOpportunistic;
  std::string ca_file;
  // insecure: do not verify the server certificate (--insecure).
  bool insecure = false;
  // allow_plaintext_auth: AUTH without TLS (--allow-plaintext-auth);
  // loopback peers are allowed without it (ClientOptions).
  bool allow_plaintext_auth = false;
  std::string client_cert;
  std::string client_key;
  // user and one of password / oauth_token (password_file is read into
  // password). Empty user: no AUTH.
  std::string user;
  std::string password;
  std::string oauth_token;
  // auth_mechanisms restricts the SASL choice, upper case, in order.
  std::vector<std::string> auth_mechanisms;
  std::string ehlo;
  bool chunking = true;
  bool pipelining = true;
  absl::optional<Duration> timeout;
  bool trace = false;
};

// MxFlags are the flags of delivery to a domain like an MTA (`smtpc send
// --mx`, `smtpc route`): DNS, DNSSEC, MTA-STS and test overrides.
struct MxFlags {
  // domain is the recipient domain (or an address literal) to route to;
  // empty when `--server` is used instead.
  std::string domain;
  // dns_server is "ADDR[:PORT]" of a resolver to forward to (answers are
  // still DNSSEC-validated in smtpc); empty: recurse from the root.
  std::string dns_server;
  // trust_anchor is a file of DS/DNSKEY trust anchors; empty: Debian's
  // root key.
  std::string trust_anchor;
  // port is the SMTP port of the MX hosts (25).
  uint16_t port = 25;
  // mta_sts_port is the HTTPS port of MTA-STS policy fetches (443).
  uint16_t mta_sts_port = 443;
  // tlsrpt_out is where to write the RFC 8460 report(s) of this run.
  std::string tlsrpt_out;
  // libuv: run the delivery with the libuv MX driver
  // (transports/libuv/uv_mx_delivery.h) instead of the blocking one
  // (`--driver libuv`; both follow the same plan).
  bool libuv = false;
};

// SendFlags are the flags of `smtpc send`.
struct SendFlags {
  bool help = false;
  ConnectionFlags connection;
  // mx: set (mx.domain not empty) for `--mx DOMAIN` instead of `--server`.
  MxFlags mx;
  std::string from;
  std::vector<std::string> to;
  // data is the message file, "-" for standard input, empty for the
  // generated test message.
  std::string data;
  // Composition flags (tools/message_composer.h); `compose` is true when
  // any was given (never with --data). `body` is TEXT, "@FILE" or "@-".
  bool compose = false;
  std::string subject;
  absl::optional<std::string> body;
  std::vector<std::string> headers;
  std::vector<std::string> attach;
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  bool requiretls = false;
  uint8_t dsn_notify = kNotifyDefault;
  absl::optional<DsnRet> dsn_ret;
  absl::optional<std::string> envid;
  bool json = false;
  // reach: --lmtp, --proxy, --local-address, --quit-after
  // (tools/reach_flags.h).
  ReachFlags reach;
};

// RouteFlags are the flags of `smtpc route DOMAIN`.
struct RouteFlags {
  bool help = false;
  MxFlags mx;
  // ca_file: trust anchors for the MTA-STS policy fetch (PKIX).
  std::string ca_file;
  bool requiretls = false;
  bool json = false;
};

// BulkFlags are the flags of `smtpc bulk`.
struct BulkFlags {
  bool help = false;
  ConnectionFlags connection;
  std::string from = "bulk@smtpc.test";
  std::vector<std::string> to;  // default {"sink@smtpc.test"}
  size_t count = 100;
  size_t concurrency = 4;
  size_t size = 1024;
  // data: send the bytes of this file (a whole message, headers included)
  // as every message instead of a generated one; empty = generate.
  std::string data;
  // distinct: how many different message bodies to rotate through
  // (generated with their own index, or copies of --data); 1 = one body
  // for every message, which the session remembers
  // (SessionOptions::remember_last_body). With more, every message is a
  // body the session has not just sent: the one-pass precheck encoding
  // (core/encoded_body.h) is what a real sender of different messages gets.
  size_t distinct = 1;
  // messages_per_connection: the pool drops a connection after this many
  // messages (0 = no limit).
  size_t messages_per_connection = 0;
  // idle_timeout: the pool closes a connection idle this long (0: never;
  // UvPoolOptions::idle_timeout).
  Duration idle_timeout = absl::Seconds(30);
  // busy_backoff: how long a server that said "too many connections" gets
  // fewer connections (0: never lowered; UvPoolOptions::busy_backoff).
  Duration busy_backoff = absl::Seconds(60);
  // progress: "auto" (a live line on a terminal), "always" or "never".
  std::string progress = "auto";
  bool json = false;
  // reach: --lmtp, --proxy, --local-address (tools/reach_flags.h), applied
  // to every connection of the pool; quit_after is always kNone.
  ReachFlags reach;
};

// DemoFlags are the flags of `smtpc demo`.
struct DemoFlags {
  bool help = false;
  // plain: no TLS and no AUTH (shows a minimal session).
  bool plain = false;
  // color: "auto", "always" or "never".
  std::string color = "auto";
};

// SinkFlags are the flags of `smtpc sink` (the demo sink as a server).
struct SinkFlags {
  bool help = false;
  uint16_t port = 0;     // 0: a free port
  bool quiet = false;    // do not print received messages
  size_t max_messages = 0;  // exit after this many messages (0: never)
  std::string ca_out;    // write the sink's CA certificate here
  std::string save_dir;  // write each message to DIR/<id>.eml
};

// SendFlagSpecs ... SinkFlagSpecs are the flag tables (for parsing and for
// `--help`). Static storage.
absl::Span<const FlagSpec> SendFlagSpecs();
absl::Span<const FlagSpec> BulkFlagSpecs();
absl::Span<const FlagSpec> DemoFlagSpecs();
absl::Span<const FlagSpec> SinkFlagSpecs();
absl::Span<const FlagSpec> RouteFlagSpecs();

// ConnectionFlagSpecs are the flag rows of ConnectionFlags (--server ...
// --trace), for the commands that only talk to a server (`probe`, `vrfy`,
// `expn`, `etrn`). Static storage.
absl::Span<const FlagSpec> ConnectionFlagSpecs();

// ParseConnectionFlagsFrom reads the ConnectionFlagSpecs() flags of `f`
// with the rules of ParseSendFlags (--server required). kInvalidArgument
// with a user-facing message otherwise.
absl::Status ParseConnectionFlagsFrom(const ParsedFlags& f,
                                      ConnectionFlags* out);

// ParseSendFlags parses `smtpc send` arguments. With `--help` it returns
// `help = true` and skips the other checks. Fails with kInvalidArgument and
// a user-facing message (exit 64) for: unknown or repeated flags, missing
// --server (or --mx)/--from/--to, --server with --mx, MX flags (--dns-server,
// --trust-anchor, --port, --mta-sts-port, --tlsrpt-out) without --mx, --mx
// with --tls/--user/--insecure (an MTA decides TLS from the route and does
// not authenticate), bad values, --client-cert without --client-key (or
// the reverse), --user without exactly one secret (except --auth EXTERNAL),
// a secret without --user, an unreadable --password-file, an unknown --auth
// mechanism.
absl::StatusOr<SendFlags> ParseSendFlags(absl::Span<const std::string> args);

// ParseRouteFlags parses `smtpc route DOMAIN [options]`: exactly one
// DOMAIN (a domain or an address literal), the MX flags, --ca-file,
// --requiretls, --json. kInvalidArgument otherwise.
absl::StatusOr<RouteFlags> ParseRouteFlags(absl::Span<const std::string> args);

// ParseBulkFlags parses `smtpc bulk` arguments; same rules for the shared
// flags, plus positive --count, --concurrency (at most 1000) and --size.
absl::StatusOr<BulkFlags> ParseBulkFlags(absl::Span<const std::string> args);

// ParseDemoFlags parses `smtpc demo` arguments.
absl::StatusOr<DemoFlags> ParseDemoFlags(absl::Span<const std::string> args);

// ParseSinkFlags parses `smtpc sink` arguments.
absl::StatusOr<SinkFlags> ParseSinkFlags(absl::Span<const std::string> args);

// DefaultEhloName returns the host name when it is a plausible domain
// (letters, digits, '-', '.'), else "localhost".
std::string DefaultEhloName();

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_OPTIONS_H_
