// The MX flags of `smtpc send --mx` and `smtpc route` (tools/options.h).

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {
namespace {

std::vector<std::string> Send(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--from", "a@x.test", "--to", "b@y.test"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(MxFlagsTest, SendMxParsesTheRouteFlags) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(
      Send({"--mx", "y.test", "--dns-server", "127.0.0.1:5353",
            "--trust-anchor", "/tmp/ta", "--port", "2525", "--mta-sts-port",
            "8443", "--tlsrpt-out", "/tmp/r.json", "--json"}));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->mx.domain, "y.test");
  EXPECT_EQ(f->mx.dns_server, "127.0.0.1:5353");
  EXPECT_EQ(f->mx.trust_anchor, "/tmp/ta");
  EXPECT_EQ(f->mx.port, 2525);
  EXPECT_EQ(f->mx.mta_sts_port, 8443);
  EXPECT_EQ(f->mx.tlsrpt_out, "/tmp/r.json");
  absl::StatusOr<SendFlags> d = ParseSendFlags(Send({"--mx", "y.test"}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->mx.port, 25);
  EXPECT_EQ(d->mx.mta_sts_port, 443);
  EXPECT_FALSE(d->mx.libuv);
  absl::StatusOr<SendFlags> uv =
      ParseSendFlags(Send({"--mx", "y.test", "--driver", "libuv"}));
  ASSERT_TRUE(uv.ok());
  EXPECT_TRUE(uv->mx.libuv);
  EXPECT_FALSE(
      ParseSendFlags(Send({"--mx", "y.test", "--driver", "threads"})).ok());
  EXPECT_FALSE(
      ParseSendFlags(Send({"--server", "a:25", "--driver", "libuv"})).ok());
}

TEST(MxFlagsTest, SendMxRefusesConflicts) {
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--mx", "y.test", "--server", "a:25"},
           {"--mx", "y.test", "--tls", "starttls"},
           {"--mx", "y.test", "--insecure"},
           {"--mx", "y.test", "--user", "u", "--password", "p"},
           {"--mx", ""},
           {"--mx", "y.test", "--port", "0"},
           {"--mx", "y.test", "--mta-sts-port", "x"},
           {"--server", "a:25", "--port", "2525"},
           {"--server", "a:25", "--dns-server", "127.0.0.1"},
           {"--server", "a:25", "--tlsrpt-out", "/tmp/x"},
           {}}) {
    EXPECT_FALSE(ParseSendFlags(Send(bad)).ok()) << bad.size();
  }
}

TEST(MxFlagsTest, RouteTakesOneDomain) {
  absl::StatusOr<RouteFlags> r = ParseRouteFlags(
      {"example.org", "--dns-server", "::1", "--json", "--requiretls",
       "--ca-file", "/tmp/ca.pem", "--port", "2525"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->mx.domain, "example.org");
  EXPECT_TRUE(r->json);
  EXPECT_TRUE(r->requiretls);
  EXPECT_EQ(r->ca_file, "/tmp/ca.pem");
  EXPECT_EQ(r->mx.port, 2525);
  EXPECT_FALSE(ParseRouteFlags({}).ok());
  EXPECT_FALSE(ParseRouteFlags({"a.test", "b.test"}).ok());
  EXPECT_FALSE(ParseRouteFlags({"a.test", "--tlsrpt-out", "/tmp/x"}).ok());
  EXPECT_FALSE(ParseRouteFlags({"--mx", "a.test"}).ok());
  EXPECT_TRUE(ParseRouteFlags({"--help"})->help);
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
