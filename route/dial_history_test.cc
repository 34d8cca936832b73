#include "route/dial_history.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using ::testing::ElementsAre;

std::vector<IpAddress> Addresses(const std::vector<std::string>& ips) {
  std::vector<IpAddress> out;
  for (const std::string& ip : ips) {
    absl::optional<IpAddress> a = ParseIpAddress(ip);
    EXPECT_TRUE(a.has_value()) << ip;
    if (a.has_value()) out.push_back(*a);
  }
  return out;
}

std::vector<std::string> Order(absl::string_view host,
                               const std::vector<IpAddress>& in,
                               const DialHistory* history,
                               AddressFamily family = AddressFamily::kAny) {
  std::vector<std::string> out;
  for (const IpAddress& a : OrderIpAddresses(host, in, history, family)) {
    out.push_back(a.ToString());
  }
  return out;
}

TEST(OrderIpAddressesTest, InterleavesFamiliesInResolverOrder) {
  std::vector<IpAddress> in = Addresses(
      {"2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2", "192.0.2.3"});
  EXPECT_THAT(Order("mx", in, nullptr),
              ElementsAre("2001:db8::1", "192.0.2.1", "2001:db8::2",
                          "192.0.2.2", "192.0.2.3"));
  EXPECT_THAT(Order("mx", Addresses({"192.0.2.1", "2001:db8::1", "192.0.2.2"}),
                    nullptr),
              ElementsAre("192.0.2.1", "2001:db8::1", "192.0.2.2"));
}

TEST(OrderIpAddressesTest, FiltersFamilyAndDuplicates) {
  std::vector<IpAddress> in =
      Addresses({"2001:db8::1", "192.0.2.1", "192.0.2.1", "192.0.2.2"});
  EXPECT_THAT(Order("mx", in, nullptr, AddressFamily::kIpv4Only),
              ElementsAre("192.0.2.1", "192.0.2.2"));
  EXPECT_THAT(Order("mx", in, nullptr, AddressFamily::kIpv6Only),
              ElementsAre("2001:db8::1"));
}

TEST(OrderIpAddressesTest, AfterSuccessPrefersSameIpForGreylisting) {
  std::vector<IpAddress> in =
      Addresses({"2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2"});
  DialHistory history;
  history.Record("MX.example", "192.0.2.2", DialOutcome::kConnected);
  // Same family first (it worked), and within it the IP used before;
  // host names compare case-insensitively.
  EXPECT_THAT(Order("mx.example", in, &history),
              ElementsAre("192.0.2.2", "2001:db8::1", "192.0.2.1",
                          "2001:db8::2"));
}

TEST(OrderIpAddressesTest, AfterFailureTriesOtherFamilyFirst) {
  std::vector<IpAddress> in =
      Addresses({"2001:db8::1", "2001:db8::2", "192.0.2.1", "192.0.2.2"});
  DialHistory history;
  history.Record("mx", "2001:db8::2", DialOutcome::kConnected);
  history.UpdateLast("mx", "2001:db8:0::2", DialOutcome::kSessionFailed);
  ASSERT_NE(history.last("mx"), nullptr);
  EXPECT_EQ(history.last("mx")->outcome, DialOutcome::kSessionFailed);
  EXPECT_EQ(history.last("mx")->family, IpFamily::kV6);
  // IPv6 failed last: IPv4 first; the failed IPv6 address goes last.
  EXPECT_THAT(Order("mx", in, &history),
              ElementsAre("192.0.2.1", "2001:db8::1", "192.0.2.2",
                          "2001:db8::2"));

  history.Record("mx", "192.0.2.1", DialOutcome::kConnectFailed);
  // Now IPv4 failed last: IPv6 first; within IPv4 the failed one last.
  EXPECT_THAT(Order("mx", in, &history),
              ElementsAre("2001:db8::1", "192.0.2.2", "2001:db8::2",
                          "192.0.2.1"));
}

TEST(OrderIpAddressesTest, FailureWithOnlyOneFamilyKeepsIt) {
  DialHistory history;
  history.Record("mx", "192.0.2.2", DialOutcome::kConnectFailed);
  EXPECT_THAT(Order("mx", Addresses({"192.0.2.1", "192.0.2.2"}), &history),
              ElementsAre("192.0.2.1", "192.0.2.2"));
  EXPECT_EQ(history.attempts("other").size(), 0u);
  EXPECT_EQ(DialOutcomeName(DialOutcome::kConnectFailed), "connect_failed");
}

TEST(DialHistoryTest, IgnoresNonNumericAndBoundsEachHost) {
  DialHistory history;
  history.Record("mx", "mail.example", DialOutcome::kConnected);
  EXPECT_EQ(history.last("mx"), nullptr);
  for (int i = 0; i < 40; ++i) {
    history.Record("mx", absl::StrCat("192.0.2.", i), DialOutcome::kConnected);
  }
  ASSERT_EQ(history.attempts("mx").size(), DialHistory::kMaxAttemptsPerHost);
  EXPECT_EQ(history.attempts("mx").front().ip, "192.0.2.24");
  EXPECT_EQ(history.last("mx")->ip, "192.0.2.39");
}

TEST(DialHistoryTest, SerializeRoundTrips) {
  DialHistory history;
  history.Record("MX1.example", "192.0.2.1", DialOutcome::kConnectFailed);
  history.Record("mx1.example", "2001:db8::1", DialOutcome::kConnected);
  history.Record("mx2.example", "192.0.2.9", DialOutcome::kSessionFailed);
  std::string text = history.Serialize();
  EXPECT_EQ(text,
            "smtpcore-dial-history 1\n"
            "mx1.example 192.0.2.1 connect_failed\n"
            "mx1.example 2001:db8::1 connected\n"
            "mx2.example 192.0.2.9 session_failed\n");
  absl::StatusOr<DialHistory> back = DialHistory::Parse(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Serialize(), text);
  EXPECT_EQ(back->last("mx1.example")->family, IpFamily::kV6);
}

TEST(DialHistoryTest, ParseRefusesMalformedInput) {
  for (const char* bad :
       {"", "wrong header\n", "smtpcore-dial-history 1\nmx 192.0.2.1\n",
        "smtpcore-dial-history 1\nmx not-an-ip connected\n",
        "smtpcore-dial-history 1\nmx 192.0.2.1 exploded\n"}) {
    absl::StatusOr<DialHistory> h = DialHistory::Parse(bad);
    EXPECT_FALSE(h.ok()) << bad;
    EXPECT_EQ(GetErrorDetail(h.status()), ErrorDetail::kInvalidArgument);
  }
}

}  // namespace
}  // namespace smtpcore
