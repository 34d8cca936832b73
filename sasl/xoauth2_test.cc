#include "sasl/xoauth2.h"

#include <string>

#include "absl/strings/escaping.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

// Google's documented example
// (developers.google.com/gmail/imap/xoauth2-protocol).
TEST(Xoauth2Test, GoogleExample) {
  Xoauth2Mechanism m("someuser@example.com",
                     "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.name(), "XOAUTH2");
  absl::optional<std::string> ir = m.InitialResponse();
  ASSERT_TRUE(ir.has_value());
  EXPECT_EQ(
      *ir,
      "user=someuser@example.com\x01"
      "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01");
  EXPECT_EQ(absl::Base64Escape(*ir),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRm"
            "dDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");
}

TEST(Xoauth2Test, ErrorChallengeAnsweredWithEmptyResponse) {
  Xoauth2Mechanism m("u@example.com", "token");
  ASSERT_TRUE(m.Start(nullptr).ok());
  ASSERT_TRUE(m.InitialResponse().has_value());
  const std::string json =
      R"({"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"})";
  absl::StatusOr<std::string> r = m.Respond(json);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
  EXPECT_EQ(m.server_error(), json);
  EXPECT_EQ(GetErrorDetail(m.Respond("again").status()),
            ErrorDetail::kAuthMechanism);
}

TEST(Xoauth2Test, EmptyChallengeWithoutSaslIr) {
  Xoauth2Mechanism m("u", "t");
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(*m.Respond(""),
            "user=u\x01"
            "auth=Bearer t\x01\x01");
}

TEST(Xoauth2Test, RejectsBadCredentials) {
  EXPECT_FALSE(Xoauth2Mechanism("", "t").Start(nullptr).ok());
  EXPECT_FALSE(Xoauth2Mechanism("u", "").Start(nullptr).ok());
  EXPECT_FALSE(Xoauth2Mechanism("u", "t\x01x").Start(nullptr).ok());
}

}  // namespace
}  // namespace smtpcore
