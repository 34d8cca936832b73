// AccountConfig: named SMTP accounts in msmtp's configuration syntax, so an
// existing ~/.msmtprc works unchanged with `smtpc sendmail` and
// `smtpc send --account NAME`.
//
// Syntax (msmtp(1) "CONFIGURATION FILES"): one `key value` per line; blank
// lines and lines whose first non-blank character is '#' are ignored; a
// value may be written in double quotes ("a b", with \" and \\ escapes).
//   defaults                 the keys that follow apply to every account
//                            defined after them
//   account NAME             starts an account: it inherits the defaults
//   account NAME : P1, P2    ... then the keys of accounts P1, P2 (already
//                            defined), then its own keys
//   account default : NAME   the account used when none is named
// Keys read: host, port, from, auth (on|off|MECHANISM), user, password,
// passwordeval, tls, tls_starttls, tls_trust_file (a file or "system"),
// tls_certcheck, tls_cert_file, tls_key_file, timeout (off|SECONDS),
// domain (the EHLO name), logfile, syslog (on|off|LOG_MAIL...),
// dsn_notify, dsn_return; smtpc's own: oauth_token_eval (a command that
// prints an OAuth 2.0 access token, for XOAUTH2/OAUTHBEARER) and
// allow_plaintext_auth (on: AUTH without TLS; loopback servers never need
// it). msmtp keys
// that only shape what msmtp adds to messages or how it picks addresses
// (auto_from, maildomain, set_*_header, add_missing_*_header,
// remove_bcc_headers, undisclosed_recipients, tls_priorities,
// tls_min_dh_prime_bits, protocol smtp) are accepted and have no effect;
// keys smtpc cannot honour safely (tls_fingerprint, tls_crl_file,
// tls_host_override, proxy_host, socket, source_ip, ...) and unknown keys
// are errors naming the file and line, so nothing is sent with a setting
// silently dropped.
//
// Where the file is (FindConfigFile): --config FILE, else $SMTPC_CONFIG,
// else $XDG_CONFIG_HOME/smtpc/config (~/.config/smtpc/config), else
// ~/.msmtprc, else /etc/smtpc/config, else /etc/msmtprc.
//
// Secrets: a file with a `password` key that group or others may read is
// refused (LoadAccountConfig), as msmtp does, before anything is sent.

#ifndef SMTP_TOOLS_ACCOUNT_CONFIG_H_
#define SMTP_TOOLS_ACCOUNT_CONFIG_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {

// Account is one resolved account: the defaults, parents and its own keys
// merged. `settings` maps each key (lower case) to its raw value. Owns its
// strings.
struct Account {
  std::string name;
  std::map<std::string, std::string> settings;

  // Get returns the value of `key`, or nullptr when unset. The pointer is
  // valid while the Account lives and is not changed.
  const std::string* Get(absl::string_view key) const;
};

// AccountConfig is a parsed configuration file.
struct AccountConfig {
  // path is the file it came from (for messages).
  std::string path;
  // accounts in file order.
  std::vector<Account> accounts;
  // has_password is true when any `password` key appears.
  bool has_password = false;

  // Find returns the account named `name`, or nullptr. Valid while the
  // config lives and is not changed.
  const Account* Find(absl::string_view name) const;
};

// ParseAccountConfig parses `text` (read from `path`, used in messages).
// Fails with kInvalidArgument "PATH:LINE: ..." for an unknown or
// unsupported key, a bad value (port, on/off, timeout), an unknown parent,
// a key before any `defaults`/`account` line is fine (it counts as
// defaults), an account defined twice, an unterminated quote.
absl::StatusOr<AccountConfig> ParseAccountConfig(absl::string_view text,
                                                 absl::string_view path);

// EnvLookup returns the value of an environment variable, or nullopt.
using EnvLookup =
    std::function<absl::optional<std::string>(absl::string_view name)>;

// ProcessEnv looks variables up with getenv.
EnvLookup ProcessEnv();

// FindConfigFile returns the configuration file to use (see the file
// comment): `explicit_path` when not empty (it must exist), else the first
// of the search list that exists. kNotFound naming every place looked at
// when there is none; kInvalidArgument when --config or $SMTPC_CONFIG
// names a missing file.
absl::StatusOr<std::string> FindConfigFile(absl::string_view explicit_path,
                                           const EnvLookup& env);

// LoadAccountConfig reads and parses `path`. Fails (kInvalidArgument, a
// message for the user) when it cannot be read, does not parse, or holds a
// `password` and is readable by group or others ("chmod 600 PATH").
absl::StatusOr<AccountConfig> LoadAccountConfig(const std::string& path);

// SelectAccount picks the account: `name` when not empty (it must exist),
// else the first account whose `from` equals `from` (when `from` is not
// empty; msmtp's rule for -f), else the account named "default". Fails
// with kInvalidArgument naming the accounts there are. The pointer is
// valid while `config` lives.
absl::StatusOr<const Account*> SelectAccount(const AccountConfig& config,
                                             absl::string_view name,
                                             absl::string_view from);

// RunSecretCommand runs `command` with /bin/sh -c and returns the first
// line of its output (passwordeval, oauth_token_eval). Fails with
// kInvalidArgument naming `key` (never the output) when the command fails
// or prints nothing.
absl::StatusOr<std::string> RunSecretCommand(absl::string_view key,
                                             const std::string& command);

// AccountConnectionFlags turns `account` into the flags `smtpc send` would
// take: server (host, port), TLS mode (tls off: none; tls on: STARTTLS, or
// implicit with tls_starttls off; no tls key: smtpc's default by port),
// --insecure from tls_certcheck off, CA and client certificate files, AUTH
// (auth off: none; on or a mechanism, or a user without an auth key: AUTH
// as user with password, passwordeval or oauth_token_eval, which run
// here), EHLO name (domain), timeout. Fails with kInvalidArgument for a
// missing host, auth without a user or secret, a failing eval command.
absl::StatusOr<ConnectionFlags> AccountConnectionFlags(const Account& account,
                                                       const EnvLookup& env);

// ExpandHome replaces a leading "~/" of `path` by $HOME.
std::string ExpandHome(absl::string_view path, const EnvLookup& env);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_ACCOUNT_CONFIG_H_
