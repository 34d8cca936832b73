#include "sasl/select.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"
#include "sasl/cram_md5.h"
#include "sasl/digest_md5.h"
#include "sasl/external.h"
#include "sasl/login.h"
#include "sasl/oauthbearer.h"
#include "sasl/plain.h"
#include "sasl/scram.h"
#include "sasl/xoauth2.h"

namespace smtpcore {
namespace {

bool Offers(const std::vector<std::string>& server, absl::string_view name) {
  for (const std::string& m : server) {
    if (absl::EqualsIgnoreCase(m, name)) return true;
  }
  return false;
}

absl::Status CannotServe(absl::string_view name, absl::string_view why) {
  return MakeError(absl::StatusCode::kFailedPrecondition,
                   ErrorDetail::kNeedsAuth, absl::StrCat(name, ": ", why));
}

std::string HostFor(const SaslCredentials& credentials, const TlsInfo* tls) {
  if (!credentials.host.empty()) return credentials.host;
  return tls != nullptr ? tls->server_name : "";
}

}  // namespace

std::vector<std::string> DefaultSaslPreference() {
  return {"OAUTHBEARER",
          "XOAUTH2",
          "SCRAM-SHA-256-PLUS",
          "SCRAM-SHA-256",
          "SCRAM-SHA-1-PLUS",
          "SCRAM-SHA-1",
          "CRAM-MD5",
          "PLAIN",
          "LOGIN"};
}

absl::StatusOr<std::unique_ptr<SaslMechanism>> MakeSaslMechanism(
    absl::string_view name, const SaslCredentials& credentials,
    const std::vector<std::string>& server_mechanisms, const TlsInfo* tls) {
  const std::string upper = absl::AsciiStrToUpper(name);
  const bool has_password =
      !credentials.username.empty() && !credentials.password.empty();
  const bool has_token = !credentials.oauth_token.empty() ||
                         static_cast<bool>(credentials.oauth_token_provider);

  if (upper == "OAUTHBEARER" || upper == "XOAUTH2") {
    if (!has_token) return CannotServe(upper, "no OAuth token given");
    if (upper == "XOAUTH2") {
      if (credentials.username.empty()) {
        return CannotServe(upper, "no user name given");
      }
      if (credentials.oauth_token_provider) {
        return std::unique_ptr<SaslMechanism>(new Xoauth2Mechanism(
            credentials.username, credentials.oauth_token_provider));
      }
      return std::unique_ptr<SaslMechanism>(
          new Xoauth2Mechanism(credentials.username, credentials.oauth_token));
    }
    OAuthBearerOptions options;
    options.username = credentials.authzid.empty() ? credentials.username
                                                   : credentials.authzid;
    options.token = credentials.oauth_token;
    options.token_provider = credentials.oauth_token_provider;
    options.host = HostFor(credentials, tls);
    options.port = credentials.port;
    return std::unique_ptr<SaslMechanism>(
        new OAuthBearerMechanism(std::move(options)));
  }

  if (upper == "EXTERNAL") {
    if (tls == nullptr || !tls->client_certificate) {
      return CannotServe(upper, "no TLS client certificate");
    }
    return std::unique_ptr<SaslMechanism>(
        new ExternalMechanism(credentials.authzid));
  }

  if (absl::StartsWith(upper, "SCRAM-SHA-")) {
    ScramOptions options;
    if (upper == "SCRAM-SHA-1" || upper == "SCRAM-SHA-1-PLUS") {
      options.hash = ScramHash::kSha1;
    } else if (upper == "SCRAM-SHA-256" || upper == "SCRAM-SHA-256-PLUS") {
      options.hash = ScramHash::kSha256;
    } else {
      return LocalError(ErrorDetail::kInvalidArgument,
                        absl::StrCat("unknown SASL mechanism ", upper));
    }
    options.plus = absl::EndsWith(upper, "-PLUS");
    if (!has_password) return CannotServe(upper, "no user name and password");
    if (options.plus && (tls == nullptr || tls->channel_binding.empty())) {
      return CannotServe(upper, "no TLS channel binding");
    }
    if (!options.plus) {
      const std::string plus = absl::StrCat(upper, "-PLUS");
      options.server_plus = Offers(server_mechanisms, plus)
                                ? ScramPlusOffer::kOffered
                                : ScramPlusOffer::kNotOffered;
    }
    options.username = credentials.username;
    options.password = credentials.password;
    options.authzid = credentials.authzid;
    return std::unique_ptr<SaslMechanism>(
        new ScramMechanism(std::move(options)));
  }

  if (upper == "CRAM-MD5" || upper == "PLAIN" || upper == "LOGIN" ||
      upper == "DIGEST-MD5") {
    if (!has_password) return CannotServe(upper, "no user name and password");
    if (upper == "CRAM-MD5") {
      return std::unique_ptr<SaslMechanism>(
          new CramMd5Mechanism(credentials.username, credentials.password));
    }
    if (upper == "PLAIN") {
      return std::unique_ptr<SaslMechanism>(new PlainMechanism(
          credentials.username, credentials.password, credentials.authzid));
    }
    if (upper == "LOGIN") {
      return std::unique_ptr<SaslMechanism>(
          new LoginMechanism(credentials.username, credentials.password));
    }
    DigestMd5Options options;
    options.username = credentials.username;
    options.password = credentials.password;
    options.authzid = credentials.authzid;
    options.host = HostFor(credentials, tls);
    if (options.host.empty()) {
      return CannotServe(upper, "no server host name for digest-uri");
    }
    return std::unique_ptr<SaslMechanism>(
        new DigestMd5Mechanism(std::move(options)));
  }

  return LocalError(ErrorDetail::kInvalidArgument,
                    absl::StrCat("unknown SASL mechanism ", upper));
}

absl::StatusOr<std::unique_ptr<SaslMechanism>> SelectSaslMechanism(
    const SaslCredentials& credentials,
    const std::vector<std::string>& server_mechanisms, const TlsInfo* tls,
    const std::vector<std::string>& preference) {
  const std::vector<std::string> order =
      preference.empty() ? DefaultSaslPreference() : preference;
  std::vector<std::string> reasons;
  for (const std::string& name : order) {
    absl::StatusOr<std::unique_ptr<SaslMechanism>> mechanism =
        MakeSaslMechanism(name, credentials, server_mechanisms, tls);
    if (mechanism.status().code() == absl::StatusCode::kInvalidArgument) {
      return mechanism.status();  // a typo in the preference list
    }
    if (!Offers(server_mechanisms, name)) continue;
    if (mechanism.ok()) return mechanism;
    reasons.emplace_back(mechanism.status().message());
  }
  std::string message =
      absl::StrCat("no usable SASL mechanism: server offers [",
                   absl::StrJoin(server_mechanisms, " "), "], tried [",
                   absl::StrJoin(order, " "), "]");
  if (!reasons.empty()) {
    absl::StrAppend(&message, "; ", absl::StrJoin(reasons, "; "));
  }
  return MakeError(absl::StatusCode::kFailedPrecondition,
                   ErrorDetail::kNeedsAuth, message);
}

}  // namespace smtpcore
