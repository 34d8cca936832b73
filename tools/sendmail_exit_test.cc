#include "tools/sendmail_exit.h"

#include <sysexits.h>

#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

DeliveryResult Result(std::vector<RecipientStatus> statuses) {
  DeliveryResult r;
  for (RecipientStatus s : statuses) {
    RecipientResult rr;
    rr.address = "x@y";
    rr.status = s;
    r.recipients.push_back(rr);
  }
  return r;
}

SmtpError Error(ErrorDetail cause, int code, std::string what = "") {
  SmtpError e;
  e.cause = cause;
  e.code = code;
  e.what = std::move(what);
  e.permanent = code >= 500;
  return e;
}

TEST(SendmailExitTest, Deliveries) {
  EXPECT_EQ(SendmailExitForDelivery(Result({RecipientStatus::kDelivered}),
                                    nullptr),
            EX_OK);
  EXPECT_EQ(SendmailExitForDelivery(
                Result({RecipientStatus::kDelivered, RecipientStatus::kRejected}),
                nullptr),
            EX_UNAVAILABLE);
  EXPECT_EQ(SendmailExitForDelivery(
                Result({RecipientStatus::kDelivered, RecipientStatus::kDeferred}),
                nullptr),
            EX_TEMPFAIL);
  EXPECT_EQ(SendmailExitForDelivery(Result({RecipientStatus::kRejected}),
                                    nullptr),
            EX_UNAVAILABLE);
  EXPECT_EQ(SendmailExitForDelivery(Result({RecipientStatus::kDeferred}),
                                    nullptr),
            EX_TEMPFAIL);
  SmtpError closed = Error(ErrorDetail::kConnectionClosed, 0);
  EXPECT_EQ(SendmailExitForDelivery(Result({RecipientStatus::kUnknown}),
                                    &closed),
            EX_TEMPFAIL);
  SmtpError bad = Error(ErrorDetail::kControlCharacter, 0);
  EXPECT_EQ(SendmailExitForDelivery(Result({RecipientStatus::kPending}), &bad),
            EX_DATAERR);
}

TEST(SendmailExitTest, ConnectErrors) {
  EXPECT_EQ(SendmailExitForConnectError(Error(
                ErrorDetail::kIo, 0, "resolve nowhere.invalid: not known")),
            EX_NOHOST);
  EXPECT_EQ(SendmailExitForConnectError(
                Error(ErrorDetail::kIo, 0, "connect 127.0.0.1:1: refused")),
            EX_TEMPFAIL);
  EXPECT_EQ(SendmailExitForConnectError(Error(ErrorDetail::kAuthFailed, 535)),
            EX_UNAVAILABLE);
  EXPECT_EQ(SendmailExitForConnectError(Error(ErrorDetail::kTlsVerification, 0)),
            EX_UNAVAILABLE);
  EXPECT_EQ(SendmailExitForConnectError(Error(ErrorDetail::kServiceClosing, 421)),
            EX_TEMPFAIL);
}

TEST(SysexitNameTest, Names) {
  EXPECT_EQ(SysexitName(EX_OK), "EX_OK");
  EXPECT_EQ(SysexitName(EX_TEMPFAIL), "EX_TEMPFAIL");
  EXPECT_EQ(SysexitName(EX_NOHOST), "EX_NOHOST");
  EXPECT_EQ(SysexitName(3), "EX_3");
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
