// End-to-end tests of `smtpc send` (in-process, the real blocking transport
// over loopback) against the embedded sink running in a thread. They assert
// the exit status, the JSON object and the exact bytes the sink received.

#include "tools/send_command.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/sink/sink_server.h"
#include "transports/testing/refused_port.h"

namespace smtpcore {
namespace cli {
namespace {

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

RunResult RunSend(std::vector<std::string> args, std::string stdin_data = "") {
  char* out_buf = nullptr;
  size_t out_len = 0;
  char* err_buf = nullptr;
  size_t err_len = 0;
  CommandIo io;
  io.out = open_memstream(&out_buf, &out_len);
  io.err = open_memstream(&err_buf, &err_len);
  io.in = stdin_data.empty()
              ? std::fopen("/dev/null", "r")
              : fmemopen(stdin_data.data(), stdin_data.size(), "r");
  RunResult r;
  r.status = RunSendCommand(args, io);
  std::fclose(io.out);
  std::fclose(io.err);
  std::fclose(io.in);
  r.out.assign(out_buf, out_len);
  r.err.assign(err_buf, err_len);
  std::free(out_buf);
  std::free(err_buf);
  return r;
}

std::string WriteTemp(absl::string_view name, absl::string_view bytes) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  return path;
}

class SendCommandTest : public ::testing::Test {
 protected:
  void StartSink(bool tls) {
    SinkServerOptions options;
    options.tls = tls;
    options.session.users = {{kDemoUser, kDemoPassword}};
    absl::StatusOr<std::unique_ptr<SinkThread>> sink =
        SinkThread::Start(options);
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = *std::move(sink);
    server_ = absl::StrCat("127.0.0.1:", sink_->port());
    if (tls) ca_file_ = WriteTemp("sink_ca.pem", sink_->ca_pem());
  }

  std::vector<ReceivedMessage> Messages(size_t n) {
    EXPECT_TRUE(sink_->WaitForMessages(n, absl::Seconds(10)));
    return sink_->messages();
  }

  std::unique_ptr<SinkThread> sink_;
  std::string server_;
  std::string ca_file_;
};

TEST_F(SendCommandTest, PlainDataIsDeliveredCrlfNormalised) {
  StartSink(/*tls=*/false);
  // Leading dots, bare LF, bare CR, a smuggling attempt, no final newline.
  const std::string input =
      "Subject: dots\n\n.leading\n..two\r\nbare CR\rsmuggle\n.\nend .";
  const std::string path = WriteTemp("dots.eml", input);
  for (const char* chunking : {"auto", "never"}) {
    RunResult r = RunSend({"--server", server_, "--tls", "none", "--from",
                           "a@example.org", "--to", "b@example.org", "--data",
                           path, "--chunking", chunking, "--json"});
    EXPECT_EQ(r.status, 0) << r.err << r.out;
    EXPECT_TRUE(absl::StrContains(
        r.out, R"("recipients":[{"address":"b@example.org","accepted":true,)"
               R"("status":"delivered","code":250,"enhanced_code":"2.1.5",)"
               R"("text":"Recipient <b@example.org> OK"}])"))
        << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, R"("status":"ok","exit_code":0,"error":null})"))
        << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, R"("tls":{"mode":"none","established":false})"));
    EXPECT_TRUE(absl::StrContains(
        r.out, absl::StrCat(R"("body_command":")",
                            std::string(chunking) == "auto" ? "BDAT" : "DATA",
                            "\"")))
        << r.out;
  }
  std::vector<ReceivedMessage> m = Messages(2);
  ASSERT_EQ(m.size(), 2u);
  const std::string want =
      "Subject: dots\r\n\r\n.leading\r\n..two\r\nbare CR\r\nsmuggle\r\n.\r\n"
      "end .\r\n";
  EXPECT_EQ(m[0].data, want);
  EXPECT_TRUE(m[0].chunking);
  EXPECT_EQ(m[1].data, want);
  EXPECT_FALSE(m[1].chunking);
  EXPECT_EQ(m[0].mail_from, "a@example.org");
  EXPECT_EQ(m[0].recipients, (std::vector<std::string>{"b@example.org"}));
  EXPECT_EQ(m[0].bare_line_endings, 0u);
}

