#include "tools/options.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

using Args = std::vector<std::string>;

Args Base(Args extra) {
  Args a = {"--server", "mx.example:2525", "--from", "a@example.org", "--to",
            "b@example.org"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string SendError(Args args) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(args);
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(f.status().message());
}

TEST(ServerAddressTest, Forms) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  } cases[] = {
      {"mx.example", "mx.example", 25},
      {"mx.example:587", "mx.example", 587},
      {"127.0.0.1:2525", "127.0.0.1", 2525},
      {"[::1]", "::1", 25},
      {"[::1]:465", "::1", 465},
      {"::1", "::1", 25},
      {"2001:db8::25", "2001:db8::25", 25},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ServerAddress> a = ParseServerAddress(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status();
    EXPECT_EQ(a->host, c.host) << c.text;
    EXPECT_EQ(a->port, c.port) << c.text;
  }
  EXPECT_EQ(ParseServerAddress("[::1]:465")->ToString(), "[::1]:465");
  EXPECT_EQ(ParseServerAddress("mx")->ToString(), "mx:25");
}

TEST(ServerAddressTest, Errors) {
  for (const char* bad : {"", ":25", "mx:", "mx:0", "mx:65536", "mx:http",
                          "[::1", "[::1]x", "[]:25", "m x", "a/b:25"}) {
    EXPECT_FALSE(ParseServerAddress(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseServerAddress("mx:99999").status().message(),
            "--server 'mx:99999': bad port '99999' (1-65535)");
}

TEST(TlsChoiceTest, DefaultsByPort) {
  EXPECT_EQ(DefaultTlsForPort(465), TlsChoice::kImplicit);
  EXPECT_EQ(DefaultTlsForPort(587), TlsChoice::kStartTls);
  EXPECT_EQ(DefaultTlsForPort(25), TlsChoice::kOpportunistic);
  EXPECT_EQ(DefaultTlsForPort(2525), TlsChoice::kOpportunistic);
  EXPECT_EQ(SessionTlsMode(TlsChoice::kStartTls), TlsMode::kRequired);
  EXPECT_EQ(SessionTlsMode(TlsChoice::kImplicit), TlsMode::kImplicit);
  EXPECT_EQ(SessionTlsMode(TlsChoice::kNone), TlsMode::kNone);
  EXPECT_EQ(SessionTlsMode(TlsChoice::kOpportunistic),
            TlsMode::kOpportunistic);
  EXPECT_EQ(*ParseTlsChoice("STARTTLS"), TlsChoice::kStartTls);
  EXPECT_EQ(TlsChoiceName(TlsChoice::kImplicit), "implicit");
  EXPECT_FALSE(ParseTlsChoice("ssl").ok());
}

TEST(SendFlagsTest, Minimal) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(Base({}));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->help);
  EXPECT_EQ(f->connection.server.host, "mx.example");
  EXPECT_EQ(f->connection.server.port, 2525);
  EXPECT_EQ(f->connection.tls, TlsChoice::kOpportunistic);
  EXPECT_EQ(f->from, "a@example.org");
  EXPECT_EQ(f->to, (std::vector<std::string>{"b@example.org"}));
  EXPECT_EQ(f->data, "");
  EXPECT_TRUE(f->connection.chunking);
  EXPECT_TRUE(f->connection.pipelining);
  EXPECT_FALSE(f->connection.timeout.has_value());
  EXPECT_FALSE(f->connection.ehlo.empty());
  EXPECT_TRUE(f->connection.user.empty());
  EXPECT_FALSE(f->json);
  EXPECT_EQ(f->dsn_notify, kNotifyDefault);
}

