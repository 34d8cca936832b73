#include "route/tls_report.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using ::testing::HasSubstr;

TEST(TlsReportTest, WritesRfc8460Report) {
  TlsReportAggregator agg;
  TlsReportPolicy sts;
  sts.type = "sts";
  sts.domain = "example.org";
  sts.strings = {"version: STSv1", "mode: testing"};
  sts.mx_hosts = {"*.example.org"};
  agg.AddSuccess(sts, 2);
  TlsFailure f;
  f.type = TlsResultType::kCertificateHostMismatch;
  f.receiving_mx_hostname = "mx.example.org";
  f.receiving_ip = "192.0.2.1";
  f.failure_reason_code = "name \"mx.example.org\" not in certificate";
  agg.AddFailure(sts, f);
  agg.AddFailure(sts, f);
  TlsReportPolicy tlsa;
  tlsa.type = "tlsa";
  tlsa.domain = "mx.example.net";
  agg.AddSuccess(tlsa);
  EXPECT_THAT(agg.Domains(),
              ::testing::ElementsAre("example.org", "mx.example.net"));

  TlsReportMeta meta;
  meta.organization_name = "smtpcore";
  meta.contact_info = "postmaster@sender.example";
  meta.report_id = "r1";
  meta.start = absl::FromUnixSeconds(1700000000);
  meta.end = meta.start + absl::Hours(24);
  std::string json = agg.ToJson(meta, "example.org");
  EXPECT_THAT(json, HasSubstr("\"start-datetime\": \"2023-11-14T22:13:20Z\""));
  EXPECT_THAT(json, HasSubstr("\"end-datetime\": \"2023-11-15T22:13:20Z\""));
  EXPECT_THAT(json, HasSubstr("\"policy-type\": \"sts\""));
  EXPECT_THAT(json, HasSubstr("\"mx-host\": [\"*.example.org\"]"));
  EXPECT_THAT(json, HasSubstr("\"total-successful-session-count\": 2"));
  EXPECT_THAT(json, HasSubstr("\"total-failure-session-count\": 2"));
  EXPECT_THAT(json, HasSubstr("\"result-type\": \"certificate-host-mismatch\""));
  EXPECT_THAT(json, HasSubstr("\"failed-session-count\": 2"));
  EXPECT_THAT(json, HasSubstr("not in certificate"));
  EXPECT_THAT(json, HasSubstr("\\\"mx.example.org\\\""));  // escaped quotes
  EXPECT_THAT(json, ::testing::Not(HasSubstr("tlsa")));
  EXPECT_THAT(agg.ToJson(meta, "nobody.example"),
              HasSubstr("\"policies\": []"));
}

TEST(TlsReportTest, PolicyForAttempt) {
  DeliveryPlan plan;
  plan.next_hop.domain = "example.org";
  DeliveryAttempt a;
  a.host = "mx.example.org";
  EXPECT_EQ(TlsReportPolicyFor(plan, a).type, "no-policy-found");
  EXPECT_EQ(TlsReportPolicyFor(plan, a).domain, "example.org");
  StsPolicy sts;
  sts.mode = StsMode::kTesting;
  sts.mx = {"mx.example.org"};
  plan.sts_policy = sts;
  TlsReportPolicy p = TlsReportPolicyFor(plan, a);
  EXPECT_EQ(p.type, "sts");
  EXPECT_THAT(p.mx_hosts, ::testing::ElementsAre("mx.example.org"));
  a.policy = TlsPolicy::kDane;
  a.names = {"mx.example.org"};
  a.tlsa = {TlsaRecord{3, 1, 1, std::string(32, '\x01')}};
  p = TlsReportPolicyFor(plan, a);
  EXPECT_EQ(p.type, "tlsa");
  EXPECT_EQ(p.domain, "mx.example.org");
  EXPECT_EQ(p.strings.size(), 1u);
  EXPECT_EQ(TlsResultTypeName(TlsResultType::kStsPolicyInvalid),
            "sts-policy-invalid");
}

TEST(TlsReportTest, PkixErrorsMapToResultTypes) {
  EXPECT_EQ(TlsResultTypeForPkixError("Hostname mismatch"),
            TlsResultType::kCertificateHostMismatch);
  EXPECT_EQ(TlsResultTypeForPkixError("certificate has expired"),
            TlsResultType::kCertificateExpired);
  EXPECT_EQ(TlsResultTypeForPkixError("unable to get local issuer certificate"),
            TlsResultType::kCertificateNotTrusted);
  EXPECT_EQ(TlsResultTypeForPkixError("self signed certificate"),
            TlsResultType::kCertificateNotTrusted);
  EXPECT_EQ(TlsResultTypeForPkixError("certificate signature failure"),
            TlsResultType::kValidationFailure);
}

}  // namespace
}  // namespace smtpcore
