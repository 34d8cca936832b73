#include "tools/reach_flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "transports/common/client_options.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {
namespace {

absl::StatusOr<ReachFlags> Parse(std::vector<std::string> args,
                                 absl::string_view unix_path = "") {
  absl::StatusOr<ParsedFlags> f = ParseFlags(
      {{"lmtp", nullptr, ""},
       {"proxy", "URL", ""},
       {"local-address", "IP", ""},
       {"quit-after", "STAGE", ""}},
      args);
  if (!f.ok()) return f.status();
  ReachFlags out;
  absl::Status s = ParseReachFlags(*f, unix_path, true, &out);
  if (!s.ok()) return s;
  return out;
}

TEST(QuitAfterTest, StagesAndSwaksAliases) {
  EXPECT_EQ(*ParseQuitAfter("connect"), QuitAfter::kConnect);
  EXPECT_EQ(*ParseQuitAfter("BANNER"), QuitAfter::kGreeting);
  EXPECT_EQ(*ParseQuitAfter("first-helo"), QuitAfter::kEhlo);
  EXPECT_EQ(*ParseQuitAfter("lhlo"), QuitAfter::kEhlo);
  EXPECT_EQ(*ParseQuitAfter("starttls"), QuitAfter::kTls);
  EXPECT_EQ(*ParseQuitAfter("auth"), QuitAfter::kAuth);
  EXPECT_EQ(*ParseQuitAfter("from"), QuitAfter::kMail);
  EXPECT_EQ(*ParseQuitAfter("to"), QuitAfter::kRcpt);
  EXPECT_FALSE(ParseQuitAfter("data").ok());
  EXPECT_EQ(QuitAfterName(QuitAfter::kTls), "tls");
}

TEST(ReachFlagsTest, ProxyLocalAddressLmtp) {
  absl::StatusOr<ReachFlags> f =
      Parse({"--lmtp", "--proxy", "socks5h://u:p@127.0.0.1:1080",
             "--local-address", "127.0.0.2", "--quit-after", "rcpt"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->lmtp);
  EXPECT_EQ(f->proxy.kind, ProxyKind::kSocks5);
  EXPECT_EQ(f->proxy.username, "u");
  EXPECT_EQ(f->local_address, "127.0.0.2");
  EXPECT_EQ(f->quit_after, QuitAfter::kRcpt);
  ClientOptions options;
  ApplyReachFlags(*f, "", &options);
  EXPECT_TRUE(options.session.lmtp);
  EXPECT_EQ(options.proxy.port, 1080);
  EXPECT_EQ(options.local_address, "127.0.0.2");
  EXPECT_EQ(options.unix_socket, "");
}

TEST(ReachFlagsTest, UsageErrors) {
  EXPECT_FALSE(Parse({"--proxy", "ftp://x:1"}).ok());
  EXPECT_FALSE(Parse({"--local-address", "localhost"}).ok());
  EXPECT_FALSE(Parse({"--proxy", "http://127.0.0.1:3128"}, "/run/lmtp").ok());
  EXPECT_FALSE(Parse({"--local-address", "::1"}, "/run/lmtp").ok());
  EXPECT_TRUE(Parse({"--local-address", "::1"}).ok());
  EXPECT_FALSE(Parse({"--quit-after", "never"}).ok());
}

TEST(ServerAddressTest, UnixSocket) {
  absl::StatusOr<ServerAddress> a = ParseServerAddress("unix:/run/lmtp");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->unix_path, "/run/lmtp");
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->ToString(), "unix:/run/lmtp");
  EXPECT_FALSE(ParseServerAddress("unix:").ok());
}

TEST(SendFlagsTest, ReachFlagsOnSend) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(
      {"--server", "unix:/run/lmtp", "--lmtp", "--from", "a@x", "--to", "b",
       "--quit-after", "mail"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->connection.server.unix_path, "/run/lmtp");
  EXPECT_TRUE(f->reach.lmtp);
  EXPECT_EQ(f->reach.quit_after, QuitAfter::kMail);
  EXPECT_FALSE(ParseSendFlags({"--mx", "example.org", "--proxy",
                               "socks5://127.0.0.1", "--from", "a@x", "--to",
                               "b@example.org"})
                   .ok());
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
