#include "tools/options.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sasl/select.h"

namespace smtpcore {
namespace cli {
namespace {

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// Flag tables. The order is the order of `--help`.
#define SMTPC_CONNECTION_FLAGS                                                \
  {"server", "HOST[:PORT]", "server to connect to (port 25 by default)"},     \
      {"tls", "MODE",                                                         \
       "none|opportunistic|starttls|implicit (default by port: 465 implicit," \
       " 587 starttls, else opportunistic)"},                                 \
      {"ca-file", "PEM", "trust these CA certificates instead of the system's"}, \
      {"insecure", nullptr, "do not verify the server certificate"},         \
      {"allow-plaintext-auth", nullptr,                                       \
       "allow AUTH without TLS (loopback servers need not)"},               \
      {"client-cert", "PEM", "client certificate chain (with --client-key)"}, \
      {"client-key", "PEM", "client private key"},                            \
      {"user", "USER", "authenticate as USER"},                               \
      {"password", "PASS", "password for --user"},                            \
      {"password-file", "FILE", "read the password from FILE (first line)"},  \
      {"oauth-token", "TOKEN", "OAuth 2.0 token (XOAUTH2, OAUTHBEARER)"},     \
      {"auth", "MECH[,MECH]", "only these SASL mechanisms, in this order"},   \
      {"ehlo", "NAME", "name sent with EHLO (default: this host's name)"},    \
      {"chunking", "auto|never", "use BDAT when offered (default auto)"},     \
      {"pipelining", "auto|never", "pipeline commands when offered (default auto)"}, \
      {"timeout", "SECONDS",                                                 \
       "cap every deadline (connect, each reply, TLS, AUTH)"},               \
      {"trace", nullptr, "print the session (C:/S: lines) on stderr"}

#define SMTPC_MX_FLAGS                                                        \
  {"mx", "DOMAIN",                                                            \
   "deliver like an MTA: MX, DANE, MTA-STS for DOMAIN (instead of --server)"}, \
      {"dns-server", "ADDR[:PORT]",                                           \
       "forward DNS to this resolver (DNSSEC still validated here)"},         \
      {"trust-anchor", "FILE", "DNSSEC trust anchors (default: Debian's root key)"}, \
      {"port", "N", "connect to MX hosts on port N instead of 25 (tests)"},   \
      {"mta-sts-port", "N", "fetch MTA-STS policies on port N, not 443 (tests)"}, \
      {"tlsrpt-out", "FILE", "write this run's RFC 8460 TLS report(s) to FILE"}

// Read and removed before parsing (tools/account_args.h); listed for --help.
#define SMTPC_ACCOUNT_FLAGS                                                   \
  {"account", "NAME",                                                         \
   "take server, TLS, credentials (and --from) from this account"},           \
      {"config", "FILE",                                                      \
       "account file (default ~/.config/smtpc/config, else ~/.msmtprc)"}

const FlagSpec kSendFlags[] = {
    SMTPC_CONNECTION_FLAGS,
    {"from", "ADDR", "envelope sender (\"\" for the null sender)"},
    {"to", "ADDR", "envelope recipient (repeat for more)", true},
    {"data", "FILE|-", "message to send (default: a generated test message)"},
    {"subject", "TEXT", "compose the message: its Subject"},
    {"body", "TEXT|@FILE", "compose the message: its text (@- for stdin)"},
    {"header", "\"NAME: VALUE\"",
     "compose the message: add or replace a header field (repeatable)", true},
    {"attach", "FILE", "compose the message: attach FILE (repeatable)", true},
    {"8bitmime", nullptr, "send BODY=8BITMIME"},
    {"smtputf8", nullptr, "send SMTPUTF8 (also automatic for UTF-8 addresses)"},
    {"requiretls", nullptr, "send REQUIRETLS (RFC 8689)"},
    {"dsn-notify", "LIST", "NEVER or SUCCESS,FAILURE,DELAY (RFC 3461)"},
    {"dsn-ret", "FULL|HDRS", "what a DSN returns"},
    {"envid", "ID", "DSN envelope id"},
    {"json", nullptr, "print one JSON object with the result on stdout"},
    SMTPC_MX_FLAGS,
    {"driver", "blocking|libuv",
     "with --mx: which MX driver runs the delivery (default blocking)"},
    SMTPC_REACH_FLAG_SPECS,
    SMTPC_QUIT_AFTER_FLAG_SPEC,
    SMTPC_ACCOUNT_FLAGS,
};

const FlagSpec kConnectionFlags[] = {SMTPC_CONNECTION_FLAGS};

const FlagSpec kRouteFlags[] = {
    SMTPC_MX_FLAGS,
    {"ca-file", "PEM", "trust these CAs for MTA-STS policy fetches"},
    {"requiretls", nullptr, "plan for a REQUIRETLS message (RFC 8689)"},
    {"json", nullptr, "print the plan as one JSON object"},
};

const FlagSpec kBulkFlags[] = {
    SMTPC_CONNECTION_FLAGS,
    {"from", "ADDR", "envelope sender (default bulk@smtpc.test)"},
    {"to", "ADDR", "recipient of every message (repeatable)", true},
    {"count", "N", "messages to send (default 100)"},
    {"concurrency", "C", "concurrent connections (default 4)"},
    {"size", "BYTES", "approximate size of each message (default 1024)"},
    {"data", "FILE",
     "send this message file (headers and body) instead of a generated one"},
    {"distinct", "N",
     "rotate through N different message bodies (default 1: the same body)"},
    {"messages-per-connection", "N",
     "open a new connection after N messages (default: no limit)"},
    {"idle-timeout", "SECONDS",
     "close a connection idle this long (default 30, 0: never)"},
    {"busy-backoff", "SECONDS",
     "after \"too many connections\", fewer connections for this long "
     "(default 60, 0: never)"},
    {"progress", "auto|always|never",
     "live progress line (default: when stderr is a terminal)"},
    {"json", nullptr, "print the summary as one JSON object on stdout"},
    SMTPC_REACH_FLAG_SPECS,
    SMTPC_ACCOUNT_FLAGS,
};

const FlagSpec kDemoFlags[] = {
    {"plain", nullptr, "no STARTTLS and no AUTH: the smallest session"},
    {"color", "auto|always|never", "colour the transcript (default auto)"},
};

const FlagSpec kSinkFlags[] = {
    {"port", "PORT", "listen on 127.0.0.1:PORT (default: a free port)"},
    {"quiet", nullptr, "do not print received messages"},
    {"max-messages", "N", "exit after receiving N messages"},
    {"ca-out", "FILE", "write the sink's throwaway CA certificate to FILE"},
    {"save-dir", "DIR", "write each received message to DIR/ID.eml"},
};

#undef SMTPC_CONNECTION_FLAGS
#undef SMTPC_MX_FLAGS
#undef SMTPC_ACCOUNT_FLAGS

absl::StatusOr<uint16_t> ParsePort(absl::string_view flag,
                                   absl::string_view value) {
  uint32_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n == 0 || n > 65535) {
    return Usage(absl::StrCat("--", flag, " must be a port from 1 to 65535, "
                              "not '", value, "'"));
  }
  return static_cast<uint16_t>(n);
}

// ParseMxFlags reads the MX flags (the domain itself is the caller's).
absl::Status ParseMxFlags(const ParsedFlags& f, MxFlags* out) {
  out->dns_server = f.value("dns-server");
  if (f.has("dns-server") && out->dns_server.empty()) {
    return Usage("--dns-server needs ADDR[:PORT]");
  }
  out->trust_anchor = f.value("trust-anchor");
  if (f.has("trust-anchor") && out->trust_anchor.empty()) {
    return Usage("--trust-anchor needs a file name");
  }
  if (f.has("port")) {
    absl::StatusOr<uint16_t> p = ParsePort("port", f.value("port"));
    if (!p.ok()) return p.status();
    out->port = *p;
  }
  if (f.has("mta-sts-port")) {
    absl::StatusOr<uint16_t> p =
        ParsePort("mta-sts-port", f.value("mta-sts-port"));
    if (!p.ok()) return p.status();
    out->mta_sts_port = *p;
  }
  out->tlsrpt_out = f.value("tlsrpt-out");
  if (f.has("tlsrpt-out") && out->tlsrpt_out.empty()) {
    return Usage("--tlsrpt-out needs a file name");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ParseAutoNever(absl::string_view flag,
                                    absl::string_view value) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "auto") return true;
  if (v == "never") return false;
  return Usage(absl::StrCat("--", flag, " must be auto or never, not '",
                            value, "'"));
}

absl::StatusOr<size_t> ParseCount(absl::string_view flag,
                                  absl::string_view value, size_t min,
                                  size_t max) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return Usage(absl::StrCat("--", flag, " must be a number from ", min,
                              " to ", max, ", not '", value, "'"));
  }
  return static_cast<size_t>(n);
}

