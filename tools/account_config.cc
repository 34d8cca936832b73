#include "tools/account_config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/client_config.h"

namespace smtpcore {
namespace cli {
namespace {

enum class KeyKind {
  kString,     // any value
  kBool,       // on|off (empty: on)
  kPort,       // 1..65535
  kTimeout,    // off|SECONDS
  kAuth,       // on|off|MECHANISM (empty: on)
  kSyslog,     // on|off|LOG_* (empty: on)
  kIgnored,    // accepted, no effect in smtpc
  kRefused,    // an msmtp key smtpc cannot honour
};

struct KeyInfo {
  const char* name;
  KeyKind kind;
};

constexpr KeyInfo kKeys[] = {
    {"host", KeyKind::kString},
    {"port", KeyKind::kPort},
    {"from", KeyKind::kString},
    {"auth", KeyKind::kAuth},
    {"user", KeyKind::kString},
    {"password", KeyKind::kString},
    {"passwordeval", KeyKind::kString},
    {"tls", KeyKind::kBool},
    {"tls_starttls", KeyKind::kBool},
    {"tls_trust_file", KeyKind::kString},
    {"tls_certcheck", KeyKind::kBool},
    {"tls_cert_file", KeyKind::kString},
    {"tls_key_file", KeyKind::kString},
    {"timeout", KeyKind::kTimeout},
    {"domain", KeyKind::kString},
    {"logfile", KeyKind::kString},
    {"syslog", KeyKind::kSyslog},
    {"dsn_notify", KeyKind::kString},
    {"dsn_return", KeyKind::kString},
    {"oauth_token_eval", KeyKind::kString},
    {"allow_plaintext_auth", KeyKind::kBool},
    // msmtp keys about message rewriting, address choice, logging format
    // and GnuTLS tuning: smtpc has its own behaviour for these.
    {"auto_from", KeyKind::kIgnored},
    {"maildomain", KeyKind::kIgnored},
    {"set_from_header", KeyKind::kIgnored},
    {"set_date_header", KeyKind::kIgnored},
    {"set_msgid_header", KeyKind::kIgnored},
    {"add_missing_from_header", KeyKind::kIgnored},
    {"add_missing_date_header", KeyKind::kIgnored},
    {"remove_bcc_headers", KeyKind::kIgnored},
    {"undisclosed_recipients", KeyKind::kIgnored},
    {"logfile_time_format", KeyKind::kIgnored},
    {"tls_priorities", KeyKind::kIgnored},
    {"tls_min_dh_prime_bits", KeyKind::kIgnored},
    {"protocol", KeyKind::kString},  // only "smtp" (checked below)
    {"tls_fingerprint", KeyKind::kRefused},
    {"tls_crl_file", KeyKind::kRefused},
    {"tls_host_override", KeyKind::kRefused},
    {"proxy_host", KeyKind::kRefused},
    {"proxy_port", KeyKind::kRefused},
    {"socket", KeyKind::kRefused},
    {"source_ip", KeyKind::kRefused},
    {"aliases", KeyKind::kRefused},
    {"ntlmdomain", KeyKind::kRefused},
    {"eval", KeyKind::kRefused},
};

const KeyInfo* FindKey(absl::string_view name) {
  for (const KeyInfo& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

absl::Status LineError(absl::string_view path, int line,
                       absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", line, ": ", message));
}

// SplitKeyValue splits a line into its key and (unquoted) value.
absl::Status SplitKeyValue(absl::string_view line, std::string* key,
                           std::string* value) {
  size_t i = 0;
  while (i < line.size() && !absl::ascii_isspace(line[i])) ++i;
  *key = absl::AsciiStrToLower(line.substr(0, i));
  absl::string_view rest = absl::StripAsciiWhitespace(line.substr(i));
  value->clear();
  if (!absl::StartsWith(rest, "\"")) {
    *value = std::string(rest);
    return absl::OkStatus();
  }
  for (size_t j = 1; j < rest.size(); ++j) {
    if (rest[j] == '\\' && j + 1 < rest.size()) {
      value->push_back(rest[++j]);
    } else if (rest[j] == '"') {
      if (!absl::StripAsciiWhitespace(rest.substr(j + 1)).empty()) {
        return absl::InvalidArgumentError("text after the closing quote");
      }
      return absl::OkStatus();
    } else {
      value->push_back(rest[j]);
    }
  }
  return absl::InvalidArgumentError("unterminated quote");
}

bool IsOnOff(absl::string_view v) { return v == "on" || v == "off"; }

absl::Status CheckValue(const KeyInfo& key, std::string* value) {
  switch (key.kind) {
    case KeyKind::kString:
    case KeyKind::kIgnored:
      if (absl::string_view(key.name) == "protocol" && *value != "smtp") {
        return absl::InvalidArgumentError(absl::StrCat(
            "protocol '", *value, "' is not supported (only smtp)"));
      }
      return absl::OkStatus();
    case KeyKind::kBool:
      if (value->empty()) *value = "on";
      if (!IsOnOff(*value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            key.name, " must be on or off, not '", *value, "'"));
      }
      return absl::OkStatus();
    case KeyKind::kPort: {
      uint32_t port = 0;
      if (!absl::SimpleAtoi(*value, &port) || port == 0 || port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat("port must be 1-65535, not '", *value, "'"));
      }
      return absl::OkStatus();
    }
    case KeyKind::kTimeout:
      if (*value == "off") return absl::OkStatus();
      return ParseTimeoutSeconds(*value).status();
    case KeyKind::kAuth:
    case KeyKind::kSyslog:
      if (value->empty()) *value = "on";
      return absl::OkStatus();
    case KeyKind::kRefused:
      return absl::InvalidArgumentError(absl::StrCat(
          key.name,
          " is not supported by smtpc (remove it, or use msmtp for this "
          "account)"));
  }
  return absl::OkStatus();
}

absl::optional<std::string> Home(const EnvLookup& env) {
  absl::optional<std::string> home = env("HOME");
  if (home.has_value() && home->empty()) return absl::nullopt;
  return home;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

const std::string* Account::Get(absl::string_view key) const {
  auto it = settings.find(std::string(key));
  return it == settings.end() ? nullptr : &it->second;
}

const Account* AccountConfig::Find(absl::string_view name) const {
  for (const Account& a : accounts) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

absl::StatusOr<AccountConfig> ParseAccountConfig(absl::string_view text,
                                                 absl::string_view path) {
  AccountConfig config;
  config.path = std::string(path);
  std::map<std::string, std::string> defaults;
  // current: the settings the next key goes to (defaults or the account
  // being defined).
  std::map<std::string, std::string>* current = &defaults;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    std::string key;
    std::string value;
    if (absl::Status s = SplitKeyValue(line, &key, &value); !s.ok()) {
      return LineError(path, line_number, s.message());
    }
    if (key == "defaults") {
      if (!value.empty()) {
        return LineError(path, line_number, "defaults takes no value");
      }
      current = &defaults;
      continue;
    }
    if (key == "account") {
      std::vector<std::string> parts = absl::StrSplit(value, ':');
      if (parts.size() > 2) {
        return LineError(path, line_number,
                         "expected: account NAME [: PARENT[, PARENT...]]");
      }
      std::string name(absl::StripAsciiWhitespace(parts[0]));
      if (name.empty() || name.find_first_of(" \t,") != std::string::npos) {
        return LineError(path, line_number,
                         "expected: account NAME [: PARENT[, PARENT...]]");
      }
      if (config.Find(name) != nullptr) {
        return LineError(path, line_number,
                         absl::StrCat("account ", name, " defined twice"));
      }
      Account account;
      account.name = name;
      account.settings = defaults;
      if (parts.size() == 2) {
        for (absl::string_view parent :
             absl::StrSplit(parts[1], ',', absl::SkipWhitespace())) {
          parent = absl::StripAsciiWhitespace(parent);
          const Account* p = config.Find(parent);
          if (p == nullptr) {
            return LineError(path, line_number,
                             absl::StrCat("unknown account '", parent,
                                          "' (define it above this line)"));
          }
          for (const auto& [k, v] : p->settings) account.settings[k] = v;
        }
      }
      config.accounts.push_back(std::move(account));
      current = &config.accounts.back().settings;
      continue;
    }
    const KeyInfo* info = FindKey(key);
    if (info == nullptr) {
      return LineError(path, line_number,
                       absl::StrCat("unknown key '", key, "'"));
    }
    if (absl::Status s = CheckValue(*info, &value); !s.ok()) {
      return LineError(path, line_number, s.message());
    }
    if (key == "password") config.has_password = true;
    (*current)[key] = std::move(value);
  }
  return config;
}

EnvLookup ProcessEnv() {
  return [](absl::string_view name) -> absl::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return absl::nullopt;
    return std::string(v);
  };
}

std::string ExpandHome(absl::string_view path, const EnvLookup& env) {
  if (absl::StartsWith(path, "~/")) {
    absl::optional<std::string> home = Home(env);
    if (home.has_value()) return absl::StrCat(*home, path.substr(1));
  }
  return std::string(path);
}

absl::StatusOr<std::string> FindConfigFile(absl::string_view explicit_path,
                                           const EnvLookup& env) {
  if (!explicit_path.empty()) {
    std::string path = ExpandHome(explicit_path, env);
    if (!FileExists(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read --config ", path, ": ",
                       std::strerror(ENOENT)));
    }
    return path;
  }
  if (absl::optional<std::string> p = env("SMTPC_CONFIG");
      p.has_value() && !p->empty()) {
    if (!FileExists(*p)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot read $SMTPC_CONFIG ", *p, ": ", std::strerror(ENOENT)));
    }
    return *p;
  }
  std::vector<std::string> candidates;
  absl::optional<std::string> home = Home(env);
  absl::optional<std::string> xdg = env("XDG_CONFIG_HOME");
  if (xdg.has_value() && !xdg->empty()) {
    candidates.push_back(absl::StrCat(*xdg, "/smtpc/config"));
  } else if (home.has_value()) {
    candidates.push_back(absl::StrCat(*home, "/.config/smtpc/config"));
  }
  if (home.has_value()) candidates.push_back(absl::StrCat(*home, "/.msmtprc"));
  candidates.push_back("/etc/smtpc/config");
  candidates.push_back("/etc/msmtprc");
  for (const std::string& c : candidates) {
    if (FileExists(c)) return c;
  }
  return absl::NotFoundError(absl::StrCat(
      "no configuration file (looked for --config, $SMTPC_CONFIG, ",
      absl::StrJoin(candidates, ", "), ")"));
}

absl::StatusOr<AccountConfig> LoadAccountConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileForFlag("config", path);
  if (!text.ok()) return text.status();
  absl::StatusOr<AccountConfig> config = ParseAccountConfig(*text, path);
  if (!config.ok()) return config.status();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot stat ", path, ": ", std::strerror(errno)));
  }
  if (config->has_password && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " contains a password and can be read by group or others; refusing "
        "to use it (run: chmod 600 ",
        path, ", or use passwordeval)"));
  }
  return config;
}

