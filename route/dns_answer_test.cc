#include "route/dns_answer.h"

#include "gtest/gtest.h"
#include "route/dns_answer_test_util.h"

namespace smtpcore {
namespace {

using namespace testing_dns;  // NOLINT: test helpers

TEST(DnsAnswerTest, SetNormalisesAndReplaces) {
  DnsAnswerSet set;
  set.Add(Mx("Example.ORG.", {{10, "mx.example.org"}}, kSec));
  ASSERT_NE(set.Find("example.org", DnsType::kMx), nullptr);
  EXPECT_EQ(set.Find("EXAMPLE.org.", DnsType::kMx)->mx.size(), 1u);
  EXPECT_EQ(set.Find("example.org", DnsType::kA), nullptr);
  set.Add(NoData("example.org", DnsType::kMx));
  EXPECT_FALSE(set.Find("example.org", DnsType::kMx)->has_records());
  EXPECT_EQ(set.size(), 1u);
}

TEST(DnsAnswerTest, Summaries) {
  EXPECT_EQ(Mx("a.example", {{10, "mx1.a.example"}, {0, ""}}, kSec).Summary(),
            "noerror secure: 10 mx1.a.example, 0 .");
  EXPECT_EQ(NxDomain("a.example", DnsType::kA).Summary(), "nxdomain insecure");
  EXPECT_EQ(ServFail("a.example", DnsType::kA).Summary(),
            "servfail: timed out");
  EXPECT_EQ(Addresses("mx.a.example", DnsType::kA, {"192.0.2.1"}, kSec,
                      "real.a.example")
                .Summary(),
            "noerror secure: 192.0.2.1 (via CNAME real.a.example)");
  EXPECT_EQ(DnsTypeName(DnsType::kTlsa), "TLSA");
  EXPECT_EQ(DnsSecurityName(DnsSecurity::kBogus), "bogus");
  EXPECT_EQ((DnsQuestion{"a.example", DnsType::kAaaa}.ToString()),
            "a.example AAAA");
}

}  // namespace
}  // namespace smtpcore
