#include "transports/common/mx_attempt.h"

#include <string>

#include "core/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "route/tls_report.h"

namespace smtpcore {
namespace {

DeliveryAttempt Dane() {
  DeliveryAttempt a;
  a.host = "mx.example.org";
  a.port = 2525;
  a.tls_required = true;
  a.policy = TlsPolicy::kDane;
  a.verify = TlsVerifyMode::kDane;
  a.names = {"mx.example.org", "example.org"};
  a.tlsa = {TlsaRecord{3, 1, 1, std::string(32, 'x')}};
  return a;
}

TEST(AttemptClientOptionsTest, SetsTlsFromTheAttempt) {
  ClientOptions base;
  base.host = "ignored";
  base.tls.ca_file = "/ca.pem";
  DialHistory history;
  const IpAddress ip = *ParseIpAddress("192.0.2.1");
  ClientOptions o = AttemptClientOptions(base, Dane(), ip, &history);
  EXPECT_EQ(o.host, "mx.example.org");
  EXPECT_EQ(o.addresses, std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(o.port, 2525);
  EXPECT_EQ(o.session.tls_mode, TlsMode::kRequired);
  EXPECT_FALSE(o.tls.insecure);
  ASSERT_TRUE(o.tls.dane.has_value());
  EXPECT_EQ(o.tls.dane->names.size(), 2u);
  EXPECT_EQ(o.tls.server_name, "mx.example.org");
  EXPECT_EQ(o.tls.ca_file, "/ca.pem");
  EXPECT_EQ(o.dial_history, &history);

  DeliveryAttempt plain;
  plain.host = "mx2.example.org";
  o = AttemptClientOptions(base, plain, ip, nullptr);
  EXPECT_EQ(o.session.tls_mode, TlsMode::kOpportunistic);
  EXPECT_TRUE(o.tls.insecure);
  EXPECT_FALSE(o.tls.dane.has_value());
  EXPECT_EQ(o.tls.server_name, "mx2.example.org");
}

TEST(ConnectFailureOutcomeTest, ConnectGreetingAndTls) {
  DeliveryAttempt a = Dane();
  DialHistory history;
  SmtpError e;
  history.Record(a.host, "192.0.2.1", DialOutcome::kConnectFailed);
  EXPECT_EQ(ConnectFailureOutcome(a, e, history), AttemptOutcome::kConnectFailed);
  history.Record(a.host, "192.0.2.1", DialOutcome::kConnected);
  e.code = 554;
  EXPECT_EQ(ConnectFailureOutcome(a, e, history),
            AttemptOutcome::kPermanentFailure);
  e.code = 421;
  EXPECT_EQ(ConnectFailureOutcome(a, e, history),
            AttemptOutcome::kTemporaryFailure);
}

TEST(TlsFailureForTest, Classifies) {
  SmtpError e;
  e.cause = ErrorDetail::kTlsVerification;
  e.what = "Hostname mismatch";
  EXPECT_EQ(TlsFailureFor(Dane(), e), TlsResultType::kValidationFailure);
  DeliveryAttempt pkix;
  pkix.verify = TlsVerifyMode::kPkix;
  EXPECT_EQ(TlsFailureFor(pkix, e), TlsResultType::kCertificateHostMismatch);
  e.cause = ErrorDetail::kNeedsStartTls;
  EXPECT_EQ(TlsFailureFor(pkix, e), TlsResultType::kStartTlsNotSupported);
  e.cause = ErrorDetail::kRejected;
  EXPECT_FALSE(TlsFailureFor(pkix, e).has_value());
}

TEST(ReportTest, SessionsFetchesAndSkips) {
  DeliveryPlan plan;
  plan.next_hop.domain = "example.org";
  StsPolicy testing;
  testing.mode = StsMode::kTesting;
  testing.mx = {"*.other.test"};
  plan.sts_policy = testing;
  DeliveryAttempt a;
  a.host = "mx.example.org";
  a.policy = TlsPolicy::kMtaStsTesting;
  a.sts_mx_mismatch = true;
  TlsReportAggregator report;
  const IpAddress ip = *ParseIpAddress("192.0.2.1");
  TlsInfo tls;
  tls.verified = true;
  ReportSession(&report, plan, a, ip, &tls);
  a.sts_mx_mismatch = false;
  ReportSession(&report, plan, a, ip, &tls);
  ReportSession(&report, plan, a, ip, nullptr);
  StsOutcome sts;
  sts.fetched = true;
  sts.fetch_failure = StsFetchFailure::kWebPki;
  sts.fetch_status = absl::UnauthenticatedError("untrusted");
  ReportStsFetch(&report, "example.org", sts);
  DeliveryAttempt skipped;
  skipped.host = "mx2.example.org";
  skipped.skip = MakeError(absl::StatusCode::kUnavailable,
                           ErrorDetail::kDnssecBogus, "bogus");
  ReportSkipped(&report, skipped);
  ReportSession(nullptr, plan, a, ip, &tls);  // no report: nothing happens

  TlsReportMeta meta;
  std::string json = report.ToJson(meta, "example.org");
  EXPECT_THAT(json, ::testing::HasSubstr("\"total-successful-session-count\": 1"));
  EXPECT_THAT(json, ::testing::HasSubstr("\"result-type\": \"validation-failure\""));
  EXPECT_THAT(json, ::testing::HasSubstr("\"result-type\": \"starttls-not-supported\""));
  EXPECT_THAT(json, ::testing::HasSubstr("\"result-type\": \"sts-webpki-invalid\""));
  EXPECT_THAT(report.ToJson(meta, "mx2.example.org"),
              ::testing::HasSubstr("\"result-type\": \"dnssec-invalid\""));
}

TEST(RouteResolutionTest, PlanRequestAndStsQuestion) {
  RouteResolverOptions o;
  o.port = 2525;
  NextHop hop = *ParseNextHop("Example.org");
  PlanRequest r = MakePlanRequest(o, hop, true, nullptr, 77);
  EXPECT_EQ(r.port, 2525);
  EXPECT_TRUE(r.requiretls);
  EXPECT_EQ(r.seed, 77u);
  o.seed = 5;
  EXPECT_EQ(MakePlanRequest(o, hop, false, nullptr, 77).seed, 5u);
  ASSERT_TRUE(StsQuestion(o, hop).has_value());
  EXPECT_EQ(StsQuestion(o, hop)->name, "_mta-sts.example.org");
  EXPECT_FALSE(StsQuestion(o, *ParseNextHop("[192.0.2.1]")).has_value());
  o.mta_sts = false;
  EXPECT_FALSE(StsQuestion(o, hop).has_value());

  StsCache cache;
  StsOutcome out;
  out.decision.id = "id1";
  StsFetchResult fetched;
  StsPolicy p;
  p.mode = StsMode::kEnforce;
  p.mx = {"mx.example.org"};
  p.max_age = 60;
  fetched.policy = p;
  fetched.failure = StsFetchFailure::kNone;
  const absl::Time now = absl::FromUnixSeconds(1000);
  ApplyStsFetch(cache, "example.org", fetched, now, &out);
  EXPECT_TRUE(out.decision.policy.has_value());
  ASSERT_NE(cache.Find("example.org", now), nullptr);
  EXPECT_EQ(cache.Find("example.org", now)->id, "id1");
  StsOutcome failed;
  StsFetchResult bad;
  bad.policy = absl::InvalidArgumentError("broken");
  bad.failure = StsFetchFailure::kInvalid;
  ApplyStsFetch(cache, "example.net", bad, now, &failed);
  EXPECT_FALSE(failed.decision.policy.has_value());
  EXPECT_EQ(failed.fetch_failure, StsFetchFailure::kInvalid);
  EXPECT_FALSE(failed.fetch_status.ok());
}

}  // namespace
}  // namespace smtpcore