TEST(SendFlagsTest, Everything) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(Base(
      {"--to", "c@example.org", "--data", "-", "--tls", "implicit",
       "--ca-file", "/ca.pem", "--client-cert", "c.pem",
       "--client-key", "k.pem", "--user", "u", "--password", "p", "--auth",
       "scram-sha-256, plain", "--ehlo", "me.example", "--8bitmime",
       "--smtputf8", "--requiretls", "--dsn-notify", "success,failure",
       "--dsn-ret", "hdrs", "--envid", "QQ314159", "--chunking", "never",
       "--pipelining", "NEVER", "--timeout", "2.5", "--trace", "--json"}));
  ASSERT_TRUE(f.ok()) << f.status();
  const ConnectionFlags& c = f->connection;
  EXPECT_EQ(f->to,
            (std::vector<std::string>{"b@example.org", "c@example.org"}));
  EXPECT_EQ(f->data, "-");
  EXPECT_EQ(c.tls, TlsChoice::kImplicit);
  EXPECT_EQ(c.ca_file, "/ca.pem");
  // --insecure is covered by InsecureSplit (REQUIRETLS refuses it).
  EXPECT_FALSE(c.insecure);
  EXPECT_EQ(c.client_cert, "c.pem");
  EXPECT_EQ(c.client_key, "k.pem");
  EXPECT_EQ(c.user, "u");
  EXPECT_EQ(c.password, "p");
  EXPECT_EQ(c.auth_mechanisms,
            (std::vector<std::string>{"SCRAM-SHA-256", "PLAIN"}));
  EXPECT_EQ(c.ehlo, "me.example");
  EXPECT_TRUE(f->eight_bit_mime);
  EXPECT_TRUE(f->smtputf8);
  EXPECT_TRUE(f->requiretls);
  EXPECT_EQ(f->dsn_notify, kNotifySuccess | kNotifyFailure);
  EXPECT_EQ(f->dsn_ret, DsnRet::kHdrs);
  EXPECT_EQ(f->envid, "QQ314159");
  EXPECT_FALSE(c.chunking);
  EXPECT_FALSE(c.pipelining);
  EXPECT_EQ(c.timeout, absl::Milliseconds(2500));
  EXPECT_TRUE(c.trace);
  EXPECT_TRUE(f->json);
}

