// Runs `smtpc demo` in-process (embedded sink + libuv client on one loop)
// and checks the transcript and the exact message the sink received.

#include "tools/demo_command.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tools/command_test_util.h"

namespace smtpcore {
namespace cli {
namespace {

RunResult RunDemo(std::vector<std::string> args) {
  return RunCaptured(RunDemoCommand, args);
}

// ExpectedBlock renders the demo message as the demo prints it.
std::string ExpectedBlock(absl::string_view date) {
  std::string message = DemoMessage(date);
  message.resize(message.size() - 2);  // the last CRLF
  std::string out;
  for (absl::string_view line : absl::StrSplit(message, "\r\n")) {
    absl::StrAppend(&out, "  | ", line, "\n");
  }
  return out;
}

TEST(DemoCommandTest, FullSession) {
  RunResult r = RunDemo({"--color", "never"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  const std::string& o = r.out;
  // The transcript, in order.
  const std::vector<std::string> in_order = {
      "* sink listening on 127.0.0.1:",
      "S: 220 sink.smtpc.test ESMTP smtpc demo sink ready\n",
      "C: EHLO client.smtpc.demo\n",
      "S: 250 STARTTLS\n",
      "C: STARTTLS\n",
      "S: 220 2.0.0 Ready to start TLS\n",
      "* TLS established: TLSv1.3, ",
      "certificate verified for 127.0.0.1\n",
      "C: EHLO client.smtpc.demo\n",
      "S: 250 AUTH PLAIN LOGIN\n",
      "C: AUTH PLAIN <redacted>\n",
      "S: 235 2.7.0 Authentication successful\n",
      "* authenticated as demo with PLAIN\n",
      "C: MAIL FROM:<alice@example.org>",
      "C: RCPT TO:<bob@example.org>\n",
      "C: RCPT TO:<j\xC3\xBCrgen@b\xC3\xBC" "cher.example>\n",
      "C: BDAT ",
      "S: 250 2.1.0 Sender <alice@example.org> OK\n",
      "S: 250 2.1.5 Recipient <bob@example.org> OK\n",
      "S: 250 2.0.0 Ok: ",
      "C: QUIT\n",
      "S: 221 2.0.0 sink.smtpc.test closing connection\n",
      "Delivered to 2 of 2 recipients: 250 2.0.0 Ok: ",
      "The sink received message 1 (",
      " octets via BDAT, over TLS, AUTH as demo):\n",
      "  MAIL FROM:<alice@example.org>",
      "  RCPT TO:<bob@example.org>\n",
      "  RCPT TO:<j\xC3\xBCrgen@b\xC3\xBC" "cher.example>\n",
      "  | From: Alice <alice@example.org>\n",
  };
  size_t pos = 0;
  for (const std::string& s : in_order) {
    const size_t found = o.find(s, pos);
    ASSERT_NE(found, std::string::npos) << "missing after " << pos << ": " << s
                                        << "\n---\n" << o;
    pos = found + s.size();
  }
  // PIPELINING: MAIL and both RCPTs went out before the first reply to them.
  const size_t rcpt2 = o.find("C: RCPT TO:<j");
  const size_t mail_reply = o.find("S: 250 2.1.0");
  EXPECT_LT(rcpt2, mail_reply);
  // SMTPUTF8 and 8BITMIME in the envelope.
  const size_t mail = o.find("  MAIL FROM:<alice@example.org>");
  const std::string mail_line = o.substr(mail, o.find('\n', mail) - mail);
  EXPECT_TRUE(absl::StrContains(mail_line, "SMTPUTF8")) << mail_line;
  EXPECT_TRUE(absl::StrContains(mail_line, "BODY=8BITMIME")) << mail_line;
  // No secret anywhere.
  EXPECT_FALSE(absl::StrContains(o, "demo-password"));
  EXPECT_FALSE(absl::StrContains(o, "ZGVtby1wYXNzd29yZA"));
  // The received message, byte for byte (the Date line is taken from the
  // output).
  const size_t date = o.find("  | Date: ");
  ASSERT_NE(date, std::string::npos);
  const size_t date_end = o.find('\n', date);
  const std::string date_value = o.substr(date + 10, date_end - date - 10);
  const std::string block = ExpectedBlock(date_value);
  EXPECT_TRUE(absl::StrContains(o, block)) << o << "\n--- want ---\n"
                                           << block;
  EXPECT_FALSE(absl::StrContains(o, "\033["));  // --color never
}

TEST(DemoCommandTest, Plain) {
  RunResult r = RunDemo({"--plain", "--color", "never"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "STARTTLS\n"));
  EXPECT_FALSE(absl::StrContains(r.out, "C: AUTH"));
  EXPECT_TRUE(absl::StrContains(r.out, "via BDAT, in plaintext):\n"));
}

TEST(DemoCommandTest, Usage) {
  RunResult r = RunDemo({"--bogus"});
  EXPECT_EQ(r.status, 64);
  EXPECT_EQ(r.err,
            "smtpc demo: unknown option --bogus\nTry 'smtpc demo --help' "
            "for more information.\n");
  r = RunDemo({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(absl::StartsWith(r.out, "Usage: smtpc demo"));
}

TEST(DemoCommandTest, FormatReceivedMessageShowsBareLineEndings) {
  ReceivedMessage m;
  m.id = 3;
  m.mail_from = "a@x";
  m.mail_params = {"SIZE=10"};
  m.recipients = {"b@y"};
  m.rcpt_params = {{"NOTIFY=NEVER"}};
  m.data = "one\r\ntwo\nthree\r\n";
  EXPECT_EQ(FormatReceivedMessage(m),
            "The sink received message 3 (16 octets via DATA, in plaintext):\n"
            "  MAIL FROM:<a@x> SIZE=10\n"
            "  RCPT TO:<b@y> NOTIFY=NEVER\n"
            "  | one\n"
            "  | two\\nthree\n");
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
