#include "transports/common/dial_history.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using ::testing::ElementsAre;

std::vector<DialAddress> Addresses(const std::vector<std::string>& ips) {
  std::vector<DialAddress> out;
  for (const std::string& ip : ips) {
    absl::StatusOr<DialAddress> a = MakeDialAddress(ip, 25);
    EXPECT_TRUE(a.ok()) << ip;
    out.push_back(*a);
  }
  return out;
}

std::vector<std::string> Ips(const std::vector<DialAddress>& addresses) {
  std::vector<std::string> out;
  for (const DialAddress& a : addresses) out.push_back(a.ip);
  return out;
}

TEST(DialAddressTest, ParsesAndFormats) {
  absl::StatusOr<DialAddress> v4 = MakeDialAddress("192.0.2.1", 25);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->ToString(), "192.0.2.1:25");
  EXPECT_FALSE(v4->is_loopback());

  absl::StatusOr<DialAddress> v6 = MakeDialAddress("[2001:db8:0::1]", 587);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->ip, "2001:db8::1");
  EXPECT_EQ(v6->ToString(), "[2001:db8::1]:587");

  EXPECT_TRUE(MakeDialAddress("127.0.0.53", 25)->is_loopback());
  EXPECT_TRUE(MakeDialAddress("::1", 25)->is_loopback());
  EXPECT_TRUE(MakeDialAddress("::ffff:127.0.0.1", 25)->is_loopback());
  EXPECT_FALSE(MakeDialAddress("::ffff:192.0.2.1", 25)->is_loopback());
  EXPECT_FALSE(MakeDialAddress("mail.example.org", 25).ok());
}

TEST(DialAddressTest, UnixSocketPaths) {
  absl::StatusOr<DialAddress> u = MakeUnixDialAddress("/run/dovecot/lmtp");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->family, AF_UNIX);
  EXPECT_EQ(u->ip, "/run/dovecot/lmtp");
  EXPECT_EQ(u->ToString(), "unix:/run/dovecot/lmtp");
  EXPECT_TRUE(u->is_loopback());
  EXPECT_GT(u->sockaddr_len, 0);
  EXPECT_FALSE(MakeUnixDialAddress("").ok());
  EXPECT_FALSE(MakeUnixDialAddress(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(MakeUnixDialAddress("/" + std::string(107, 'x')).ok());
  EXPECT_TRUE(MakeUnixDialAddress("/" + std::string(106, 'x')).ok());
}

TEST(OrderDialAddressesTest, InterleavesFamiliesInResolverOrder) {
  std::vector<DialAddress> in =
      Addresses({"2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2",
                 "192.0.2.3"});
  EXPECT_THAT(Ips(OrderDialAddresses("mx", in, nullptr)),
              ElementsAre("2001:db8::1", "192.0.2.1", "2001:db8::2",
                          "192.0.2.2", "192.0.2.3"));
  std::vector<DialAddress> v4_first =
      Addresses({"192.0.2.1", "2001:db8::1", "192.0.2.2"});
  EXPECT_THAT(Ips(OrderDialAddresses("mx", v4_first, nullptr)),
              ElementsAre("192.0.2.1", "2001:db8::1", "192.0.2.2"));
}

TEST(OrderDialAddressesTest, AppliesTheRouteHistoryRules) {
  // The rules themselves are tested in route/dial_history_test.cc; this
  // checks that socket addresses go through them unchanged.
  std::vector<DialAddress> in = Addresses(
      {"2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2", "192.0.2.1"});
  DialHistory history;
  history.Record("MX.example", "192.0.2.2", DialOutcome::kConnected);
  std::vector<DialAddress> out = OrderDialAddresses("mx.example", in, &history);
  EXPECT_THAT(Ips(out), ElementsAre("192.0.2.2", "2001:db8::1", "192.0.2.1",
                                    "2001:db8::2"));
  EXPECT_EQ(out[0].port, 25);
  EXPECT_EQ(out[0].family, AF_INET);
  EXPECT_THAT(Ips(OrderDialAddresses("mx", in, nullptr,
                                     AddressFamily::kIpv6Only)),
              ElementsAre("2001:db8::1", "2001:db8::2"));
}

}  // namespace
}  // namespace smtpcore
