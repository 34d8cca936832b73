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

TEST(BulkCommandTest, DistinctBodiesRotateInOrder) {
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  const std::string server = absl::StrCat("127.0.0.1:", (*sink)->port());
  // One connection: the messages arrive in the order they were submitted.
  RunResult r = RunBulk({"--server", server, "--count", "7", "--concurrency",
                         "1", "--size", "3000", "--distinct", "3",
                         "--progress", "never", "--chunking", "never"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  ASSERT_TRUE((*sink)->WaitForMessages(7, absl::Seconds(10)));
  std::vector<ReceivedMessage> m = (*sink)->messages();
  ASSERT_EQ(m.size(), 7u);
  for (size_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(m[i].data.size(), 3000u);
    // GenerateSizedMessage puts its index in the Subject: 1, 2, 3, 1, ...
    EXPECT_TRUE(absl::StrContains(
        m[i].data, absl::StrCat("Subject: smtpc bulk message ", i % 3 + 1,
                                "\r\n")))
        << i << ": " << m[i].data.substr(0, 200);
  }
  EXPECT_NE(m[0].data, m[1].data);
  EXPECT_EQ(m[0].data, m[3].data);
}

TEST(BulkCommandTest, DataFileIsSentAsIs) {
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  const std::string server = absl::StrCat("127.0.0.1:", (*sink)->port());
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/bulk.eml";
  const std::string message =
      "From: <a@example.org>\r\nSubject: file\r\n\r\n.leading dot\r\nend\r\n";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(message.data(), 1, message.size(), f);
    std::fclose(f);
  }
  for (const char* distinct : {"1", "2"}) {
    RunResult r = RunBulk({"--server", server, "--count", "4", "--data", path,
                           "--distinct", distinct, "--progress", "never",
                           "--chunking", "never", "--json"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(absl::StrContains(
        r.out, absl::StrCat("\"bytes\":", 4 * message.size(), ",")))
        << r.out;
  }
  ASSERT_TRUE((*sink)->WaitForMessages(8, absl::Seconds(10)));
  for (const ReceivedMessage& msg : (*sink)->messages()) {
    EXPECT_EQ(msg.data, message);  // the dot-stuffing undone by the sink
  }
  RunResult bad = RunBulk({"--server", server, "--data", path + ".missing"});
  EXPECT_EQ(bad.status, 64) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "bulk.eml.missing")) << bad.err;
  RunResult both =
      RunBulk({"--server", server, "--data", path, "--size", "10"});
  EXPECT_EQ(both.status, 64);
  EXPECT_TRUE(absl::StrContains(both.err, "--data and --size")) << both.err;
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
