#include "tools/sink/sink_session.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

constexpr char kGreeting[] =
    "220 sink.smtpc.test ESMTP smtpc demo sink ready\r\n";
constexpr char kEhloPlain[] =
    "250-sink.smtpc.test greets c.example\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 33554432\r\n"
    "250-8BITMIME\r\n"
    "250-SMTPUTF8\r\n"
    "250-CHUNKING\r\n"
    "250-DSN\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";

SinkOptions DemoOptions() {
  SinkOptions o;
  o.tls_available = true;
  o.users = {{"demo", "demo-password"}};
  return o;
}

// Drain returns and consumes the pending output.
std::string Drain(SinkSession& s) {
  std::string out(s.PendingOutput());
  s.ConsumeOutput(out.size());
  return out;
}

// Feed feeds `input` in one piece and returns the replies.
std::string Feed(SinkSession& s, absl::string_view input) {
  s.Receive(input);
  return Drain(s);
}

// Greeted returns a session that got the greeting and EHLO c.example.
std::unique_ptr<SinkSession> Greeted(SinkOptions options = SinkOptions()) {
  auto s = std::make_unique<SinkSession>(std::move(options));
  Drain(*s);
  s->Receive("EHLO c.example\r\n");
  Drain(*s);
  return s;
}

TEST(SinkSessionTest, GreetingAndEhlo) {
  SinkSession s{SinkOptions()};
  EXPECT_EQ(Drain(s), kGreeting);
  EXPECT_EQ(Feed(s, "EHLO c.example\r\n"), kEhloPlain);
  EXPECT_EQ(Feed(s, "HELO old.example\r\n"), "250 sink.smtpc.test\r\n");
  EXPECT_EQ(Feed(s, "EHLO\r\n"), "501 5.5.4 Syntax: EHLO domain\r\n");
}

TEST(SinkSessionTest, EhloAdvertisesStartTlsAndAuthOnlyAfterTls) {
  SinkSession s(DemoOptions());
  Drain(s);
  std::string ehlo = Feed(s, "ehlo c.example\r\n");
  EXPECT_NE(ehlo.find("250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"),
            std::string::npos)
      << ehlo;
  EXPECT_EQ(ehlo.find("AUTH"), std::string::npos);
  EXPECT_EQ(Feed(s, "AUTH PLAIN AGRlbW8AZGVtby1wYXNzd29yZA==\r\n"),
            "538 5.7.11 Encryption required for requested authentication "
            "mechanism\r\n");

  // Rule 2: the NOOP pipelined after STARTTLS is discarded, never answered.
  EXPECT_EQ(Feed(s, "STARTTLS\r\nNOOP\r\n"), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_TRUE(s.tls_requested());
  EXPECT_EQ(Feed(s, "NOOP\r\n"), "");  // still waiting for the handshake
  s.OnTlsEstablished();
  EXPECT_FALSE(s.tls_requested());
  EXPECT_TRUE(s.tls_active());
  // EHLO state was forgotten.
  EXPECT_EQ(Feed(s, "MAIL FROM:<a@x>\r\n"),
            "503 5.5.1 Send EHLO or HELO first\r\n");
  ehlo = Feed(s, "EHLO c.example\r\n");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_NE(ehlo.find("250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN\r\n"),
            std::string::npos)
      << ehlo;
  EXPECT_EQ(Feed(s, "STARTTLS\r\n"), "503 5.5.1 TLS already active\r\n");
}

TEST(SinkSessionTest, StartTlsUnavailable) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s, "STARTTLS\r\n"), "502 5.5.1 STARTTLS not available\r\n");
  EXPECT_EQ(Feed(*s, "STARTTLS now\r\n"), "501 5.5.4 Syntax: STARTTLS\r\n");
}

std::unique_ptr<SinkSession> TlsSession() {
  auto s = std::make_unique<SinkSession>(DemoOptions());
  s->Receive("EHLO c.example\r\nSTARTTLS\r\n");
  s->OnTlsEstablished();
  s->Receive("EHLO c.example\r\n");
  Drain(*s);
  return s;
}