absl::StatusOr<std::string> ReadPasswordFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Usage(absl::StrCat("cannot read --password-file ", path, ": ",
                              std::strerror(errno)));
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.pop_back();
  }
  return line;
}

bool IsKnownMechanism(absl::string_view upper) {
  for (const std::string& m : DefaultSaslPreference()) {
    if (m == upper) return true;
  }
  return upper == "DIGEST-MD5" || upper == "EXTERNAL";
}

absl::Status ParseConnectionFlags(const ParsedFlags& f,
                                  ConnectionFlags* out) {
  if (f.has("server")) {
    absl::StatusOr<ServerAddress> server =
        ParseServerAddress(f.value("server"));
    if (!server.ok()) return server.status();
    out->server = *std::move(server);
  } else if (!f.has("mx")) {
    return Usage("--server HOST[:PORT] is required");
  }

  if (f.has("tls")) {
    absl::StatusOr<TlsChoice> tls = ParseTlsChoice(f.value("tls"));
    if (!tls.ok()) return tls.status();
    out->tls = *tls;
  } else {
    out->tls = DefaultTlsForPort(out->server.port);
  }
  if (!out->server.port_given && out->tls == TlsChoice::kImplicit) {
    out->server.port = 465;  // RFC 8314 §7.3 submissions
  }
  out->ca_file = f.value("ca-file");
  out->insecure = f.has("insecure");
  out->allow_plaintext_auth = f.has("allow-plaintext-auth");
  if (f.has("ca-file") && out->ca_file.empty()) {
    return Usage("--ca-file needs a file name");
  }
  out->client_cert = f.value("client-cert");
  out->client_key = f.value("client-key");
  if (out->client_cert.empty() != out->client_key.empty()) {
    return Usage("--client-cert and --client-key go together");
  }

  if (f.has("auth")) {
    for (absl::string_view m :
         absl::StrSplit(f.value("auth"), ',', absl::SkipWhitespace())) {
      std::string upper = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(m));
      if (!IsKnownMechanism(upper)) {
        return Usage(absl::StrCat(
            "--auth: unknown SASL mechanism '", upper, "' (known: ",
            absl::StrJoin(DefaultSaslPreference(), ","),
            ",DIGEST-MD5,EXTERNAL)"));
      }
      out->auth_mechanisms.push_back(std::move(upper));
    }
    if (out->auth_mechanisms.empty()) {
      return Usage("--auth needs at least one mechanism name");
    }
  }
  out->user = f.value("user");
  const int secrets = f.has("password") + f.has("password-file") +
                      f.has("oauth-token");
  const bool external_only = out->auth_mechanisms.size() == 1 &&
                             out->auth_mechanisms[0] == "EXTERNAL";
  if (f.has("user")) {
    if (out->user.empty()) return Usage("--user needs a user name");
    if (secrets > 1 || (secrets == 0 && !external_only)) {
      return Usage(
          "--user needs exactly one of --password, --password-file, "
          "--oauth-token");
    }
  } else if (secrets > 0) {
    return Usage("--password/--password-file/--oauth-token need --user");
  } else if (f.has("auth") && !external_only) {
    return Usage("--auth needs --user (and a password or token)");
  }
  if (f.has("password")) out->password = f.value("password");
  if (f.has("password-file")) {
    absl::StatusOr<std::string> password =
        ReadPasswordFile(f.value("password-file"));
    if (!password.ok()) return password.status();
    out->password = *std::move(password);
  }
  out->oauth_token = f.value("oauth-token");

  out->ehlo = f.has("ehlo") ? f.value("ehlo") : DefaultEhloName();
  if (out->ehlo.empty()) return Usage("--ehlo needs a name");
  if (f.has("chunking")) {
    absl::StatusOr<bool> v = ParseAutoNever("chunking", f.value("chunking"));
    if (!v.ok()) return v.status();
    out->chunking = *v;
  }
  if (f.has("pipelining")) {
    absl::StatusOr<bool> v =
        ParseAutoNever("pipelining", f.value("pipelining"));
    if (!v.ok()) return v.status();
    out->pipelining = *v;
  }
  if (f.has("timeout")) {
    absl::StatusOr<Duration> t = ParseTimeoutSeconds(f.value("timeout"));
    if (!t.ok()) return t.status();
    out->timeout = *t;
  }
  out->trace = f.has("trace");
  return absl::OkStatus();
}

}  // namespace

