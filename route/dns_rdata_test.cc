#include "route/dns_rdata.h"

#include <string>

#include "core/errors.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

const std::string kMxExample =
    Bytes({0, 10, 2, 'M', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0});

TEST(DnsRdataTest, Mx) {
  absl::StatusOr<MxRecord> mx = ParseMxRdata(kMxExample);
  ASSERT_TRUE(mx.ok()) << mx.status();
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->host, "mx.example");
  // RFC 7505 null MX: preference 0, target ".".
  absl::StatusOr<MxRecord> null_mx = ParseMxRdata(Bytes({0, 0, 0}));
  ASSERT_TRUE(null_mx.ok());
  EXPECT_EQ(null_mx->host, "");
  EXPECT_FALSE(ParseMxRdata(Bytes({0, 10})).ok());
  EXPECT_FALSE(ParseMxRdata(kMxExample + "x").ok());
}

TEST(DnsRdataTest, NamesRefuseCompressionAndOverruns) {
  EXPECT_FALSE(ParseCnameRdata(Bytes({0xc0, 12})).ok());
  EXPECT_FALSE(ParseCnameRdata(Bytes({5, 'a', 'b'})).ok());
  EXPECT_FALSE(ParseCnameRdata(Bytes({3, 'a', '.', 'b', 0})).ok());
  EXPECT_FALSE(ParseCnameRdata(Bytes({1, ' ', 0})).ok());
  EXPECT_FALSE(ParseCnameRdata("").ok());
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(1, 63) + std::string(63, 'a');
  long_name.push_back(0);
  absl::StatusOr<std::string> too_long = ParseCnameRdata(long_name);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(GetErrorDetail(too_long.status()), ErrorDetail::kInvalidArgument);
  absl::StatusOr<std::string> ok =
      ParseCnameRdata(Bytes({3, 'W', 'W', 'W', 1, 'x', 0}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "www.x");
}

TEST(DnsRdataTest, AddressesAndTxt) {
  EXPECT_EQ(ParseAddressRdata(Bytes({192, 0, 2, 1}))->ToString(), "192.0.2.1");
  EXPECT_FALSE(ParseAddressRdata(Bytes({1, 2, 3})).ok());
  absl::StatusOr<std::string> txt =
      ParseTxtRdata(Bytes({7, 'v', '=', 'S', 'T', 'S', 'v', '1', 4, ';', ' ',
                           'i', 'd', 0}));
  ASSERT_TRUE(txt.ok());
  EXPECT_EQ(*txt, "v=STSv1; id");
  EXPECT_FALSE(ParseTxtRdata(Bytes({9, 'a'})).ok());
  EXPECT_FALSE(ParseTxtRdata("").ok());
}

}  // namespace
}  // namespace smtpcore