TEST_F(SendCommandTest, StartTlsAuthAndTrace) {
  StartSink(/*tls=*/true);
  for (const char* mech : {"PLAIN", "LOGIN"}) {
    RunResult r = RunSend(
        {"--server", server_, "--tls", "starttls", "--ca-file", ca_file_,
         "--user", kDemoUser, "--password", kDemoPassword, "--auth", mech,
         "--from", "a@example.org", "--to", "b@example.org", "--trace",
         "--json"});
    EXPECT_EQ(r.status, 0) << r.err << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, R"("established":true,"version":"TLSv1.3")"))
        << r.out;
    EXPECT_TRUE(absl::StrContains(r.out, R"("verified":true)"));
    EXPECT_TRUE(absl::StrContains(
        r.out, absl::StrCat(R"("auth":{"mechanism":")", mech,
                            R"(","user":"demo"})")))
        << r.out;
    EXPECT_TRUE(absl::StrContains(r.err, "C: STARTTLS\n")) << r.err;
    EXPECT_TRUE(absl::StrContains(r.err, "S: 220 2.0.0 Ready to start TLS\n"));
    EXPECT_TRUE(absl::StrContains(r.err, "* TLS established: TLSv1.3"));
    EXPECT_TRUE(absl::StrContains(r.err, absl::StrCat("C: AUTH ", mech)));
    EXPECT_TRUE(absl::StrContains(r.err, "S: 235 2.7.0"));
    EXPECT_TRUE(absl::StrContains(r.err, "C: QUIT\n"));
    // Secrets never appear.
    EXPECT_FALSE(absl::StrContains(r.err, kDemoPassword)) << r.err;
    EXPECT_FALSE(absl::StrContains(r.err, "ZGVtby1wYXNzd29yZA")) << r.err;
    EXPECT_FALSE(absl::StrContains(r.err, "AGRlbW8A")) << r.err;
  }
  std::vector<ReceivedMessage> m = Messages(2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(m[0].tls);
  EXPECT_EQ(m[0].auth_user, "demo");
  EXPECT_TRUE(absl::StrContains(m[0].data, "Subject: smtpc test message\r\n"));
  EXPECT_TRUE(absl::StrContains(m[0].data, "To: <b@example.org>\r\n"));
}

TEST_F(SendCommandTest, PartialAllRejectedAndTempfail) {
  StartSink(/*tls=*/false);
  RunResult r = RunSend({"--server", server_, "--from", "a@x", "--to", "b@x",
                         "--to", "reject@x", "--to", "c@x"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_TRUE(absl::StrContains(
      r.out, "rejected  reject@x  550 5.1.1 <reject@x>: Recipient address "
             "rejected: no such user\n"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "delivered b@x       250 2.1.5"))
      << r.out;
  std::vector<ReceivedMessage> m = Messages(1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].recipients, (std::vector<std::string>{"b@x", "c@x"}));

  r = RunSend({"--server", server_, "--from", "a@x", "--to", "reject@x",
               "--json"});
  EXPECT_EQ(r.status, 4) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("error":{"kind":"rejected","permanent":true,"code":550,"enhanced_code":"5.1.1","command":"RCPT")"))
      << r.out;

  r = RunSend({"--server", server_, "--from", "a@x", "--to", "tempfail@x",
               "--to", "reject@x", "--json"});
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("permanent":false)")) << r.out;
  EXPECT_EQ(sink_->messages().size(), 1u);
}

TEST_F(SendCommandTest, RefusedSenderLeavesRecipientsNotSent) {
  // The sink refuses senders whose local part starts with "reject": the
  // error is the sender's (MAIL), its recipients are "not sent", never
  // "rejected" (core/delivery.h RecipientNotSent).
  StartSink(/*tls=*/false);
  RunResult r = RunSend({"--server", server_, "--from", "reject@x", "--to",
                         "b@x", "--to", "c@x", "--json"});
  EXPECT_EQ(r.status, 4) << r.out;
  EXPECT_TRUE(absl::StrContains(
      r.out, R"({"address":"b@x","accepted":false,"status":"not_sent",)"
             R"("code":null,"enhanced_code":null,"text":null})"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("status":"not_sent","code":null)"))
      << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, R"("status":"rejected")")) << r.out;
  EXPECT_TRUE(absl::StrContains(
      r.out, R"("error":{"kind":"rejected","permanent":true,"code":553,)"
             R"("enhanced_code":"5.7.1","command":"MAIL")"))
      << r.out;

  r = RunSend({"--server", server_, "--from", "reject@x", "--to", "b@x"});
  EXPECT_EQ(r.status, 4) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "not sent  b@x  -\n")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "rejected")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "refused the sender")) << r.err;

  // A malformed sender is refused before MAIL is sent: usage (64), the
  // same "not sent" recipients and a hint naming the sender.
  r = RunSend({"--server", server_, "--from", "a b@x", "--to", "b@x"});
  EXPECT_EQ(r.status, 64) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "not sent  b@x  -\n")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "sender address is malformed"))
      << r.err;

  r = RunSend({"--server", server_, "--from", "tempfail@x", "--to", "b@x",
               "--json"});
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("status":"not_sent")")) << r.out;
  EXPECT_EQ(sink_->messages().size(), 0u);
}

