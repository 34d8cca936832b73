#include "tools/account_args.h"

#include <sys/stat.h>

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

using ::testing::ElementsAre;

std::string WriteConfig(const std::string& text) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/rc";
  std::ofstream(path) << text;
  chmod(path.c_str(), 0600);
  return path;
}

EnvLookup NoEnv() {
  return [](absl::string_view) -> absl::optional<std::string> {
    return absl::nullopt;
  };
}

absl::StatusOr<std::vector<std::string>> Expand(
    std::vector<std::string> args) {
  return ExpandAccountArgs(args, /*with_from=*/true, NoEnv());
}

TEST(ExpandAccountArgsTest, UnchangedWithoutAccountOrConfig) {
  EXPECT_THAT(*Expand({"--to", "b@x"}), ElementsAre("--to", "b@x"));
}

TEST(ExpandAccountArgsTest, AccountFlagsFillWhatIsMissing) {
  const std::string rc = WriteConfig(
      "account work\nhost mail.example.org\nport 587\ntls on\nuser u\n"
      "password s\nfrom a@example.org\ndomain client.example\ntimeout 9\n"
      "account other\nhost h\n");
  absl::StatusOr<std::vector<std::string>> out =
      Expand({"--config", rc, "--account=work", "--to", "b@x"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out,
              ElementsAre("--server", "mail.example.org:587", "--tls",
                          "starttls", "--user", "u", "--password", "s",
                          "--ehlo", "client.example", "--timeout", "9",
                          "--from", "a@example.org", "--to", "b@x"));
  // The command line wins; its own credentials replace the account's.
  out = Expand({"--config", rc, "--account", "work", "--tls", "none",
                "--user", "v", "--password-file", "pw", "--from", "c@x"});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out, ElementsAre("--server", "mail.example.org:587", "--ehlo",
                                "client.example", "--timeout", "9", "--tls",
                                "none", "--user", "v", "--password-file", "pw",
                                "--from", "c@x"));
}

TEST(ExpandAccountArgsTest, Errors) {
  const std::string rc = WriteConfig("account a\nhost h\n");
  EXPECT_FALSE(Expand({"--config", rc}).ok());  // no default account
  EXPECT_FALSE(Expand({"--config", rc, "--account", "b"}).ok());
  EXPECT_FALSE(Expand({"--account"}).ok());
  EXPECT_FALSE(Expand({"--config", rc, "--account", "a", "--account", "a"})
                   .ok());
  EXPECT_TRUE(Expand({"--config", rc, "--account", "a"}).ok());
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
