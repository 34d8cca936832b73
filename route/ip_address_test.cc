#include "route/ip_address.h"

#include <string>

#include "gtest/gtest.h"

namespace smtpcore {
namespace {

std::string Canonical(absl::string_view text) {
  absl::optional<IpAddress> a = ParseIpAddress(text);
  return a.has_value() ? a->ToString() : "invalid";
}

TEST(IpAddressTest, Ipv4) {
  EXPECT_EQ(Canonical("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(Canonical("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(Canonical("255.255.255.255"), "255.255.255.255");
  EXPECT_EQ(ParseIpAddress("192.0.2.1")->family, IpFamily::kV4);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
                          "1..2.3", "a.b.c.d", "1.2.3.4 ", "mx.example"}) {
    EXPECT_EQ(Canonical(bad), "invalid") << bad;
  }
}

TEST(IpAddressTest, Ipv6CanonicalFormRfc5952) {
  EXPECT_EQ(Canonical("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(Canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  EXPECT_EQ(Canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(Canonical("::"), "::");
  EXPECT_EQ(Canonical("::1"), "::1");
  EXPECT_EQ(Canonical("1::"), "1::");
  EXPECT_EQ(Canonical("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
  EXPECT_EQ(Canonical("0:0:0:0:0:ffff:c000:0201"), "::ffff:192.0.2.1");
  EXPECT_EQ(ParseIpAddress("::1")->family, IpFamily::kV6);
  for (const char* bad : {":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7",
                          "1:2:3:4:5:6:7:8:9", "g::1", "::1.2.3",
                          "1.2.3.4::"}) {
    EXPECT_EQ(Canonical(bad), "invalid") << bad;
  }
}

TEST(IpAddressTest, FromBytesAndLoopback) {
  EXPECT_EQ(IpAddressFromBytes(std::string("\x7f\0\0\x01", 4))->ToString(),
            "127.0.0.1");
  EXPECT_FALSE(IpAddressFromBytes("abc").has_value());
  EXPECT_TRUE(ParseIpAddress("127.0.0.53")->is_loopback());
  EXPECT_TRUE(ParseIpAddress("::1")->is_loopback());
  EXPECT_TRUE(ParseIpAddress("::ffff:127.0.0.1")->is_loopback());
  EXPECT_FALSE(ParseIpAddress("::ffff:192.0.2.1")->is_loopback());
  EXPECT_FALSE(ParseIpAddress("192.0.2.1")->is_loopback());
  EXPECT_EQ(*ParseIpAddress("2001:db8::1"), *ParseIpAddress("2001:DB8:0::1"));
}

}  // namespace
}  // namespace smtpcore