absl::string_view TlsChoiceName(TlsChoice choice) {
  switch (choice) {
    case TlsChoice::kNone: return "none";
    case TlsChoice::kOpportunistic: return "opportunistic";
    case TlsChoice::kStartTls: return "starttls";
    case TlsChoice::kImplicit: return "implicit";
  }
  return "none";
}

absl::StatusOr<TlsChoice> ParseTlsChoice(absl::string_view text) {
  const std::string v = absl::AsciiStrToLower(text);
  if (v == "none") return TlsChoice::kNone;
  if (v == "opportunistic") return TlsChoice::kOpportunistic;
  if (v == "starttls") return TlsChoice::kStartTls;
  if (v == "implicit") return TlsChoice::kImplicit;
  return Usage(absl::StrCat(
      "--tls must be none, opportunistic, starttls or implicit, not '", text,
      "'"));
}

TlsChoice DefaultTlsForPort(uint16_t port) {
  if (port == 465) return TlsChoice::kImplicit;
  if (port == 587) return TlsChoice::kStartTls;
  return TlsChoice::kOpportunistic;
}

TlsMode SessionTlsMode(TlsChoice choice) {
  switch (choice) {
    case TlsChoice::kNone: return TlsMode::kNone;
    case TlsChoice::kOpportunistic: return TlsMode::kOpportunistic;
    case TlsChoice::kStartTls: return TlsMode::kRequired;
    case TlsChoice::kImplicit: return TlsMode::kImplicit;
  }
  return TlsMode::kOpportunistic;
}