TEST(SinkSessionTest, AuthPlain) {
  auto s = TlsSession();
  // "\0demo\0wrong"
  EXPECT_EQ(Feed(*s, "AUTH PLAIN AGRlbW8Ad3Jvbmc=\r\n"),
            "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(s->authenticated_user(), "");
  EXPECT_EQ(Feed(*s, "AUTH PLAIN !!!\r\n"),
            "501 5.5.2 Invalid base64 in initial response\r\n");
  // "\0demo\0demo-password"
  EXPECT_EQ(Feed(*s, "AUTH PLAIN AGRlbW8AZGVtby1wYXNzd29yZA==\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(s->authenticated_user(), "demo");
  EXPECT_EQ(Feed(*s, "AUTH PLAIN AGRlbW8AZGVtby1wYXNzd29yZA==\r\n"),
            "503 5.5.1 Already authenticated\r\n");
}

TEST(SinkSessionTest, AuthPlainWithChallengeAndAuthzid) {
  auto s = TlsSession();
  EXPECT_EQ(Feed(*s, "AUTH PLAIN\r\n"), "334 \r\n");
  // "demo\0demo\0demo-password"
  const std::string response = absl::Base64Escape(
      absl::string_view("demo\0demo\0demo-password", 23));
  EXPECT_EQ(Feed(*s, response + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
}

TEST(SinkSessionTest, AuthPlainEmptyInitialResponseAndCancel) {
  auto s = TlsSession();
  EXPECT_EQ(Feed(*s, "AUTH PLAIN =\r\n"),
            "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(Feed(*s, "AUTH PLAIN\r\n*\r\n"),
            "334 \r\n501 5.7.0 Authentication cancelled\r\n");
  EXPECT_EQ(Feed(*s, "AUTH CRAM-MD5\r\n"),
            "504 5.5.4 Unrecognized authentication mechanism\r\n");
}

TEST(SinkSessionTest, AuthLogin) {
  auto s = TlsSession();
  EXPECT_EQ(Feed(*s, "AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(Feed(*s, absl::Base64Escape("demo") + "\r\n"),
            "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(Feed(*s, absl::Base64Escape("demo-password") + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(s->authenticated_user(), "demo");
}

TEST(SinkSessionTest, AuthLoginInitialResponseWrongPassword) {
  auto s = TlsSession();
  EXPECT_EQ(Feed(*s, "AUTH LOGIN " + absl::Base64Escape("demo") + "\r\n" +
                        absl::Base64Escape("nope") + "\r\n"),
            "334 UGFzc3dvcmQ6\r\n"
            "535 5.7.8 Authentication credentials invalid\r\n");
}

TEST(SinkSessionTest, AuthWithoutTlsWhenAllowed) {
  SinkOptions o = DemoOptions();
  o.tls_available = false;
  o.auth_requires_tls = false;
  auto s = std::make_unique<SinkSession>(o);
  Drain(*s);
  const std::string ehlo = Feed(*s, "EHLO c.example\r\n");
  EXPECT_NE(ehlo.find("250 AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(Feed(*s, "AUTH PLAIN AGRlbW8AZGVtby1wYXNzd29yZA==\r\n"),
            "235 2.7.0 Authentication successful\r\n");
}

// A pipelined transaction in one write: the replies come in order and the
// message is un-stuffed exactly.
TEST(SinkSessionTest, PipelinedTransactionWithDotStuffing) {
  const std::string input =
      "MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME\r\n"
      "RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE\r\n"
      "RCPT TO:<reject.me@example.org>\r\n"
      "RCPT TO:<c@example.org>\r\n"
      "DATA\r\n";
  const std::string body =
      "Subject: dots\r\n\r\n..leading\r\n...two\r\n.\xC3\xA9\r\nend\r\n.\r\n";
  const std::string expected_replies =
      "250 2.1.0 Sender <a@example.org> OK\r\n"
      "250 2.1.5 Recipient <b@example.org> OK\r\n"
      "550 5.1.1 <reject.me@example.org>: Recipient address rejected: no such "
      "user\r\n"
      "250 2.1.5 Recipient <c@example.org> OK\r\n"
      "354 End data with <CR><LF>.<CR><LF>\r\n";
  const std::string want_data =
      "Subject: dots\r\n\r\n.leading\r\n..two\r\n\xC3\xA9\r\nend\r\n";

  // Whole, then every 2-way split of the body, then byte by byte.
  for (size_t split = 0; split <= body.size() + 1; ++split) {
    auto s = Greeted();
    std::string out = Feed(*s, input);
    EXPECT_EQ(out, expected_replies);
    if (split <= body.size()) {
      out = Feed(*s, body.substr(0, split));
      out += Feed(*s, body.substr(split));
    } else {
      out.clear();
      for (char c : body) out += Feed(*s, std::string(1, c));
    }
    EXPECT_EQ(out, "250 2.0.0 Ok: 43 octets queued as 1\r\n") << split;
    std::vector<ReceivedMessage> m = s->TakeMessages();
    ASSERT_EQ(m.size(), 1u) << split;
    EXPECT_EQ(m[0].data, want_data) << split;
    EXPECT_EQ(m[0].mail_from, "a@example.org");
    EXPECT_EQ(m[0].mail_params,
              (std::vector<std::string>{"SIZE=100", "BODY=8BITMIME"}));
    EXPECT_EQ(m[0].recipients,
              (std::vector<std::string>{"b@example.org", "c@example.org"}));
    EXPECT_EQ(m[0].rcpt_params[0],
              (std::vector<std::string>{"NOTIFY=SUCCESS,FAILURE"}));
    EXPECT_FALSE(m[0].chunking);
    EXPECT_FALSE(m[0].tls);
    EXPECT_EQ(m[0].helo, "c.example");
    EXPECT_EQ(m[0].bare_line_endings, 0u);
    EXPECT_TRUE(s->TakeMessages().empty());
  }
}

TEST(SinkSessionTest, EmptyBodyAndCommandsAfterData) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s,
                "MAIL FROM:<>\r\nRCPT TO:<b@x>\r\nDATA\r\n.\r\nNOOP\r\n"
                "QUIT\r\nNOOP\r\n"),
            "250 2.1.0 Sender <> OK\r\n"
            "250 2.1.5 Recipient <b@x> OK\r\n"
            "354 End data with <CR><LF>.<CR><LF>\r\n"
            "250 2.0.0 Ok: 0 octets queued as 1\r\n"
            "250 2.0.0 OK\r\n"
            "221 2.0.0 sink.smtpc.test closing connection\r\n");
  EXPECT_TRUE(s->closed());
  std::vector<ReceivedMessage> m = s->TakeMessages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].mail_from, "");
  EXPECT_EQ(m[0].data, "");
  EXPECT_EQ(Feed(*s, "NOOP\r\n"), "");
}

TEST(SinkSessionTest, BareLineEndingsAreKeptAndCounted) {
  auto s = Greeted();
  Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
  // A bare LF, a bare CR, and a "\n.\n" smuggling attempt: none of them
  // ends the message.
  EXPECT_EQ(Feed(*s, "one\ntwo\rthree\r\nsmuggle\n.\nafter\r\n.\r\n"),
            "250 2.0.0 Ok: 32 octets queued as 1\r\n");
  std::vector<ReceivedMessage> m = s->TakeMessages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "one\ntwo\rthree\r\nsmuggle\n.\nafter\r\n");
  EXPECT_EQ(m[0].bare_line_endings, 4u);
}

TEST(SinkSessionTest, DataRefusals) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s, "DATA\r\n"), "503 5.5.1 Need MAIL command\r\n");
  EXPECT_EQ(Feed(*s, "RCPT TO:<b@x>\r\n"), "503 5.5.1 Need MAIL command\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nMAIL FROM:<a@x>\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n503 5.5.1 Nested MAIL command\r\n");
  EXPECT_EQ(Feed(*s, "RCPT TO:<rejected@x>\r\nDATA\r\n"),
            "550 5.1.1 <rejected@x>: Recipient address rejected: no such "
            "user\r\n554 5.5.1 No valid recipients\r\n");
  EXPECT_EQ(Feed(*s, "RCPT TO:<tempfail@x>\r\n"),
            "450 4.2.1 <tempfail@x>: Mailbox temporarily unavailable, try "
            "again later\r\n");
  EXPECT_EQ(Feed(*s, "RSET\r\nRCPT TO:<b@x>\r\n"),
            "250 2.0.0 OK\r\n503 5.5.1 Need MAIL command\r\n");
}

