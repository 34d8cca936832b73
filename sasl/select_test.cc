#include "sasl/select.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

SaslCredentials Password() {
  SaslCredentials c;
  c.username = "alice";
  c.password = "s3cr3t-pw";
  return c;
}

TlsInfo TlsWithBinding() {
  TlsInfo tls;
  tls.version = "TLSv1.3";
  tls.server_name = "mail.example.org";
  tls.channel_binding_type = "tls-exporter";
  tls.channel_binding = std::string(32, 'b');
  return tls;
}

std::string Pick(const SaslCredentials& c, std::vector<std::string> server,
                 const TlsInfo* tls, std::vector<std::string> pref = {}) {
  absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
      SelectSaslMechanism(c, server, tls, pref);
  if (!m.ok()) return "error: " + std::string(m.status().message());
  return std::string((*m)->name());
}

TEST(SelectTest, DefaultOrder) {
  const TlsInfo tls = TlsWithBinding();
  const std::vector<std::string> all = {"LOGIN",
                                        "PLAIN",
                                        "CRAM-MD5",
                                        "SCRAM-SHA-1",
                                        "SCRAM-SHA-1-PLUS",
                                        "SCRAM-SHA-256",
                                        "SCRAM-SHA-256-PLUS",
                                        "DIGEST-MD5",
                                        "XOAUTH2"};
  EXPECT_EQ(Pick(Password(), all, &tls), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(Pick(Password(), all, nullptr), "SCRAM-SHA-256");
  EXPECT_EQ(
      Pick(Password(), {"PLAIN", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"}, &tls),
      "SCRAM-SHA-1-PLUS");
  EXPECT_EQ(Pick(Password(), {"LOGIN", "PLAIN", "CRAM-MD5"}, &tls), "CRAM-MD5");
  EXPECT_EQ(Pick(Password(), {"LOGIN", "PLAIN"}, &tls), "PLAIN");
  EXPECT_EQ(Pick(Password(), {"login"}, &tls), "LOGIN");  // case-insensitive
}

TEST(SelectTest, OAuthWhenTokenGiven) {
  SaslCredentials c;
  c.username = "alice@example.org";
  c.oauth_token = "ya29.token";
  const TlsInfo tls = TlsWithBinding();
  EXPECT_EQ(Pick(c, {"PLAIN", "XOAUTH2", "OAUTHBEARER"}, &tls), "OAUTHBEARER");
  EXPECT_EQ(Pick(c, {"LOGIN", "XOAUTH2"}, &tls), "XOAUTH2");
  // A token alone cannot do PLAIN.
  const std::string none = Pick(c, {"PLAIN", "LOGIN"}, &tls);
  EXPECT_TRUE(absl::StartsWith(none, "error: ")) << none;
  EXPECT_FALSE(absl::StrContains(none, "ya29"));
}

// A token provider serves XOAUTH2 and OAUTHBEARER like a token, and the
// mechanisms it makes can renew their token.
TEST(SelectTest, OAuthWithTokenProvider) {
  SaslCredentials c;
  c.username = "alice@example.org";
  int calls = 0;
  c.oauth_token_provider =
      [&calls](const OAuthTokenRequest&) -> absl::StatusOr<std::string> {
    ++calls;
    return "ya29.fresh";
  };
  const TlsInfo tls = TlsWithBinding();
  EXPECT_EQ(Pick(c, {"PLAIN", "XOAUTH2", "OAUTHBEARER"}, &tls), "OAUTHBEARER");
  for (const char* name : {"XOAUTH2", "OAUTHBEARER"}) {
    absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
        MakeSaslMechanism(name, c, {name}, &tls);
    ASSERT_TRUE(m.ok()) << m.status();
    calls = 0;
    ASSERT_TRUE((*m)->Start(&tls).ok());
    EXPECT_EQ(calls, 1) << name;
    absl::optional<std::string> ir = (*m)->InitialResponse();
    ASSERT_TRUE(ir.has_value());
    EXPECT_TRUE(absl::StrContains(*ir, "auth=Bearer ya29.fresh")) << name;
    EXPECT_TRUE((*m)->RenewCredentials()) << name;
    EXPECT_EQ(calls, 2) << name;
  }
}

TEST(SelectTest, PreferenceListAndExternal) {
  TlsInfo tls = TlsWithBinding();
  tls.client_certificate = true;
  const std::vector<std::string> server = {"PLAIN", "EXTERNAL", "DIGEST-MD5",
                                           "SCRAM-SHA-256"};
  EXPECT_EQ(Pick(Password(), server, &tls), "SCRAM-SHA-256");  // no EXTERNAL
  EXPECT_EQ(Pick(Password(), server, &tls, {"EXTERNAL", "PLAIN"}), "EXTERNAL");
  EXPECT_EQ(Pick(Password(), server, &tls, {"DIGEST-MD5"}), "DIGEST-MD5");
  EXPECT_EQ(Pick(Password(), server, &tls, {"plain", "SCRAM-SHA-256"}),
            "PLAIN");
  tls.client_certificate = false;
  EXPECT_EQ(Pick(Password(), server, &tls, {"EXTERNAL", "PLAIN"}), "PLAIN");
}

TEST(SelectTest, NothingMatchesNamesServerOffer) {
  absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
      SelectSaslMechanism(Password(), {"GSSAPI", "NTLM"}, nullptr);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorDetail(m.status()), ErrorDetail::kNeedsAuth);
  EXPECT_TRUE(absl::StrContains(m.status().message(), "[GSSAPI NTLM]"))
      << m.status();
  EXPECT_FALSE(absl::StrContains(m.status().message(), "s3cr3t"));

  // -PLUS only, without TLS: the reason is given.
  m = SelectSaslMechanism(Password(), {"SCRAM-SHA-256-PLUS"}, nullptr);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::StrContains(m.status().message(), "channel binding"))
      << m.status();

  // No credentials at all.
  m = SelectSaslMechanism(SaslCredentials(), {"PLAIN"}, nullptr);
  EXPECT_EQ(GetErrorDetail(m.status()), ErrorDetail::kNeedsAuth);
}

TEST(SelectTest, UnknownPreferenceIsAnError) {
  absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
      SelectSaslMechanism(Password(), {"PLAIN"}, nullptr, {"PLAN"});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(m.status().message(), "PLAN"));
}

