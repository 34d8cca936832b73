#include "transports/proxy/proxy_config.h"

#include "gtest/gtest.h"

namespace smtpcore {
namespace {

TEST(ProxyConfigTest, Socks5WithDefaultPort) {
  absl::StatusOr<ProxyConfig> c = ParseProxyUrl("socks5://proxy.example");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ProxyKind::kSocks5);
  EXPECT_EQ(c->host, "proxy.example");
  EXPECT_EQ(c->port, 1080);
  EXPECT_TRUE(c->username.empty());
  EXPECT_EQ(c->ToString(), "socks5://proxy.example:1080");
}

TEST(ProxyConfigTest, Socks5hIsSocks5) {
  absl::StatusOr<ProxyConfig> c = ParseProxyUrl("SOCKS5H://127.0.0.1:9050/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ProxyKind::kSocks5);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 9050);
}

TEST(ProxyConfigTest, CredentialsArePercentDecodedAndNeverPrinted) {
  absl::StatusOr<ProxyConfig> c =
      ParseProxyUrl("http://al%40ice:p%3Ass@w%25rd@[::1]:3128");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ProxyKind::kHttpConnect);
  EXPECT_EQ(c->username, "al@ice");
  EXPECT_EQ(c->password, "p:ss@w%rd");
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 3128);
  EXPECT_EQ(c->ToString(), "http://al@ice@[::1]:3128");
}

TEST(ProxyConfigTest, UserWithoutPassword) {
  absl::StatusOr<ProxyConfig> c = ParseProxyUrl("socks5://bob@h:1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->username, "bob");
  EXPECT_EQ(c->password, "");
}

TEST(ProxyConfigTest, Refusals) {
  for (const char* url : {
           "proxy.example:1080",            // no scheme
           "socks4://h:1080",               // unknown scheme
           "https://h:443",                 // not supported
           "http://h",                      // http needs a port
           "socks5://:1080",                // no host
           "socks5://h:0",                  // bad port
           "socks5://h:65536",              // bad port
           "socks5://h:x",                  // bad port
           "socks5://h:1080/path",          // path
           "socks5://h:1080?q",             // query
           "socks5://[::1:1080",            // missing ]
           "socks5://[::1]x",               // junk after ]
           "socks5://u:p%zz@h:1",           // bad escape
           "socks5://u:p%0A@h:1",           // control character
           "socks5://:p@h:1",               // empty user
           "socks5://a b:1",                // space in host
       }) {
    EXPECT_FALSE(ParseProxyUrl(url).ok()) << url;
    EXPECT_EQ(ParseProxyUrl(url).status().code(),
              absl::StatusCode::kInvalidArgument)
        << url;
  }
}

TEST(ProxyConfigTest, Socks5CredentialsAreAtMost255Octets) {
  std::string user(256, 'u');
  EXPECT_FALSE(ParseProxyUrl("socks5://" + user + ":p@h:1").ok());
  EXPECT_TRUE(ParseProxyUrl("socks5://" + user.substr(1) + ":p@h:1").ok());
  // HTTP Basic has no such limit.
  EXPECT_TRUE(ParseProxyUrl("http://" + user + ":p@h:1").ok());
}

TEST(ProxyConfigTest, NoneIsDisabled) {
  ProxyConfig none;
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.ToString(), "");
  EXPECT_EQ(ProxyKindName(ProxyKind::kSocks5), "socks5");
  EXPECT_EQ(ProxyKindName(ProxyKind::kHttpConnect), "http");
}

}  // namespace
}  // namespace smtpcore
