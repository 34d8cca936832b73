#include "route/destinations.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "route/dns_answer_test_util.h"

namespace smtpcore {
namespace {

using namespace testing_dns;  // NOLINT: test helpers
using ::testing::ElementsAre;

NextHop Hop(absl::string_view text) { return *ParseNextHop(text); }

std::vector<std::string> Hosts(const DestinationsStep& step) {
  std::vector<std::string> out;
  if (!step.destinations.has_value()) return out;
  for (const Destination& d : step.destinations->hosts) out.push_back(d.host);
  return out;
}

std::vector<std::string> Needed(const DestinationsStep& step) {
  std::vector<std::string> out;
  for (const DnsQuestion& q : step.needed) out.push_back(q.ToString());
  return out;
}

TEST(ParseNextHopTest, DomainsAndAddressLiterals) {
  EXPECT_EQ(Hop("Example.ORG").domain, "example.org");
  NextHop v4 = Hop("[192.0.2.1]");
  ASSERT_TRUE(v4.ip.has_value());
  EXPECT_EQ(v4.ToString(), "[192.0.2.1]");
  NextHop v6 = Hop("[IPv6:2001:DB8::1]");
  EXPECT_EQ(v6.ToString(), "[IPv6:2001:db8::1]");
  for (const char* bad : {"192.0.2.1", "[2001:db8::1]", "[IPv6:192.0.2.1]",
                          "[", "[]", "exa mple.org", "[192.0.2.1"}) {
    absl::StatusOr<NextHop> h = ParseNextHop(bad);
    EXPECT_FALSE(h.ok()) << bad;
    EXPECT_EQ(GetErrorDetail(h.status()), ErrorDetail::kInvalidArgument);
  }
}

TEST(ParseNextHopTest, InternationalisedDomainsGoThroughTheConverter) {
  // Without a converter a U-label is refused with a hint, never looked up.
  absl::StatusOr<NextHop> none = ParseNextHop("b\xc3\xbc" "cher.example");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(GetErrorDetail(none.status()), ErrorDetail::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(none.status().message(), "A-label"));
  // A fake converter: its output is validated like any domain.
  IdnaConverter fake = [](absl::string_view d) -> absl::StatusOr<std::string> {
    if (d == "b\xc3\xbc" "cher.example") return std::string("xn--bcher-kva.Example");
    return absl::InvalidArgumentError(absl::StrCat("no A-label for ", d));
  };
  absl::StatusOr<NextHop> ok = ParseNextHop("b\xc3\xbc" "cher.example", fake);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->domain, "xn--bcher-kva.example");
  absl::StatusOr<NextHop> refused = ParseNextHop("\xe2\x98\x83.example", fake);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(GetErrorDetail(refused.status()), ErrorDetail::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "no A-label"));
  // An ASCII domain never calls the converter.
  IdnaConverter never = [](absl::string_view) -> absl::StatusOr<std::string> {
    ADD_FAILURE() << "converter called for an ASCII domain";
    return std::string("x");
  };
  EXPECT_EQ(ParseNextHop("Example.org", never)->domain, "example.org");
}

TEST(GatherDestinationsTest, AddressLiteralNeedsNoDns) {
  DestinationsStep s = GatherDestinations(Hop("[192.0.2.7]"), {}, 1);
  EXPECT_TRUE(s.needed.empty());
  EXPECT_THAT(Hosts(s), ElementsAre("192.0.2.7"));
  EXPECT_FALSE(s.destinations->have_mx);
}

TEST(GatherDestinationsTest, AsksCnameAndMxThenSortsByPreference) {
  DnsAnswerSet set;
  DestinationsStep s = GatherDestinations(Hop("example.org"), set, 1);
  EXPECT_THAT(Needed(s), ElementsAre("example.org CNAME", "example.org MX"));
  set.Add(NoData("example.org", DnsType::kCname, kSec));
  set.Add(Mx("example.org",
             {{20, "mx2.example.org"}, {10, "mx1.example.org"},
              {30, "mx3.example.org"}},
             kSec));
  s = GatherDestinations(Hop("example.org"), set, 1);
  EXPECT_TRUE(s.error.ok());
  EXPECT_THAT(Hosts(s), ElementsAre("mx1.example.org", "mx2.example.org",
                                    "mx3.example.org"));
  EXPECT_TRUE(s.destinations->have_mx);
  EXPECT_TRUE(s.destinations->secure);
  EXPECT_TRUE(s.destinations->original_secure);
  EXPECT_EQ(s.destinations->steps.size(), 1u);  // the MX step
}

TEST(GatherDestinationsTest, EqualPreferencesShuffledBySeed) {
  DnsAnswerSet set;
  set.Add(NoData("example.org", DnsType::kCname));
  set.Add(Mx("example.org", {{10, "a.example.org"}, {10, "b.example.org"},
                             {10, "c.example.org"}, {5, "first.example.org"},
                             {10, "a.example.org"}}));
  std::set<std::vector<std::string>> orders;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    std::vector<std::string> hosts =
        Hosts(GatherDestinations(Hop("example.org"), set, seed));
    ASSERT_EQ(hosts.size(), 4u);  // duplicate dropped
    EXPECT_EQ(hosts[0], "first.example.org");
    orders.insert(hosts);
  }
  EXPECT_GT(orders.size(), 1u);  // the seed changes the order...
  EXPECT_EQ(Hosts(GatherDestinations(Hop("example.org"), set, 7)),
            Hosts(GatherDestinations(Hop("example.org"), set, 7)));  // ...reproducibly
}

