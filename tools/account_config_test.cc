#include "tools/account_config.h"

#include <sys/stat.h>

#include <fstream>
#include <map>

#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

constexpr char kMsmtprc[] = R"(# a typical ~/.msmtprc
defaults
auth           on
tls            on
tls_trust_file /etc/ssl/certs/ca-certificates.crt
logfile        ~/.msmtp.log

account        gmail
host           smtp.gmail.com
port           587
from           alice@gmail.com
user           alice
password       "p a\"ss"

account        work : gmail
host           mail.example.org
tls_starttls   off
from           alice@example.org
passwordeval   "echo from-eval"

account default : work
)";

std::string TempDir() { return std::getenv("TEST_TMPDIR"); }

std::string Write(const std::string& name, const std::string& text,
                  mode_t mode) {
  const std::string path = TempDir() + "/" + name;
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](absl::string_view name) -> absl::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return absl::nullopt;
    return it->second;
  };
}

TEST(ParseAccountConfigTest, MsmtprcInheritance) {
  absl::StatusOr<AccountConfig> c = ParseAccountConfig(kMsmtprc, "rc");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->accounts.size(), 3u);
  EXPECT_TRUE(c->has_password);
  const Account* gmail = c->Find("gmail");
  ASSERT_NE(gmail, nullptr);
  EXPECT_EQ(*gmail->Get("password"), "p a\"ss");
  EXPECT_EQ(*gmail->Get("auth"), "on");
  const Account* work = c->Find("work");
  ASSERT_NE(work, nullptr);
  EXPECT_EQ(*work->Get("host"), "mail.example.org");
  EXPECT_EQ(*work->Get("user"), "alice");    // from gmail
  EXPECT_EQ(*work->Get("port"), "587");      // from gmail
  EXPECT_EQ(*work->Get("tls_starttls"), "off");
  const Account* d = c->Find("default");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(*d->Get("host"), "mail.example.org");
}

TEST(ParseAccountConfigTest, DefaultsOnlyAffectLaterAccounts) {
  absl::StatusOr<AccountConfig> c = ParseAccountConfig(
      "account a\nhost h\ndefaults\nport 2525\naccount b\nhost h\n", "rc");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->Find("a")->Get("port"), nullptr);
  EXPECT_EQ(*c->Find("b")->Get("port"), "2525");
}

TEST(ParseAccountConfigTest, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"account a\nhots x\n", "rc:2: unknown key 'hots'"},
      {"account a\nport 0\n", "rc:2: port must be 1-65535"},
      {"tls maybe\n", "rc:1: tls must be on or off"},
      {"account a : nope\n", "rc:1: unknown account 'nope'"},
      {"account a\naccount a\n", "rc:2: account a defined twice"},
      {"password \"open\n", "rc:1: unterminated quote"},
      {"tls_fingerprint AA:BB\n", "rc:1: tls_fingerprint is not supported"},
      {"protocol lmtp\n", "rc:1: protocol 'lmtp' is not supported"},
      {"timeout soon\n", "rc:1: --timeout must be"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AccountConfig> r = ParseAccountConfig(c.text, "rc");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << r.status().message();
  }
}

TEST(ParseAccountConfigTest, BareBooleansAndIgnoredKeys) {
  absl::StatusOr<AccountConfig> c = ParseAccountConfig(
      "account a\nhost h\ntls\nauto_from on\nset_date_header auto\n"
      "protocol smtp\ntimeout off\n",
      "rc");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c->Find("a")->Get("tls"), "on");
}

TEST(SelectAccountTest, ByNameByFromAndDefault) {
  absl::StatusOr<AccountConfig> c = ParseAccountConfig(kMsmtprc, "rc");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*SelectAccount(*c, "gmail", ""))->name, "gmail");
  EXPECT_EQ((*SelectAccount(*c, "", "ALICE@gmail.com"))->name, "gmail");
  EXPECT_EQ((*SelectAccount(*c, "", "other@x"))->name, "default");
  absl::StatusOr<const Account*> missing = SelectAccount(*c, "nope", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("it defines: gmail, work, default"),
            std::string::npos);
  absl::StatusOr<AccountConfig> no_default =
      ParseAccountConfig("account a\nhost h\n", "rc");
  EXPECT_FALSE(SelectAccount(*no_default, "", "").ok());
}

