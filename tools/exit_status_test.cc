#include "tools/exit_status.h"

#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

TEST(ExitStatusTest, Names) {
  EXPECT_EQ(ExitStatusName(ExitStatus::kOk), "ok");
  EXPECT_EQ(ExitStatusName(ExitStatus::kPartial), "partial");
  EXPECT_EQ(ExitStatusName(ExitStatus::kTemporary), "temporary");
  EXPECT_EQ(ExitStatusName(ExitStatus::kPermanent), "permanent");
  EXPECT_EQ(ExitStatusName(ExitStatus::kProtocol), "protocol");
  EXPECT_EQ(ExitStatusName(ExitStatus::kUsage), "usage");
  EXPECT_EQ(static_cast<int>(ExitStatus::kUsage), 64);
  EXPECT_EQ(static_cast<int>(ExitStatus::kProtocol), 5);
}

TEST(ExitStatusTest, RepliesSplitOnClass) {
  EXPECT_EQ(ExitStatusForDetail(ErrorDetail::kRejected, 450),
            ExitStatus::kTemporary);
  EXPECT_EQ(ExitStatusForDetail(ErrorDetail::kRejected, 550),
            ExitStatus::kPermanent);
  EXPECT_EQ(ExitStatusForDetail(ErrorDetail::kRejected, 0),
            ExitStatus::kPermanent);
  EXPECT_EQ(ExitStatusForDetail(ErrorDetail::kAuthFailed, 454),
            ExitStatus::kTemporary);
  EXPECT_EQ(ExitStatusForDetail(ErrorDetail::kAuthFailed, 535),
            ExitStatus::kPermanent);
}

TEST(ExitStatusTest, CausesWithoutReplies) {
  for (ErrorDetail d : {ErrorDetail::kConnectionClosed,
                        ErrorDetail::kServiceClosing, ErrorDetail::kIo,
                        ErrorDetail::kTimeout}) {
    EXPECT_EQ(ExitStatusForDetail(d, 0), ExitStatus::kTemporary)
        << ErrorDetailName(d);
  }
  // 421 is temporary even though the cause says "closing".
  EXPECT_EQ(ExitStatusForDetail(ErrorDetail::kServiceClosing, 421),
            ExitStatus::kTemporary);
  for (ErrorDetail d :
       {ErrorDetail::kMessageTooLarge, ErrorDetail::kNeeds8BitMime,
        ErrorDetail::kNeedsSmtpUtf8, ErrorDetail::kNeedsRequireTls,
        ErrorDetail::kNeedsBinaryMime, ErrorDetail::kNeedsAuth,
        ErrorDetail::kNullMx, ErrorDetail::kNoSuchDomain}) {
    EXPECT_EQ(ExitStatusForDetail(d, 0), ExitStatus::kPermanent)
        << ErrorDetailName(d);
  }
  for (ErrorDetail d : {ErrorDetail::kDnsTemporary, ErrorDetail::kDnssecBogus,
                        ErrorDetail::kMtaStsMismatch}) {
    EXPECT_EQ(ExitStatusForDetail(d, 0), ExitStatus::kTemporary)
        << ErrorDetailName(d);
  }
  for (ErrorDetail d :
       {ErrorDetail::kTlsHandshake, ErrorDetail::kTlsVerification,
        ErrorDetail::kTlsRequired, ErrorDetail::kNeedsStartTls,
        ErrorDetail::kStartTlsInjection, ErrorDetail::kMalformedReply,
        ErrorDetail::kReplyCodeMismatch, ErrorDetail::kUnexpectedReply,
        ErrorDetail::kBadChallenge, ErrorDetail::kAuthMechanism,
        ErrorDetail::kInsecureAuth, ErrorDetail::kTooManyChallenges,
        ErrorDetail::kReplyLineTooLong, ErrorDetail::kNone}) {
    EXPECT_EQ(ExitStatusForDetail(d, 0), ExitStatus::kProtocol)
        << ErrorDetailName(d);
  }
  for (ErrorDetail d : {ErrorDetail::kInvalidArgument,
                        ErrorDetail::kControlCharacter,
                        ErrorDetail::kLineTooLong}) {
    EXPECT_EQ(ExitStatusForDetail(d, 0), ExitStatus::kUsage)
        << ErrorDetailName(d);
  }
}

