#include "transports/proxy/proxy_error.h"

#include <string>
#include <utility>

#include "absl/status/status.h"

namespace smtpcore {

ErrorDetail Socks5ReplyDetail(uint8_t reply) {
  switch (reply) {
    case 0x02: return ErrorDetail::kProxyNotAllowed;
    case 0x03: return ErrorDetail::kProxyNetworkUnreachable;
    case 0x04: return ErrorDetail::kProxyHostUnreachable;
    case 0x05: return ErrorDetail::kProxyConnectionRefused;
    case 0x06: return ErrorDetail::kProxyTimeout;
    case 0x07: return ErrorDetail::kProxyCommandNotSupported;
    case 0x08: return ErrorDetail::kProxyAddressNotSupported;
    default: return ErrorDetail::kProxyFailure;
  }
}

absl::string_view Socks5ReplyText(uint8_t reply) {
  switch (reply) {
    case 0x00: return "succeeded";
    case 0x01: return "general SOCKS server failure";
    case 0x02: return "connection not allowed by ruleset";
    case 0x03: return "network unreachable";
    case 0x04: return "host unreachable";
    case 0x05: return "connection refused";
    case 0x06: return "TTL expired";
    case 0x07: return "command not supported";
    case 0x08: return "address type not supported";
    default: return "unassigned";
  }
}

ErrorDetail HttpConnectStatusDetail(int status, bool credentials_sent) {
  switch (status) {
    case 403: return ErrorDetail::kProxyNotAllowed;
    case 407:
      return credentials_sent ? ErrorDetail::kProxyAuthFailed
                              : ErrorDetail::kProxyAuthRequired;
    case 405:
    case 501:
      return ErrorDetail::kProxyCommandNotSupported;
    case 502:
    case 503:
      return ErrorDetail::kProxyHostUnreachable;
    case 504: return ErrorDetail::kProxyTimeout;
    default: return ErrorDetail::kProxyFailure;
  }
}

SmtpError ProxyError(ErrorDetail cause, std::string what) {
  SmtpError e;
  e.cause = cause;
  e.command = CommandKind::kGreeting;
  switch (cause) {
    case ErrorDetail::kProxyNotAllowed:
    case ErrorDetail::kProxyAuthRequired:
    case ErrorDetail::kProxyAuthFailed:
      e.status_code = absl::StatusCode::kPermissionDenied;
      break;
    case ErrorDetail::kProxyCommandNotSupported:
    case ErrorDetail::kProxyAddressNotSupported:
      e.status_code = absl::StatusCode::kUnimplemented;
      break;
    case ErrorDetail::kProxyProtocol:
      e.status_code = absl::StatusCode::kDataLoss;
      break;
    case ErrorDetail::kInvalidArgument:
      e.status_code = absl::StatusCode::kInvalidArgument;
      break;
    default:  // refusals on the way to the server, EOF: temporary
      e.status_code = absl::StatusCode::kUnavailable;
      break;
  }
  e.permanent = e.status_code != absl::StatusCode::kUnavailable;
  for (char& c : what) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  e.what = std::move(what);
  return e;
}

}  // namespace smtpcore