TEST(SinkSessionTest, SenderRefusals) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s, "MAIL FROM:<reject.me@x>\r\nRCPT TO:<b@x>\r\n"),
            "553 5.7.1 <reject.me@x>: Sender address rejected: not owned by "
            "user\r\n503 5.5.1 Need MAIL command\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<tempfail@x>\r\n"),
            "450 4.1.8 <tempfail@x>: Sender address rejected: domain not "
            "found\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\n"), "250 2.1.0 Sender <a@x> OK\r\n");
}

TEST(SinkSessionTest, SyntaxErrors) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s, "\r\n"), "500 5.5.2 Syntax error: empty command\r\n");
  EXPECT_EQ(Feed(*s, "FOO\r\n"), "500 5.5.2 Command not recognized\r\n");
  // Rule 1: a bare LF does not end a command line.
  EXPECT_EQ(Feed(*s, "NOOP\nRSET\r\n"), "500 5.5.2 Command not recognized\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:a@x\r\n"),
            "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>X\r\n"),
            "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x> FOO=1\r\n"),
            "555 5.5.4 Unsupported parameter FOO\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x> BODY=BINARYMIME\r\n"),
            "555 5.5.4 Unsupported BODY type\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM: <a@x> ret=hdrs envid=QQ AUTH=<>\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n");
  EXPECT_EQ(Feed(*s, "RCPT TO:<>\r\n"), "501 5.1.3 Empty recipient address\r\n");
  EXPECT_EQ(Feed(*s, "RCPT TO:<b@x> FOO=1\r\n"),
            "555 5.5.4 Unsupported parameter FOO\r\n");
  EXPECT_EQ(Feed(*s, "RCPT TO:<b@x> ORCPT=rfc822;b@x\r\n"),
            "250 2.1.5 Recipient <b@x> OK\r\n");
  EXPECT_EQ(Feed(*s, "VRFY b\r\nHELP\r\n"),
            "252 2.5.0 Cannot VRFY user, but will accept message\r\n"
            "214 2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT "
            "RSET NOOP VRFY HELP QUIT\r\n");
}

