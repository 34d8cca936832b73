#include "tools/sendmail_command.h"

#include <sys/stat.h>
#include <sysexits.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/sink/sink_server.h"

namespace smtpcore {
namespace cli {
namespace {

std::string ReadAll(const std::string& text, bool ignore_dots) {
  std::FILE* f = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  absl::StatusOr<std::string> m = ReadSendmailMessage(f, ignore_dots);
  std::fclose(f);
  return m.ok() ? *m : "<error>";
}

TEST(ReadSendmailMessageTest, LoneDotEndsInputUnlessIgnored) {
  const std::string input = "Subject: x\n\n.a\n.\nafter\n";
  EXPECT_EQ(ReadAll(input, false), "Subject: x\n\n.a\n");
  EXPECT_EQ(ReadAll(input, true), input);
  EXPECT_EQ(ReadAll("a\r\n.\r\nb", false), "a\r\n");
  EXPECT_EQ(ReadAll("no final newline", false), "no final newline");
}

TEST(PrepareSendmailMessageTest, RemovesBccAddsMissingFields) {
  EXPECT_EQ(PrepareSendmailMessage("To: b@x\nBcc: s@x\nSubject: s\n\nbody\n",
                                   "a@x", "Ann Lee", "D", "<id@x>"),
            "From: Ann Lee <a@x>\nDate: D\nMessage-ID: <id@x>\n"
            "To: b@x\nSubject: s\n\nbody\n");
  const std::string complete =
      "From: a@x\r\nDate: D0\r\nMessage-Id: <m@x>\r\n\r\nbody\r\n";
  EXPECT_EQ(PrepareSendmailMessage(complete, "a@x", "", "D", "<id@x>"),
            complete);
  // No header section at all: the added fields get a separator.
  EXPECT_EQ(PrepareSendmailMessage("just text\n", "a@x", "", "D", "<i>"),
            "From: a@x\nDate: D\nMessage-ID: <i>\n\njust text\n");
}

class RunSendmailTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args, const std::string& input) {
    std::FILE* in = fmemopen(const_cast<char*>(input.data()),
                             std::max<size_t>(input.size(), 1), "r");
    char* out_buf = nullptr;
    size_t out_size = 0;
    char* err_buf = nullptr;
    size_t err_size = 0;
    CommandIo io;
    io.in = in;
    io.out = open_memstream(&out_buf, &out_size);
    io.err = open_memstream(&err_buf, &err_size);
    const int status = RunSendmailCommand(args, io);
    std::fclose(io.out);
    std::fclose(io.err);
    std::fclose(in);
    out_ = std::string(out_buf, out_size);
    err_ = std::string(err_buf, err_size);
    free(out_buf);
    free(err_buf);
    return status;
  }
  std::string Config(const std::string& text, mode_t mode) {
    const std::string path =
        std::string(std::getenv("TEST_TMPDIR")) + "/rc" +
        std::to_string(counter_++);
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }
  std::string out_;
  std::string err_;
  int counter_ = 0;
};

TEST_F(RunSendmailTest, UsageErrors) {
  EXPECT_EQ(Run({"-x"}, ""), EX_USAGE);
  EXPECT_NE(err_.find("smtpc sendmail: unknown option -x"), std::string::npos);
  EXPECT_EQ(Run({"--help"}, ""), EX_OK);
  EXPECT_NE(out_.find("Usage: smtpc sendmail"), std::string::npos);
}

TEST_F(RunSendmailTest, InsecurePasswordFileSendsNothing) {
  const std::string rc = Config(
      "account default\nhost 127.0.0.1\nport 1\nuser u\npassword s\n"
      "from a@x\n",
      0644);
  EXPECT_EQ(Run({"-C", rc, "b@x"}, "Subject: x\n\nbody\n"), EX_USAGE);
  EXPECT_NE(err_.find("contains a password and can be read by group or "
                      "others"),
            std::string::npos)
      << err_;
}

TEST_F(RunSendmailTest, NoRecipientsNoSenderUnknownAccount) {
  const std::string rc =
      Config("account default\nhost 127.0.0.1\nport 1\ntls off\n", 0600);
  EXPECT_EQ(Run({"-C", rc, "-f", "a@x"}, "Subject: x\n\nbody\n"), EX_USAGE);
  EXPECT_NE(err_.find("no recipients"), std::string::npos) << err_;
  EXPECT_EQ(Run({"-C", rc, "-t", "-f", "a@x"}, "Subject: x\n\nbody\n"),
            EX_USAGE);
  EXPECT_NE(err_.find("the message has no To, Cc or Bcc"), std::string::npos);
  EXPECT_EQ(Run({"-C", rc, "b@x"}, "Subject: x\n\nbody\n"), EX_USAGE);
  EXPECT_NE(err_.find("no envelope sender"), std::string::npos) << err_;
  EXPECT_EQ(Run({"-C", rc, "-a", "nope", "b@x"}, ""), EX_USAGE);
  EXPECT_NE(err_.find("no account 'nope'"), std::string::npos) << err_;
}

TEST_F(RunSendmailTest, AllOrNothingAgainstTheSink) {
  // As msmtp: one refused recipient keeps the message from everyone, so a
  // status other than EX_OK means nothing was sent. The sink refuses
  // "reject*" (550) and "tempfail*" (450) recipients and senders.
  SinkServerOptions options;
  options.tls = false;
  absl::StatusOr<std::unique_ptr<SinkThread>> sink = SinkThread::Start(options);
  ASSERT_TRUE(sink.ok()) << sink.status();
  const std::string rc = Config(
      absl::StrCat("account default\nhost 127.0.0.1\nport ", (*sink)->port(),
                   "\ntls off\nfrom a@x\n"),
      0600);
  const std::string message = "Subject: x\n\nbody\n";

  EXPECT_EQ(Run({"-C", rc, "b@x", "reject@x", "c@x"}, message),
            EX_UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(err_, "not sent to b@x")) << err_;
  EXPECT_TRUE(absl::StrContains(err_, "not sent to c@x")) << err_;
  EXPECT_TRUE(absl::StrContains(err_, "rejected reject@x: 550 5.1.1")) << err_;

  EXPECT_EQ(Run({"-C", rc, "b@x", "tempfail@x"}, message), EX_TEMPFAIL);
  EXPECT_TRUE(absl::StrContains(err_, "not sent to b@x")) << err_;
  EXPECT_TRUE(absl::StrContains(err_, "deferred tempfail@x: 450 4.2.1"))
      << err_;

  EXPECT_EQ(Run({"-C", rc, "-f", "reject@x", "b@x"}, message),
            EX_UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(
      err_, "the sender <reject@x> was refused; not sent to b@x"))
      << err_;
  EXPECT_FALSE(absl::StrContains(err_, "rejected b@x")) << err_;

  EXPECT_EQ((*sink)->messages().size(), 0u);
  EXPECT_EQ(Run({"-C", rc, "b@x", "c@x"}, message), EX_OK) << err_;
  ASSERT_TRUE((*sink)->WaitForMessages(1, absl::Seconds(10)));
  std::vector<ReceivedMessage> m = (*sink)->messages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].recipients, (std::vector<std::string>{"b@x", "c@x"}));
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
