#include "transports/common/transport_error.h"

#include <cerrno>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/types/optional.h"
#include "core/command.h"
#include "core/errors.h"
#include "core/smtp_error.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(TransportErrorTest, FieldsFollowTheCause) {
  SmtpError e = TransportError(ErrorDetail::kIo, "read failed");
  EXPECT_FALSE(e.permanent);
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.command, CommandKind::kGreeting);
  EXPECT_EQ(e.cause, ErrorDetail::kIo);
  EXPECT_EQ(e.status_code, absl::StatusCode::kUnavailable);
  EXPECT_EQ(e.what, "read failed");

  EXPECT_EQ(TransportError(ErrorDetail::kTimeout, "t").status_code,
            absl::StatusCode::kDeadlineExceeded);
  SmtpError bad = TransportError(ErrorDetail::kInvalidArgument, "no host");
  EXPECT_TRUE(bad.permanent);
  EXPECT_EQ(bad.status_code, absl::StatusCode::kInvalidArgument);
  for (ErrorDetail cause : {ErrorDetail::kWrongState, ErrorDetail::kBroken,
                            ErrorDetail::kClosed}) {
    SmtpError s = TransportError(cause, "state");
    EXPECT_EQ(s.status_code, absl::StatusCode::kFailedPrecondition);
    EXPECT_FALSE(s.permanent);
  }
}

TEST(TransportErrorTest, WhatIsOneLine) {
  EXPECT_EQ(TransportError(ErrorDetail::kIo, "a\r\nb\nc").what, "a  b c");
}

TEST(DiagnoseSilentImplicitTlsPortTest, GreetingTimeoutOnly) {
  SmtpError timeout = TransportError(ErrorDetail::kTimeout,
                                     "no greeting within 10 s");
  timeout.command = CommandKind::kGreeting;
  SmtpError e = ErrorFromStatus(
      DiagnoseSilentImplicitTlsPort(timeout.ToStatus(), 465));
  EXPECT_EQ(e.cause, ErrorDetail::kTlsPeerExpectsTls);
  EXPECT_TRUE(e.permanent);
  EXPECT_TRUE(absl::StrContains(e.what, "no SMTP greeting on port 465"));
  // Other errors, and timeouts of later stages, pass unchanged.
  SmtpError later = timeout;
  later.command = CommandKind::kEhlo;
  EXPECT_EQ(ErrorFromStatus(DiagnoseSilentImplicitTlsPort(later.ToStatus(),
                                                          465))
                .cause,
            ErrorDetail::kTimeout);
  SmtpError closed =
      TransportError(ErrorDetail::kConnectionClosed, "closed");
  EXPECT_EQ(ErrorFromStatus(DiagnoseSilentImplicitTlsPort(closed.ToStatus(),
                                                          465))
                .cause,
            ErrorDetail::kConnectionClosed);
}

TEST(ErrorFromStatusTest, RoundTripsATransportError) {
  SmtpError e = ConnectError("mail.example.org", 25, {"127.0.0.1"},
                             ECONNREFUSED);
  SmtpError back = ErrorFromStatus(e.ToStatus());
  EXPECT_EQ(back.cause, e.cause);
  EXPECT_EQ(back.status_code, e.status_code);
  EXPECT_EQ(back.what, e.what);
  EXPECT_EQ(back.permanent, e.permanent);
  EXPECT_EQ(back.command, CommandKind::kGreeting);
}

TEST(ErrorFromStatusTest, WrapsAPlainStatus) {
  SmtpError e = ErrorFromStatus(
      MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kIo, "gone"));
  EXPECT_EQ(e.cause, ErrorDetail::kIo);
  EXPECT_EQ(e.status_code, absl::StatusCode::kUnavailable);
  EXPECT_FALSE(e.permanent);
  EXPECT_EQ(e.command, CommandKind::kGreeting);
}

