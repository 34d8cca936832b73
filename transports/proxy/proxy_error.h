// Proxy errors: the typed `SmtpError`s (core/smtp_error.h) for a proxy that
// refused or broke the tunnel set-up, one `ErrorDetail` per refusal
// (core/errors.h, kProxy*), and the tables behind them:
//
//   SOCKS5 reply (RFC 1928 §6)      ErrorDetail                  status code
//   X'01' general failure           kProxyFailure                kUnavailable
//   X'02' not allowed by ruleset    kProxyNotAllowed             kPermissionDenied
//   X'03' network unreachable       kProxyNetworkUnreachable     kUnavailable
//   X'04' host unreachable          kProxyHostUnreachable        kUnavailable
//   X'05' connection refused        kProxyConnectionRefused      kUnavailable
//   X'06' TTL expired               kProxyTimeout                kUnavailable
//   X'07' command not supported     kProxyCommandNotSupported    kUnimplemented
//   X'08' address type not supp.    kProxyAddressNotSupported    kUnimplemented
//   X'09'..X'FF' unassigned         kProxyFailure                kUnavailable
//   method X'FF' (§3)               kProxyAuthRequired           kPermissionDenied
//   RFC 1929 status != X'00'        kProxyAuthFailed             kPermissionDenied
//
//   HTTP CONNECT status (RFC 9110 §15)
//   403                             kProxyNotAllowed
//   407 (§15.5.8)                   kProxyAuthRequired, or kProxyAuthFailed
//                                   when credentials were sent
//   405, 501                        kProxyCommandNotSupported
//   502, 503                        kProxyHostUnreachable
//   504                             kProxyTimeout
//   any other non-2xx               kProxyFailure
//
// A malformed or unexpected reply is kProxyProtocol (kDataLoss). Every
// error is temporary (`permanent` false) exactly when its status code is
// kUnavailable; command kGreeting (the SMTP server was never reached),
// code 0. Pure; never fails.

#ifndef SMTP_TRANSPORTS_PROXY_PROXY_ERROR_H_
#define SMTP_TRANSPORTS_PROXY_PROXY_ERROR_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/errors.h"
#include "core/smtp_error.h"

namespace smtpcore {

// Socks5ReplyDetail maps a SOCKS5 REP field (not X'00') to its ErrorDetail.
ErrorDetail Socks5ReplyDetail(uint8_t reply);

// Socks5ReplyText returns RFC 1928 §6's meaning of `reply` ("succeeded",
// "general SOCKS server failure", ..., "unassigned").
absl::string_view Socks5ReplyText(uint8_t reply);

// HttpConnectStatusDetail maps a non-2xx status to a CONNECT request to its
// ErrorDetail; `credentials_sent` tells 407 "give credentials" from 407
// "wrong credentials".
ErrorDetail HttpConnectStatusDetail(int status, bool credentials_sent);

// ProxyError returns the error for `cause` (a kProxy* detail, or
// kConnectionClosed / kInvalidArgument), with `what` as its description and
// the status code and permanence of the table above.
SmtpError ProxyError(ErrorDetail cause, std::string what);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_PROXY_PROXY_ERROR_H_
