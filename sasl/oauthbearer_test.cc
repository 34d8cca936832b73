#include "sasl/oauthbearer.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

// RFC 7628 §4.1 example.
TEST(OAuthBearerTest, Rfc7628Example) {
  OAuthBearerOptions options;
  options.username = "user@example.com";
  options.token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
  options.host = "server.example.com";
  options.port = 143;
  OAuthBearerMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.name(), "OAUTHBEARER");
  EXPECT_EQ(m.InitialResponse(),
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
            "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
}

// RFC 7628 §4.3: the failure challenge is answered with %x01.
TEST(OAuthBearerTest, Rfc7628ErrorCase) {
  OAuthBearerOptions options;
  options.username = "user@example.com";
  options.token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
  options.host = "server.example.com";
  options.port = 143;
  OAuthBearerMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  ASSERT_TRUE(m.InitialResponse().has_value());
  std::string json;
  ASSERT_TRUE(absl::Base64Unescape(
      "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwi"
      "b3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtu"
      "b3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=",
      &json));
  absl::StatusOr<std::string> r = m.Respond(json);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "\x01");
  EXPECT_EQ(absl::Base64Escape(*r), "AQ==");
  EXPECT_EQ(m.server_error(), json);
  EXPECT_EQ(GetErrorDetail(m.Respond("more").status()),
            ErrorDetail::kAuthMechanism);
}

TEST(OAuthBearerTest, MinimalAndEscapedAuthzid) {
  OAuthBearerOptions options;
  options.token = "tok";
  OAuthBearerMechanism bare(options);
  ASSERT_TRUE(bare.Start(nullptr).ok());
  EXPECT_EQ(bare.InitialResponse(),
            "n,,\x01"
            "auth=Bearer tok\x01\x01");

  options.username = "a,b=c";
  OAuthBearerMechanism escaped(options);
  ASSERT_TRUE(escaped.Start(nullptr).ok());
  EXPECT_EQ(escaped.InitialResponse(),
            "n,a=a=2Cb=3Dc,\x01"
            "auth=Bearer tok\x01\x01");
}

TEST(OAuthBearerTest, TokenProviderAndRenewal) {
  std::vector<OAuthTokenRequest> requests;
  OAuthBearerOptions options;
  options.username = "user@example.com";
  options.token = "ignored";
  options.token_provider =
      [&requests](const OAuthTokenRequest& r) -> absl::StatusOr<std::string> {
    requests.push_back(r);
    return r.refresh ? "fresh" : "stale";
  };
  OAuthBearerMechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.InitialResponse(),
            "n,a=user@example.com,\x01"
            "auth=Bearer stale\x01\x01");
  EXPECT_EQ(*m.Respond(R"({"status":"invalid_token"})"), "\x01");
  EXPECT_TRUE(m.RenewCredentials());
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[1].refresh);
  EXPECT_EQ(requests[1].server_error, R"({"status":"invalid_token"})");
  OAuthBearerOptions fixed;
  fixed.token = "t";
  EXPECT_FALSE(OAuthBearerMechanism(fixed).RenewCredentials());
}

TEST(OAuthBearerTest, RejectsMissingOrBadToken) {
  OAuthBearerOptions options;
  EXPECT_FALSE(OAuthBearerMechanism(options).Start(nullptr).ok());
  options.token = "t\x01";
  EXPECT_FALSE(OAuthBearerMechanism(options).Start(nullptr).ok());
}

}  // namespace
}  // namespace smtpcore
