#include "transports/dns/resolver_options.h"

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(ParseResolverAddressTest, Forms) {
  ResolverOptions o;
  ASSERT_TRUE(ParseResolverAddress("127.0.0.1", &o).ok());
  EXPECT_EQ(o.forward_address, "127.0.0.1");
  EXPECT_EQ(o.forward_port, 53);
  ASSERT_TRUE(ParseResolverAddress("127.0.0.1:5353", &o).ok());
  EXPECT_EQ(o.forward_port, 5353);
  ASSERT_TRUE(ParseResolverAddress("[::1]:5300", &o).ok());
  EXPECT_EQ(o.forward_address, "::1");
  EXPECT_EQ(o.forward_port, 5300);
  ASSERT_TRUE(ParseResolverAddress("::1", &o).ok());
  EXPECT_EQ(o.forward_port, 53);
  for (const char* bad : {"", "dns.example", "127.0.0.1:0", "127.0.0.1:x",
                          "127.0.0.1:70000", "[::1", "[::1]x"}) {
    absl::Status s = ParseResolverAddress(bad, &o);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kInvalidArgument);
  }
}

}  // namespace
}  // namespace smtpcore
