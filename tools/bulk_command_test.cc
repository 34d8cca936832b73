// Runs `smtpc bulk` in-process (libuv pool) against the sink in a thread.

#include "tools/bulk_command.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/command_test_util.h"
#include "tools/sink/sink_server.h"
#include "transports/testing/loopback_server.h"
#include "transports/testing/refused_port.h"

namespace smtpcore {
namespace cli {
namespace {

RunResult RunBulk(std::vector<std::string> args) {
  return RunCaptured(RunBulkCommand, args);
}

TEST(BulkCommandTest, SendsEveryMessageOverPooledConnections) {
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  const std::string server = absl::StrCat("127.0.0.1:", (*sink)->port());
  RunResult r = RunBulk({"--server", server, "--count", "60", "--concurrency",
                         "3", "--size", "5000", "--to", "x@example.org",
                         "--to", "y@example.org", "--progress", "never"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "bulk: 60 sent, 0 failed, ")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, " messages/s, ")) << r.out;
  EXPECT_TRUE(absl::EndsWith(r.out, " MB/s\n")) << r.out;
  EXPECT_EQ(r.err, "");
  ASSERT_TRUE((*sink)->WaitForMessages(60, absl::Seconds(10)));
  std::vector<ReceivedMessage> m = (*sink)->messages();
  ASSERT_EQ(m.size(), 60u);
  for (const ReceivedMessage& msg : m) {
    EXPECT_EQ(msg.data.size(), 5000u);
    EXPECT_EQ(msg.recipients,
              (std::vector<std::string>{"x@example.org", "y@example.org"}));
    EXPECT_TRUE(msg.chunking);  // CHUNKING offered: BDAT
  }
}

TEST(BulkCommandTest, JsonAndConnectionRetirement) {
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  const std::string server = absl::StrCat("127.0.0.1:", (*sink)->port());
  RunResult r = RunBulk({"--server", server, "--count", "20", "--concurrency",
                         "2", "--messages-per-connection", "5", "--json",
                         "--chunking", "never"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, R"({"sent":20,"failed":0,"seconds":)"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("bytes":20480,)")) << r.out;
  EXPECT_TRUE(absl::EndsWith(r.out, "\"first_error\":null}\n")) << r.out;
  // 20 messages, at most 5 per connection: at least 4 connections.
  const size_t at = r.out.find("\"connections\":");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::atoi(r.out.c_str() + at + 14), 4) << r.out;
  ASSERT_TRUE((*sink)->WaitForMessages(20, absl::Seconds(10)));
  for (const ReceivedMessage& msg : (*sink)->messages()) {
    EXPECT_FALSE(msg.chunking);
  }
}

TEST(BulkCommandTest, RefusedConnectionFailsEveryMessage) {
  // Held bound (not listening) until the end of the test: refused, and no
  // other socket can take the port meanwhile.
  absl::StatusOr<RefusedLoopbackPort> refused = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  RunResult r = RunBulk({"--server",
                         absl::StrCat("127.0.0.1:", refused->port()),
                         "--count", "10", "--progress", "never"});
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "bulk: 0 sent, 10 failed, ")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "smtpc bulk: first error: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "connection refused")) << r.err;
}

TEST(BulkCommandTest, UsageAndSummaryFormat) {
  RunResult r = RunBulk({"--count", "5"});
  EXPECT_EQ(r.status, 64);
  EXPECT_EQ(r.err,
            "smtpc bulk: --server HOST[:PORT] is required\nTry 'smtpc bulk "
            "--help' for more information.\n");
  BulkSummary s;
  s.sent = 1000;
  s.failed = 2;
  s.seconds = 2;
  s.bytes = 5000000;
  EXPECT_EQ(FormatBulkSummary(s),
            "bulk: 1000 sent, 2 failed, 2.00 s, 500.0 messages/s, 2.50 MB/s\n");
  s.first_error = "x";
  s.first_error_kind = "io";
  EXPECT_EQ(BulkSummaryToJson(s),
            R"({"sent":1000,"failed":2,"seconds":2,"messages_per_second":500,)"
            R"("megabytes_per_second":2.5,"bytes":5000000,"connections":0,)"
            R"("first_error":{"kind":"io","message":"x"}})");
}

TEST(BulkCommandTest, TlsBytesInsteadOfAGreetingSuggestImplicitTls) {
  // A server that answers with a TLS alert where "220 ..." should be: the
  // libuv transport reports kTlsPeerExpectsTls and the CLI suggests
  // --tls implicit.
  LoopbackServerOptions options;
  options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line.empty()) return std::string("\x15\x03\x03\x00\x02\x02\x46", 7);
    return absl::nullopt;
  };
  absl::StatusOr<std::unique_ptr<LoopbackServer>> server =
      LoopbackServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = absl::StrCat("127.0.0.1:", (*server)->port());
  RunResult r = RunBulk({"--server", address, "--tls", "starttls", "--count",
                         "1", "--concurrency", "1", "--progress", "never"});
  EXPECT_NE(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "answered with TLS bytes")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "smtpc bulk: hint: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "use --tls implicit")) << r.err;
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
