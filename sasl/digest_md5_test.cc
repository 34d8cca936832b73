#include "sasl/digest_md5.h"

#include <string>

#include "absl/strings/match.h"
#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

DigestMd5Options Rfc2831Options() {
  DigestMd5Options options;
  options.username = "chris";
  options.password = "secret";
  options.host = "elwood.innosoft.com";
  options.service = "imap";
  options.cnonce = "OA6MHXh6VqTrRk";
  return options;
}

constexpr char kRfc2831Challenge[] =
    "realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\","
    "algorithm=md5-sess,charset=utf-8";

// RFC 2831 §4 example.
TEST(DigestMd5Test, Rfc2831Example) {
  DigestMd5Mechanism m(Rfc2831Options());
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_EQ(m.name(), "DIGEST-MD5");
  EXPECT_EQ(m.InitialResponse(), absl::nullopt);
  absl::StatusOr<std::string> r = m.Respond(kRfc2831Challenge);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r,
            "charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\","
            "nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"OA6MHXh6VqTrRk\","
            "digest-uri=\"imap/elwood.innosoft.com\","
            "response=d388dad90d4bbd760a152321f2143af7,qop=auth");
  absl::StatusOr<std::string> last =
      m.Respond("rspauth=ea40f60335c427b5527b84dbabcdfffd");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, "");
  EXPECT_TRUE(m.Finish("").ok());
}

TEST(DigestMd5Test, RspAuthAsAdditionalData) {
  DigestMd5Mechanism m(Rfc2831Options());
  ASSERT_TRUE(m.Start(nullptr).ok());
  ASSERT_TRUE(m.Respond(kRfc2831Challenge).ok());
  EXPECT_TRUE(m.Finish("rspauth=EA40F60335C427B5527B84DBABCDFFFD").ok());
}

TEST(DigestMd5Test, WrongOrMissingRspAuthFails) {
  DigestMd5Mechanism wrong(Rfc2831Options());
  ASSERT_TRUE(wrong.Start(nullptr).ok());
  ASSERT_TRUE(wrong.Respond(kRfc2831Challenge).ok());
  absl::StatusOr<std::string> r =
      wrong.Respond("rspauth=ea40f60335c427b5527b84dbabcdfffe");
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kAuthMechanism);
  EXPECT_FALSE(wrong.Finish("").ok());

  DigestMd5Mechanism missing(Rfc2831Options());
  ASSERT_TRUE(missing.Start(nullptr).ok());
  ASSERT_TRUE(missing.Respond(kRfc2831Challenge).ok());
  EXPECT_FALSE(missing.Finish("").ok());
}

TEST(DigestMd5Test, ServiceDefaultsToSmtpAndAuthzidIsSent) {
  DigestMd5Options options = Rfc2831Options();
  options.service = "smtp";
  options.authzid = "admin";
  DigestMd5Mechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  absl::StatusOr<std::string> r = m.Respond(kRfc2831Challenge);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(absl::StrContains(*r, "digest-uri=\"smtp/elwood.innosoft.com\""));
  EXPECT_TRUE(absl::EndsWith(*r, ",qop=auth,authzid=\"admin\""));
  EXPECT_FALSE(absl::StrContains(*r, "secret"));
}

TEST(DigestMd5Test, ChallengeParsing) {
  // Whitespace, a second realm, escaped quote, several qops, no charset.
  DigestMd5Mechanism m(Rfc2831Options());
  ASSERT_TRUE(m.Start(nullptr).ok());
  absl::StatusOr<std::string> r = m.Respond(
      "realm=\"a\\\"b\" , realm=\"second\",nonce=\"n1\", "
      "qop=\"auth-int, auth,auth-conf\",maxbuf=65536,algorithm=md5-sess");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StartsWith(*r, "username=\"chris\",realm=\"a\\\"b\","));
  EXPECT_TRUE(absl::StrContains(*r, "nonce=\"n1\""));
}

class DigestMd5BadChallengeTest : public ::testing::TestWithParam<const char*> {
};

TEST_P(DigestMd5BadChallengeTest, Rejected) {
  DigestMd5Mechanism m(Rfc2831Options());
  ASSERT_TRUE(m.Start(nullptr).ok());
  absl::StatusOr<std::string> r = m.Respond(GetParam());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << GetParam();
  EXPECT_EQ(GetErrorDetail(r.status()), ErrorDetail::kAuthMechanism);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DigestMd5BadChallengeTest,
    ::testing::Values("", "realm=\"x\",algorithm=md5-sess",  // no nonce
                      "nonce=\"n\"",                         // no algorithm
                      "nonce=\"n\",algorithm=md5",           // not md5-sess
                      "nonce=\"n\",algorithm=md5-sess,qop=\"auth-conf\"",
                      "nonce=\"n\",nonce=\"m\",algorithm=md5-sess",
                      "nonce=\"unterminated,algorithm=md5-sess", "nonce"));

TEST(DigestMd5Test, NeedsHostAndUser) {
  DigestMd5Options options = Rfc2831Options();
  options.host.clear();
  EXPECT_EQ(DigestMd5Mechanism(options).Start(nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(DigestMd5Test, NonLatin1CredentialsNeedUtf8Charset) {
  DigestMd5Options options = Rfc2831Options();
  options.password = "\xE2\x82\xAC";  // EURO SIGN, not in ISO 8859-1
  DigestMd5Mechanism m(options);
  ASSERT_TRUE(m.Start(nullptr).ok());
  EXPECT_FALSE(m.Respond("nonce=\"n\",algorithm=md5-sess").ok());

  DigestMd5Mechanism utf8(options);
  ASSERT_TRUE(utf8.Start(nullptr).ok());
  EXPECT_TRUE(
      utf8.Respond("nonce=\"n\",algorithm=md5-sess,charset=utf-8").ok());
}

TEST(DigestMd5Test, Latin1RepresentableIsHashedAsLatin1) {
  // With and without charset=utf-8, "\u00e9" hashes as the single byte E9:
  // both responses are computed from the same A1.
  DigestMd5Options options = Rfc2831Options();
  options.password = "caf\xC3\xA9";
  DigestMd5Mechanism a(options);
  DigestMd5Mechanism b(options);
  ASSERT_TRUE(a.Start(nullptr).ok());
  ASSERT_TRUE(b.Start(nullptr).ok());
  std::string ra = *a.Respond("nonce=\"n\",algorithm=md5-sess");
  std::string rb = *b.Respond("nonce=\"n\",algorithm=md5-sess,charset=utf-8");
  const auto response = [](const std::string& s) {
    size_t p = s.find("response=");
    return s.substr(p, 9 + 32);
  };
  EXPECT_EQ(response(ra), response(rb));
}

}  // namespace
}  // namespace smtpcore
