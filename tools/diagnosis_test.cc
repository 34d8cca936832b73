#include "tools/diagnosis.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

absl::optional<EnhancedCode> Code(int k, int s, int d) {
  return EnhancedCode{k, s, d};
}

TEST(ExplainReplyTest, ProviderCodes) {
  EXPECT_TRUE(absl::StrContains(ExplainReply(535, Code(5, 7, 139)), "OAuth"));
  EXPECT_TRUE(absl::StrContains(ExplainReply(535, Code(5, 7, 57)), "OAuth"));
  EXPECT_TRUE(
      absl::StrContains(ExplainReply(535, Code(5, 7, 8)), "app password"));
  EXPECT_TRUE(
      absl::StrContains(ExplainReply(534, Code(5, 7, 9)), "app password"));
  EXPECT_TRUE(absl::StrContains(ExplainReply(530, Code(5, 7, 0)),
                                "STARTTLS or AUTH"));
  for (int code : {421, 432, 454}) {
    for (auto e : {Code(4, 7, 0), Code(4, 4, 5), Code(4, 3, 2)}) {
      EXPECT_TRUE(absl::StrContains(ExplainReply(code, e), "throttling"))
          << code;
    }
  }
  EXPECT_EQ(ExplainReply(550, Code(5, 1, 1)), "");
  EXPECT_EQ(ExplainReply(450, Code(4, 7, 0)), "");
  EXPECT_EQ(ExplainReply(0, absl::nullopt), "");
}

TEST(DiagnoseErrorTest, TlsModeMistakes) {
  SmtpError plaintext;
  plaintext.cause = ErrorDetail::kTlsPeerPlaintext;
  EXPECT_TRUE(absl::StrContains(DiagnoseError(plaintext, 25, true),
                                "answered in plaintext SMTP"));
  EXPECT_TRUE(absl::StrContains(DiagnoseError(plaintext, 25, true),
                                "--tls starttls"));
  SmtpError expects;
  expects.cause = ErrorDetail::kTlsPeerExpectsTls;
  EXPECT_TRUE(absl::StrContains(DiagnoseError(expects, 465, false),
                                "--tls implicit"));
  SmtpError timeout;
  timeout.cause = ErrorDetail::kTimeout;
  timeout.command = CommandKind::kGreeting;
  EXPECT_TRUE(absl::StrContains(DiagnoseError(timeout, 2465, false),
                                "--tls implicit"));
  EXPECT_EQ(DiagnoseError(timeout, 2465, true), "");
}

TEST(DiagnoseErrorTest, SenderRefused) {
  SmtpError e;
  e.cause = ErrorDetail::kRejected;
  e.command = CommandKind::kMailFrom;
  e.code = 530;
  e.enhanced = Code(5, 7, 0);
  const std::string hint = DiagnoseError(e, 25, false);
  EXPECT_TRUE(absl::StrContains(hint, "refused the sender")) << hint;
  EXPECT_TRUE(absl::StrContains(hint, "recipients were not sent")) << hint;
  EXPECT_TRUE(absl::StrContains(hint, "STARTTLS or AUTH")) << hint;
}

TEST(DiagnoseErrorTest, MalformedSender) {
  SmtpError e;
  e.cause = ErrorDetail::kInvalidArgument;
  e.command = CommandKind::kMailFrom;
  e.what = "reverse-path contains a space";
  const std::string hint = DiagnoseError(e, 25, false);
  EXPECT_TRUE(absl::StrContains(hint, "sender address is malformed")) << hint;
  EXPECT_TRUE(absl::StrContains(hint, "recipients were not sent")) << hint;
  e.command = CommandKind::kRcptTo;
  EXPECT_EQ(DiagnoseError(e, 25, false), "");
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
