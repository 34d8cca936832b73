// DeliverToDomainUv without DNS: address-literal next hops ("[127.0.0.1]")
// against LoopbackServer on 127.0.0.1, on a private loop. The DNS-driven
// paths share the planner and transports/common/mx_attempt.h with the
// blocking driver, which tests/integration/mx_test.sh runs end to end.

#include "transports/libuv/uv_mx_delivery.h"

#include <uv.h>

#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "core/errors.h"
#include "gtest/gtest.h"
#include "transports/testing/loopback_fixtures.h"
#include "transports/testing/refused_port.h"
#include "transports/testing/loopback_server.h"
#include "transports/tls/test_certs.h"

namespace smtpcore {
namespace {

UvMxDeliveryOptions Options(uint16_t port) {
  UvMxDeliveryOptions o;
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

// Run delivers on a fresh loop and returns the result.
MxDeliveryResult RunDelivery(absl::string_view domain, Envelope envelope,
                     UvMxDeliveryOptions options, int* callbacks) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  MxDeliveryResult out;
  bool inside = true;
  DeliverToDomainUv(&loop, domain, std::move(envelope),
                    absl::Cord("Subject: x\r\n\r\nhi\r\n"), std::move(options),
                    [&](MxDeliveryResult r) {
                      EXPECT_FALSE(inside);
                      ++*callbacks;
                      out = std::move(r);
                    });
  inside = false;
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  return out;
}

TEST(DeliverToDomainUvTest, AddressLiteralDeliversOverTls) {
  PemCertificate ca = *GenerateTestCa("uv mx test CA");
  LoopbackServerOptions so;
  so.tls = LoopbackTls::kStartTls;
  so.certificate = *GenerateTestLeaf(ca, "127.0.0.1");
  std::unique_ptr<LoopbackServer> server = StartLoopbackServer(so);
  ASSERT_NE(server, nullptr);
  TlsReportAggregator report;
  UvMxDeliveryOptions o = Options(server->port());
  o.tls_report = &report;
  int callbacks = 0;
  MxDeliveryResult r = RunDelivery("[127.0.0.1]", OneRecipient(), o, &callbacks);
  EXPECT_EQ(callbacks, 1);
  ASSERT_TRUE(r.outcome.ok()) << r.outcome.error->Message();
  EXPECT_TRUE(r.outcome.all_delivered());
  EXPECT_EQ(r.accepted_ip, "127.0.0.1");
  ASSERT_TRUE(r.tls.has_value());
  ASSERT_EQ(r.route.plan.attempts.size(), 1u);
  EXPECT_EQ(r.route.plan.attempts[0].outcome, AttemptOutcome::kDelivered);
  ASSERT_EQ(server->messages().size(), 1u);
  EXPECT_TRUE(server->messages()[0].tls);
  EXPECT_FALSE(report.empty());
}

TEST(DeliverToDomainUvTest, DeadHostRequireTlsAndBadDomain) {
  int callbacks = 0;
  DialHistory history;
  absl::StatusOr<RefusedLoopbackPort> held = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(held.ok()) << held.status();
  UvMxDeliveryOptions o = Options(held->port());
  o.dial_history = &history;
  MxDeliveryResult dead = RunDelivery("[127.0.0.1]", OneRecipient(), o, &callbacks);
  ASSERT_FALSE(dead.outcome.ok());
  EXPECT_FALSE(dead.outcome.error->permanent);
  EXPECT_EQ(dead.route.plan.attempts[0].outcome,
            AttemptOutcome::kConnectFailed);
  ASSERT_NE(history.last("127.0.0.1"), nullptr);

  LoopbackServerOptions so;
  so.extensions.push_back("REQUIRETLS");
  std::unique_ptr<LoopbackServer> server = StartLoopbackServer(so);
  ASSERT_NE(server, nullptr);
  MxDeliveryResult refused = RunDelivery("[127.0.0.1]", OneRecipient(true),
                                 Options(server->port()), &callbacks);
  ASSERT_FALSE(refused.outcome.ok());
  EXPECT_EQ(refused.outcome.error->cause, ErrorDetail::kNeedsRequireTls);
  EXPECT_EQ(server->connections(), 0);

  MxDeliveryResult bad = RunDelivery("not a domain", OneRecipient(), Options(25),
                             &callbacks);
  ASSERT_FALSE(bad.outcome.ok());
  EXPECT_EQ(bad.outcome.error->cause, ErrorDetail::kInvalidArgument);
  EXPECT_EQ(callbacks, 3);
}

TEST(DeliverToDomainUvTest, GreetingRefusalIsPermanent) {
  LoopbackServerOptions so;
  so.hook = [](const LoopbackContext&,
               absl::string_view line) -> absl::optional<std::string> {
    if (line.empty()) return std::string("554 5.7.1 go away");
    return absl::nullopt;
  };
  std::unique_ptr<LoopbackServer> server = StartLoopbackServer(so);
  ASSERT_NE(server, nullptr);
  int callbacks = 0;
  MxDeliveryResult r = RunDelivery("[127.0.0.1]", OneRecipient(),
                           Options(server->port()), &callbacks);
  ASSERT_FALSE(r.outcome.ok());
  EXPECT_TRUE(r.outcome.error->permanent);
  EXPECT_EQ(r.outcome.error->code, 554);
  EXPECT_EQ(r.route.plan.attempts[0].outcome,
            AttemptOutcome::kPermanentFailure);
}

}  // namespace
}  // namespace smtpcore
