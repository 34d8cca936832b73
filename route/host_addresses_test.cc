#include "route/host_addresses.h"

#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "route/dns_answer_test_util.h"

namespace smtpcore {
namespace {

using namespace testing_dns;  // NOLINT: test helpers

std::vector<std::string> Ips(const HostAddressesStep& s) {
  std::vector<std::string> out;
  if (s.addresses.has_value()) {
    for (const IpAddress& ip : s.addresses->ips) out.push_back(ip.ToString());
  }
  return out;
}

TEST(GatherHostAddressesTest, AsksBothFamiliesAndInterleaves) {
  DnsAnswerSet set;
  HostAddressesStep s = GatherHostAddresses("mx.example", set, nullptr,
                                            AddressFamily::kAny);
  ASSERT_EQ(s.needed.size(), 2u);
  set.Add(Addresses("mx.example", DnsType::kA, {"192.0.2.1", "192.0.2.2"},
                    kSec));
  set.Add(Addresses("mx.example", DnsType::kAaaa, {"2001:db8::1"}, kSec));
  s = GatherHostAddresses("mx.example", set, nullptr, AddressFamily::kAny);
  EXPECT_THAT(Ips(s), ::testing::ElementsAre("192.0.2.1", "2001:db8::1",
                                             "192.0.2.2"));
  EXPECT_TRUE(s.addresses->secure);
}

TEST(GatherHostAddressesTest, DialHistoryPrefersTheSameIp) {
  DnsAnswerSet set;
  set.Add(Addresses("mx.example", DnsType::kA, {"192.0.2.1", "192.0.2.2"}));
  set.Add(NoData("mx.example", DnsType::kAaaa));
  DialHistory history;
  history.Record("mx.example", "192.0.2.2", DialOutcome::kConnected);
  HostAddressesStep s =
      GatherHostAddresses("mx.example", set, &history, AddressFamily::kAny);
  EXPECT_THAT(Ips(s), ::testing::ElementsAre("192.0.2.2", "192.0.2.1"));
  EXPECT_FALSE(s.addresses->secure);
}

TEST(GatherHostAddressesTest, CnameReportedAndOneFailureTolerated) {
  DnsAnswerSet set;
  set.Add(Addresses("mx.example", DnsType::kA, {"192.0.2.1"}, kSec,
                    "real.example"));
  set.Add(ServFail("mx.example", DnsType::kAaaa));
  HostAddressesStep s =
      GatherHostAddresses("mx.example", set, nullptr, AddressFamily::kAny);
  ASSERT_TRUE(s.addresses.has_value());
  EXPECT_EQ(s.addresses->canonical, "real.example");
  EXPECT_FALSE(s.addresses->secure);  // one lookup failed
  EXPECT_EQ(s.addresses->warnings.size(), 2u);
}

TEST(GatherHostAddressesTest, Failures) {
  DnsAnswerSet set;
  set.Add(Bogus("bogus.example", DnsType::kA));
  set.Add(NoData("bogus.example", DnsType::kAaaa));
  set.Add(NxDomain("gone.example", DnsType::kA));
  set.Add(NxDomain("gone.example", DnsType::kAaaa));
  set.Add(ServFail("down.example", DnsType::kA));
  set.Add(ServFail("down.example", DnsType::kAaaa));
  set.Add(NoData("v6only.example", DnsType::kA));
  set.Add(Addresses("v6only.example", DnsType::kAaaa, {"2001:db8::1"}));
  EXPECT_EQ(GetErrorDetail(GatherHostAddresses("bogus.example", set, nullptr,
                                               AddressFamily::kAny)
                               .error),
            ErrorDetail::kDnssecBogus);
  EXPECT_EQ(GetErrorDetail(GatherHostAddresses("gone.example", set, nullptr,
                                               AddressFamily::kAny)
                               .error),
            ErrorDetail::kNoSuchDomain);
  EXPECT_EQ(GetErrorDetail(GatherHostAddresses("down.example", set, nullptr,
                                               AddressFamily::kAny)
                               .error),
            ErrorDetail::kDnsTemporary);
  EXPECT_EQ(GetErrorDetail(GatherHostAddresses("v6only.example", set, nullptr,
                                               AddressFamily::kIpv4Only)
                               .error),
            ErrorDetail::kNoSuchDomain);
}

}  // namespace
}  // namespace smtpcore
