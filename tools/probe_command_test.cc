// End-to-end tests of `smtpc probe` and `smtpc send --quit-after`
// (in-process, StepClient over loopback) against the embedded sink in a
// thread: exit statuses, the JSON object, and that --quit-after delivers
// nothing. tests/integration/reach_test.sh checks the same commands on the
// wire of real servers.

#include "tools/probe_command.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/command_test_util.h"
#include "tools/send_command.h"
#include "tools/service_command.h"
#include "tools/sink/sink_server.h"
#include "transports/testing/loopback_server.h"

namespace smtpcore {
namespace cli {
namespace {

int RunVrfy(absl::Span<const std::string> args, const CommandIo& io) {
  return RunServiceCommand("vrfy", args, io);
}

class ProbeCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SinkServerOptions options;
    options.tls = true;
    options.session.users = {{kDemoUser, kDemoPassword}};
    absl::StatusOr<std::unique_ptr<SinkThread>> sink =
        SinkThread::Start(options);
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = *std::move(sink);
    server_ = absl::StrCat("127.0.0.1:", sink_->port());
    ca_file_ = absl::StrCat(::testing::TempDir(), "/probe_ca.pem");
    std::FILE* f = std::fopen(ca_file_.c_str(), "wb");
    std::fputs(sink_->ca_pem().c_str(), f);
    std::fclose(f);
  }

  std::unique_ptr<SinkThread> sink_;
  std::string server_;
  std::string ca_file_;
};

TEST_F(ProbeCommandTest, StartTlsAndAuth) {
  RunResult r = RunCaptured(
      RunProbeCommand, {"--server", server_, "--tls", "starttls", "--ca-file",
                        ca_file_, "--user", kDemoUser, "--password",
                        kDemoPassword, "--json"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "\"status\":\"ok\"")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\"verified\":true")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\"ok\":true,\"reply\":\"235")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\"name\":\"ehlo_tls\"")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\"capabilities_before_tls\":[")) << r.out;
}

TEST_F(ProbeCommandTest, WrongPasswordIsPermanent) {
  RunResult r = RunCaptured(
      RunProbeCommand, {"--server", server_, "--tls", "starttls", "--ca-file",
                        ca_file_, "--user", kDemoUser, "--password", "wrong"});
  EXPECT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "auth:")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "result:    permanent")) << r.out;
}

TEST_F(ProbeCommandTest, QuitAfterRcptDeliversNothing) {
  RunResult r = RunCaptured(
      RunSendCommand,
      {"--server", server_, "--tls", "starttls", "--ca-file", ca_file_,
       "--from", "a@example.org", "--to", "b@example.org", "--quit-after",
       "rcpt", "--json"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "\"quit_after\":\"rcpt\"")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "\"rcpt\":[\"250")) << r.out;
  EXPECT_TRUE(sink_->messages().empty());
}

TEST(ProbeCommandTlsBytesTest, TlsBytesInsteadOfAGreetingSayImplicitTls) {
  // A server that answers with a TLS alert where "220 ..." should be.
  LoopbackServerOptions options;
  options.hook = [](const LoopbackContext&, absl::string_view line)
      -> absl::optional<std::string> {
    if (line.empty()) return std::string("\x15\x03\x03\x00\x02\x02\x46", 7);
    return absl::nullopt;
  };
  absl::StatusOr<std::unique_ptr<LoopbackServer>> server =
      LoopbackServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  RunResult r = RunCaptured(
      RunProbeCommand,
      {"--server", absl::StrCat("127.0.0.1:", (*server)->port()), "--tls",
       "starttls", "--json"});
  EXPECT_NE(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "tls_peer_expects_tls")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "answered with TLS bytes")) << r.out;
}

TEST(ProbeCommandUsageTest, UsageErrors) {
  EXPECT_EQ(RunCaptured(RunProbeCommand, {}).status, 64);
  EXPECT_EQ(RunCaptured(RunProbeCommand,
                        {"--server", "127.0.0.1:25", "--proxy", "ftp://x"})
                .status,
            64);
  EXPECT_EQ(RunCaptured(RunProbeCommand, {"--help"}).status, 0);
  EXPECT_EQ(RunCaptured(RunVrfy, {"--server", "127.0.0.1:25"}).status, 64);
  EXPECT_EQ(RunCaptured(RunVrfy, {"--server", "127.0.0.1:25", "a", "b"}).status,
            64);
  EXPECT_EQ(RunCaptured(RunVrfy, {"--server", "127.0.0.1:25", "--lmtp", "a"})
                .status,
            64);
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