TEST(AccountConnectionFlagsTest, MsmtpTlsAndAuthMapping) {
  absl::StatusOr<AccountConfig> c = ParseAccountConfig(kMsmtprc, "rc");
  ASSERT_TRUE(c.ok());
  EnvLookup env = FakeEnv({{"HOME", "/home/alice"}});
  absl::StatusOr<ConnectionFlags> gmail =
      AccountConnectionFlags(*c->Find("gmail"), env);
  ASSERT_TRUE(gmail.ok()) << gmail.status();
  EXPECT_EQ(gmail->server.ToString(), "smtp.gmail.com:587");
  EXPECT_EQ(gmail->tls, TlsChoice::kStartTls);
  EXPECT_EQ(gmail->ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(gmail->user, "alice");
  EXPECT_EQ(gmail->password, "p a\"ss");
  EXPECT_FALSE(gmail->insecure);

  // tls_starttls off: implicit TLS. The port is inherited (587) here.
  absl::StatusOr<ConnectionFlags> work =
      AccountConnectionFlags(*c->Find("work"), env);
  ASSERT_TRUE(work.ok()) << work.status();
  EXPECT_EQ(work->tls, TlsChoice::kImplicit);
  // password (inherited) wins over passwordeval, as in msmtp.
  EXPECT_EQ(work->password, "p a\"ss");
}

TEST(AccountConnectionFlagsTest, DefaultsByPortEvalAndOff) {
  EnvLookup env = FakeEnv({{"HOME", "/h"}});
  absl::StatusOr<AccountConfig> c = ParseAccountConfig(
      "account plain\nhost 127.0.0.1\nport 2525\ntls off\n"
      "account implicit\nhost h\ntls on\ntls_starttls off\n"
      "tls_certcheck off\nuser u\npasswordeval printf 'secret\\nnext'\n"
      "account bydefault\nhost h\nport 587\n"
      "account noauth\nhost h\nuser u\nauth off\n"
      "account nosecret\nhost h\nuser u\n"
      "account failing\nhost h\nuser u\npasswordeval exit 3\n"
      "account token\nhost h\nuser u\nauth xoauth2\n"
      "oauth_token_eval echo tok\ntls_trust_file ~/ca.pem\n",
      "rc");
  ASSERT_TRUE(c.ok()) << c.status();
  ConnectionFlags f = *AccountConnectionFlags(*c->Find("plain"), env);
  EXPECT_EQ(f.tls, TlsChoice::kNone);
  EXPECT_TRUE(f.user.empty());
  f = *AccountConnectionFlags(*c->Find("implicit"), env);
  EXPECT_EQ(f.server.port, 465);
  EXPECT_EQ(f.tls, TlsChoice::kImplicit);
  EXPECT_TRUE(f.insecure);
  EXPECT_EQ(f.password, "secret");
  f = *AccountConnectionFlags(*c->Find("bydefault"), env);
  EXPECT_EQ(f.tls, TlsChoice::kStartTls);
  f = *AccountConnectionFlags(*c->Find("noauth"), env);
  EXPECT_TRUE(f.user.empty());
  f = *AccountConnectionFlags(*c->Find("token"), env);
  EXPECT_EQ(f.oauth_token, "tok");
  EXPECT_EQ(f.auth_mechanisms, std::vector<std::string>{"XOAUTH2"});
  EXPECT_EQ(f.ca_file, "/h/ca.pem");
  absl::StatusOr<ConnectionFlags> bad =
      AccountConnectionFlags(*c->Find("nosecret"), env);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("account nosecret: auth needs a secret"),
            std::string::npos);
  bad = AccountConnectionFlags(*c->Find("failing"), env);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("passwordeval command failed (exit "
                                        "status 3)"),
            std::string::npos);
}

TEST(FindConfigFileTest, SearchOrder) {
  const std::string home = TempDir() + "/home";
  mkdir(home.c_str(), 0700);
  mkdir((home + "/.config").c_str(), 0700);
  mkdir((home + "/.config/smtpc").c_str(), 0700);
  EnvLookup env = FakeEnv({{"HOME", home}});
  // Nothing in HOME: whatever /etc has, or not found.
  absl::StatusOr<std::string> none = FindConfigFile("", env);
  if (!none.ok()) {
    EXPECT_NE(none.status().message().find(home + "/.msmtprc"),
              std::string::npos);
  }
  Write("home/.msmtprc", "account default\nhost h\n", 0600);
  EXPECT_EQ(*FindConfigFile("", env), home + "/.msmtprc");
  Write("home/.config/smtpc/config", "account default\nhost h\n", 0600);
  EXPECT_EQ(*FindConfigFile("", env), home + "/.config/smtpc/config");
  const std::string other = Write("other.rc", "", 0600);
  EnvLookup with_var = FakeEnv({{"HOME", home}, {"SMTPC_CONFIG", other}});
  EXPECT_EQ(*FindConfigFile("", with_var), other);
  EXPECT_EQ(*FindConfigFile("~/.msmtprc", with_var), home + "/.msmtprc");
  EXPECT_FALSE(FindConfigFile(TempDir() + "/missing", env).ok());
}

TEST(LoadAccountConfigTest, RefusesAReadablePasswordFile) {
  const std::string text = "account default\nhost h\nuser u\npassword s\n";
  const std::string open = Write("open.rc", text, 0644);
  absl::StatusOr<AccountConfig> r = LoadAccountConfig(open);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("contains a password and can be read "
                                      "by group or others"),
            std::string::npos);
  EXPECT_NE(r.status().message().find("chmod 600 " + open), std::string::npos);
  const std::string group = Write("group.rc", text, 0640);
  EXPECT_FALSE(LoadAccountConfig(group).ok());
  EXPECT_TRUE(LoadAccountConfig(Write("private.rc", text, 0600)).ok());
  // Without a password the mode does not matter.
  EXPECT_TRUE(LoadAccountConfig(
                  Write("eval.rc", "account default\nhost h\n", 0644))
                  .ok());
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