TEST(SendFlagsTest, TlsDefaultsFollowThePort) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(
      {"--server", "mx:465", "--from", "a@x", "--to", "b@x"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->connection.tls, TlsChoice::kImplicit);
  f = ParseSendFlags({"--server", "mx:587", "--from", "a@x", "--to", "b@x"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->connection.tls, TlsChoice::kStartTls);
  f = ParseSendFlags({"--server", "mx:587", "--tls", "none", "--from", "a@x",
                      "--to", "b@x"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->connection.tls, TlsChoice::kNone);
  // Implicit TLS without a port: 465.
  f = ParseSendFlags({"--server", "mx", "--tls", "implicit", "--from", "a@x",
                      "--to", "b@x"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->connection.server.port, 465);
  EXPECT_FALSE(f->connection.server.port_given);
  f = ParseSendFlags({"--server", "mx:25", "--tls", "implicit", "--from",
                      "a@x", "--to", "b@x"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->connection.server.port, 25);
}

TEST(SendFlagsTest, NullSender) {
  absl::StatusOr<SendFlags> f =
      ParseSendFlags({"--server", "mx", "--from", "", "--to", "b@x"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->from, "");
}

TEST(SendFlagsTest, HelpSkipsValidation) {
  absl::StatusOr<SendFlags> f = ParseSendFlags({"--help"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->help);
}

TEST(SendFlagsTest, UsageErrors) {
  EXPECT_EQ(SendError({"--from", "a@x", "--to", "b@x"}),
            "--server HOST[:PORT] is required");
  EXPECT_EQ(SendError({"--server", "mx", "--to", "b@x"}),
            "--from ADDR is required (--from \"\" for the null sender)");
  EXPECT_EQ(SendError({"--server", "mx", "--from", "a@x"}),
            "--to ADDR is required (repeatable)");
  EXPECT_EQ(SendError(Base({"--tls", "ssl"})),
            "--tls must be none, opportunistic, starttls or implicit, not "
            "'ssl'");
  EXPECT_EQ(SendError(Base({"--client-cert", "c.pem"})),
            "--client-cert and --client-key go together");
  EXPECT_EQ(SendError(Base({"--user", "u"})),
            "--user needs exactly one of --password, --password-file, "
            "--oauth-token");
  EXPECT_EQ(SendError(Base({"--user", "u", "--password", "p",
                            "--oauth-token", "t"})),
            "--user needs exactly one of --password, --password-file, "
            "--oauth-token");
  EXPECT_EQ(SendError(Base({"--password", "p"})),
            "--password/--password-file/--oauth-token need --user");
  EXPECT_EQ(SendError(Base({"--auth", "PLAIN"})),
            "--auth needs --user (and a password or token)");
  EXPECT_TRUE(absl::StartsWith(
      SendError(Base({"--user", "u", "--password", "p", "--auth", "FOO"})),
      "--auth: unknown SASL mechanism 'FOO' (known: OAUTHBEARER,"));
  EXPECT_EQ(SendError(Base({"--dsn-notify", "never,success"})),
            "--dsn-notify: NEVER cannot be combined with other values");
  EXPECT_EQ(SendError(Base({"--dsn-notify", "sometimes"})),
            "--dsn-notify: unknown value 'sometimes' (NEVER or "
            "SUCCESS,FAILURE,DELAY)");
  EXPECT_EQ(SendError(Base({"--dsn-ret", "body"})),
            "--dsn-ret must be FULL or HDRS, not 'body'");
  EXPECT_EQ(SendError(Base({"--envid", "has space"})),
            "--envid must be 1 to 100 printable ASCII characters without "
            "spaces (RFC 3461 §4.4)");
  EXPECT_EQ(SendError(Base({"--chunking", "yes"})),
            "--chunking must be auto or never, not 'yes'");
  EXPECT_EQ(SendError(Base({"--timeout", "0"})),
            "--timeout must be a positive number of seconds (at most 86400), "
            "not '0'");
  EXPECT_EQ(SendError(Base({"--timeout", "-3"})),
            "--timeout must be a positive number of seconds (at most 86400), "
            "not '-3'");
  EXPECT_EQ(SendError(Base({"--timeout", "soon"})),
            "--timeout must be a positive number of seconds (at most 86400), "
            "not 'soon'");
  EXPECT_EQ(SendError(Base({"--data", ""})),
            "--data needs a file name or - for standard input");
  EXPECT_EQ(SendError(Base({"--to", ""})), "--to needs an address");
  EXPECT_EQ(SendError(Base({"--from", "x@y"})),
            "option --from given more than once");
  EXPECT_EQ(SendError(Base({"extra"})), "unexpected argument 'extra'");
  EXPECT_TRUE(absl::StartsWith(
      SendError(Base({"--user", "u", "--password-file", "/nonexistent/pw"})),
      "cannot read --password-file /nonexistent/pw: "));
}

TEST(SendFlagsTest, ExternalNeedsNoSecret) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(
      Base({"--user", "u", "--auth", "external", "--client-cert", "c",
            "--client-key", "k"}));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->connection.auth_mechanisms,
            (std::vector<std::string>{"EXTERNAL"}));
  EXPECT_TRUE(f->connection.password.empty());
}

TEST(SendFlagsTest, PasswordFileFirstLine) {
  const std::string path =
      std::string(::testing::TempDir()) + "/smtpc_options_test_pw";
  {
    std::ofstream out(path, std::ios::binary);
    out << "s3cret pass\r\nsecond line\n";
  }
  absl::StatusOr<SendFlags> f =
      ParseSendFlags(Base({"--user", "u", "--password-file", path}));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->connection.password, "s3cret pass");
  std::remove(path.c_str());
}

TEST(TimeoutsTest, CapLowersEveryStage) {
  Timeouts defaults = CappedTimeouts(absl::nullopt);
  EXPECT_EQ(defaults.greeting, absl::Minutes(5));
  EXPECT_EQ(defaults.data_termination, absl::Minutes(10));
  Timeouts t = CappedTimeouts(absl::Seconds(7));
  for (Duration d : {t.greeting, t.mail, t.rcpt, t.data_init, t.data_block,
                     t.data_termination, t.tls_handshake, t.auth, t.other}) {
    EXPECT_EQ(d, absl::Seconds(7));
  }
  Timeouts big = CappedTimeouts(absl::Minutes(4));
  EXPECT_EQ(big.data_init, absl::Minutes(2));  // already below the cap
  EXPECT_EQ(big.mail, absl::Minutes(4));
}

TEST(BulkFlagsTest, ReachFlagsOnAUnixSocket) {
  absl::StatusOr<BulkFlags> f = ParseBulkFlags(
      {"--server", "unix:/run/lmtp", "--lmtp", "--tls", "none"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->connection.server.unix_path, "/run/lmtp");
  EXPECT_TRUE(f->reach.lmtp);
  f = ParseBulkFlags({"--server", "127.0.0.1:25", "--proxy",
                      "socks5://127.0.0.1:1080", "--local-address",
                      "127.0.0.2"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->reach.proxy.enabled());
  EXPECT_EQ(f->reach.local_address, "127.0.0.2");
  EXPECT_EQ(ParseBulkFlags({"--server", "unix:/run/lmtp", "--proxy",
                            "socks5://127.0.0.1:1080"})
                .status()
                .message(),
            "--proxy and --local-address do not go with --server unix:PATH");
  // --quit-after is for `send` only.
  EXPECT_FALSE(
      ParseBulkFlags({"--server", "h", "--quit-after", "ehlo"}).ok());
}

TEST(BulkFlagsTest, DefaultsAndValues) {
  absl::StatusOr<BulkFlags> f = ParseBulkFlags({"--server", "127.0.0.1:2525"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->count, 100u);
  EXPECT_EQ(f->concurrency, 4u);
  EXPECT_EQ(f->size, 1024u);
  EXPECT_EQ(f->to, (std::vector<std::string>{"sink@smtpc.test"}));
  EXPECT_EQ(f->from, "bulk@smtpc.test");
  EXPECT_EQ(f->progress, "auto");
  EXPECT_EQ(f->idle_timeout, absl::Seconds(30));
  EXPECT_EQ(f->busy_backoff, absl::Seconds(60));
  f = ParseBulkFlags({"--server", "h:1", "--count", "5000", "--concurrency",
                      "16", "--size", "65536", "--to", "x@y", "--progress",
                      "never", "--messages-per-connection", "10", "--tls",
                      "none", "--json", "--idle-timeout", "0",
                      "--busy-backoff", "5"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->count, 5000u);
  EXPECT_EQ(f->concurrency, 16u);
  EXPECT_EQ(f->size, 65536u);
  EXPECT_EQ(f->messages_per_connection, 10u);
  EXPECT_EQ(f->idle_timeout, absl::ZeroDuration());
  EXPECT_EQ(f->busy_backoff, absl::Seconds(5));
  EXPECT_EQ(f->to, (std::vector<std::string>{"x@y"}));
  EXPECT_EQ(f->progress, "never");
  EXPECT_EQ(f->connection.tls, TlsChoice::kNone);
  EXPECT_TRUE(f->json);
  EXPECT_EQ(ParseBulkFlags({"--server", "h", "--count", "0"}).status().message(),
            "--count must be a number from 1 to 100000000, not '0'");
  EXPECT_EQ(
      ParseBulkFlags({"--server", "h", "--concurrency", "5000"})
          .status()
          .message(),
      "--concurrency must be a number from 1 to 1000, not '5000'");
  EXPECT_FALSE(ParseBulkFlags({"--count", "3"}).ok());
  EXPECT_EQ(f->distinct, 1u);
  EXPECT_EQ(f->data, "");
  f = ParseBulkFlags({"--server", "h", "--data", "m.eml", "--distinct", "8"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->data, "m.eml");
  EXPECT_EQ(f->distinct, 8u);
  EXPECT_EQ(ParseBulkFlags({"--server", "h", "--distinct", "0"})
                .status()
                .message(),
            "--distinct must be a number from 1 to 1000, not '0'");
  EXPECT_FALSE(
      ParseBulkFlags({"--server", "h", "--data", "m", "--size", "9"}).ok());
}

TEST(DemoAndSinkFlagsTest, Parse) {
  absl::StatusOr<DemoFlags> d = ParseDemoFlags({"--plain", "--color=never"});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->plain);
  EXPECT_EQ(d->color, "never");
  EXPECT_FALSE(ParseDemoFlags({"--color", "pink"}).ok());
  absl::StatusOr<SinkFlags> s =
      ParseSinkFlags({"--port", "2525", "--quiet", "--max-messages", "3",
                      "--save-dir", "/tmp/x", "--ca-out", "/tmp/ca.pem"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->save_dir, "/tmp/x");
  EXPECT_EQ(s->ca_out, "/tmp/ca.pem");
  EXPECT_EQ(s->port, 2525);
  EXPECT_TRUE(s->quiet);
  EXPECT_EQ(s->max_messages, 3u);
  EXPECT_FALSE(ParseSinkFlags({"--port", "70000"}).ok());
}

TEST(DefaultEhloNameTest, IsAPlausibleDomain) {
  const std::string name = DefaultEhloName();
  ASSERT_FALSE(name.empty());
  for (char c : name) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                c == '.')
        << name;
  }
}

TEST(SendFlagsTest, InsecureSplit) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(Base({"--insecure"}));
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->connection.insecure);
  EXPECT_FALSE(f->connection.allow_plaintext_auth);
  f = ParseSendFlags(Base({"--allow-plaintext-auth"}));
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->connection.insecure);
  EXPECT_TRUE(f->connection.allow_plaintext_auth);
  for (const char* flag : {"--insecure", "--allow-plaintext-auth"}) {
    EXPECT_NE(SendError(Base({"--requiretls", flag}))
                  .find("--requiretls cannot be combined with --insecure or "
                        "--allow-plaintext-auth"),
              std::string::npos)
        << flag;
  }
}

TEST(SendFlagsTest, Composition) {
  absl::StatusOr<SendFlags> f = ParseSendFlags(
      Base({"--subject", "s", "--body", "@b.txt", "--header", "X-A: 1",
            "--header", "X-B: 2", "--attach", "a.pdf"}));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->compose);
  EXPECT_EQ(f->subject, "s");
  EXPECT_EQ(*f->body, "@b.txt");
  EXPECT_EQ(f->headers, (std::vector<std::string>{"X-A: 1", "X-B: 2"}));
  EXPECT_EQ(f->attach, std::vector<std::string>{"a.pdf"});
  EXPECT_FALSE(ParseSendFlags(Base({}))->compose);
  EXPECT_NE(SendError(Base({"--subject", "s", "--data", "m.eml"}))
                .find("do not go with --data"),
            std::string::npos);
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
