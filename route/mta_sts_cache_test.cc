#include "route/mta_sts_cache.h"

#include "gtest/gtest.h"
#include "route/dns_answer_test_util.h"

namespace smtpcore {
namespace {

using namespace testing_dns;  // NOLINT: test helpers

StsPolicy Policy(int64_t max_age) {
  StsPolicy p;
  p.mode = StsMode::kEnforce;
  p.mx = {"mx.example.org"};
  p.max_age = max_age;
  return p;
}

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(StsCacheTest, FetchWhenNotCachedThenUseUntilIdChanges) {
  StsCache cache;
  DnsAnswer txt = Txt("_mta-sts.example.org", {"v=STSv1; id=one"});
  StsDecision d = cache.Check("example.org", &txt, kT0);
  EXPECT_EQ(d.action, StsAction::kFetch);
  EXPECT_EQ(d.id, "one");
  EXPECT_FALSE(d.policy.has_value());

  cache.Store("Example.org", "one", Policy(3600), kT0);
  d = cache.Check("example.org", &txt, kT0 + absl::Minutes(10));
  EXPECT_EQ(d.action, StsAction::kUseCached);
  ASSERT_TRUE(d.policy.has_value());

  DnsAnswer txt2 = Txt("_mta-sts.example.org", {"v=STSv1; id=two"});
  d = cache.Check("example.org", &txt2, kT0 + absl::Minutes(10));
  EXPECT_EQ(d.action, StsAction::kFetch);
  EXPECT_EQ(d.id, "two");
  EXPECT_TRUE(d.policy.has_value());  // fallback if the fetch fails
}

TEST(StsCacheTest, ExpiresAfterMaxAge) {
  StsCache cache;
  cache.Store("example.org", "one", Policy(3600), kT0);
  DnsAnswer txt = Txt("_mta-sts.example.org", {"v=STSv1; id=one"});
  EXPECT_NE(cache.Find("example.org", kT0 + absl::Seconds(3599)), nullptr);
  EXPECT_EQ(cache.Find("example.org", kT0 + absl::Seconds(3600)), nullptr);
  StsDecision d = cache.Check("example.org", &txt, kT0 + absl::Hours(2));
  EXPECT_EQ(d.action, StsAction::kFetch);
  EXPECT_FALSE(d.policy.has_value());
}

TEST(StsCacheTest, NoRecordUsesUnexpiredCacheElseNoPolicy) {
  StsCache cache;
  DnsAnswer gone = NxDomain("_mta-sts.example.org", DnsType::kTxt);
  DnsAnswer failed = ServFail("_mta-sts.example.org", DnsType::kTxt);
  EXPECT_EQ(cache.Check("example.org", &gone, kT0).action,
            StsAction::kNoPolicy);
  cache.Store("example.org", "one", Policy(3600), kT0);
  EXPECT_EQ(cache.Check("example.org", &gone, kT0).action,
            StsAction::kUseCached);
  EXPECT_EQ(cache.Check("example.org", &failed, kT0).action,
            StsAction::kUseCached);
  EXPECT_EQ(cache.Check("example.org", nullptr, kT0).action,
            StsAction::kUseCached);
  cache.Forget("example.org");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(StsActionName(StsAction::kFetch), "fetch");
}

}  // namespace
}  // namespace smtpcore
