// Connection tests for LMTP (RFC 2033): LHLO, and one final reply per
// accepted RCPT after the end of data (core/connection.h rule 6).

#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "core/connection.h"
#include "core/errors.h"
#include "core/internal/sans_io_test_driver.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using Script = internal::SansIoScript<Connection>;

Script::Factory MakeLmtpConnection(bool lmtp = true) {
  ConnectionOptions options;
  options.lmtp = lmtp;
  return [options](Instant now) {
    return std::make_unique<Connection>(options, now);
  };
}

template <typename C>
Script::Action Sub(C command) {
  return [command](Connection& c, Instant now) {
    absl::StatusOr<CommandId> id = c.Submit(Command(C(command)), now);
    EXPECT_TRUE(id.ok()) << id.status();
  };
}

constexpr char kGreeting[] = "220 lmtp.example.org LMTP ready\r\n";
constexpr char kLhloReply[] =
    "250-lmtp.example.org\r\n"
    "250-PIPELINING\r\n"
    "250-CHUNKING\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";
constexpr char kCaps[] =
    "capabilities PIPELINING CHUNKING ENHANCEDSTATUSCODES";

// Three RCPTs, two accepted: DATA's body is followed by two replies, in
// RCPT order; the second one ends the command (QUIT's reply is matched to
// QUIT, not taken as a third data reply).
TEST(ConnectionLmtpTest, OneReplyPerAcceptedRecipientAfterData) {
  Script s(MakeLmtpConnection());
  s.Server(kGreeting)
      .Do(Sub(Lhlo{"client.example"}))
      .Client("LHLO client.example\r\n")
      .Server(kLhloReply)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(RcptTo{"c@example.org", {}}))
      .Do(Sub(RcptTo{"d@example.org", {}}))
      .Do(Sub(Data{absl::Cord("hi\r\n"), false}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\n"
              "DATA\r\n")
      .Server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n"
              "250 2.1.5 ok\r\n354 go\r\n")
      .Client("hi\r\n.\r\n")
      .Server("250 2.0.0 <b> delivered\r\n")
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.awaiting_replies(), 1u);  // one more for DATA
        EXPECT_FALSE(c.idle());
      })
      .Server("452 4.2.2 <d> over quota\r\n")
      .Do([](Connection& c, Instant) { EXPECT_TRUE(c.idle()); })
      .Do(Sub(Quit{}))
      .Client("QUIT\r\n")
      .Server("221 2.0.0 bye\r\n");
  s.RunAllSplits({"greeting 220", "reply LHLO 250", kCaps,
                  "reply MAIL 250 2.1.0", "reply RCPT 250 2.1.5",
                  "reply RCPT 550 5.1.1", "reply RCPT 250 2.1.5",
                  "reply DATA 354", "reply DATA 250 2.0.0 more=1",
                  "reply DATA 452 4.2.2", "reply QUIT 221 2.0.0",
                  "closed ok"});
}

// The same exchange without `lmtp`: the second reply is nobody's.
TEST(ConnectionLmtpTest, WithoutTheOptionASecondReplyIsUnexpected) {
  Script s(MakeLmtpConnection(false));
  s.Server(kGreeting)
      .Do(Sub(Lhlo{"client.example"}))
      .Client("LHLO client.example\r\n")
      .Server(kLhloReply)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(RcptTo{"c@example.org", {}}))
      .Do(Sub(Data{absl::Cord("hi\r\n"), false}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("hi\r\n.\r\n")
      .Server("250 2.0.0 b\r\n250 2.0.0 c\r\n");
  s.RunAllSplits({"greeting 220", "reply LHLO 250", kCaps, "reply MAIL 250",
                  "reply RCPT 250", "reply RCPT 250", "reply DATA 354",
                  "reply DATA 250 2.0.0", "closed unexpected_reply"});
}

// BDAT LAST gets one reply per accepted RCPT (RFC 2033 §4.3); a BDAT
// without LAST gets one.
TEST(ConnectionLmtpTest, BdatLastRepliesPerRecipient) {
  Script s(MakeLmtpConnection());
  s.Server(kGreeting)
      .Do(Sub(Lhlo{"client.example"}))
      .Client("LHLO client.example\r\n")
      .Server(kLhloReply)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(RcptTo{"c@example.org", {}}))
      .Do(Sub(Bdat{absl::Cord("one\r\n"), false, true}))
      .Do(Sub(Bdat{absl::Cord("two\r\n"), true, true}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nBDAT 5\r\none\r\n"
              "BDAT 5 LAST\r\ntwo\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 chunk\r\n"
              "250 2.0.0 b\r\n554 5.6.0 c refused\r\n")
      .Do([](Connection& c, Instant) { EXPECT_TRUE(c.idle()); });
  s.RunAllSplits({"greeting 220", "reply LHLO 250", kCaps, "reply MAIL 250",
                  "reply RCPT 250", "reply RCPT 250", "reply BDAT 250 2.0.0",
                  "reply BDAT 250 2.0.0 more=1", "reply BDAT 554 5.6.0"});
}

// DATA refused instead of 354 (RFC 2033 §4.2: 503 when no RCPT succeeded)
// is a single reply.
TEST(ConnectionLmtpTest, DataRefusedBefore354IsOneReply) {
  Script s(MakeLmtpConnection());
  s.Server(kGreeting)
      .Do(Sub(Lhlo{"client.example"}))
      .Client("LHLO client.example\r\n")
      .Server(kLhloReply)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(Data{absl::Cord("hi\r\n"), false}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n550 5.1.1 no\r\n503 5.5.1 no valid recipients\r\n")
      .Do(Sub(Rset{}))
      .Client("RSET\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", "reply LHLO 250", kCaps, "reply MAIL 250",
                  "reply RCPT 550 5.1.1", "reply DATA 503 5.5.1",
                  "reply RSET 250"});
}

// A 421 among the per-recipient replies ends the connection (rule 2).
TEST(ConnectionLmtpTest, ServiceClosingAmongPerRecipientReplies) {
  Script s(MakeLmtpConnection());
  s.Server(kGreeting)
      .Do(Sub(Lhlo{"client.example"}))
      .Client("LHLO client.example\r\n")
      .Server(kLhloReply)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(RcptTo{"c@example.org", {}}))
      .Do(Sub(RcptTo{"d@example.org", {}}))
      .Do(Sub(Data{absl::Cord("hi\r\n"), false}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("hi\r\n.\r\n")
      .Server("250 2.0.0 b\r\n421 4.3.2 shutting down\r\n");
  s.RunAllSplits({"greeting 220", "reply LHLO 250", kCaps, "reply MAIL 250",
                  "reply RCPT 250", "reply RCPT 250", "reply RCPT 250",
                  "reply DATA 354", "reply DATA 250 2.0.0 more=2",
                  "reply DATA 421 4.3.2", "closed service_closing"});
}

}  // namespace
}  // namespace smtpcore
