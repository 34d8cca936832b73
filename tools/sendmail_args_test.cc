#include "tools/sendmail_args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

using ::testing::ElementsAre;

absl::StatusOr<SendmailArgs> Parse(std::vector<std::string> args) {
  return ParseSendmailArgs(args);
}

TEST(ParseSendmailArgsTest, CommonCallerLines) {
  // git send-email: -i and the recipients.
  absl::StatusOr<SendmailArgs> a = Parse({"-i", "b@x", "c@y"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->ignore_dots);
  EXPECT_THAT(a->recipients, ElementsAre("b@x", "c@y"));
  // mutt: -oem -oi -- recipients.
  a = Parse({"-oem", "-oi", "--", "-odd@x"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->ignore_dots);
  EXPECT_THAT(a->recipients, ElementsAre("-odd@x"));
  // cron / legacy: -t -odi -bm, grouped flags.
  a = Parse({"-ti", "-odi", "-bm", "-em", "-U"});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->read_recipients);
  EXPECT_TRUE(a->ignore_dots);
}

TEST(ParseSendmailArgsTest, Values) {
  absl::StatusOr<SendmailArgs> a =
      Parse({"-f", "<a@x>", "-FAnn Lee", "-N", "success,failure", "-R",
             "hdrs", "-V", "id1", "--account=work", "-C", "/rc", "-B",
             "8BITMIME", "-h", "10", "-v", "r@x"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a->from, "a@x");
  EXPECT_EQ(a->full_name, "Ann Lee");
  EXPECT_EQ(*a->dsn_notify, kNotifySuccess | kNotifyFailure);
  EXPECT_EQ(*a->dsn_ret, DsnRet::kHdrs);
  EXPECT_EQ(*a->envid, "id1");
  EXPECT_EQ(a->account, "work");
  EXPECT_EQ(a->config, "/rc");
  EXPECT_TRUE(a->trace);
  EXPECT_THAT(a->recipients, ElementsAre("r@x"));
  a = Parse({"-r<>", "--config", "c", "--from", "s@x"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a->from, "s@x");
  EXPECT_EQ(Parse({"-f<>"})->from, "");
}

TEST(ParseSendmailArgsTest, Errors) {
  EXPECT_EQ(Parse({"-x"}).status().message(), "unknown option -x");
  EXPECT_EQ(Parse({"-f"}).status().message(), "option -f needs a value");
  EXPECT_EQ(Parse({"--frob"}).status().message(), "unknown option --frob");
  EXPECT_NE(Parse({"-bs"}).status().message().find("-bs is not supported"),
            std::string::npos);
  EXPECT_NE(Parse({"-R", "all"}).status().message().find("-R must be full"),
            std::string::npos);
  EXPECT_FALSE(Parse({"-N", "never,success"}).ok());
  EXPECT_TRUE(Parse({"--help"})->help);
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