TEST(SinkSessionTest, LongLinesAreRefusedAndSkipped) {
  auto s = Greeted();
  const std::string long_arg(3000, 'x');
  EXPECT_EQ(Feed(*s, "NOOP " + long_arg + "\r\nNOOP\r\n"),
            "500 5.5.6 Line too long\r\n250 2.0.0 OK\r\n");
  // The same, arriving in pieces: refused once, then skipped to the CRLF.
  std::string out = Feed(*s, "NOOP " + long_arg);
  out += Feed(*s, long_arg + "\r");
  out += Feed(*s, "\nNOOP\r\n");
  EXPECT_EQ(out, "500 5.5.6 Line too long\r\n250 2.0.0 OK\r\n");
}

TEST(SinkSessionTest, Smtputf8) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s, "MAIL FROM:<j\xC3\xB6rg@x>\r\n"),
            "553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<j\xC3\xBCrgen@b\xC3\xBC"
                    "cher.example>\r\nRSET\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n"
            "250 2.0.0 OK\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x> SMTPUTF8\r\nRCPT TO:<j\xC3\xBCrgen@b"
                    "\xC3\xBC"
                    "cher.example>\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "250 2.1.5 Recipient <j\xC3\xBCrgen@b\xC3\xBC"
            "cher.example> OK\r\n");
}

TEST(SinkSessionTest, SizeLimits) {
  SinkOptions o;
  o.max_message_size = 10;
  auto s = Greeted(o);
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x> SIZE=11\r\n"),
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x> SIZE=abc\r\n"),
            "501 5.5.4 Bad SIZE parameter\r\n");
  // The body is read to its end and then refused.
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
                    "0123456789\r\n.\r\nNOOP\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "250 2.1.5 Recipient <b@x> OK\r\n"
            "354 End data with <CR><LF>.<CR><LF>\r\n"
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
            "250 2.0.0 OK\r\n");
  EXPECT_TRUE(s->TakeMessages().empty());
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 11 LAST\r\n"
                    "0123456789ANOOP\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "250 2.1.5 Recipient <b@x> OK\r\n"
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
            "250 2.0.0 OK\r\n");
  EXPECT_TRUE(s->TakeMessages().empty());
}

TEST(SinkSessionTest, TooManyRecipients) {
  SinkOptions o;
  o.max_recipients = 1;
  auto s = Greeted(o);
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "250 2.1.5 Recipient <b@x> OK\r\n"
            "452 4.5.3 Too many recipients\r\n");
}

