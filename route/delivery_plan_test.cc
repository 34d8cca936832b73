#include "route/delivery_plan.h"

#include <string>
#include <vector>

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

// Resolve runs the planner against `set` the way a driver does, checking
// that every question it asks is answered in `set`.
DeliveryPlan Resolve(const PlanRequest& request, const DnsAnswerSet& set) {
  DnsAnswerSet seen;
  for (int round = 0; round < 10; ++round) {
    PlanStep step = PlanDelivery(request, seen);
    if (step.plan.has_value()) return *step.plan;
    for (const DnsQuestion& q : step.needed) {
      const DnsAnswer* a = set.Find(q.name, q.type);
      EXPECT_NE(a, nullptr) << "unanswered: " << q.ToString();
      if (a == nullptr) return DeliveryPlan();
      seen.Add(*a);
    }
  }
  ADD_FAILURE() << "planner did not finish";
  return DeliveryPlan();
}

PlanRequest Request(const char* domain) {
  PlanRequest r;
  r.next_hop = *ParseNextHop(domain);
  r.seed = 1;
  return r;
}

// Zone: example.org (secure) with MX 10 mx1 (DANE), 20 mx2 (no TLSA).
DnsAnswerSet SecureZone() {
  DnsAnswerSet set;
  set.Add(NoData("example.org", DnsType::kCname, kSec));
  set.Add(Mx("example.org", {{20, "mx2.example.org"}, {10, "mx1.example.org"}},
             kSec));
  set.Add(Addresses("mx1.example.org", DnsType::kA, {"192.0.2.1"}, kSec));
  set.Add(NoData("mx1.example.org", DnsType::kAaaa, kSec));
  set.Add(Tlsa("_25._tcp.mx1.example.org", {kEe}, kSec));
  AddHost(set, "mx2.example.org", "192.0.2.2", kSec);
  return set;
}

TEST(PlanDeliveryTest, DaneHostThenOpportunisticHost) {
  DeliveryPlan plan = Resolve(Request("example.org"), SecureZone());
  ASSERT_TRUE(plan.error.ok()) << plan.error;
  ASSERT_EQ(plan.attempts.size(), 2u);
  const DeliveryAttempt& a = plan.attempts[0];
  EXPECT_EQ(a.host, "mx1.example.org");
  EXPECT_EQ(a.policy, TlsPolicy::kDane);
  EXPECT_TRUE(a.tls_required);
  EXPECT_EQ(a.verify, TlsVerifyMode::kDane);
  EXPECT_EQ(a.tlsa.size(), 1u);
  EXPECT_TRUE(a.requiretls_allowed);
  EXPECT_EQ(a.ips[0].ToString(), "192.0.2.1");
  EXPECT_EQ(a.port, 25);
  const DeliveryAttempt& b = plan.attempts[1];
  EXPECT_EQ(b.policy, TlsPolicy::kOpportunistic);
  EXPECT_FALSE(b.tls_required);
  EXPECT_EQ(b.verify, TlsVerifyMode::kNone);
  EXPECT_FALSE(b.requiretls_allowed);
  EXPECT_EQ(TlsPolicyName(a.policy), "dane");
}

TEST(PlanDeliveryTest, RequireTlsUpgradesSecureRouteToPkixOrSkips) {
  PlanRequest r = Request("example.org");
  r.requiretls = true;
  DeliveryPlan plan = Resolve(r, SecureZone());
  ASSERT_EQ(plan.attempts.size(), 2u);
  EXPECT_EQ(plan.attempts[1].policy, TlsPolicy::kPkixRequireTls);
  EXPECT_EQ(plan.attempts[1].verify, TlsVerifyMode::kPkix);
  EXPECT_THAT(plan.attempts[1].names, ElementsAre("mx2.example.org"));
  EXPECT_TRUE(plan.attempts[1].skip.ok());

  // An insecure MX set: nothing qualifies; the plan fails permanently.
  DnsAnswerSet insecure;
  insecure.Add(NoData("example.net", DnsType::kCname));
  insecure.Add(Mx("example.net", {{10, "mx.example.net"}}));
  AddHost(insecure, "mx.example.net", "192.0.2.3");
  PlanRequest r2 = Request("example.net");
  r2.requiretls = true;
  DeliveryPlan p2 = Resolve(r2, insecure);
  EXPECT_EQ(GetErrorDetail(p2.error), ErrorDetail::kNeedsRequireTls);
  EXPECT_EQ(p2.attempts[0].outcome, AttemptOutcome::kSkipped);
}