absl::StatusOr<const Account*> SelectAccount(const AccountConfig& config,
                                             absl::string_view name,
                                             absl::string_view from) {
  std::vector<std::string> names;
  for (const Account& a : config.accounts) names.push_back(a.name);
  const std::string known =
      names.empty() ? "it defines none"
                    : absl::StrCat("it defines: ", absl::StrJoin(names, ", "));
  if (!name.empty()) {
    const Account* a = config.Find(name);
    if (a == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no account '", name, "' in ", config.path, " (", known, ")"));
    }
    return a;
  }
  if (!from.empty()) {
    for (const Account& a : config.accounts) {
      const std::string* f = a.Get("from");
      if (f != nullptr && absl::EqualsIgnoreCase(*f, from)) return &a;
    }
  }
  const Account* a = config.Find("default");
  if (a == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no account named and no default account in ", config.path, " (",
        known, "; add `account default : NAME` or use --account NAME)"));
  }
  return a;
}

absl::StatusOr<std::string> RunSecretCommand(absl::string_view key,
                                             const std::string& command) {
  std::FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot run ", key, ": ", std::strerror(errno)));
  }
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), p)) > 0) {
    out.append(buffer, n);
  }
  const int status = pclose(p);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        key, " command failed (",
        WIFEXITED(status) ? absl::StrCat("exit status ", WEXITSTATUS(status))
                          : std::string("killed"),
        ")"));
  }
  const size_t nl = out.find('\n');
  if (nl != std::string::npos) out.resize(nl);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  if (out.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, " command printed nothing"));
  }
  return out;
}

