#include "transports/common/greeting_diagnosis.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "core/errors.h"
#include "core/smtp_error.h"
#include "gtest/gtest.h"
#include "transports/common/client_options.h"
#include "transports/common/transport_error.h"

namespace smtpcore {
namespace {

TEST(LooksLikeTlsRecordTest, HandshakeAndAlertOnly) {
  EXPECT_TRUE(LooksLikeTlsRecord(std::string("\x16\x03\x01\x00\x2a", 5)));
  EXPECT_TRUE(LooksLikeTlsRecord(std::string("\x15\x03\x03", 3)));
  EXPECT_TRUE(LooksLikeTlsRecord(std::string("\x15\x03", 2)));
  EXPECT_FALSE(LooksLikeTlsRecord("220 mx ESMTP\r\n"));
  EXPECT_FALSE(LooksLikeTlsRecord(std::string("\x16", 1)));
  EXPECT_FALSE(LooksLikeTlsRecord(std::string("\x17\x03\x03", 3)));
  EXPECT_FALSE(LooksLikeTlsRecord(std::string("\x16\x02", 2)));
  EXPECT_FALSE(LooksLikeTlsRecord(""));
}

TEST(GreetingPrefixTest, KeepsTheFirstBytesAcrossReads) {
  GreetingPrefix p;
  EXPECT_EQ(p.view(), "");
  p.Record("");
  p.Record(std::string("\x16", 1));
  EXPECT_FALSE(LooksLikeTlsRecord(p.view()));
  p.Record(std::string("\x03\x01\x00", 3));
  EXPECT_EQ(p.view(), std::string("\x16\x03", 2));
  EXPECT_TRUE(LooksLikeTlsRecord(p.view()));
  p.Record("220");
  EXPECT_EQ(p.view(), std::string("\x16\x03", 2));
}

ClientOptions Options(uint16_t port, TlsMode mode) {
  ClientOptions o;
  o.host = "mx.example";
  o.port = port;
  o.session.tls_mode = mode;
  return o;
}

TEST(ExpectsImplicitTlsTest, PortModeAndSocket) {
  EXPECT_TRUE(ExpectsImplicitTls(Options(465, TlsMode::kRequired)));
  EXPECT_TRUE(ExpectsImplicitTls(Options(465, TlsMode::kNone)));
  EXPECT_FALSE(ExpectsImplicitTls(Options(465, TlsMode::kImplicit)));
  EXPECT_FALSE(ExpectsImplicitTls(Options(587, TlsMode::kRequired)));
  ClientOptions unix_socket = Options(465, TlsMode::kNone);
  unix_socket.unix_socket = "/run/smtp.sock";
  EXPECT_FALSE(ExpectsImplicitTls(unix_socket));
  ClientOptions custom = Options(2465, TlsMode::kRequired);
  custom.implicit_tls_ports = {2465};
  EXPECT_TRUE(ExpectsImplicitTls(custom));
}

TEST(ApplyImplicitTlsGreetingWindowTest, ShortensOnlyOnImplicitTlsPorts) {
  ClientOptions o = Options(465, TlsMode::kRequired);
  o.session.timeouts.greeting = absl::Minutes(5);
  o.implicit_tls_greeting_window = absl::Seconds(3);
  ApplyImplicitTlsGreetingWindow(&o);
  EXPECT_EQ(o.session.timeouts.greeting, absl::Seconds(3));
  ClientOptions other = Options(587, TlsMode::kRequired);
  other.session.timeouts.greeting = absl::Minutes(5);
  other.implicit_tls_greeting_window = absl::Seconds(3);
  ApplyImplicitTlsGreetingWindow(&other);
  EXPECT_EQ(other.session.timeouts.greeting, absl::Minutes(5));
}

TEST(DiagnoseGreetingFailureTest, TlsBytesOnAnyPort) {
  SmtpError malformed = TransportError(ErrorDetail::kMalformedReply,
                                       "reply code is not three digits");
  GreetingPrefix tls;
  tls.Record(std::string("\x15\x03\x03\x00\x02\x02\x46", 7));
  SmtpError e = ErrorFromStatus(DiagnoseGreetingFailure(
      malformed.ToStatus(), Options(2525, TlsMode::kRequired), tls));
  EXPECT_EQ(e.cause, ErrorDetail::kTlsPeerExpectsTls);
  EXPECT_TRUE(e.permanent);
  EXPECT_EQ(e.command, CommandKind::kGreeting);
  EXPECT_TRUE(absl::StrContains(e.what, "port 2525 answered with TLS bytes"))
      << e.what;
  // Implicit TLS sessions never record plaintext; even so, no diagnosis.
  EXPECT_EQ(ErrorFromStatus(
                DiagnoseGreetingFailure(malformed.ToStatus(),
                                        Options(2525, TlsMode::kImplicit), tls))
                .cause,
            ErrorDetail::kMalformedReply);
  // SMTP bytes: the error stays what it was.
  GreetingPrefix smtp;
  smtp.Record("22");
  EXPECT_EQ(ErrorFromStatus(DiagnoseGreetingFailure(
                                malformed.ToStatus(),
                                Options(2525, TlsMode::kRequired), smtp))
                .cause,
            ErrorDetail::kMalformedReply);
  EXPECT_TRUE(DiagnoseGreetingFailure(absl::OkStatus(),
                                      Options(2525, TlsMode::kRequired), tls)
                  .ok());
}

TEST(DiagnoseGreetingFailureTest, SilentImplicitTlsPort) {
  SmtpError timeout =
      TransportError(ErrorDetail::kTimeout, "no greeting within 10 s");
  GreetingPrefix nothing;
  EXPECT_EQ(ErrorFromStatus(DiagnoseGreetingFailure(
                                timeout.ToStatus(),
                                Options(465, TlsMode::kRequired), nothing))
                .cause,
            ErrorDetail::kTlsPeerExpectsTls);
  EXPECT_EQ(ErrorFromStatus(DiagnoseGreetingFailure(
                                timeout.ToStatus(),
                                Options(25, TlsMode::kRequired), nothing))
                .cause,
            ErrorDetail::kTimeout);
}

}  // namespace
}  // namespace smtpcore
