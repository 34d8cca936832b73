#include "route/dane_policy.h"

#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "route/dns_answer_test_util.h"

namespace smtpcore {
namespace {

using namespace testing_dns;  // NOLINT: test helpers
using ::testing::ElementsAre;

const char kEe[] =
    "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const char kPkix[] =
    "1 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Destinations SecureMx() {
  Destinations d;
  d.next_hop.domain = "example.org";
  d.expanded_domain = "example.org";
  d.have_mx = true;
  d.secure = true;
  d.original_secure = true;
  return d;
}

Destination Host(const char* name) {
  Destination h;
  h.host = name;
  return h;
}

HostAddresses Addrs(const char* host, bool secure, const char* canonical = "") {
  HostAddresses a;
  a.host = host;
  a.secure = secure;
  a.canonical = canonical;
  a.ips = {*ParseIpAddress("192.0.2.1")};
  return a;
}

TEST(DecideDaneTest, SecureUsableRecordsRequireDane) {
  DnsAnswerSet set;
  DaneStep s = DecideDane(SecureMx(), Host("mx.example.org"),
                          Addrs("mx.example.org", true), 25, set);
  ASSERT_EQ(s.needed.size(), 1u);
  EXPECT_EQ(s.needed[0].ToString(), "_25._tcp.mx.example.org TLSA");
  set.Add(Tlsa("_25._tcp.mx.example.org", {kEe, kPkix}, kSec));
  s = DecideDane(SecureMx(), Host("mx.example.org"),
                 Addrs("mx.example.org", true), 25, set);
  ASSERT_TRUE(s.policy.has_value());
  EXPECT_EQ(s.policy->state, DaneState::kRequired);
  EXPECT_EQ(s.policy->records.size(), 1u);   // PKIX-EE ignored
  EXPECT_EQ(s.policy->unusable.size(), 1u);
  EXPECT_EQ(s.policy->base_domain, "mx.example.org");
  EXPECT_THAT(s.policy->names, ElementsAre("mx.example.org", "example.org"));
}

TEST(DecideDaneTest, OnlyUnusableRecordsStillRequireTls) {
  DnsAnswerSet set;
  set.Add(Tlsa("_25._tcp.mx.example.org", {kPkix}, kSec));
  DaneStep s = DecideDane(SecureMx(), Host("mx.example.org"),
                          Addrs("mx.example.org", true), 25, set);
  EXPECT_EQ(s.policy->state, DaneState::kUnusable);
}

TEST(DecideDaneTest, InsecureAddressesOrTlsaMeanNoDane) {
  DnsAnswerSet set;
  set.Add(Tlsa("_25._tcp.mx.example.org", {kEe}, kInsec));
  DaneStep s = DecideDane(SecureMx(), Host("mx.example.org"),
                          Addrs("mx.example.org", false), 25, set);
  EXPECT_TRUE(s.needed.empty());
  EXPECT_EQ(s.policy->state, DaneState::kNotApplicable);
  s = DecideDane(SecureMx(), Host("mx.example.org"),
                 Addrs("mx.example.org", true), 25, set);
  EXPECT_EQ(s.policy->state, DaneState::kNotApplicable);
  EXPECT_THAT(s.policy->reason, ::testing::HasSubstr("not DNSSEC-secure"));
}

TEST(DecideDaneTest, BogusOrFailedTlsaIsTemporaryNeverAFallback) {
  DnsAnswerSet set;
  set.Add(Bogus("_25._tcp.mx.example.org", DnsType::kTlsa));
  DaneStep s = DecideDane(SecureMx(), Host("mx.example.org"),
                          Addrs("mx.example.org", true), 25, set);
  EXPECT_FALSE(s.policy.has_value());
  EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kDnssecBogus);
  set.Add(ServFail("_25._tcp.mx.example.org", DnsType::kTlsa));
  s = DecideDane(SecureMx(), Host("mx.example.org"),
                 Addrs("mx.example.org", true), 25, set);
  EXPECT_EQ(GetErrorDetail(s.error), ErrorDetail::kDnsTemporary);
}

TEST(DecideDaneTest, CnameExpandedBaseFirstThenOriginal) {
  DnsAnswerSet set;
  HostAddresses a = Addrs("mx.example.org", true, "real.example.net");
  DaneStep s = DecideDane(SecureMx(), Host("mx.example.org"), a, 25, set);
  ASSERT_EQ(s.needed.size(), 1u);
  EXPECT_EQ(s.needed[0].name, "_25._tcp.real.example.net");
  set.Add(NxDomain("_25._tcp.real.example.net", DnsType::kTlsa, kSec));
  s = DecideDane(SecureMx(), Host("mx.example.org"), a, 25, set);
  ASSERT_EQ(s.needed.size(), 1u);
  EXPECT_EQ(s.needed[0].name, "_25._tcp.mx.example.org");
  set.Add(Tlsa("_25._tcp.mx.example.org", {kEe}, kSec));
  s = DecideDane(SecureMx(), Host("mx.example.org"), a, 25, set);
  EXPECT_EQ(s.policy->state, DaneState::kRequired);
  EXPECT_EQ(s.policy->base_domain, "mx.example.org");

  // Records at the expanded name win, and both names are allowed.
  set.Add(Tlsa("_25._tcp.real.example.net", {kEe}, kSec));
  s = DecideDane(SecureMx(), Host("mx.example.org"), a, 25, set);
  EXPECT_EQ(s.policy->base_domain, "real.example.net");
  EXPECT_THAT(s.policy->names, ElementsAre("real.example.net",
                                           "mx.example.org", "example.org"));
}

TEST(DecideDaneTest, InsecureMxSetKeepsOnlyHostNames) {
  Destinations d = SecureMx();
  d.secure = false;
  DnsAnswerSet set;
  set.Add(Tlsa("_25._tcp.mx.example.org", {kEe}, kSec));
  DaneStep s = DecideDane(d, Host("mx.example.org"),
                          Addrs("mx.example.org", true), 25, set);
  EXPECT_THAT(s.policy->names, ElementsAre("mx.example.org"));
}

TEST(DecideDaneTest, IpDestinationsHaveNoDane) {
  Destination ip;
  ip.host = "192.0.2.1";
  ip.ip = ParseIpAddress("192.0.2.1");
  DaneStep s = DecideDane(SecureMx(), ip, Addrs("192.0.2.1", false), 25, {});
  EXPECT_EQ(s.policy->state, DaneState::kNotApplicable);
  EXPECT_EQ(DaneStateName(DaneState::kUnusable), "unusable");
}

}  // namespace
}  // namespace smtpcore