std::string ServerAddress::ToString() const {
  if (!unix_path.empty()) return absl::StrCat("unix:", unix_path);
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ServerAddress> ParseServerAddress(absl::string_view text,
                                                 uint16_t default_port) {
  ServerAddress out;
  out.port = default_port;
  if (absl::StartsWith(text, "unix:")) {
    out.unix_path = std::string(text.substr(5));
    if (out.unix_path.empty()) {
      return Usage("--server unix:PATH needs the socket's path");
    }
    out.host = "localhost";
    return out;
  }
  absl::string_view host = text;
  absl::string_view port;
  bool has_port = false;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return Usage(absl::StrCat("--server '", text, "': missing ']'"));
    }
    host = text.substr(1, close - 1);
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return Usage(absl::StrCat("--server '", text,
                                  "': expected ':PORT' after ']'"));
      }
      port = rest.substr(1);
      has_port = true;
    }
  } else if (size_t colon = text.find(':');
             colon != absl::string_view::npos) {
    if (text.find(':', colon + 1) == absl::string_view::npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      has_port = true;
    }  // else: a bare IPv6 literal, no port
  }
  if (host.empty()) {
    return Usage(absl::StrCat("--server '", text, "': empty host name"));
  }
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '[' ||
        c == ']') {
      return Usage(absl::StrCat("--server '", text, "': bad host name"));
    }
  }
  if (has_port) {
    uint32_t p = 0;
    if (!absl::SimpleAtoi(port, &p) || p == 0 || p > 65535) {
      return Usage(absl::StrCat("--server '", text, "': bad port '", port,
                                "' (1-65535)"));
    }
    out.port = static_cast<uint16_t>(p);
    out.port_given = true;
  }
  out.host = std::string(host);
  return out;
}

absl::StatusOr<uint8_t> ParseDsnNotify(absl::string_view text) {
  uint8_t bits = 0;
  bool never = false;
  for (absl::string_view word : absl::StrSplit(text, ',')) {
    const std::string w =
        absl::AsciiStrToUpper(absl::StripAsciiWhitespace(word));
    if (w == "NEVER") {
      never = true;
    } else if (w == "SUCCESS") {
      bits |= kNotifySuccess;
    } else if (w == "FAILURE") {
      bits |= kNotifyFailure;
    } else if (w == "DELAY") {
      bits |= kNotifyDelay;
    } else {
      return Usage(absl::StrCat("--dsn-notify: unknown value '", word,
                                "' (NEVER or SUCCESS,FAILURE,DELAY)"));
    }
  }
  if (never && bits != 0) {
    return Usage("--dsn-notify: NEVER cannot be combined with other values");
  }
  return never ? static_cast<uint8_t>(kNotifyNever) : bits;
}

