#include "tools/account_args.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace smtpcore {
namespace cli {
namespace {

// TakeValue removes flag `name` ("--name VALUE" or "--name=VALUE") from
// `args` into `*value`; returns whether it was there.
absl::StatusOr<bool> TakeValue(std::vector<std::string>* args,
                               absl::string_view name, std::string* value) {
  const std::string flag = absl::StrCat("--", name);
  bool found = false;
  for (size_t i = 0; i < args->size();) {
    const std::string& a = (*args)[i];
    if (a == "--") break;
    if (a == flag) {
      if (i + 1 >= args->size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("option ", flag, " needs a value"));
      }
      if (found) {
        return absl::InvalidArgumentError(
            absl::StrCat("option ", flag, " given more than once"));
      }
      *value = (*args)[i + 1];
      args->erase(args->begin() + i, args->begin() + i + 2);
      found = true;
    } else if (absl::StartsWith(a, flag + "=")) {
      if (found) {
        return absl::InvalidArgumentError(
            absl::StrCat("option ", flag, " given more than once"));
      }
      *value = a.substr(flag.size() + 1);
      args->erase(args->begin() + i);
      found = true;
    } else {
      ++i;
    }
  }
  return found;
}

bool Has(const std::vector<std::string>& args, absl::string_view name) {
  const std::string flag = absl::StrCat("--", name);
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == flag || absl::StartsWith(a, flag + "=")) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExpandAccountArgs(
    absl::Span<const std::string> args, bool with_from, const EnvLookup& env) {
  std::vector<std::string> rest(args.begin(), args.end());
  std::string name;
  std::string config_path;
  absl::StatusOr<bool> has_account = TakeValue(&rest, "account", &name);
  if (!has_account.ok()) return has_account.status();
  absl::StatusOr<bool> has_config = TakeValue(&rest, "config", &config_path);
  if (!has_config.ok()) return has_config.status();
  if (!*has_account && !*has_config) return rest;
  if (Has(rest, "help")) return rest;

  absl::StatusOr<std::string> path = FindConfigFile(config_path, env);
  if (!path.ok()) return path.status();
  absl::StatusOr<AccountConfig> config = LoadAccountConfig(*path);
  if (!config.ok()) return config.status();
  std::string from;
  for (size_t i = 0; i + 1 < rest.size(); ++i) {
    if (rest[i] == "--from") from = rest[i + 1];
  }
  absl::StatusOr<const Account*> account = SelectAccount(*config, name, from);
  if (!account.ok()) return account.status();
  absl::StatusOr<ConnectionFlags> flags =
      AccountConnectionFlags(**account, env);
  if (!flags.ok()) return flags.status();

  std::vector<std::string> out;
  auto add = [&](absl::string_view flag, std::string value) {
    if (Has(rest, flag)) return;
    out.push_back(absl::StrCat("--", flag));
    out.push_back(std::move(value));
  };
  add("server", flags->server.ToString());
  add("tls", std::string(TlsChoiceName(flags->tls)));
  if (!flags->ca_file.empty()) add("ca-file", flags->ca_file);
  if (flags->insecure && !Has(rest, "insecure")) out.push_back("--insecure");
  if (flags->allow_plaintext_auth && !Has(rest, "allow-plaintext-auth")) {
    out.push_back("--allow-plaintext-auth");
  }
  if (!flags->client_cert.empty() && !Has(rest, "client-cert") &&
      !Has(rest, "client-key")) {
    add("client-cert", flags->client_cert);
    add("client-key", flags->client_key);
  }
  const bool own_credentials = Has(rest, "user") || Has(rest, "password") ||
                               Has(rest, "password-file") ||
                               Has(rest, "oauth-token");
  if (!flags->user.empty() && !own_credentials) {
    add("user", flags->user);
    if (!flags->password.empty()) add("password", flags->password);
    if (!flags->oauth_token.empty()) add("oauth-token", flags->oauth_token);
    if (!flags->auth_mechanisms.empty()) {
      add("auth", absl::StrJoin(flags->auth_mechanisms, ","));
    }
  }
  add("ehlo", flags->ehlo);
  if (flags->timeout.has_value()) {
    add("timeout", absl::StrCat(absl::ToDoubleSeconds(*flags->timeout)));
  }
  if (with_from) {
    if (const std::string* f = (*account)->Get("from"); f != nullptr) {
      add("from", *f);
    }
  }
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace cli
}  // namespace smtpcore
