#include "transports/common/client_options.h"

#include "core/session.h"
#include "gtest/gtest.h"
#include "transports/tls/tls_layer.h"

namespace smtpcore {
namespace {

TEST(EffectivePortTest, ExplicitPortWins) {
  ClientOptions options;
  options.port = 2525;
  options.session.tls_mode = TlsMode::kImplicit;
  EXPECT_EQ(EffectivePort(options), 2525);
}

TEST(EffectivePortTest, DefaultDependsOnTlsMode) {
  ClientOptions options;
  EXPECT_EQ(EffectivePort(options), kSmtpPort);
  options.session.tls_mode = TlsMode::kRequired;
  EXPECT_EQ(EffectivePort(options), kSmtpPort);
  options.session.tls_mode = TlsMode::kImplicit;
  EXPECT_EQ(EffectivePort(options), kSubmissionsPort);
}

TEST(HostWithoutBracketsTest, StripsOnlyAnEnclosingPair) {
  EXPECT_EQ(HostWithoutBrackets("[::1]"), "::1");
  EXPECT_EQ(HostWithoutBrackets("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(HostWithoutBrackets("mail.example.org"), "mail.example.org");
  EXPECT_EQ(HostWithoutBrackets("[::1"), "[::1");
  EXPECT_EQ(HostWithoutBrackets("[]"), "");
  EXPECT_EQ(HostWithoutBrackets(""), "");
}

TEST(IsIpLiteralTest, NumericAddressesOnly) {
  EXPECT_TRUE(IsIpLiteral("127.0.0.1"));
  EXPECT_TRUE(IsIpLiteral("::1"));
  EXPECT_TRUE(IsIpLiteral("[::1]"));
  EXPECT_TRUE(IsIpLiteral("[127.0.0.1]"));
  EXPECT_FALSE(IsIpLiteral("localhost"));
  EXPECT_FALSE(IsIpLiteral("mail.example.org"));
  EXPECT_FALSE(IsIpLiteral("127.0.0.1:25"));
  EXPECT_FALSE(IsIpLiteral(""));
}

TEST(MakeClientTlsOptionsTest, ForcesClientRoleAndDefaultsServerName) {
  ClientOptions options;
  options.host = "[::1]";
  options.tls.role = TlsRole::kServer;
  options.tls.insecure = true;
  TlsOptions tls = MakeClientTlsOptions(options);
  EXPECT_EQ(tls.role, TlsRole::kClient);
  EXPECT_EQ(tls.server_name, "::1");
  EXPECT_TRUE(tls.insecure);
  // The options themselves are not changed.
  EXPECT_EQ(options.tls.role, TlsRole::kServer);
  EXPECT_EQ(options.tls.server_name, "");
}

TEST(MakeClientTlsOptionsTest, KeepsAGivenServerName) {
  ClientOptions options;
  options.host = "127.0.0.1";
  options.tls.server_name = "mail.example.test";
  EXPECT_EQ(MakeClientTlsOptions(options).server_name, "mail.example.test");
}

}  // namespace
}  // namespace smtpcore
