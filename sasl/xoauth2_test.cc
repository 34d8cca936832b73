#include "sasl/xoauth2.h"

#include <string>
#include <vector>

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

// With a provider: the token is fetched at Start; after the error
// challenge and the refusal, RenewCredentials asks for a fresh one with the
// server's JSON.
TEST(Xoauth2Test, TokenProviderAndRenewal) {
  std::vector<OAuthTokenRequest> requests;
  OAuthTokenProvider provider =
      [&requests](const OAuthTokenRequest& r) -> absl::StatusOr<std::string> {
    requests.push_back(r);
    return r.refresh ? "fresh" : "stale";
  };
  Xoauth2Mechanism m("u@example.com", provider);
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(*m.InitialResponse(),
            "user=u@example.com\x01"
            "auth=Bearer stale\x01\x01");
  const std::string json = R"({"status":"401","schemes":"Bearer"})";
  EXPECT_EQ(*m.Respond(json), "");
  EXPECT_TRUE(m.RenewCredentials());
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0].refresh);
  EXPECT_TRUE(requests[1].refresh);
  EXPECT_EQ(requests[1].server_error, json);

  // A fixed token cannot be renewed; a failing provider cannot either.
  Xoauth2Mechanism fixed("u", "t");
  EXPECT_FALSE(fixed.RenewCredentials());
  Xoauth2Mechanism failing(
      "u", [](const OAuthTokenRequest&) -> absl::StatusOr<std::string> {
        return absl::UnavailableError("token endpoint down");
      });
  absl::Status started = failing.Start(nullptr);
  EXPECT_EQ(GetErrorDetail(started), ErrorDetail::kAuthMechanism);
  EXPECT_NE(started.message().find("token endpoint down"),
            absl::string_view::npos);
  EXPECT_FALSE(failing.RenewCredentials());
}

TEST(Xoauth2Test, RejectsBadCredentials) {
  EXPECT_FALSE(Xoauth2Mechanism("", "t").Start(nullptr).ok());
  EXPECT_FALSE(Xoauth2Mechanism("u", "").Start(nullptr).ok());
  EXPECT_FALSE(Xoauth2Mechanism("u", "t\x01x").Start(nullptr).ok());
}

}  // namespace
}  // namespace smtpcore