TEST(UnusableConnectionErrorTest, BrokenOrClosed) {
  SmtpError closed = UnusableConnectionError(absl::nullopt);
  EXPECT_EQ(closed.cause, ErrorDetail::kClosed);
  EXPECT_EQ(closed.status_code, absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(closed.permanent);
  EXPECT_EQ(closed.what, "the connection is closed");

  SmtpError earlier = TransportError(ErrorDetail::kTimeout, "no reply");
  SmtpError broken = UnusableConnectionError(earlier);
  EXPECT_EQ(broken.cause, ErrorDetail::kBroken);
  EXPECT_EQ(broken.status_code, absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(broken.permanent);
  EXPECT_EQ(broken.what, "the connection failed earlier: no reply");
}

TEST(ErrnoHintTest, KnownErrnos) {
  EXPECT_EQ(ErrnoHint(ECONNREFUSED, 587),
            "is the server running and listening on port 587?");
  EXPECT_TRUE(absl::StrContains(ErrnoHint(ETIMEDOUT, 25), "firewall"));
  EXPECT_TRUE(absl::StrContains(ErrnoHint(ENETUNREACH, 25), "try -4"));
  EXPECT_FALSE(ErrnoHint(EHOSTUNREACH, 25).empty());
  EXPECT_FALSE(ErrnoHint(ECONNRESET, 25).empty());
  EXPECT_FALSE(ErrnoHint(EADDRNOTAVAIL, 25).empty());
  EXPECT_EQ(ErrnoHint(EINVAL, 25), "");
}

TEST(ConnectErrorTest, NamesHostPortTriedAndHint) {
  std::vector<std::string> tried = {"127.0.0.1", "::1"};
  SmtpError e = ConnectError("localhost", 2525, tried, ECONNREFUSED);
  EXPECT_EQ(e.cause, ErrorDetail::kIo);
  EXPECT_EQ(e.status_code, absl::StatusCode::kUnavailable);
  EXPECT_EQ(e.what,
            "connect to localhost:2525: connection refused (tried 127.0.0.1, "
            "::1); is the server running and listening on port 2525?");
}

TEST(ConnectErrorTest, TimeoutCauseAndNoTriedListForTheLiteralItself) {
  std::vector<std::string> tried = {"127.0.0.1"};
  SmtpError e = ConnectError("127.0.0.1", 25, tried, ETIMEDOUT);
  EXPECT_EQ(e.cause, ErrorDetail::kTimeout);
  EXPECT_EQ(e.status_code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(absl::StartsWith(e.what, "connect to 127.0.0.1:25: timed out; "))
      << e.what;
}

TEST(ResolveErrorTest, Message) {
  SmtpError e = ResolveError("nowhere.invalid", "Name or service not known");
  EXPECT_EQ(e.cause, ErrorDetail::kIo);
  EXPECT_EQ(e.what,
            "resolve nowhere.invalid: Name or service not known; check the "
            "host name and the DNS configuration");
}

TEST(IoErrorTest, ResetAndPipeAreConnectionClosed) {
  SmtpError reset = IoError("read", "127.0.0.1:25", ECONNRESET);
  EXPECT_EQ(reset.cause, ErrorDetail::kConnectionClosed);
  EXPECT_EQ(reset.what,
            "read on the connection to 127.0.0.1:25: connection reset by peer");
  EXPECT_EQ(IoError("write", "127.0.0.1:25", EPIPE).cause,
            ErrorDetail::kConnectionClosed);
  SmtpError other = IoError("write", "[::1]:25", EBADF);
  EXPECT_EQ(other.cause, ErrorDetail::kIo);
  EXPECT_TRUE(absl::StartsWith(other.what, "write on the connection to [::1]:25: "))
      << other.what;
}

TEST(BindErrorTest, ForeignAddressIsInvalidArgument) {
  SmtpError e = BindError("192.0.2.9", EADDRNOTAVAIL);
  EXPECT_EQ(e.cause, ErrorDetail::kInvalidArgument);
  EXPECT_TRUE(e.permanent);
  EXPECT_EQ(e.what,
            "bind to local address 192.0.2.9: address not available; is it an "
            "address of this machine?");
  SmtpError busy = BindError("127.0.0.2", EADDRINUSE);
  EXPECT_EQ(busy.cause, ErrorDetail::kIo);
  EXPECT_FALSE(busy.permanent);
}

}  // namespace
}  // namespace smtpcore