absl::StatusOr<Duration> ParseTimeoutSeconds(absl::string_view text) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !(seconds > 0) ||
      seconds > 86400) {
    return Usage(absl::StrCat(
        "--timeout must be a positive number of seconds (at most 86400), not '",
        text, "'"));
  }
  return absl::Seconds(seconds);
}

Timeouts CappedTimeouts(absl::optional<Duration> cap) {
  Timeouts t;
  if (!cap.has_value()) return t;
  for (Duration* d : {&t.greeting, &t.mail, &t.rcpt, &t.data_init,
                      &t.data_block, &t.data_termination, &t.tls_handshake,
                      &t.auth, &t.other}) {
    *d = std::min(*d, *cap);
  }
  return t;
}

absl::Span<const FlagSpec> SendFlagSpecs() { return kSendFlags; }
absl::Span<const FlagSpec> ConnectionFlagSpecs() { return kConnectionFlags; }

absl::Status ParseConnectionFlagsFrom(const ParsedFlags& f,
                                      ConnectionFlags* out) {
  return ParseConnectionFlags(f, out);
}
absl::Span<const FlagSpec> BulkFlagSpecs() { return kBulkFlags; }
absl::Span<const FlagSpec> DemoFlagSpecs() { return kDemoFlags; }
absl::Span<const FlagSpec> RouteFlagSpecs() { return kRouteFlags; }
absl::Span<const FlagSpec> SinkFlagSpecs() { return kSinkFlags; }

absl::StatusOr<SendFlags> ParseSendFlags(absl::Span<const std::string> args) {
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(kSendFlags, args);
  if (!parsed.ok()) return parsed.status();
  const ParsedFlags& f = *parsed;
  SendFlags out;
  if (f.has("help")) {
    out.help = true;
    return out;
  }
  if (absl::Status s = ParseConnectionFlags(f, &out.connection); !s.ok()) {
    return s;
  }
  if (f.has("mx")) {
    if (f.has("server")) return Usage("--mx and --server exclude each other");
    for (const char* flag : {"tls", "user", "insecure", "allow-plaintext-auth",
                             "client-cert", "auth"}) {
      if (f.has(flag)) {
        return Usage(absl::StrCat(
            "--", flag, " does not go with --mx: the route decides TLS "
            "(DANE, MTA-STS, opportunistic) and an MTA does not authenticate"));
      }
    }
    out.mx.domain = f.value("mx");
    if (out.mx.domain.empty()) return Usage("--mx needs a domain");
    if (absl::Status s = ParseMxFlags(f, &out.mx); !s.ok()) return s;
    if (f.has("driver")) {
      const std::string d = absl::AsciiStrToLower(f.value("driver"));
      if (d != "blocking" && d != "libuv") {
        return Usage(absl::StrCat("--driver must be blocking or libuv, not '",
                                  f.value("driver"), "'"));
      }
      out.mx.libuv = d == "libuv";
    }
  } else {
    for (const char* flag : {"dns-server", "trust-anchor", "port",
                             "mta-sts-port", "tlsrpt-out", "driver"}) {
      if (f.has(flag)) {
        return Usage(absl::StrCat("--", flag, " needs --mx DOMAIN"));
      }
    }
  }
  if (!f.has("from")) {
    return Usage("--from ADDR is required (--from \"\" for the null sender)");
  }
  out.from = f.value("from");
  out.to = f.values("to");
  if (out.to.empty()) return Usage("--to ADDR is required (repeatable)");
  for (const std::string& to : out.to) {
    if (to.empty()) return Usage("--to needs an address");
  }
  out.data = f.value("data");
  if (f.has("data") && out.data.empty()) {
    return Usage("--data needs a file name or - for standard input");
  }
  // Composition (tools/message_composer.h); --data sends a message as is.
  out.subject = f.value("subject");
  if (f.has("body")) out.body = f.value("body");
  out.headers = f.values("header");
  out.attach = f.values("attach");
  out.compose = f.has("subject") || f.has("body") || f.has("header") ||
                f.has("attach");
  if (out.compose && f.has("data")) {
    return Usage(
        "--subject, --body, --header and --attach compose a message; they do "
        "not go with --data (which sends a file as it is)");
  }
  out.eight_bit_mime = f.has("8bitmime");
  out.smtputf8 = f.has("smtputf8");
  out.requiretls = f.has("requiretls");
  // RFC 8689 §4: a REQUIRETLS message must only travel over verified TLS.
  if (out.requiretls && (out.connection.insecure ||
                         out.connection.allow_plaintext_auth)) {
    return Usage(
        "--requiretls cannot be combined with --insecure or "
        "--allow-plaintext-auth (RFC 8689: the message needs verified TLS)");
  }
  if (f.has("dsn-notify")) {
    absl::StatusOr<uint8_t> n = ParseDsnNotify(f.value("dsn-notify"));
    if (!n.ok()) return n.status();
    out.dsn_notify = *n;
  }
  if (f.has("dsn-ret")) {
    const std::string v = absl::AsciiStrToUpper(f.value("dsn-ret"));
    if (v == "FULL") {
      out.dsn_ret = DsnRet::kFull;
    } else if (v == "HDRS") {
      out.dsn_ret = DsnRet::kHdrs;
    } else {
      return Usage(absl::StrCat("--dsn-ret must be FULL or HDRS, not '",
                                f.value("dsn-ret"), "'"));
    }
  }
  if (f.has("envid")) {
    const std::string v = f.value("envid");
    if (v.empty() || v.size() > 100 ||
        !std::all_of(v.begin(), v.end(),
                     [](char c) { return c >= 0x21 && c <= 0x7e; })) {
      return Usage(
          "--envid must be 1 to 100 printable ASCII characters without "
          "spaces (RFC 3461 §4.4)");
    }
    out.envid = v;
  }
  out.json = f.has("json");
  if (absl::Status s = ParseReachFlags(f, out.connection.server.unix_path,
                                       /*with_quit_after=*/true, &out.reach);
      !s.ok()) {
    return s;
  }
  if (!out.mx.domain.empty() &&
      (f.has("lmtp") || f.has("proxy") || f.has("local-address") ||
       f.has("quit-after"))) {
    return Usage(
        "--lmtp, --proxy, --local-address and --quit-after need --server");
  }
  return out;
}

