#include "route/dns_name.h"

#include <string>

#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(DnsNameTest, Normalize) {
  EXPECT_EQ(NormalizeDomain("MX1.Example.ORG."), "mx1.example.org");
  EXPECT_EQ(NormalizeDomain("example"), "example");
  EXPECT_EQ(NormalizeDomain(""), "");
}

TEST(DnsNameTest, Validity) {
  EXPECT_TRUE(IsValidDomain("mx.example.org"));
  EXPECT_TRUE(IsValidDomain("mx.example.org."));
  EXPECT_TRUE(IsValidDomain("_25._tcp.mx.example"));
  EXPECT_TRUE(IsValidDomain("_mta-sts.example"));
  EXPECT_TRUE(IsValidDomain("xn--bcher-kva.example"));
  EXPECT_FALSE(IsValidDomain(""));
  EXPECT_FALSE(IsValidDomain("."));
  EXPECT_FALSE(IsValidDomain("a..b"));
  EXPECT_FALSE(IsValidDomain("-a.example"));
  EXPECT_FALSE(IsValidDomain("a-.example"));
  EXPECT_FALSE(IsValidDomain("a b.example"));
  EXPECT_FALSE(IsValidDomain("b\xc3\xbc" "cher.example"));
  EXPECT_FALSE(IsValidDomain(std::string(64, 'a') + ".example"));
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  EXPECT_FALSE(IsValidDomain(long_name));
}

}  // namespace
}  // namespace smtpcore