TEST(SinkSessionTest, BdatChunksAreTakenVerbatim) {
  // Chunks contain what would be commands or an end-of-data marker in DATA
  // mode; BDAT takes them as bytes.
  const std::string c1 = "Subject: x\r\n\r\n.\r\nQUIT\r\n";
  const std::string c2 = "..dots stay\n";
  const std::string input = absl::StrCat(
      "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\n", "BDAT ", c1.size(), "\r\n", c1,
      "BDAT ", c2.size(), "\r\n", c2, "BDAT 0 last\r\nNOOP\r\n");
  for (size_t split = 0; split <= input.size(); ++split) {
    auto s = Greeted();
    std::string out = Feed(*s, input.substr(0, split));
    out += Feed(*s, input.substr(split));
    EXPECT_EQ(out,
              "250 2.1.0 Sender <a@x> OK\r\n"
              "250 2.1.5 Recipient <b@x> OK\r\n"
              "250 2.0.0 23 octets received\r\n"
              "250 2.0.0 35 octets received\r\n"
              "250 2.0.0 Ok: 35 octets queued as 1\r\n"
              "250 2.0.0 OK\r\n")
        << split;
    std::vector<ReceivedMessage> m = s->TakeMessages();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].data, c1 + c2);
    EXPECT_TRUE(m[0].chunking);
  }
}

TEST(SinkSessionTest, BdatErrorsConsumeTheChunk) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s, "BDAT 6 LAST\r\nNOOP\r\nNOOP\r\n"),
            "503 5.5.1 Need MAIL command\r\n250 2.0.0 OK\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<reject@x>\r\n"
                    "BDAT 4\r\nabcdBDAT 2 LAST\r\nxy"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "550 5.1.1 <reject@x>: Recipient address rejected: no such "
            "user\r\n"
            "554 5.5.1 No valid recipients\r\n"
            "503 5.5.1 Earlier BDAT failed; send RSET\r\n");
  EXPECT_EQ(Feed(*s, "RSET\r\nBDAT x\r\nDATA\r\n"),
            "250 2.0.0 OK\r\n501 5.5.4 Syntax: BDAT size [LAST]\r\n"
            "503 5.5.1 Need MAIL command\r\n");
  EXPECT_TRUE(s->TakeMessages().empty());
}

TEST(SinkSessionTest, DataAfterBdatIsRefused) {
  auto s = Greeted();
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 1\r\nxDATA\r\n"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "250 2.1.5 Recipient <b@x> OK\r\n"
            "250 2.0.0 1 octets received\r\n"
            "503 5.5.1 DATA not allowed after BDAT in one transaction\r\n");
}

TEST(SinkSessionTest, MessageIdsAndRecordedSessionFacts) {
  auto s = TlsSession();
  Feed(*s, "AUTH PLAIN AGRlbW8AZGVtby1wYXNzd29yZA==\r\n");
  EXPECT_EQ(Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nhi\r\n.\r\n"
                    "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 3 LAST\r\nyo\n"),
            "250 2.1.0 Sender <a@x> OK\r\n"
            "250 2.1.5 Recipient <b@x> OK\r\n"
            "354 End data with <CR><LF>.<CR><LF>\r\n"
            "250 2.0.0 Ok: 4 octets queued as 1\r\n"
            "250 2.1.0 Sender <a@x> OK\r\n"
            "250 2.1.5 Recipient <b@x> OK\r\n"
            "250 2.0.0 Ok: 3 octets queued as 2\r\n");
  std::vector<ReceivedMessage> m = s->TakeMessages();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].id, 1u);
  EXPECT_EQ(m[1].id, 2u);
  EXPECT_TRUE(m[0].tls);
  EXPECT_EQ(m[0].auth_user, "demo");
  EXPECT_TRUE(m[0].esmtp);
  EXPECT_EQ(s->next_message_id(), 3u);
}

TEST(SinkSessionTest, EofDropsTheTransaction) {
  auto s = Greeted();
  Feed(*s, "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\npartial\r\n");
  s->ReceiveEof();
  EXPECT_TRUE(s->closed());
  EXPECT_TRUE(s->TakeMessages().empty());
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
