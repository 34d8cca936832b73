// OAuth 2.0 token providers for XOAUTH2 and OAUTHBEARER: where a mechanism
// gets its bearer token, and how it gets a fresh one after the server
// refused it (an expired token is the normal case for long-running senders
// to Gmail and Microsoft 365).
//
// The flow, driven by the session (core/session.h, renew_auth_credentials):
//   AUTH with provider({refresh=false}) -> server error challenge (334 with
//   a JSON status) -> empty response (XOAUTH2) or ^A (OAUTHBEARER, RFC 7628
//   §3.2.3) -> 535/454 -> provider({refresh=true, server_error=JSON}) ->
//   AuthRetry event -> AUTH again with provider({refresh=false}), which
//   must now return the fresh token -> 235, or a second refusal, which
//   fails the session with kAuthFailed.
//
// Providers are called synchronously from the session's input calls: they
// may block (an HTTP refresh), which blocks the driver; they must not call
// back into the session.

#ifndef SMTP_SASL_OAUTH_TOKEN_H_
#define SMTP_SASL_OAUTH_TOKEN_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace smtpcore {

// OAuthTokenRequest is what a mechanism asks its provider for.
struct OAuthTokenRequest {
  // refresh: the last token was refused by the server; return a new one,
  // never the refused one. After a refresh, requests with `refresh` false
  // must return the new token (CachingTokenProvider does this).
  bool refresh = false;
  // server_error is the server's error challenge (JSON, e.g.
  // {"status":"401","schemes":"Bearer",...}) that preceded the refusal,
  // "" if it sent none (Microsoft 365 answers 535 directly). No secret.
  std::string server_error;
};

// OAuthTokenProvider returns an access token (a secret: mechanisms wipe
// their copy, and it never appears in messages) or an error, whose message
// may appear in the session's error (so it must hold no secret).
using OAuthTokenProvider =
    std::function<absl::StatusOr<std::string>(const OAuthTokenRequest&)>;

// CachingTokenProvider wraps `fetch`: a request without `refresh` returns
// the token fetched last (fetching one with `refresh` false the first
// time); a request with `refresh` always calls `fetch` and keeps its token.
// Errors are passed on and not cached. Copies share the cache (a
// shared_ptr), so one provider serves every mechanism a session's chooser
// creates. Not thread-safe.
OAuthTokenProvider CachingTokenProvider(OAuthTokenProvider fetch);

}  // namespace smtpcore

#endif  // SMTP_SASL_OAUTH_TOKEN_H_
