#include "tools/route_report.h"

#include <string>

#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

using ::testing::HasSubstr;

RouteReport Report() {
  RouteReport r;
  DeliveryPlan& plan = r.route.plan;
  plan.next_hop = *ParseNextHop("example.org");
  plan.destinations.have_mx = true;
  plan.destinations.secure = true;
  plan.steps.push_back(DnsStep{{"example.org", DnsType::kMx},
                               DnsRcode::kNoError, DnsSecurity::kSecure,
                               "noerror secure: 10 mx1.example.org"});
  DeliveryAttempt dead;
  dead.host = "mx0.example.org";
  dead.ips = {*ParseIpAddress("192.0.2.9")};
  dead.outcome = AttemptOutcome::kConnectFailed;
  DeliveryAttempt a;
  a.host = "mx1.example.org";
  a.preference = 10;
  a.ips = {*ParseIpAddress("192.0.2.1"), *ParseIpAddress("2001:db8::1")};
  a.policy = TlsPolicy::kDane;
  a.tls_required = true;
  a.verify = TlsVerifyMode::kDane;
  a.names = {"mx1.example.org"};
  a.tlsa = {*ParseTlsaText("3 1 1 " + std::string(64, 'a'))};
  a.outcome = AttemptOutcome::kDelivered;
  a.outcome_ip = "192.0.2.1";
  DeliveryAttempt skipped;
  skipped.host = "mx2.example.org";
  skipped.skip = MakeError(absl::StatusCode::kUnavailable,
                           ErrorDetail::kDnssecBogus, "bogus TLSA");
  plan.attempts = {dead, a, skipped};
  r.accepted_attempt = 1;
  r.accepted_ip = "192.0.2.1";
  return r;
}

TEST(RouteReportTest, Json) {
  std::string json = RouteReportToJson(Report());
  EXPECT_THAT(json, HasSubstr("\"domain\":\"example.org\""));
  EXPECT_THAT(json, HasSubstr("\"mx_dnssec\":\"secure\""));
  EXPECT_THAT(json, HasSubstr("\"tls_policy\":\"dane\""));
  EXPECT_THAT(json, HasSubstr("\"ips\":[\"192.0.2.1\",\"2001:db8::1\"]"));
  EXPECT_THAT(json, HasSubstr("\"skip\":{\"kind\":\"dnssec_bogus\""));
  EXPECT_THAT(json, HasSubstr("\"outcome\":\"connect_failed\""));
  EXPECT_THAT(json, HasSubstr("\"accepted\":{\"host\":\"mx1.example.org\","
                              "\"ip\":\"192.0.2.1\",\"port\":25,"
                              "\"preference\":10,\"tls_policy\":\"dane\"}"));
  EXPECT_THAT(json, HasSubstr("\"dnssec\":\"secure\""));
}

TEST(RouteReportTest, Text) {
  std::string text = RouteReportToText(Report());
  EXPECT_THAT(text, HasSubstr("route to example.org"));
  EXPECT_THAT(text, HasSubstr("MX set: MX records, DNSSEC secure"));
  EXPECT_THAT(text, HasSubstr("2. mx1.example.org (preference 10)"));
  EXPECT_THAT(text, HasSubstr("TLS: dane (required, verify dane"));
  EXPECT_THAT(text, HasSubstr("skipped: bogus TLSA"));
  EXPECT_THAT(text, HasSubstr("delivered at 192.0.2.1"));
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
