#include "route/mta_sts_policy.h"

#include <string>

#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using ::testing::ElementsAre;

TEST(StsPolicyTest, ParsesTheRfcExample) {
  absl::StatusOr<StsPolicy> p = ParseStsPolicy(
      "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
      "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->mode, StsMode::kEnforce);
  EXPECT_THAT(p->mx, ElementsAre("mail.example.com", "*.example.net",
                                 "backupmx.example.com"));
  EXPECT_EQ(p->max_age, 604800);
  EXPECT_THAT(p->PolicyStrings(),
              ElementsAre("version: STSv1", "mode: enforce",
                          "mx: mail.example.com", "mx: *.example.net",
                          "mx: backupmx.example.com", "max_age: 604800"));
}

TEST(StsPolicyTest, LfOnlyUnknownKeysAndCappedMaxAge) {
  absl::StatusOr<StsPolicy> p = ParseStsPolicy(
      "version: STSv1\nmode:testing\nmx: MX.Example.com.\nfuture: x\n"
      "max_age: 9999999999\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->mode, StsMode::kTesting);
  EXPECT_EQ(p->max_age, kStsMaxAgeLimit);
  EXPECT_THAT(p->mx, ElementsAre("mx.example.com"));
  absl::StatusOr<StsPolicy> none =
      ParseStsPolicy("version: STSv1\nmode: none\nmax_age: 86400\n");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->mode, StsMode::kNone);
}

TEST(StsPolicyTest, RefusesInvalid) {
  for (const char* bad : {
           "",
           "mode: enforce\nmx: a.example\nmax_age: 1\n",              // version
           "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
           "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",
           "version: STSv1\nmode: enforce\nmax_age: 1\n",             // mx
           "version: STSv1\nmode: enforce\nmx: a.example\n",          // max_age
           "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
           "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
           "version: STSv1\nmode: enforce\nmx: a*.example\nmax_age: 1\n",
           "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nmode: none\n",
           "version: STSv1\nmode enforce\n",
       }) {
    absl::StatusOr<StsPolicy> p = ParseStsPolicy(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_EQ(GetErrorDetail(p.status()), ErrorDetail::kInvalidArgument);
  }
  EXPECT_FALSE(ParseStsPolicy(std::string(kStsMaxPolicySize + 1, 'x')).ok());
}

TEST(StsPolicyTest, WildcardCoversExactlyOneLeftmostLabel) {
  EXPECT_TRUE(MatchStsMxPattern("mail.example.com", "MAIL.example.com."));
  EXPECT_TRUE(MatchStsMxPattern("*.example.net", "mx1.example.net"));
  EXPECT_FALSE(MatchStsMxPattern("*.example.net", "example.net"));
  EXPECT_FALSE(MatchStsMxPattern("*.example.net", "a.b.example.net"));
  EXPECT_FALSE(MatchStsMxPattern("*.example.net", ".example.net"));
  EXPECT_FALSE(MatchStsMxPattern("mail.example.com", "mail2.example.com"));
  StsPolicy p;
  p.mx = {"*.example.net", "mx.example.com"};
  EXPECT_TRUE(p.MatchesMx("a.example.net"));
  EXPECT_FALSE(p.MatchesMx("evil.example.org"));
}

}  // namespace
}  // namespace smtpcore
