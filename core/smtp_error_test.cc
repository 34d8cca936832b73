#include "core/smtp_error.h"

#include <string>

#include "absl/strings/match.h"
#include "core/reply_parser.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(SmtpErrorTest, FromReplyAndRoundTripThroughStatus) {
  std::string raw =
      "550-5.1.1 <bob@example.org>: no such user\r\n550 5.1.1 see docs\r\n";
  ReplyParser parser;
  ReplyView view;
  ASSERT_EQ(parser.Parse(raw, &view).status, ParseStatus::kComplete);
  SmtpError e = SmtpError::FromReply(CommandKind::kRcptTo, view);
  EXPECT_TRUE(e.permanent);
  EXPECT_EQ(e.code, 550);
  ASSERT_TRUE(e.enhanced.has_value());
  EXPECT_EQ(e.enhanced->ToString(), "5.1.1");
  EXPECT_EQ(e.command, CommandKind::kRcptTo);
  EXPECT_EQ(e.first_line, "5.1.1 <bob@example.org>: no such user");
  EXPECT_EQ(e.further_lines, std::vector<std::string>{"5.1.1 see docs"});
  EXPECT_EQ(e.cause, ErrorDetail::kRejected);
  EXPECT_EQ(e.Message(),
            "RCPT rejected: 550 5.1.1 <bob@example.org>: no such user "
            "(permanent failure: do not retry unchanged)");
  absl::Status s = e.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kRejected);
  SmtpError back = SmtpError::FromStatus(s, CommandKind::kNoop);
  EXPECT_EQ(back.code, 550);
  EXPECT_EQ(back.enhanced, e.enhanced);
  EXPECT_EQ(back.command, CommandKind::kRcptTo);
  EXPECT_EQ(back.first_line, e.first_line);
  EXPECT_EQ(back.further_lines, e.further_lines);
  EXPECT_TRUE(back.permanent);
}

TEST(SmtpErrorTest, TemporaryAnd421) {
  std::string raw = "421 4.3.2 shutting down\r\n";
  ReplyParser parser;
  ReplyView view;
  ASSERT_EQ(parser.Parse(raw, &view).status, ParseStatus::kComplete);
  SmtpError e = SmtpError::FromReply(CommandKind::kMailFrom, view);
  EXPECT_FALSE(e.permanent);
  EXPECT_EQ(e.cause, ErrorDetail::kServiceClosing);
  EXPECT_EQ(e.ToStatus().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(e.Message(), "retry later"));
}

TEST(SmtpErrorTest, FromPlainStatus) {
  SmtpError e = SmtpError::FromStatus(
      MakeError(absl::StatusCode::kDeadlineExceeded, ErrorDetail::kTimeout,
                "no reply"),
      CommandKind::kData);
  EXPECT_FALSE(e.permanent);
  EXPECT_EQ(e.code, 0);
  EXPECT_EQ(e.cause, ErrorDetail::kTimeout);
  EXPECT_EQ(e.command, CommandKind::kData);
  EXPECT_EQ(e.Message(), "no reply (timeout: retry later)");
  SmtpError local = SmtpError::FromStatus(
      MakeError(absl::StatusCode::kInvalidArgument,
                ErrorDetail::kMessageTooLarge, "too big"),
      CommandKind::kMailFrom);
  EXPECT_TRUE(local.permanent);
  EXPECT_TRUE(absl::StrContains(local.Message(), "SIZE limit"));
}

}  // namespace
}  // namespace smtpcore