TEST(GatherDestinationsTest, FollowsCnamesAndTracksSecurity) {
  DnsAnswerSet set;
  set.Add(Cname("example.org", "alias.example.net", kSec));
  DestinationsStep s = GatherDestinations(Hop("example.org"), set, 0);
  EXPECT_THAT(Needed(s), ElementsAre("example.org MX"));
  set.Add(NoData("example.org", DnsType::kMx, kSec));
  s = GatherDestinations(Hop("example.org"), set, 0);
  EXPECT_THAT(Needed(s),
              ElementsAre("alias.example.net CNAME", "alias.example.net MX"));
  set.Add(NoData("alias.example.net", DnsType::kCname, kInsec));
  set.Add(Mx("alias.example.net", {{10, "mx.example.net"}}, kInsec));
  s = GatherDestinations(Hop("example.org"), set, 0);
  ASSERT_TRUE(s.destinations.has_value());
  EXPECT_EQ(s.destinations->expanded_domain, "alias.example.net");
  EXPECT_TRUE(s.destinations->original_secure);
  EXPECT_FALSE(s.destinations->secure);  // one insecure step
  EXPECT_THAT(Hosts(s), ElementsAre("mx.example.net"));
  EXPECT_EQ(s.destinations->steps.size(), 2u);
}

TEST(GatherDestinationsTest, CnameLoopIsTemporary) {
  DnsAnswerSet set;
  set.Add(Cname("a.example", "b.example"));
  set.Add(NoData("a.example", DnsType::kMx));
  set.Add(Cname("b.example", "a.example"));
  set.Add(NoData("b.example", DnsType::kMx));
  DestinationsStep s = GatherDestinations(Hop("a.example"), set, 0);
  EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kDnsTemporary);
  EXPECT_EQ(s.error.code(), absl::StatusCode::kUnavailable);
}

TEST(GatherDestinationsTest, CnameChainBounded) {
  DnsAnswerSet set;
  for (int i = 0; i <= kMaxCnameChain + 1; ++i) {
    std::string name = absl::StrCat("c", i, ".example");
    set.Add(Cname(name, absl::StrCat("c", i + 1, ".example")));
    set.Add(NoData(name, DnsType::kMx));
  }
  DestinationsStep s = GatherDestinations(Hop("c0.example"), set, 0);
  EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kDnsTemporary);
}

TEST(GatherDestinationsTest, ImplicitMx) {
  DnsAnswerSet set;
  set.Add(NoData("example.org", DnsType::kCname, kSec));
  set.Add(NoData("example.org", DnsType::kMx, kSec));
  DestinationsStep s = GatherDestinations(Hop("example.org"), set, 0);
  ASSERT_TRUE(s.destinations.has_value());
  EXPECT_THAT(Hosts(s), ElementsAre("example.org"));
  EXPECT_TRUE(s.destinations->hosts[0].implicit);
  EXPECT_FALSE(s.destinations->have_mx);
}

TEST(GatherDestinationsTest, NullMxIsPermanent) {
  DnsAnswerSet set;
  set.Add(NoData("example.org", DnsType::kCname));
  set.Add(Mx("example.org", {{0, ""}}));
  DestinationsStep s = GatherDestinations(Hop("example.org"), set, 0);
  EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kNullMx);
  EXPECT_EQ(s.error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(s.destinations.has_value());
}

TEST(GatherDestinationsTest, NullMxMixedWithOthersIsIgnored) {
  DnsAnswerSet set;
  set.Add(NoData("example.org", DnsType::kCname));
  set.Add(Mx("example.org", {{0, ""}, {10, "mx.example.org"}}));
  DestinationsStep s = GatherDestinations(Hop("example.org"), set, 0);
  EXPECT_THAT(Hosts(s), ElementsAre("mx.example.org"));
  EXPECT_EQ(s.destinations->warnings.size(), 1u);
}

TEST(GatherDestinationsTest, DnsFailures) {
  {
    DnsAnswerSet set;
    set.Add(NxDomain("nope.example", DnsType::kCname));
    set.Add(NxDomain("nope.example", DnsType::kMx));
    DestinationsStep s = GatherDestinations(Hop("nope.example"), set, 0);
    EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kNoSuchDomain);
    EXPECT_EQ(s.error.code(), absl::StatusCode::kNotFound);
  }
  {
    DnsAnswerSet set;
    set.Add(NoData("x.example", DnsType::kCname));
    set.Add(ServFail("x.example", DnsType::kMx));
    DestinationsStep s = GatherDestinations(Hop("x.example"), set, 0);
    EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kDnsTemporary);
  }
  {
    DnsAnswerSet set;
    set.Add(NoData("x.example", DnsType::kCname));
    set.Add(Bogus("x.example", DnsType::kMx));
    DestinationsStep s = GatherDestinations(Hop("x.example"), set, 0);
    EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kDnssecBogus);
    EXPECT_EQ(s.error.code(), absl::StatusCode::kUnavailable);
  }
}

TEST(GatherDestinationsTest, MxTargetThatIsAnIpIsToleratedAndReported) {
  DnsAnswerSet set;
  set.Add(NoData("example.org", DnsType::kCname));
  set.Add(Mx("example.org", {{10, "192.0.2.5"}}));
  DestinationsStep s = GatherDestinations(Hop("example.org"), set, 0);
  ASSERT_TRUE(s.destinations.has_value());
  ASSERT_TRUE(s.destinations->hosts[0].ip.has_value());
  EXPECT_EQ(s.destinations->hosts[0].host, "192.0.2.5");
  ASSERT_EQ(s.destinations->warnings.size(), 1u);
  EXPECT_THAT(s.destinations->warnings[0], ::testing::HasSubstr("IP address"));
}

}  // namespace
}  // namespace smtpcore
