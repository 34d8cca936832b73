#include "transports/common/transport_error.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "core/command.h"

namespace smtpcore {
namespace {

absl::StatusCode StatusCodeFor(ErrorDetail cause) {
  switch (cause) {
    case ErrorDetail::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    case ErrorDetail::kInvalidArgument:
      return absl::StatusCode::kInvalidArgument;
    case ErrorDetail::kWrongState:
    case ErrorDetail::kBroken:
    case ErrorDetail::kClosed:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

// ErrnoText returns strerror-like lower-case text for the common connect
// errors, strerror otherwise.
std::string ErrnoText(int error_number) {
  switch (error_number) {
    case ECONNREFUSED:
      return "connection refused";
    case ETIMEDOUT:
      return "timed out";
    case ENETUNREACH:
      return "network unreachable";
    case EHOSTUNREACH:
      return "host unreachable";
    case ECONNRESET:
      return "connection reset by peer";
    case EPIPE:
      return "broken pipe";
    case EADDRNOTAVAIL:
      return "address not available";
    default:
      break;
  }
  char buffer[128] = {};
  // GNU strerror_r returns the message pointer (maybe not `buffer`).
  const char* text = strerror_r(error_number, buffer, sizeof(buffer));
  return text != nullptr ? std::string(text) : absl::StrCat("errno ", error_number);
}

}  // namespace

SmtpError ErrorFromStatus(const absl::Status& status) {
  return SmtpError::FromStatus(status, CommandKind::kGreeting);
}

absl::Status DiagnoseSilentImplicitTlsPort(const absl::Status& status,
                                           uint16_t port) {
  SmtpError e = ErrorFromStatus(status);
  if (e.cause != ErrorDetail::kTimeout ||
      e.command != CommandKind::kGreeting) {
    return status;
  }
  SmtpError out = TransportError(
      ErrorDetail::kTlsPeerExpectsTls,
      absl::StrCat("no SMTP greeting on port ", port,
                   ", which normally expects implicit TLS (RFC 8314): the "
                   "server seems to wait for a TLS handshake"));
  out.permanent = true;
  return out.ToStatus();
}

SmtpError TransportError(ErrorDetail cause, std::string what) {
  SmtpError e;
  e.permanent = cause == ErrorDetail::kInvalidArgument;
  e.code = 0;
  e.command = CommandKind::kGreeting;
  e.cause = cause;
  e.status_code = StatusCodeFor(cause);
  // The typed error travels in a newline-separated payload: keep it one
  // line.
  e.what = absl::StrReplaceAll(what, {{"\r", " "}, {"\n", " "}});
  return e;
}

SmtpError UnusableConnectionError(
    const absl::optional<SmtpError>& earlier_failure) {
  if (earlier_failure.has_value()) {
    return TransportError(
        ErrorDetail::kBroken,
        absl::StrCat("the connection failed earlier: ", earlier_failure->what));
  }
  return TransportError(ErrorDetail::kClosed, "the connection is closed");
}

std::string ErrnoHint(int error_number, uint16_t port) {
  switch (error_number) {
    case ECONNREFUSED:
      return absl::StrCat("is the server running and listening on port ",
                          port, "?");
    case ETIMEDOUT:
      return "no answer: is the host up, and is a firewall dropping the "
             "packets (port 25 is often blocked by ISPs)?";
    case ENETUNREACH:
      return "no route to that network: check the network connection (or "
             "IPv6 availability; try -4)";
    case EHOSTUNREACH:
      return "the host cannot be reached: check the address and the "
             "network";
    case ECONNRESET:
      return "the server reset the connection: it may be overloaded or "
             "rejecting this client";
    case EADDRNOTAVAIL:
      return "the local address is not available: check the network "
             "configuration";
    default:
      return "";
  }
}

SmtpError ConnectError(absl::string_view host, uint16_t port,
                       absl::Span<const std::string> tried,
                       int error_number) {
  std::string what =
      absl::StrCat("connect to ", host, ":", port, ": ", ErrnoText(error_number));
  if (!tried.empty() && !(tried.size() == 1 && tried[0] == host)) {
    absl::StrAppend(&what, " (tried ", absl::StrJoin(tried, ", "), ")");
  }
  std::string hint = ErrnoHint(error_number, port);
  if (!hint.empty()) absl::StrAppend(&what, "; ", hint);
  return TransportError(
      error_number == ETIMEDOUT ? ErrorDetail::kTimeout : ErrorDetail::kIo,
      std::move(what));
}

SmtpError ResolveError(absl::string_view host, absl::string_view detail) {
  return TransportError(
      ErrorDetail::kIo,
      absl::StrCat("resolve ", host, ": ", detail,
                   "; check the host name and the DNS configuration"));
}

SmtpError IoError(absl::string_view during, absl::string_view peer,
                  int error_number) {
  ErrorDetail cause =
      (error_number == ECONNRESET || error_number == EPIPE)
          ? ErrorDetail::kConnectionClosed
          : ErrorDetail::kIo;
  std::string what =
      absl::StrCat(during, " on the connection to ", peer, ": ",
                   ErrnoText(error_number));
  return TransportError(cause, std::move(what));
}

SmtpError BindError(absl::string_view local_address, int error_number) {
  const bool not_ours = error_number == EADDRNOTAVAIL ||
                        error_number == EINVAL ||
                        error_number == EAFNOSUPPORT;
  std::string what = absl::StrCat("bind to local address ", local_address,
                                  ": ", ErrnoText(error_number));
  if (not_ours) absl::StrAppend(&what, "; is it an address of this machine?");
  return TransportError(
      not_ours ? ErrorDetail::kInvalidArgument : ErrorDetail::kIo,
      std::move(what));
}

}  // namespace smtpcore