absl::StatusOr<ConnectionFlags> AccountConnectionFlags(const Account& account,
                                                       const EnvLookup& env) {
  auto fail = [&](absl::string_view message) {
    return absl::InvalidArgumentError(
        absl::StrCat("account ", account.name, ": ", message));
  };
  auto get = [&](absl::string_view key) -> std::string {
    const std::string* v = account.Get(key);
    return v == nullptr ? std::string() : *v;
  };
  auto is_on = [&](absl::string_view key, bool fallback) {
    const std::string* v = account.Get(key);
    return v == nullptr ? fallback : *v == "on";
  };
  ConnectionFlags flags;
  flags.server.host = get("host");
  if (flags.server.host.empty()) return fail("no host");
  const std::string* tls = account.Get("tls");
  const bool starttls = is_on("tls_starttls", true);
  if (const std::string* port = account.Get("port"); port != nullptr) {
    uint32_t p = 0;
    (void)absl::SimpleAtoi(*port, &p);  // checked when parsed
    flags.server.port = static_cast<uint16_t>(p);
    flags.server.port_given = true;
  } else if (tls != nullptr && *tls == "on" && !starttls) {
    flags.server.port = 465;
  }
  if (tls == nullptr) {
    flags.tls = DefaultTlsForPort(flags.server.port);
  } else if (*tls == "off") {
    flags.tls = TlsChoice::kNone;
  } else {
    flags.tls = starttls ? TlsChoice::kStartTls : TlsChoice::kImplicit;
  }
  flags.insecure = !is_on("tls_certcheck", true);
  flags.allow_plaintext_auth = is_on("allow_plaintext_auth", false);
  const std::string trust = get("tls_trust_file");
  if (!trust.empty() && trust != "system") {
    flags.ca_file = ExpandHome(trust, env);
  }
  flags.client_cert = ExpandHome(get("tls_cert_file"), env);
  flags.client_key = ExpandHome(get("tls_key_file"), env);
  if (flags.client_cert.empty() != flags.client_key.empty()) {
    return fail("tls_cert_file and tls_key_file go together");
  }

  const std::string auth = absl::AsciiStrToLower(get("auth"));
  const std::string user = get("user");
  const bool want_auth = auth.empty() ? !user.empty() : auth != "off";
  if (want_auth) {
    if (auth != "on" && !auth.empty()) {
      flags.auth_mechanisms.push_back(absl::AsciiStrToUpper(auth));
    }
    const bool external = flags.auth_mechanisms.size() == 1 &&
                          flags.auth_mechanisms[0] == "EXTERNAL";
    if (user.empty() && !external) return fail("auth is on but no user");
    flags.user = user.empty() ? std::string("-") : user;
    if (const std::string* p = account.Get("password"); p != nullptr) {
      flags.password = *p;
    } else if (const std::string* e = account.Get("passwordeval");
               e != nullptr) {
      absl::StatusOr<std::string> p = RunSecretCommand("passwordeval", *e);
      if (!p.ok()) return fail(p.status().message());
      flags.password = *std::move(p);
    } else if (const std::string* e = account.Get("oauth_token_eval");
               e != nullptr) {
      absl::StatusOr<std::string> t = RunSecretCommand("oauth_token_eval", *e);
      if (!t.ok()) return fail(t.status().message());
      flags.oauth_token = *std::move(t);
    } else if (!external) {
      return fail(
          "auth needs a secret: set password, passwordeval or "
          "oauth_token_eval");
    }
  }
  const std::string domain = get("domain");
  flags.ehlo = domain.empty() ? DefaultEhloName() : domain;
  if (const std::string* t = account.Get("timeout");
      t != nullptr && *t != "off") {
    absl::StatusOr<Duration> d = ParseTimeoutSeconds(*t);
    if (d.ok()) flags.timeout = *d;
  }
  return flags;
}

}  // namespace cli
}  // namespace smtpcore