TEST(ExitStatusTest, ForError) {
  SmtpError e;
  e.cause = ErrorDetail::kRejected;
  e.code = 452;
  EXPECT_EQ(ExitStatusForError(e), ExitStatus::kTemporary);
  e.code = 554;
  EXPECT_EQ(ExitStatusForError(e), ExitStatus::kPermanent);
}

DeliveryResult Result(std::initializer_list<RecipientStatus> statuses) {
  DeliveryResult r;
  for (RecipientStatus s : statuses) {
    RecipientResult rr;
    rr.status = s;
    r.recipients.push_back(rr);
  }
  return r;
}

TEST(ExitStatusTest, ForResult) {
  using S = RecipientStatus;
  EXPECT_EQ(ExitStatusForResult(Result({S::kDelivered})), ExitStatus::kOk);
  EXPECT_EQ(ExitStatusForResult(Result({S::kDelivered, S::kDelivered})),
            ExitStatus::kOk);
  EXPECT_EQ(ExitStatusForResult(Result({S::kDelivered, S::kRejected})),
            ExitStatus::kPartial);
  EXPECT_EQ(ExitStatusForResult(Result({S::kDeferred, S::kDelivered})),
            ExitStatus::kPartial);
  EXPECT_EQ(ExitStatusForResult(Result({S::kRejected, S::kDeferred})),
            ExitStatus::kTemporary);
  EXPECT_EQ(ExitStatusForResult(Result({S::kRejected, S::kRejected})),
            ExitStatus::kPermanent);
  EXPECT_EQ(ExitStatusForResult(Result({})), ExitStatus::kPermanent);
  // An unknown outcome (end of data sent, no reply) counts as temporary.
  EXPECT_EQ(ExitStatusForResult(Result({S::kRejected, S::kUnknown})),
            ExitStatus::kTemporary);
  EXPECT_EQ(ExitStatusForResult(Result({S::kDelivered, S::kUnknown})),
            ExitStatus::kPartial);
}

TEST(ExitStatusTest, Permanence) {
  EXPECT_TRUE(IsPermanentExit(ExitStatus::kPermanent));
  EXPECT_TRUE(IsPermanentExit(ExitStatus::kProtocol));
  EXPECT_FALSE(IsPermanentExit(ExitStatus::kTemporary));
  EXPECT_FALSE(IsPermanentExit(ExitStatus::kOk));
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore

namespace smtpcore {
namespace cli {
namespace {

TEST(ExitStatusTest, ForDelivery) {
  using S = RecipientStatus;
  SmtpError rcpt;
  rcpt.cause = ErrorDetail::kRejected;
  rcpt.command = CommandKind::kRcptTo;
  rcpt.code = 550;
  // All recipients refused, one of them temporarily: temporary.
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kRejected, S::kDeferred}), &rcpt),
            ExitStatus::kTemporary);
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kRejected}), &rcpt),
            ExitStatus::kPermanent);
  SmtpError data = rcpt;
  data.command = CommandKind::kData;
  data.code = 452;
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kDeferred}), &data),
            ExitStatus::kTemporary);
  SmtpError timeout;
  timeout.cause = ErrorDetail::kTimeout;
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kDeferred}), &timeout),
            ExitStatus::kTemporary);
  // Something was delivered: partial whatever the error.
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kDelivered, S::kDeferred}),
                                  &timeout),
            ExitStatus::kPartial);
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kDelivered}), nullptr),
            ExitStatus::kOk);
  // Unknown outcomes are temporary whatever broke the connection (a
  // malformed final reply alone would be a protocol error, 5).
  SmtpError garbage;
  garbage.cause = ErrorDetail::kMalformedReply;
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kUnknown}), &garbage),
            ExitStatus::kTemporary);
  EXPECT_EQ(ExitStatusForDelivery(Result({S::kDeferred}), &garbage),
            ExitStatus::kProtocol);
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
