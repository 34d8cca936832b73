// DeliverToDomain end to end without DNS: address-literal next hops
// ("[127.0.0.1]") against LoopbackServer on 127.0.0.1, with the route
// layer's plan, outcomes and TLS report. Domains with DNS (MX order, DANE,
// MTA-STS) are exercised against real servers by
// tests/integration/mx_test.sh.

#include "transports/blocking/mx_delivery.h"

#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "route/tls_report.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/refused_port.h"
#include "transports/testing/loopback_server.h"
#include "transports/tls/test_certs.h"

namespace smtpcore {
namespace {

MxDeliveryOptions Options(uint16_t port) {
  MxDeliveryOptions o;
  o.client = LoopbackClientOptions(port);
  o.route.port = port;
  o.route.seed = 1;
  return o;
}

Envelope OneRecipient(bool requiretls = false) {
  Envelope e;
  e.from = "alice@example.org";
  e.mail.requiretls = requiretls;
  e.AddRecipient("bob@[127.0.0.1]");
  return e;
}

TEST(DeliverToDomainTest, AddressLiteralDeliversOverOpportunisticTls) {
  PemCertificate ca = *GenerateTestCa("mx test CA");
  LoopbackServerOptions so;
  so.tls = LoopbackTls::kStartTls;
  so.certificate = *GenerateTestLeaf(ca, "127.0.0.1");
  std::unique_ptr<LoopbackServer> server = StartLoopbackServer(so);
  ASSERT_NE(server, nullptr);
  TlsReportAggregator report;
  MxDeliveryOptions o = Options(server->port());
  o.tls_report = &report;
  MxDeliveryResult r = DeliverToDomain(
      "[127.0.0.1]", OneRecipient(), absl::Cord("Subject: x\r\n\r\nhi\r\n"),
      o);
  ASSERT_TRUE(r.outcome.ok()) << r.outcome.error->Message();
  EXPECT_TRUE(r.outcome.all_delivered());
  ASSERT_TRUE(r.accepted_attempt.has_value());
  EXPECT_EQ(r.accepted_ip, "127.0.0.1");
  ASSERT_TRUE(r.tls.has_value());
  EXPECT_FALSE(r.tls->verified);  // unknown CA: opportunistic, not verified
  const DeliveryAttempt& a = r.route.plan.attempts[*r.accepted_attempt];
  EXPECT_EQ(a.outcome, AttemptOutcome::kDelivered);
  EXPECT_EQ(a.policy, TlsPolicy::kOpportunistic);
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].tls);
  EXPECT_EQ(report.Domains(), std::vector<std::string>{"[127.0.0.1]"});
}

TEST(DeliverToDomainTest, RequireTlsIsRefusedWithoutAVerifiedRoute) {
  LoopbackServerOptions so;
  so.extensions.push_back("REQUIRETLS");
  std::unique_ptr<LoopbackServer> server = StartLoopbackServer(so);
  ASSERT_NE(server, nullptr);
  MxDeliveryResult r = DeliverToDomain("[127.0.0.1]", OneRecipient(true),
                                       absl::Cord("x\r\n"),
                                       Options(server->port()));
  ASSERT_FALSE(r.outcome.ok());
  EXPECT_EQ(r.outcome.error->cause, ErrorDetail::kNeedsRequireTls);
  EXPECT_TRUE(r.outcome.error->permanent);
  EXPECT_EQ(server->connections(), 0);  // nothing was dialed
}

TEST(DeliverToDomainTest, GreetingRefusalsAndDeadHosts) {
  LoopbackServerOptions so;
  so.hook = [](const LoopbackContext&,
               absl::string_view line) -> absl::optional<std::string> {
    if (line.empty()) return std::string("554 5.7.1 go away");
    return absl::nullopt;
  };
  std::unique_ptr<LoopbackServer> server = StartLoopbackServer(so);
  ASSERT_NE(server, nullptr);
  MxDeliveryResult r = DeliverToDomain("[127.0.0.1]", OneRecipient(),
                                       absl::Cord("x\r\n"),
                                       Options(server->port()));
  ASSERT_FALSE(r.outcome.ok());
  EXPECT_TRUE(r.outcome.error->permanent);
  EXPECT_EQ(r.outcome.error->code, 554);
  EXPECT_EQ(r.route.plan.attempts[0].outcome,
            AttemptOutcome::kPermanentFailure);

  DialHistory history;
  absl::StatusOr<RefusedLoopbackPort> held = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(held.ok()) << held.status();
  MxDeliveryOptions o = Options(held->port());
  o.dial_history = &history;
  r = DeliverToDomain("[127.0.0.1]", OneRecipient(), absl::Cord("x\r\n"), o);
  ASSERT_FALSE(r.outcome.ok());
  EXPECT_FALSE(r.outcome.error->permanent);
  EXPECT_EQ(r.route.plan.attempts[0].outcome, AttemptOutcome::kConnectFailed);
  ASSERT_NE(history.last("127.0.0.1"), nullptr);
  EXPECT_EQ(history.last("127.0.0.1")->outcome, DialOutcome::kConnectFailed);
  EXPECT_EQ(r.outcome.result.deferred(), 1u);
}

TEST(DeliverToDomainTest, BadDomainIsAnError) {
  MxDeliveryResult r = DeliverToDomain("not a domain", OneRecipient(),
                                       absl::Cord("x\r\n"), Options(25));
  ASSERT_FALSE(r.outcome.ok());
  EXPECT_EQ(r.outcome.error->cause, ErrorDetail::kInvalidArgument);
}

}  // namespace
}  // namespace smtpcore