TEST_F(SendCommandTest, Smtputf8AndStdin) {
  StartSink(/*tls=*/false);
  RunResult r = RunSend(
      {"--server", server_, "--from", "a@x", "--to",
       "j\xC3\xBCrgen@b\xC3\xBC"
       "cher.example",
       "--data", "-", "--json"},
      "Subject: caf\xC3\xA9\n\nGr\xC3\xBC\xC3\x9F" "e\n");
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  std::vector<ReceivedMessage> m = Messages(1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "Subject: caf\xC3\xA9\r\n\r\nGr\xC3\xBC\xC3\x9F" "e\r\n");
  EXPECT_EQ(m[0].recipients[0], "j\xC3\xBCrgen@b\xC3\xBC" "cher.example");
  // SMTPUTF8 and BODY=8BITMIME were added by the session.
  EXPECT_NE(std::find(m[0].mail_params.begin(), m[0].mail_params.end(),
                      "SMTPUTF8"),
            m[0].mail_params.end());
  EXPECT_NE(std::find(m[0].mail_params.begin(), m[0].mail_params.end(),
                      "BODY=8BITMIME"),
            m[0].mail_params.end());
}

// To a server without SMTPUTF8, a Unicode domain goes out as its A-label
// (exit 0); a non-ASCII local part is refused before anything is sent, a
// permanent failure (exit 4).
TEST_F(SendCommandTest, IdnaWithoutSmtpUtf8) {
  SinkServerOptions options;
  options.session.smtputf8 = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink =
      SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  sink_ = *std::move(sink);
  server_ = absl::StrCat("127.0.0.1:", sink_->port());
  const std::string path = WriteTemp("idna.eml", "Subject: x\n\nhi\n");
  RunResult r = RunSend({"--server", server_, "--tls", "none", "--from",
                         "a@b\xC3\xBC" "cher.example", "--to",
                         "bob@B\xC3\x9C" "CHER.example", "--data", path,
                         "--json"});
  EXPECT_EQ(r.status, 0) << r.err << r.out;
  std::vector<ReceivedMessage> m = Messages(1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].mail_from, "a@xn--bcher-kva.example");
  EXPECT_EQ(m[0].recipients,
            (std::vector<std::string>{"bob@xn--bcher-kva.example"}));

  r = RunSend({"--server", server_, "--tls", "none", "--from",
               "a@example.org", "--to", "j\xC3\xB6rg@example.org", "--data",
               path, "--json"});
  EXPECT_EQ(r.status, 4) << r.err << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("status":"permanent")")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "needs_smtputf8")) << r.out;
}

TEST_F(SendCommandTest, DsnParameters) {
  StartSink(/*tls=*/false);
  RunResult r = RunSend({"--server", server_, "--from", "a@x", "--to", "b@x",
                         "--dsn-notify", "success,failure", "--dsn-ret",
                         "hdrs", "--envid", "QQ+1"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<ReceivedMessage> m = Messages(1);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(std::find(m[0].mail_params.begin(), m[0].mail_params.end(),
                      "RET=HDRS"),
            m[0].mail_params.end());
  EXPECT_NE(std::find(m[0].mail_params.begin(), m[0].mail_params.end(),
                      "ENVID=QQ+2B1"),
            m[0].mail_params.end());
  EXPECT_EQ(m[0].rcpt_params[0],
            (std::vector<std::string>{"NOTIFY=SUCCESS,FAILURE"}));
}

TEST_F(SendCommandTest, UntrustedCertificateIsAProtocolError) {
  StartSink(/*tls=*/true);
  RunResult r = RunSend({"--server", server_, "--tls", "starttls", "--from",
                         "a@x", "--to", "b@x", "--json"});
  EXPECT_EQ(r.status, 5) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("error":{"kind":"tls_)")) << r.out;
  // Opportunistic without a CA encrypts without verifying.
  r = RunSend({"--server", server_, "--from", "a@x", "--to", "b@x", "--json"});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("established":true)")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("verified":false)")) << r.out;
  EXPECT_EQ(Messages(1).size(), 1u);
}