absl::StatusOr<RouteFlags> ParseRouteFlags(
    absl::Span<const std::string> args) {
  absl::StatusOr<ParsedFlags> parsed =
      ParseFlags(kRouteFlags, args, /*allow_positional=*/true);
  if (!parsed.ok()) return parsed.status();
  const ParsedFlags& f = *parsed;
  RouteFlags out;
  if (f.has("help")) {
    out.help = true;
    return out;
  }
  if (f.has("mx")) return Usage("smtpc route takes the domain as its argument");
  if (f.positional().size() != 1) {
    return Usage("smtpc route needs exactly one DOMAIN");
  }
  out.mx.domain = f.positional()[0];
  if (absl::Status s = ParseMxFlags(f, &out.mx); !s.ok()) return s;
  if (f.has("tlsrpt-out")) return Usage("--tlsrpt-out is for smtpc send --mx");
  out.ca_file = f.value("ca-file");
  if (f.has("ca-file") && out.ca_file.empty()) {
    return Usage("--ca-file needs a file name");
  }
  out.requiretls = f.has("requiretls");
  out.json = f.has("json");
  return out;
}

absl::StatusOr<BulkFlags> ParseBulkFlags(absl::Span<const std::string> args) {
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(kBulkFlags, args);
  if (!parsed.ok()) return parsed.status();
  const ParsedFlags& f = *parsed;
  BulkFlags out;
  if (f.has("help")) {
    out.help = true;
    return out;
  }
  if (absl::Status s = ParseConnectionFlags(f, &out.connection); !s.ok()) {
    return s;
  }
  // --lmtp, --proxy and --local-address apply to every pooled connection
  // (--quit-after is for one `send`, not a load run).
  if (absl::Status s = ParseReachFlags(f, out.connection.server.unix_path,
                                       /*with_quit_after=*/false, &out.reach);
      !s.ok()) {
    return s;
  }
  if (f.has("from")) out.from = f.value("from");
  out.to = f.values("to");
  if (out.to.empty()) out.to.push_back("sink@smtpc.test");
  if (f.has("count")) {
    absl::StatusOr<size_t> n = ParseCount("count", f.value("count"), 1,
                                          100000000);
    if (!n.ok()) return n.status();
    out.count = *n;
  }
  if (f.has("concurrency")) {
    absl::StatusOr<size_t> n =
        ParseCount("concurrency", f.value("concurrency"), 1, 1000);
    if (!n.ok()) return n.status();
    out.concurrency = *n;
  }
  if (f.has("size")) {
    absl::StatusOr<size_t> n =
        ParseCount("size", f.value("size"), 1, size_t{1} << 30);
    if (!n.ok()) return n.status();
    out.size = *n;
  }
  if (f.has("data")) {
    out.data = f.value("data");
    if (out.data.empty()) return Usage("--data needs a file name");
    if (f.has("size")) return Usage("--data and --size exclude each other");
  }
  if (f.has("distinct")) {
    absl::StatusOr<size_t> n = ParseCount("distinct", f.value("distinct"), 1,
                                          1000);
    if (!n.ok()) return n.status();
    out.distinct = *n;
  }
  if (f.has("messages-per-connection")) {
    absl::StatusOr<size_t> n =
        ParseCount("messages-per-connection",
                   f.value("messages-per-connection"), 1, 100000000);
    if (!n.ok()) return n.status();
    out.messages_per_connection = *n;
  }
  if (f.has("idle-timeout")) {
    absl::StatusOr<size_t> n =
        ParseCount("idle-timeout", f.value("idle-timeout"), 0, 86400);
    if (!n.ok()) return n.status();
    out.idle_timeout = absl::Seconds(static_cast<int64_t>(*n));
  }
  if (f.has("busy-backoff")) {
    absl::StatusOr<size_t> n =
        ParseCount("busy-backoff", f.value("busy-backoff"), 0, 86400);
    if (!n.ok()) return n.status();
    out.busy_backoff = absl::Seconds(static_cast<int64_t>(*n));
  }
  if (f.has("progress")) {
    out.progress = absl::AsciiStrToLower(f.value("progress"));
    if (out.progress != "auto" && out.progress != "always" &&
        out.progress != "never") {
      return Usage(absl::StrCat("--progress must be auto, always or never, "
                                "not '", f.value("progress"), "'"));
    }
  }
  out.json = f.has("json");
  return out;
}

