// Choosing a SASL mechanism from the server's AUTH list, the TLS state and
// the caller's credentials and preferences (mox's Opts.Auth, made concrete).
//
// Default order (strongest first; RFC 5802 §4 recommends -PLUS when TLS
// channel binding is available):
//   OAUTHBEARER, XOAUTH2                       only when a token is given
//   SCRAM-SHA-256-PLUS, SCRAM-SHA-256,
//   SCRAM-SHA-1-PLUS, SCRAM-SHA-1,
//   CRAM-MD5, PLAIN, LOGIN                     only when a password is given
// DIGEST-MD5 (historic, RFC 6331) and EXTERNAL are used only when named in
// the preference list. -PLUS needs `TlsInfo::channel_binding`; EXTERNAL
// needs `TlsInfo::client_certificate`.
//
// Whether credentials may go over a connection without TLS is the core's
// decision (SessionOptions::allow_insecure_auth), not this helper's.
//
// Use with the session (core/session.h AuthChooser):
//   options.auth = [creds](const Capabilities& caps, const TlsInfo* tls) {
//     auto m = SelectSaslMechanism(creds, caps.auth_mechanisms(), tls);
//     return m.ok() ? *std::move(m) : nullptr;
//   };

#ifndef SMTP_SASL_SELECT_H_
#define SMTP_SASL_SELECT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/sasl_mechanism.h"
#include "sasl/oauth_token.h"

namespace smtpcore {

// SaslCredentials is what the caller knows. Copied into the mechanism;
// secrets (password, oauth_token) never appear in error messages.
struct SaslCredentials {
  std::string username;
  std::string password;
  std::string authzid;      // optional authorization identity
  std::string oauth_token;  // OAuth 2.0 access token (XOAUTH2, OAUTHBEARER)
  // oauth_token_provider, when set, gives XOAUTH2 and OAUTHBEARER their
  // token instead of `oauth_token`, and a fresh one after a refusal (one
  // AUTH retry, sasl/oauth_token.h). Wrap it in CachingTokenProvider so
  // that the retry's mechanism gets the renewed token.
  OAuthTokenProvider oauth_token_provider;
  // host is the server's name for DIGEST-MD5's digest-uri and OAUTHBEARER's
  // "host="; empty: `TlsInfo::server_name` when available.
  std::string host;
  uint16_t port = 0;  // OAUTHBEARER "port=", omitted if 0
};

// DefaultSaslPreference returns the default order above (all names).
std::vector<std::string> DefaultSaslPreference();

// MakeSaslMechanism creates the mechanism `name` (case-insensitive) for
// `credentials`, without looking at what the server offers.
// `server_mechanisms` is only used to tell SCRAM whether the server
// advertised its -PLUS variant (the GS2 "y" flag). Fails with
// kInvalidArgument/kInvalidArgument for an unknown name and with
// kFailedPrecondition/kNeedsAuth when the credentials or TLS state cannot
// serve it (no password, no token, no channel binding, no client
// certificate).
absl::StatusOr<std::unique_ptr<SaslMechanism>> MakeSaslMechanism(
    absl::string_view name, const SaslCredentials& credentials,
    const std::vector<std::string>& server_mechanisms, const TlsInfo* tls);

// SelectSaslMechanism returns the first mechanism of `preference` (or of
// `DefaultSaslPreference()` when empty) that the server offers
// (`server_mechanisms`, case-insensitive) and that `credentials` and `tls`
// (nullptr without TLS) can serve. Fails with kInvalidArgument for an
// unknown name in `preference`, and with kFailedPrecondition/kNeedsAuth
// when nothing matches; that message lists what the server offers and what
// was tried, never a secret.
absl::StatusOr<std::unique_ptr<SaslMechanism>> SelectSaslMechanism(
    const SaslCredentials& credentials,
    const std::vector<std::string>& server_mechanisms, const TlsInfo* tls,
    const std::vector<std::string>& preference = {});

}  // namespace smtpcore

#endif  // SMTP_SASL_SELECT_H_