// A TLS handshake that fails before the session (implicit TLS to a plain
// server): every recipient is not sent, none pending.
TEST_F(SendCommandTest, ImplicitTlsFailureLeavesRecipientsNotSent) {
  StartSink(/*tls=*/false);
  RunResult r = RunSend({"--server", server_, "--tls", "implicit", "--from",
                         "a@x", "--to", "b@x", "--json", "--timeout", "10"});
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_TRUE(absl::StrContains(
      r.out, R"({"address":"b@x","accepted":false,"status":"not_sent",)"))
      << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "pending")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("error":{"kind":"tls_)")) << r.out;
  EXPECT_TRUE(sink_->messages().empty());
}

TEST_F(SendCommandTest, WrongPassword) {
  StartSink(/*tls=*/true);
  RunResult r = RunSend({"--server", server_, "--tls", "starttls", "--ca-file",
                         ca_file_, "--user", "demo", "--password", "nope",
                         "--from", "a@x", "--to", "b@x", "--json"});
  EXPECT_EQ(r.status, 4) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("code":535,"enhanced_code":"5.7.8")"))
      << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "nope"));
}

TEST(SendCommandNoServerTest, ConnectionRefusedIsTemporary) {
  // Held bound (not listening) until the end of the test: refused, and no
  // other socket can take the port meanwhile.
  absl::StatusOr<RefusedLoopbackPort> refused = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  const std::string server = absl::StrCat("127.0.0.1:", refused->port());
  RunResult r =
      RunSend({"--server", server, "--from", "a@x", "--to", "b@x", "--json"});
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, R"("error":{"kind":"io","permanent":false)"))
      << r.out;
  r = RunSend({"--server", server, "--from", "a@x", "--to", "b@x"});
  EXPECT_EQ(r.status, 3);
  EXPECT_TRUE(absl::StrContains(r.err, "smtpc send: error: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "connection refused")) << r.err;
}

// Every recipient gets a final outcome even when the session never started:
// "not_sent" (the connection error is the cause), never "pending".
TEST(SendCommandNoServerTest, ConnectionRefusedLeavesRecipientsNotSent) {
  absl::StatusOr<RefusedLoopbackPort> refused = RefusedLoopbackPort::Reserve();
  ASSERT_TRUE(refused.ok()) << refused.status();
  const std::string server = absl::StrCat("127.0.0.1:", refused->port());
  RunResult r = RunSend({"--server", server, "--from", "a@x", "--to", "b@x",
                         "--to", "c@x", "--json"});
  EXPECT_EQ(r.status, 3) << r.out;
  for (const char* address : {"b@x", "c@x"}) {
    EXPECT_TRUE(absl::StrContains(
        r.out, absl::StrCat(R"({"address":")", address,
                            R"(","accepted":false,"status":"not_sent",)"
                            R"("code":null,"enhanced_code":null,)"
                            R"("text":null})")))
        << r.out;
  }
  EXPECT_FALSE(absl::StrContains(r.out, "pending")) << r.out;
  EXPECT_TRUE(absl::StrContains(
      r.out, R"("error":{"kind":"io","permanent":false,"code":null,)"
             R"("enhanced_code":null,"command":"CONNECT",)"))
      << r.out;

  r = RunSend(
      {"--server", server, "--from", "a@x", "--to", "b@x", "--to", "c@x"});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "not sent  b@x  -\nnot sent  c@x  -\n");
  EXPECT_TRUE(absl::StrContains(r.err, "connection refused")) << r.err;
}

TEST(SendCommandNoServerTest, UsageErrors) {
  RunResult r = RunSend({"--server", "h", "--to", "b@x"});
  EXPECT_EQ(r.status, 64);
  EXPECT_EQ(r.err,
            "smtpc send: --from ADDR is required (--from \"\" for the null "
            "sender)\nTry 'smtpc send --help' for more information.\n");
  r = RunSend({"--server", "h", "--from", "a", "--to", "b", "--data",
               "/nonexistent/x"});
  EXPECT_EQ(r.status, 64);
  EXPECT_TRUE(absl::StartsWith(r.err, "smtpc send: cannot read --data ")) << r.err;
  r = RunSend({"--server", "h", "--from", "a", "--to", "b", "--ca-file",
               "/nonexistent/ca.pem"});
  EXPECT_EQ(r.status, 64);
  EXPECT_TRUE(absl::StartsWith(r.err, "smtpc send: cannot read --ca-file ")) << r.err;
  r = RunSend({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(absl::StartsWith(r.out, "Usage: smtpc send --server HOST[:PORT]"));
  EXPECT_TRUE(absl::StrContains(r.out, "  --dsn-notify LIST"));
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