TEST(PlanDeliveryTest, MtaStsEnforceSkipsNonMatchingMxAndVerifiesOthers) {
  DnsAnswerSet set;
  set.Add(NoData("example.net", DnsType::kCname));
  set.Add(Mx("example.net", {{10, "evil.example.com"}, {20, "mx.example.net"}}));
  AddHost(set, "evil.example.com", "192.0.2.9");
  AddHost(set, "mx.example.net", "192.0.2.3");
  PlanRequest r = Request("example.net");
  StsPolicy sts;
  sts.mode = StsMode::kEnforce;
  sts.mx = {"*.example.net"};
  sts.max_age = 86400;
  r.sts_policy = sts;
  DeliveryPlan plan = Resolve(r, set);
  ASSERT_TRUE(plan.error.ok());
  ASSERT_EQ(plan.attempts.size(), 2u);
  EXPECT_EQ(GetErrorDetail(plan.attempts[0].skip),
            ErrorDetail::kMtaStsMismatch);
  EXPECT_EQ(plan.attempts[1].policy, TlsPolicy::kMtaSts);
  EXPECT_EQ(plan.attempts[1].verify, TlsVerifyMode::kPkix);
  EXPECT_TRUE(plan.attempts[1].tls_required);
  EXPECT_TRUE(plan.attempts[1].requiretls_allowed);  // STS-enforced route

  // Only non-matching MX: a temporary failure of the whole plan.
  sts.mx = {"other.example.net"};
  r.sts_policy = sts;
  plan = Resolve(r, set);
  EXPECT_EQ(GetErrorDetail(plan.error), ErrorDetail::kMtaStsMismatch);
  EXPECT_EQ(plan.error.code(), absl::StatusCode::kUnavailable);

  // Testing mode: delivered opportunistically, the mismatch reported.
  sts.mode = StsMode::kTesting;
  r.sts_policy = sts;
  plan = Resolve(r, set);
  ASSERT_TRUE(plan.error.ok());
  EXPECT_EQ(plan.attempts[0].policy, TlsPolicy::kMtaStsTesting);
  EXPECT_TRUE(plan.attempts[0].sts_mx_mismatch);
  EXPECT_TRUE(plan.attempts[0].skip.ok());
  EXPECT_FALSE(plan.attempts[0].tls_required);
}

TEST(PlanDeliveryTest, DaneTakesPrecedenceOverMtaSts) {
  PlanRequest r = Request("example.org");
  StsPolicy sts;
  sts.mode = StsMode::kEnforce;
  sts.mx = {"mx2.example.org"};
  r.sts_policy = sts;
  DeliveryPlan plan = Resolve(r, SecureZone());
  EXPECT_EQ(plan.attempts[0].policy, TlsPolicy::kDane);
  EXPECT_EQ(plan.attempts[1].policy, TlsPolicy::kMtaSts);
}

TEST(PlanDeliveryTest, BadHostsAreSkippedOthersKept) {
  DnsAnswerSet set;
  set.Add(NoData("example.org", DnsType::kCname, kSec));
  set.Add(Mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"},
                             {30, "mx3.example.org"}},
             kSec));
  set.Add(Addresses("mx1.example.org", DnsType::kA, {"192.0.2.1"}, kSec));
  set.Add(NoData("mx1.example.org", DnsType::kAaaa, kSec));
  set.Add(Bogus("_25._tcp.mx1.example.org", DnsType::kTlsa));
  set.Add(ServFail("mx2.example.org", DnsType::kA));
  set.Add(ServFail("mx2.example.org", DnsType::kAaaa));
  AddHost(set, "mx3.example.org", "192.0.2.3", kSec);
  DeliveryPlan plan = Resolve(Request("example.org"), set);
  ASSERT_TRUE(plan.error.ok());
  ASSERT_EQ(plan.attempts.size(), 3u);
  EXPECT_EQ(GetErrorDetail(plan.attempts[0].skip), ErrorDetail::kDnssecBogus);
  EXPECT_EQ(GetErrorDetail(plan.attempts[1].skip), ErrorDetail::kDnsTemporary);
  EXPECT_TRUE(plan.attempts[2].skip.ok());
  EXPECT_EQ(plan.attempts[0].outcome, AttemptOutcome::kSkipped);
}

TEST(PlanDeliveryTest, NullMxAndAddressLiteral) {
  DnsAnswerSet set;
  set.Add(NoData("nomail.example", DnsType::kCname));
  set.Add(Mx("nomail.example", {{0, ""}}));
  DeliveryPlan plan = Resolve(Request("nomail.example"), set);
  EXPECT_EQ(GetErrorDetail(plan.error), ErrorDetail::kNullMx);
  EXPECT_TRUE(plan.attempts.empty());

  PlanRequest r = Request("[127.0.0.2]");
  r.port = 2525;
  plan = Resolve(r, {});
  ASSERT_EQ(plan.attempts.size(), 1u);
  EXPECT_EQ(plan.attempts[0].ips[0].ToString(), "127.0.0.2");
  EXPECT_EQ(plan.attempts[0].port, 2525);
  EXPECT_EQ(plan.attempts[0].policy, TlsPolicy::kOpportunistic);
}

TEST(PlanDeliveryTest, RecordsOutcomes) {
  DeliveryPlan plan = Resolve(Request("example.org"), SecureZone());
  plan.Record(0, AttemptOutcome::kConnectFailed, "192.0.2.1", "refused");
  plan.Record(1, AttemptOutcome::kDelivered, "192.0.2.2", "250 ok");
  plan.Record(7, AttemptOutcome::kDelivered, "", "");  // ignored
  EXPECT_EQ(plan.attempts[0].outcome, AttemptOutcome::kConnectFailed);
  EXPECT_EQ(plan.attempts[1].outcome_ip, "192.0.2.2");
  EXPECT_EQ(AttemptOutcomeName(plan.attempts[1].outcome), "delivered");
}

TEST(PlanDeliveryTest, AsksAllHostQuestionsAtOnce) {
  DnsAnswerSet seen;
  seen.Add(NoData("example.org", DnsType::kCname, kSec));
  seen.Add(Mx("example.org", {{10, "mx1.example.org"}, {20, "mx2.example.org"}},
              kSec));
  PlanStep step = PlanDelivery(Request("example.org"), seen);
  EXPECT_EQ(step.needed.size(), 4u);  // A and AAAA of both hosts
}

}  // namespace
}  // namespace smtpcore
