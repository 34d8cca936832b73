#include "transports/common/client_options.h"

#include "core/errors.h"
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

TEST(ValidateClientOptionsTest, UnixSocketExcludesProxyAndLocalAddress) {
  ClientOptions options;
  options.host = "localhost";
  options.unix_socket = "/run/lmtp";
  EXPECT_TRUE(ValidateClientOptions(options).ok());
  options.local_address = "127.0.0.1";
  EXPECT_EQ(GetErrorDetail(ValidateClientOptions(options)),
            ErrorDetail::kInvalidArgument);
  options.local_address.clear();
  options.proxy.kind = ProxyKind::kSocks5;
  options.proxy.host = "127.0.0.1";
  options.proxy.port = 1080;
  EXPECT_FALSE(ValidateClientOptions(options).ok());
  options.proxy = ProxyConfig();
  options.unix_socket = "/" + std::string(200, 'x');
  EXPECT_FALSE(ValidateClientOptions(options).ok());
}

TEST(ValidateClientOptionsTest, LocalAddressMustBeNumericAndOfTheFamily) {
  ClientOptions options;
  options.host = "mx.example";
  options.local_address = "mail.example";
  EXPECT_FALSE(ValidateClientOptions(options).ok());
  options.local_address = "127.0.0.2";
  EXPECT_TRUE(ValidateClientOptions(options).ok());
  EXPECT_EQ(LocalAddressFamily(options), AddressFamily::kIpv4Only);
  options.family = AddressFamily::kIpv6Only;
  EXPECT_FALSE(ValidateClientOptions(options).ok());
  options.local_address = "[::1]";
  EXPECT_TRUE(ValidateClientOptions(options).ok());
  EXPECT_EQ(LocalAddressFamily(options), AddressFamily::kIpv6Only);
  options.local_address.clear();
  EXPECT_EQ(LocalAddressFamily(options), AddressFamily::kIpv6Only);
}

TEST(ProxyDestinationTest, FirstAddressOrTheHost) {
  ClientOptions options;
  options.host = "[2001:db8::1]";
  EXPECT_EQ(ProxyDestination(options), "2001:db8::1");
  options.addresses = {"192.0.2.1", "192.0.2.2"};
  EXPECT_EQ(ProxyDestination(options), "192.0.2.1");
}

TEST(PeerIsLocalTest, ThroughAProxyOnlyALoopbackDestinationIsLocal) {
  ClientOptions options;
  options.host = "mx.example";
  DialAddress loopback = *MakeDialAddress("127.0.0.1", 1080);
  DialAddress remote = *MakeDialAddress("192.0.2.1", 25);
  EXPECT_TRUE(PeerIsLocal(options, loopback));
  EXPECT_FALSE(PeerIsLocal(options, remote));
  options.proxy.kind = ProxyKind::kSocks5;
  EXPECT_FALSE(PeerIsLocal(options, loopback));
  options.host = "127.0.0.9";
  EXPECT_TRUE(PeerIsLocal(options, loopback));
  ClientOptions unix_options;
  unix_options.unix_socket = "/run/lmtp";
  EXPECT_TRUE(PeerIsLocal(unix_options, DialAddress()));
}

}  // namespace
}  // namespace smtpcore