TEST(SelectTest, ScramToldWhetherServerOffersPlus) {
  const TlsInfo tls = TlsWithBinding();
  // Server without -PLUS: we can bind, so the GS2 flag is "y".
  absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
      SelectSaslMechanism(Password(), {"SCRAM-SHA-256"}, &tls);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Start(&tls).ok());
  EXPECT_TRUE(absl::StartsWith(*(*m)->InitialResponse(), "y,,"));
  // Server with -PLUS, caller insists on the plain variant: "n".
  m = SelectSaslMechanism(Password(), {"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"},
                          &tls, {"SCRAM-SHA-256"});
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Start(&tls).ok());
  EXPECT_TRUE(absl::StartsWith(*(*m)->InitialResponse(), "n,,"));
}

TEST(SelectTest, DigestMd5AndOAuthBearerUseTlsServerName) {
  TlsInfo tls = TlsWithBinding();
  absl::StatusOr<std::unique_ptr<SaslMechanism>> m =
      SelectSaslMechanism(Password(), {"DIGEST-MD5"}, &tls, {"DIGEST-MD5"});
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE((*m)->Start(&tls).ok());
  absl::StatusOr<std::string> r =
      (*m)->Respond("nonce=\"n\",algorithm=md5-sess,qop=\"auth\"");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(absl::StrContains(*r, "digest-uri=\"smtp/mail.example.org\""));

  m = SelectSaslMechanism(Password(), {"DIGEST-MD5"}, nullptr, {"DIGEST-MD5"});
  EXPECT_FALSE(m.ok());  // no host name known

  SaslCredentials c;
  c.username = "alice@example.org";
  c.oauth_token = "tok";
  c.port = 587;
  m = SelectSaslMechanism(c, {"OAUTHBEARER"}, &tls);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Start(&tls).ok());
  EXPECT_EQ(*(*m)->InitialResponse(),
            "n,a=alice@example.org,\x01host=mail.example.org\x01port=587\x01"
            "auth=Bearer tok\x01\x01");
}

}  // namespace
}  // namespace smtpcore