absl::StatusOr<DemoFlags> ParseDemoFlags(absl::Span<const std::string> args) {
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(kDemoFlags, args);
  if (!parsed.ok()) return parsed.status();
  DemoFlags out;
  out.help = parsed->has("help");
  out.plain = parsed->has("plain");
  if (parsed->has("color")) {
    out.color = absl::AsciiStrToLower(parsed->value("color"));
    if (out.color != "auto" && out.color != "always" && out.color != "never") {
      return Usage(absl::StrCat("--color must be auto, always or never, not '",
                                parsed->value("color"), "'"));
    }
  }
  return out;
}

absl::StatusOr<SinkFlags> ParseSinkFlags(absl::Span<const std::string> args) {
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(kSinkFlags, args);
  if (!parsed.ok()) return parsed.status();
  const ParsedFlags& f = *parsed;
  SinkFlags out;
  out.help = f.has("help");
  if (f.has("port")) {
    absl::StatusOr<size_t> p = ParseCount("port", f.value("port"), 0, 65535);
    if (!p.ok()) return p.status();
    out.port = static_cast<uint16_t>(*p);
  }
  out.quiet = f.has("quiet");
  if (f.has("max-messages")) {
    absl::StatusOr<size_t> n =
        ParseCount("max-messages", f.value("max-messages"), 1, 100000000);
    if (!n.ok()) return n.status();
    out.max_messages = *n;
  }
  out.ca_out = f.value("ca-out");
  if (f.has("ca-out") && out.ca_out.empty()) {
    return Usage("--ca-out needs a file name");
  }
  out.save_dir = f.value("save-dir");
  if (f.has("save-dir") && out.save_dir.empty()) {
    return Usage("--save-dir needs a directory name");
  }
  return out;
}

std::string DefaultEhloName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  absl::string_view name(buf);
  if (name.empty() || name.size() > 253) return "localhost";
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '.') {
      return "localhost";
    }
  }
  return std::string(name);
}

}  // namespace cli
}  // namespace smtpcore
