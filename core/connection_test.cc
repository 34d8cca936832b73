#include "core/connection.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/internal/sans_io_test_driver.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using internal::DrainEvents;
using internal::DrainTransmit;
using Script = internal::SansIoScript<Connection>;

Instant T(double seconds) { return InstantFromSeconds(seconds); }

Script::Factory MakeConnection(ConnectionOptions options = {}) {
  return [options](Instant now) {
    return std::make_unique<Connection>(options, now);
  };
}

// Sub submits a copy of `command` and expects success.
template <typename C>
Script::Action Sub(C command) {
  return [command](Connection& c, Instant now) {
    absl::StatusOr<CommandId> id = c.Submit(Command(C(command)), now);
    EXPECT_TRUE(id.ok()) << id.status();
  };
}

// FakeMechanism scripts a SASL mechanism: an optional initial response and
// one answer per challenge. It records the challenges it saw.
class FakeMechanism : public SaslMechanism {
 public:
  FakeMechanism(std::string name, absl::optional<std::string> initial,
                std::vector<std::string> answers = {})
      : name_(std::move(name)),
        initial_(std::move(initial)),
        answers_(std::move(answers)) {}
  absl::string_view name() const override { return name_; }
  absl::optional<std::string> InitialResponse() override { return initial_; }
  absl::StatusOr<std::string> Respond(absl::string_view challenge) override {
    challenges_.emplace_back(challenge);
    if (next_ >= answers_.size()) {
      return absl::InternalError("no more answers");
    }
    return answers_[next_++];
  }
  const std::vector<std::string>& challenges() const { return challenges_; }

 private:
  std::string name_;
  absl::optional<std::string> initial_;
  std::vector<std::string> answers_;
  size_t next_ = 0;
  std::vector<std::string> challenges_;
};

Script::Action SubAuth(std::string name, absl::optional<std::string> initial,
                       std::vector<std::string> answers = {}) {
  return [=](Connection& c, Instant now) {
    absl::StatusOr<CommandId> id = c.Submit(
        Auth{std::make_unique<FakeMechanism>(name, initial, answers)}, now);
    EXPECT_TRUE(id.ok()) << id.status();
  };
}

constexpr char kGreeting[] = "220 mx.example.org ESMTP ready\r\n";
constexpr char kEhloPipelining[] =
    "250-mx.example.org\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10240000\r\n"
    "250-CHUNKING\r\n"
    "250 8BITMIME\r\n";
constexpr char kEhloPlain[] =
    "250-mx.example.org\r\n"
    "250 8BITMIME\r\n";

// Seed scenario 1 (Go net/smtp): EHLO accepted with AUTH listed.
TEST(ConnectionTest, EhloAcceptedWithAuthListed) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"client.example"}))
      .Client("EHLO client.example\r\n")
      .Server("250-mx.example.org greets client.example\r\n"
              "250-PIPELINING\r\n"
              "250-8BITMIME\r\n"
              "250-AUTH LOGIN PLAIN\r\n"
              "250 HELP\r\n")
      .Do([](Connection& c, Instant) {
        EXPECT_TRUE(c.esmtp());
        EXPECT_TRUE(c.capabilities().has_auth_mechanism("PLAIN"));
        EXPECT_TRUE(c.pipelining_active());
      });
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities PIPELINING 8BITMIME AUTH=LOGIN,PLAIN HELP"});
}

// Seed scenario 2 (Go net/smtp): EHLO answered 502, then HELO.
TEST(ConnectionTest, EhloRejectedThenHelo) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"client.example"}))
      .Client("EHLO client.example\r\n")
      .Server("502 5.5.2 Command not implemented\r\n")
      .Do(Sub(Helo{"client.example"}))
      .Client("HELO client.example\r\n")
      .Server("250 mx.example.org\r\n")
      .Do([](Connection& c, Instant) {
        EXPECT_FALSE(c.esmtp());
        EXPECT_TRUE(c.capabilities().empty());
        EXPECT_FALSE(c.pipelining_active());
      });
  s.RunAllSplits({"greeting 220", "reply EHLO 502 5.5.2", "reply HELO 250",
                  "capabilities"});
}

TEST(ConnectionTest, PipelinedMixedAcceptReject) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"bob@example.org", {}}))
      .Do(Sub(RcptTo{"eve@example.org", {}}))
      .Do(Sub(RcptTo{"carol@example.org", {}}))
      .Do(Sub(Data{absl::Cord("Subject: hi\r\n\r\n.dot line\r\nbye"), false}))
      // RFC 2920: all in one write.
      .Client("MAIL FROM:<a@example.org>\r\n"
              "RCPT TO:<bob@example.org>\r\n"
              "RCPT TO:<eve@example.org>\r\n"
              "RCPT TO:<carol@example.org>\r\n"
              "DATA\r\n")
      .Server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n"
              "250 2.1.5 ok\r\n354 go ahead\r\n")
      .Client("Subject: hi\r\n\r\n..dot line\r\nbye\r\n.\r\n")
      .Server("250 2.0.0 queued as 1234\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities PIPELINING SIZE=10240000 CHUNKING 8BITMIME",
                  "reply MAIL 250 2.1.0", "reply RCPT 250 2.1.5",
                  "reply RCPT 550 5.1.1", "reply RCPT 250 2.1.5",
                  "reply DATA 354", "reply DATA 250 2.0.0"});
}

TEST(ConnectionTest, AllRecipientsRejectedWith354SendsLoneDot) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"x@example.org", {}}))
      .Do(Sub(RcptTo{"y@example.org", {}}))
      .Do(Sub(Data{absl::Cord("secret body\r\n"), false}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<x@example.org>\r\n"
              "RCPT TO:<y@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n550 5.1.1 no\r\n450 4.2.1 busy\r\n354 go\r\n")
      .Client(".\r\n")  // RFC 2920 §3.1: never the body
      .Server("554 5.5.1 no valid recipients\r\n")
      .Do(Sub(Rset{}))
      .Client("RSET\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities PIPELINING SIZE=10240000 CHUNKING 8BITMIME",
                  "reply MAIL 250", "reply RCPT 550 5.1.1",
                  "reply RCPT 450 4.2.1", "reply DATA 354",
                  "reply DATA 554 5.5.1"});
}

TEST(ConnectionTest, LockStepWithoutPipelining) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPlain)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(Data{absl::Cord("x"), false}))
      .Client("MAIL FROM:<a@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<b@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 done\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250", "capabilities 8BITMIME",
                  "reply MAIL 250", "reply RCPT 250", "reply DATA 354",
                  "reply DATA 250"});
}

TEST(ConnectionTest, PipeliningOptionOff) {
  ConnectionOptions o;
  o.pipelining = false;
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Client("MAIL FROM:<a@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<b@example.org>\r\n");
  s.Run(0);
}

TEST(ConnectionTest, BdatLastPipelinedAfterRcpts) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(Bdat{absl::Cord(".leading dot\nbare lf\r\n"), true, true}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 23 LAST\r\n.leading dot\r\nbare lf\r\n")
      .Server("250 ok\r\n250 ok\r\n250 2.0.0 ok\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities PIPELINING SIZE=10240000 CHUNKING 8BITMIME",
                  "reply MAIL 250", "reply RCPT 250", "reply BDAT 250 2.0.0"});
}

TEST(ConnectionTest, BdatChunksKeepLineEndingStateAndBinaryIsRaw) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      // "a\r" + "\nb": the CR/LF pair straddles two chunks: no extra LF.
      .Do(Sub(Bdat{absl::Cord("a\r"), false, true}))
      .Do(Sub(Bdat{absl::Cord("\nb\r"), true, true}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 2\r\na\rBDAT 4 LAST\r\n\nb\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n")
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(Bdat{absl::Cord(std::string("\0\n\r", 3)), true, false}))
      .Client(std::string("MAIL FROM:<a@example.org>\r\n"
                          "RCPT TO:<b@example.org>\r\n"
                          "BDAT 3 LAST\r\n\0\n\r",
                          27 + 25 + 13 + 3));
  s.Run(0);
}

// The LAST chunk ends an unterminated last line with CRLF (counted in its
// size), as DATA does before the "."; an empty LAST chunk carries just that
// CRLF. BINARYMIME chunks stay exact.
TEST(ConnectionTest, BdatLastEndsUnterminatedLine) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(Bdat{absl::Cord("a\nb"), true, true}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 6 LAST\r\na\r\nb\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n")
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(Bdat{absl::Cord("x"), false, true}))
      .Do(Sub(Bdat{absl::Cord(""), true, true}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 1\r\nxBDAT 2 LAST\r\n\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n")
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do(Sub(Bdat{absl::Cord("a\nb"), true, false}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 3 LAST\r\na\nb");
  s.Run(0);
}

TEST(ConnectionTest, ServiceClosing421MidTransaction) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n")
      .Server("250 ok\r\n421 4.3.2 shutting down\r\n")
      .Do([](Connection& c, Instant now) {
        EXPECT_TRUE(c.broken());
        absl::Status st = c.close_status();
        EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
        EXPECT_EQ(GetErrorDetail(st), ErrorDetail::kServiceClosing);
        absl::StatusOr<CommandId> id = c.Submit(Rset{}, now);
        EXPECT_EQ(GetErrorDetail(id.status()), ErrorDetail::kBroken);
        EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(GetErrorDetail(c.Receive("250 ok\r\n", now)),
                  ErrorDetail::kBroken);
        EXPECT_EQ(c.NextDeadline(), absl::nullopt);
      })
      .Client("");
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities PIPELINING SIZE=10240000 CHUNKING 8BITMIME",
                  "reply MAIL 250", "reply RCPT 421 4.3.2",
                  "closed service_closing"});
}

TEST(ConnectionTest, MultiLineCodeMismatchBreaks) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server("250-mx.example.org\r\n251 PIPELINING\r\n")
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.close_status().code(), absl::StatusCode::kDataLoss);
      });
  s.RunAllSplits({"greeting 220", "closed reply_code_mismatch"});
}

TEST(ConnectionTest, MalformedReplyBreaks) {
  Script s(MakeConnection());
  s.Server("hello\r\n");
  s.RunAllSplits({"closed malformed_reply"});
}

TEST(ConnectionTest, UnboundedReplyIsCut) {
  ConnectionOptions o;
  o.reply_limits.max_lines = 10;
  std::string endless;
  for (int i = 0; i < 50; ++i) endless += "250-more and more\r\n";
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(endless)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.close_status().code(),
                  absl::StatusCode::kResourceExhausted);
      });
  std::vector<std::string> expected = {"greeting 220",
                                       "closed reply_too_many_lines"};
  EXPECT_EQ(s.Run(0), expected);
  EXPECT_EQ(s.Run(1), expected);
  EXPECT_EQ(s.Run(100), expected);
}

TEST(ConnectionTest, EndlessLineIsCut) {
  ConnectionOptions o;
  o.reply_limits.max_line_length = 100;
  Script s(MakeConnection(o));
  s.Server("220 " + std::string(5000, 'x'));
  EXPECT_EQ(s.Run(0), std::vector<std::string>{"closed reply_line_too_long"});
  EXPECT_EQ(s.Run(1), std::vector<std::string>{"closed reply_line_too_long"});
}

TEST(ConnectionTest, UnexpectedReplyBreaks) {
  Script s(MakeConnection());
  s.Server(kGreeting).Server("250 nobody asked\r\n");
  s.RunAllSplits({"greeting 220", "closed unexpected_reply"});
}

TEST(ConnectionTest, Unsolicited421WhileIdle) {
  Script s(MakeConnection());
  s.Server(kGreeting).Server("421 4.4.2 idle timeout\r\n");
  s.RunAllSplits({"greeting 220", "closed service_closing"});
}

TEST(ConnectionTest, GreetingTimeout) {
  Script s(MakeConnection());
  s.Do([](Connection& c, Instant) {
     EXPECT_EQ(c.NextDeadline(), T(300));
     c.HandleTimeout(T(299.999));
     EXPECT_FALSE(c.closed());
   })
      .Do([](Connection& c, Instant now) { c.HandleTimeout(now); }, 300);
  s.RunAllSplits({"closed timeout"});
}

TEST(ConnectionTest, PerStageTimeouts) {
  Script s(MakeConnection());
  s.Server(kGreeting, 1)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.NextDeadline(), absl::nullopt);  // idle
      })
      .Do(Sub(Ehlo{"c.example"}), 2)
      .Client("EHLO c.example\r\n", 2)
      .Server(kEhloPipelining, 3)
      .Do(Sub(MailFrom{"a@example.org", {}}), 10)
      .Do(Sub(RcptTo{"b@example.org", {}}), 10)
      .Do(Sub(Data{absl::Cord("hello\r\n"), false}), 10)
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n",
              10)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.NextDeadline(), T(10 + 300));  // MAIL: 5 min
      })
      .Server("250 ok\r\n", 20)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.NextDeadline(), T(20 + 300));  // RCPT: 5 min
      })
      .Server("250 ok\r\n", 30)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.NextDeadline(), T(30 + 120));  // DATA init: 2 min
      })
      .Server("354 go\r\n", 40)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.NextDeadline(), T(40 + 180));  // data block: 3 min
      })
      .Client("hello\r\n.\r\n", 50)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.NextDeadline(), T(50 + 600));  // end of data: 10 min
        c.HandleTimeout(T(649));
        EXPECT_FALSE(c.closed());
      })
      .Do([](Connection& c, Instant now) { c.HandleTimeout(now); }, 650)
      .Do([](Connection& c, Instant now) {
        EXPECT_EQ(GetErrorDetail(c.close_status()), ErrorDetail::kTimeout);
        EXPECT_EQ(c.close_status().code(),
                  absl::StatusCode::kDeadlineExceeded);
      });
  s.Run(0);
}

TEST(ConnectionTest, ConfigurableTimeoutAndPartialReplyIsNoProgress) {
  ConnectionOptions o;
  o.timeouts.other = absl::Seconds(10);
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}), 0)
      .Client("EHLO c.example\r\n", 0)
      .Server("250-mx\r\n", 8)  // a line of a reply that never ends
      .Server("250-PIPE", 9)       // and a line that never gets its CRLF
      .Do([](Connection& c, Instant now) {
        // The deadline bounds the whole reply from EHLO (core/timers.h).
        EXPECT_EQ(c.NextDeadline(), T(10));
        c.HandleTimeout(T(9.999));
        EXPECT_FALSE(c.closed());
        c.HandleTimeout(T(10));
        EXPECT_TRUE(c.broken());
      });
  EXPECT_EQ(s.Run(0), (std::vector<std::string>{"greeting 220",
                                                "closed timeout"}));
}

TEST(ConnectionTest, CompleteReplyStartsTheNextStage) {
  ConnectionOptions o;
  o.timeouts.rcpt = absl::Seconds(10);
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}), 0)
      .Client("EHLO c.example\r\n", 0)
      .Server(kEhloPipelining, 1)
      .Do(Sub(MailFrom{"a@example.org", {}}), 2)
      .Do(Sub(RcptTo{"b@example.org", {}}), 2)
      .Do(Sub(RcptTo{"c@example.org", {}}), 2)
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\n",
              2)
      .Server("250 ok\r\n", 5)  // MAIL: the first RCPT's stage starts
      .Do([](Connection& c, Instant) { EXPECT_EQ(c.NextDeadline(), T(15)); })
      .Server("250 ok\r\n", 7)  // RCPT 1: the second RCPT starts afresh
      .Do([](Connection& c, Instant) { EXPECT_EQ(c.NextDeadline(), T(17)); })
      .Server("25", 12)  // part of the last reply: no progress
      .Do([](Connection& c, Instant) { EXPECT_EQ(c.NextDeadline(), T(17)); });
  s.Run(0);
}

TEST(ConnectionTest, AuthDeadlineBoundsEveryChallengeRound) {
  ConnectionOptions o;
  o.allow_insecure_auth = true;
  o.timeouts.auth = absl::Seconds(30);
  o.timeouts.other = absl::Seconds(20);
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}), 0)
      .Client("EHLO c.example\r\n", 0)
      .Server("250-mx\r\n250 AUTH X\r\n", 1)
      .Do(SubAuth("X", absl::nullopt, {"a", "b", "c"}), 2)
      .Client("AUTH X\r\n", 2)
      .Do([](Connection& c, Instant) { EXPECT_EQ(c.NextDeadline(), T(32)); })
      .Server("334 \r\n", 12)
      .Client("YQ==\r\n", 12)
      .Server("334 \r\n", 22)
      .Client("Yg==\r\n", 22)
      .Do([](Connection& c, Instant) {
        // Each 334 is a complete reply, but the exchange is one stage.
        EXPECT_EQ(c.NextDeadline(), T(32));
        c.HandleTimeout(T(31.5));
        EXPECT_FALSE(c.closed());
        c.HandleTimeout(T(32));
        EXPECT_TRUE(c.broken());
        EXPECT_NE(c.close_status().message().find("stage auth"),
                  absl::string_view::npos)
            << c.close_status();
      });
  EXPECT_EQ(s.Run(0), (std::vector<std::string>{"greeting 220",
                                                "reply EHLO 250",
                                                "capabilities AUTH=X",
                                                "closed timeout"}));
}

TEST(ConnectionTest, PipelinedBodyWritesKeepTheDataBlockStage) {
  ConnectionOptions o;
  o.timeouts.mail = absl::Seconds(10);
  o.timeouts.data_block = absl::Seconds(10);
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}), 0)
      .Client("EHLO c.example\r\n", 0)
      .Server(kEhloPipelining, 1)
      .Do(Sub(MailFrom{"a@example.org", {}}), 2)
      .Do(Sub(RcptTo{"b@example.org", {}}), 2)
      .Do(Sub(Bdat{absl::Cord("hello\r\n"), true, true}), 2)
      .Do([](Connection& c, Instant now) {
        // The BDAT payload is queued behind MAIL: until it is written, our
        // writes are the progress (the server may hold the replies).
        EXPECT_EQ(c.NextDeadline(), T(12));
        IoSlice slices[8];
        size_t n = c.PollTransmit(slices);
        ASSERT_GT(n, 0u);
        c.ConsumeTransmit(5, T(8));
        EXPECT_EQ(c.NextDeadline(), T(18));
      })
      .Client("FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 7 LAST\r\nhello\r\n",  // "MAIL " went out at 8
              9)
      .Do([](Connection& c, Instant) {
        // Everything written at 9: MAIL's reply is due 10 s later.
        EXPECT_EQ(c.NextDeadline(), T(19));
      });
  s.Run(0);
}

TEST(ConnectionTest, DataBlockProgressIsOurWritesNotServerBytes) {
  ConnectionOptions o;
  o.timeouts.data_block = absl::Seconds(10);
  auto id = std::make_shared<CommandId>(0);
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}), 0)
      .Client("EHLO c.example\r\n", 0)
      .Server(kEhloPlain, 1)
      .Do(Sub(MailFrom{"a@example.org", {}}), 1)
      .Client("MAIL FROM:<a@example.org>\r\n", 1)
      .Server("250 ok\r\n", 1)
      .Do(Sub(RcptTo{"b@example.org", {}}), 1)
      .Client("RCPT TO:<b@example.org>\r\n", 1)
      .Server("250 ok\r\n", 1)
      .Do(
          [id](Connection& c, Instant now) {
            absl::StatusOr<CommandId> r =
                c.Submit(Data{absl::Cord(), /*more_body=*/true}, now);
            ASSERT_TRUE(r.ok()) << r.status();
            *id = *r;
          },
          1)
      .Client("DATA\r\n", 1)
      .Server("354 go\r\n", 2)
      .Do([](Connection& c, Instant) { EXPECT_EQ(c.NextDeadline(), T(12)); })
      .Server("55", 8)  // server bytes while we send: not progress
      .Do([](Connection& c, Instant) { EXPECT_EQ(c.NextDeadline(), T(12)); })
      .Do(
          [id](Connection& c, Instant now) {
            ASSERT_TRUE(
                c.AppendBody(*id, absl::Cord("part\r\n"), false, now).ok());
          },
          9)
      .Client("part\r\n", 9)  // our write at 9 is progress (§4.5.3.2.5)
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.NextDeadline(), T(19));
        c.HandleTimeout(T(18.9));
        EXPECT_FALSE(c.closed());
        c.HandleTimeout(T(19));
        EXPECT_TRUE(c.broken());
        EXPECT_NE(c.close_status().message().find("stage data_block"),
                  absl::string_view::npos)
            << c.close_status();
      });
  s.Run(0);
}

TEST(ConnectionTest, StartTlsInjectionSameReceive) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server("250-mx\r\n250 STARTTLS\r\n")
      .Do(Sub(StartTls{}))
      .Client("STARTTLS\r\n")
      .Server("220 2.0.0 go ahead\r\n250-injected\r\n")
      .Do([](Connection& c, Instant now) {
        EXPECT_TRUE(c.broken());
        EXPECT_EQ(c.close_status().code(), absl::StatusCode::kDataLoss);
        EXPECT_FALSE(c.OnTlsEstablished(TlsInfo{}, now).ok());
      });
  s.RunAllSplits({"greeting 220", "reply EHLO 250", "capabilities STARTTLS",
                  "reply STARTTLS 220 2.0.0", "tls_upgrade_required",
                  "closed starttls_injection"});
}

TEST(ConnectionTest, StartTlsInjectionLaterReceive) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server("250 mx\r\n")
      .Do(Sub(StartTls{}))
      .Client("STARTTLS\r\n")
      .Server("220 go ahead\r\n")
      .Do([](Connection& c, Instant now) {
        EXPECT_EQ(c.state(), ConnectionState::kTlsHandshake);
        EXPECT_EQ(c.NextDeadline(), T(300));
        EXPECT_EQ(GetErrorDetail(c.Submit(Noop{}, now).status()),
                  ErrorDetail::kWrongState);
      })
      .Server("x");
  s.RunAllSplits({"greeting 220", "reply EHLO 250", "capabilities",
                  "reply STARTTLS 220", "tls_upgrade_required",
                  "closed starttls_injection"});
}

TEST(ConnectionTest, StartTlsThenEhloAgain) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server("250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
      .Do(Sub(StartTls{}))
      .Client("STARTTLS\r\n")
      .Server("220 go ahead\r\n")
      .Do([](Connection& c, Instant now) {
        TlsInfo info;
        info.version = "TLSv1.3";
        ASSERT_TRUE(c.OnTlsEstablished(info, now).ok());
        EXPECT_TRUE(c.capabilities().empty());  // RFC 3207 §4.2
        ASSERT_NE(c.tls(), nullptr);
        EXPECT_EQ(c.tls()->version, "TLSv1.3");
        EXPECT_EQ(GetErrorDetail(c.Submit(StartTls{}, now).status()),
                  ErrorDetail::kWrongState);
      })
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server("250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities STARTTLS AUTH=PLAIN", "reply STARTTLS 220",
                  "tls_upgrade_required", "tls_established", "reply EHLO 250",
                  "capabilities AUTH=PLAIN,LOGIN"});
}

TEST(ConnectionTest, TlsFailedBreaks) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(StartTls{}))
      .Client("STARTTLS\r\n")
      .Server("220 go\r\n")
      .Do([](Connection& c, Instant now) {
        c.OnTlsFailed(MakeError(absl::StatusCode::kUnauthenticated,
                                ErrorDetail::kTlsVerification, "bad cert"),
                      now);
      });
  s.RunAllSplits({"greeting 220", "reply STARTTLS 220",
                  "tls_upgrade_required", "closed tls_verification"});
}

TEST(ConnectionTest, AuthPlainWithInitialResponseIsRedacted) {
  ConnectionOptions o;
  o.trace = true;
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do([](Connection& c, Instant now) {
        // No TLS and not allowed: refused locally, connection unchanged.
        absl::StatusOr<CommandId> id = c.Submit(
            Auth{std::make_unique<FakeMechanism>("PLAIN", "x")}, now);
        EXPECT_EQ(id.status().code(), absl::StatusCode::kPermissionDenied);
        EXPECT_EQ(GetErrorDetail(id.status()), ErrorDetail::kInsecureAuth);
        EXPECT_FALSE(c.OnTlsEstablished(TlsInfo{}, now).ok());
      })
      .Client("");
  s.Run(0);

  Script t(MakeConnection(o));
  t.Do([](Connection& c, Instant now) {
     ASSERT_TRUE(c.OnTlsEstablished(TlsInfo{}, now).ok());  // implicit TLS
   })
      .Server(kGreeting)
      .Do(SubAuth("PLAIN", std::string("\0user\0pass", 10)))
      .Client("AUTH PLAIN AHVzZXIAcGFzcw==\r\n")
      .Server("235 2.7.0 Authentication successful\r\n")
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.authenticated(), "PLAIN");
      });
  std::vector<std::string> expected = {
      "tls_established", "trace S: 220 mx.example.org ESMTP ready",
      "greeting 220", "trace C: AUTH PLAIN <redacted>",
      "trace S: 235 2.7.0 Authentication successful", "reply AUTH 235 2.7.0",
      "authenticated PLAIN"};
  t.RunAllSplits(expected);
  for (const std::string& e : t.Run(0)) {
    EXPECT_FALSE(absl::StrContains(e, "AHVz")) << e;
    EXPECT_FALSE(absl::StrContains(e, "pass")) << e;
  }
}

TEST(ConnectionTest, AuthChallengeLoopRedactedAndFailure) {
  ConnectionOptions o;
  o.trace = true;
  o.allow_insecure_auth = true;
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(SubAuth("LOGIN", absl::nullopt, {"user", "hunter2"}))
      .Client("AUTH LOGIN\r\n")
      .Server("334 VXNlcm5hbWU6\r\n")
      .Client("dXNlcg==\r\n")
      .Server("334 UGFzc3dvcmQ6\r\n")
      .Client("aHVudGVyMg==\r\n")
      .Server("535 5.7.8 Authentication credentials invalid\r\n")
      .Do([](Connection& c, Instant now) {
        EXPECT_FALSE(c.broken());  // a refusal is data, not a crash
        EXPECT_EQ(c.authenticated(), "");
        EXPECT_TRUE(c.Submit(Quit{}, now).ok());
      })
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"trace S: 220 mx.example.org ESMTP ready", "greeting 220",
                  "trace C: AUTH LOGIN", "trace S: 334 <redacted>",
                  "trace C: <redacted>", "trace S: 334 <redacted>",
                  "trace C: <redacted>",
                  "trace S: 535 5.7.8 Authentication credentials invalid",
                  "reply AUTH 535 5.7.8", "auth_failed 535 5.7.8",
                  "trace C: QUIT", "trace S: 221 bye", "reply QUIT 221",
                  "closed ok"});
}

TEST(ConnectionTest, AuthTooManyChallengesCancels) {
  ConnectionOptions o;
  o.allow_insecure_auth = true;
  o.max_auth_challenges = 2;
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(SubAuth("X-LOOP", absl::nullopt, {"a", "b", "c", "d"}))
      .Client("AUTH X-LOOP\r\n")
      .Server("334 \r\n")
      .Client("YQ==\r\n")
      .Server("334 \r\n")
      .Client("Yg==\r\n")
      .Server("334 \r\n")
      .Client("*\r\n")
      .Server("501 5.7.0 cancelled\r\n");
  s.RunAllSplits({"greeting 220", "reply AUTH 501 5.7.0",
                  "auth_failed too_many_challenges"});
}

TEST(ConnectionTest, AuthBadChallengeAndMechanismErrorCancel) {
  ConnectionOptions o;
  o.allow_insecure_auth = true;
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(SubAuth("X-A", absl::nullopt, {"a"}))
      .Client("AUTH X-A\r\n")
      .Server("334 not*base64\r\n")
      .Client("*\r\n")
      .Server("501 cancelled\r\n")
      .Do(SubAuth("X-B", absl::nullopt, {}))
      .Client("AUTH X-B\r\n")
      .Server("334 \r\n")
      .Client("*\r\n")
      .Server("501 cancelled\r\n");
  s.RunAllSplits({"greeting 220", "reply AUTH 501", "auth_failed bad_challenge",
                  "reply AUTH 501", "auth_failed auth_mechanism"});
}

TEST(ConnectionTest, AuthInitialResponseFallbackWhenTooLong) {
  ConnectionOptions o;
  o.allow_insecure_auth = true;
  std::string token(600, 't');
  std::string b64 = "dHR0";  // "ttt"
  std::string expected_b64;
  for (int i = 0; i < 200; ++i) expected_b64 += b64;
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(SubAuth("XOAUTH2", token))
      .Client("AUTH XOAUTH2\r\n")
      .Server("334 \r\n")
      .Client(expected_b64 + "\r\n")
      .Server("235 ok\r\n");
  s.RunAllSplits({"greeting 220", "reply AUTH 235", "authenticated XOAUTH2"});
}

TEST(ConnectionTest, AuthEmptyInitialResponseIsEquals) {
  ConnectionOptions o;
  o.allow_insecure_auth = true;
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(SubAuth("EXTERNAL", std::string()))
      .Client("AUTH EXTERNAL =\r\n")
      .Server("235 ok\r\n");
  s.RunAllSplits({"greeting 220", "reply AUTH 235", "authenticated EXTERNAL"});
}

TEST(ConnectionTest, EofMidReply) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(Noop{}))
      .Client("NOOP\r\n")
      .Server("250-partial\r\n")
      .Eof()
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.close_status().code(), absl::StatusCode::kUnavailable);
        EXPECT_TRUE(absl::StrContains(c.close_status().message(),
                                      "middle of a reply"));
      });
  s.RunAllSplits({"greeting 220", "closed connection_closed"});
}

TEST(ConnectionTest, QuitAndEofAfterQuitAreClean) {
  Script s(MakeConnection());
  s.Server(kGreeting).Do(Sub(Quit{})).Client("QUIT\r\n").Eof();
  s.RunAllSplits({"greeting 220", "closed ok"});
  Script t(MakeConnection());
  t.Server(kGreeting)
      .Do(Sub(Quit{}))
      .Client("QUIT\r\n")
      .Server("221 2.0.0 bye\r\n")
      .Do([](Connection& c, Instant now) {
        EXPECT_EQ(c.state(), ConnectionState::kClosed);
        EXPECT_EQ(GetErrorDetail(c.Submit(Noop{}, now).status()),
                  ErrorDetail::kClosed);
      });
  t.RunAllSplits({"greeting 220", "reply QUIT 221 2.0.0", "closed ok"});
}

TEST(ConnectionTest, Greeting554And421) {
  Script s(MakeConnection());
  s.Server("554 5.7.1 go away\r\n")
      .Do([](Connection& c, Instant) {
        EXPECT_EQ(c.greeting().code(), 554);
        EXPECT_EQ(c.state(), ConnectionState::kReady);
      })
      .Do(Sub(Quit{}))
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 554", "reply QUIT 221", "closed ok"});
  Script t(MakeConnection());
  t.Server("421 4.3.2 busy\r\n");
  t.RunAllSplits({"greeting 421", "closed service_closing"});
}

TEST(ConnectionTest, LocalMisuseLeavesConnectionUsable) {
  Connection c(ConnectionOptions(), T(0));
  EXPECT_EQ(GetErrorDetail(c.Submit(Noop{}, T(0)).status()),
            ErrorDetail::kWrongState);
  ASSERT_TRUE(c.Receive(kGreeting, T(0)).ok());
  DrainEvents(c);
  absl::StatusOr<CommandId> bad =
      c.Submit(RcptTo{"x\r\nDATA", {}}, T(0));
  EXPECT_EQ(GetErrorDetail(bad.status()), ErrorDetail::kControlCharacter);
  EXPECT_EQ(DrainTransmit(c, T(0)), "");
  EXPECT_EQ(GetErrorDetail(c.AppendBody(42, absl::Cord("x"), true, T(0))),
            ErrorDetail::kWrongState);
  absl::StatusOr<CommandId> ok = c.Submit(Noop{}, T(0));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 1u);  // failed submits consume no id
  EXPECT_EQ(DrainTransmit(c, T(0)), "NOOP\r\n");
  EXPECT_FALSE(c.broken());
}

TEST(ConnectionTest, BareLineEndingRejectPolicy) {
  ConnectionOptions o;
  o.line_endings = LineEndingPolicy::kReject;
  Connection c(o, T(0));
  ASSERT_TRUE(c.Receive(kGreeting, T(0)).ok());
  absl::StatusOr<CommandId> id =
      c.Submit(Data{absl::Cord("a\nb\r\n"), false}, T(0));
  EXPECT_EQ(GetErrorDetail(id.status()), ErrorDetail::kBareLineEnding);
  EXPECT_EQ(DrainTransmit(c, T(0)), "");
}

// DotStuffer::Finish completes a final CR to CRLF under any policy, so the
// connection refuses a body ending in a bare CR itself under kReject: a
// whole DATA body, the last AppendBody chunk (even empty), BDAT LAST.
TEST(ConnectionTest, FinalBareCrRejectPolicy) {
  ConnectionOptions o;
  o.line_endings = LineEndingPolicy::kReject;
  Connection c(o, T(0));
  ASSERT_TRUE(c.Receive(kGreeting, T(0)).ok());
  EXPECT_EQ(GetErrorDetail(c.Submit(Data{absl::Cord("a\r\nb\r"), false}, T(0))
                               .status()),
            ErrorDetail::kBareLineEnding);
  EXPECT_EQ(GetErrorDetail(
                c.Submit(Bdat{absl::Cord("a\r"), true, true}, T(0)).status()),
            ErrorDetail::kBareLineEnding);
  EXPECT_EQ(DrainTransmit(c, T(0)), "");
  ASSERT_TRUE(c.Submit(MailFrom{"a@example.org", {}}, T(0)).ok());
  EXPECT_EQ(DrainTransmit(c, T(0)), "MAIL FROM:<a@example.org>\r\n");
  ASSERT_TRUE(c.Receive("250 ok\r\n", T(0)).ok());
  ASSERT_TRUE(c.Submit(RcptTo{"b@example.org", {}}, T(0)).ok());
  EXPECT_EQ(DrainTransmit(c, T(0)), "RCPT TO:<b@example.org>\r\n");
  ASSERT_TRUE(c.Receive("250 ok\r\n", T(0)).ok());
  // Streamed: "a\r" is fine while more may follow; the end is not.
  absl::StatusOr<CommandId> id =
      c.Submit(Data{absl::Cord("a\r"), true}, T(0));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(GetErrorDetail(c.AppendBody(*id, absl::Cord(), true, T(0))),
            ErrorDetail::kBareLineEnding);
  EXPECT_EQ(GetErrorDetail(c.AppendBody(*id, absl::Cord("b\r"), true, T(0))),
            ErrorDetail::kBareLineEnding);
  ASSERT_TRUE(c.AppendBody(*id, absl::Cord("\nb\r"), false, T(0)).ok());
  ASSERT_TRUE(c.AppendBody(*id, absl::Cord("\n"), true, T(0)).ok());
  EXPECT_EQ(DrainTransmit(c, T(0)), "DATA\r\n");
  ASSERT_TRUE(c.Receive("354 go\r\n", T(0)).ok());
  EXPECT_EQ(DrainTransmit(c, T(0)), "a\r\nb\r\n.\r\n");
  EXPECT_FALSE(c.broken());
}

TEST(ConnectionTest, ZeroCopyBodySlicesPointIntoCallerMemory) {
  static const std::string* body =
      new std::string(std::string(100000, 'a') + "\r\n");
  Connection c(ConnectionOptions(), T(0));
  ASSERT_TRUE(c.Receive(kGreeting, T(0)).ok());
  ASSERT_TRUE(c.Submit(MailFrom{"a@example.org", {}}, T(0)).ok());
  DrainTransmit(c, T(0));
  ASSERT_TRUE(c.Receive("250 ok\r\n", T(0)).ok());
  ASSERT_TRUE(c.Submit(RcptTo{"b@example.org", {}}, T(0)).ok());
  DrainTransmit(c, T(0));
  ASSERT_TRUE(c.Receive("250 ok\r\n", T(0)).ok());
  bool released = false;
  ASSERT_TRUE(c.Submit(Data{absl::MakeCordFromExternal(
                                *body, [&released] { released = true; }),
                            false},
                       T(0))
                  .ok());
  DrainTransmit(c, T(0));
  ASSERT_TRUE(c.Receive("354 go\r\n", T(0)).ok());
  IoSlice slices[8];
  size_t n = c.PollTransmit(absl::MakeSpan(slices));
  ASSERT_GE(n, 2u);
  EXPECT_EQ(slices[0].data, body->data());  // not copied
  EXPECT_EQ(slices[0].size, body->size());
  EXPECT_EQ(std::string(slices[1].data, slices[1].size), ".\r\n");
  EXPECT_FALSE(released);
  // Partial writes, ending inside a slice.
  c.ConsumeTransmit(10, T(1));
  n = c.PollTransmit(absl::MakeSpan(slices));
  EXPECT_EQ(slices[0].data, body->data() + 10);
  c.ConsumeTransmit(body->size() - 10, T(1));
  EXPECT_TRUE(released);  // the Cord is let go once written
  EXPECT_EQ(DrainTransmit(c, T(1)), ".\r\n");
}

TEST(ConnectionTest, SlicesStayValidAcrossLaterSubmits) {
  Connection c(ConnectionOptions(), T(0));
  ASSERT_TRUE(c.Receive(kGreeting, T(0)).ok());
  ASSERT_TRUE(c.Submit(Ehlo{"c.example"}, T(0)).ok());
  ASSERT_TRUE(c.Receive(kEhloPipelining, T(0)).ok());
  DrainTransmit(c, T(0));
  ASSERT_TRUE(c.Submit(MailFrom{"a@example.org", {}}, T(0)).ok());
  IoSlice first[4];
  ASSERT_EQ(c.PollTransmit(absl::MakeSpan(first)), 1u);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        c.Submit(RcptTo{absl::StrCat("r", i, "@example.org"), {}}, T(0)).ok());
  }
  EXPECT_EQ(first[0].view(), "MAIL FROM:<a@example.org>\r\n");
  std::string all = DrainTransmit(c, T(0), 1);
  EXPECT_TRUE(absl::StartsWith(all, "MAIL FROM:<a@example.org>\r\nRCPT TO:<r0@"));
  EXPECT_TRUE(absl::EndsWith(all, "RCPT TO:<r99@example.org>\r\n"));
}

TEST(ConnectionTest, StreamedBodyWithAppendBody) {
  Script s(MakeConnection());
  auto data_id = std::make_shared<CommandId>(0);
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Do([data_id](Connection& c, Instant now) {
        absl::StatusOr<CommandId> id =
            c.Submit(Data{absl::Cord("line one\r\n."), true}, now);
        ASSERT_TRUE(id.ok());
        *data_id = *id;
        // Before the 354: held.
        EXPECT_TRUE(c.AppendBody(*id, absl::Cord("dot\r\n"), false, now).ok());
        EXPECT_EQ(GetErrorDetail(c.Submit(Data{}, now).status()),
                  ErrorDetail::kWrongState);
      })
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("line one\r\n..dot\r\n")
      .Do([data_id](Connection& c, Instant now) {
        EXPECT_TRUE(
            c.AppendBody(*data_id, absl::Cord(".end"), true, now).ok());
        EXPECT_EQ(GetErrorDetail(
                      c.AppendBody(*data_id, absl::Cord("x"), true, now)),
                  ErrorDetail::kWrongState);
      })
      .Client("..end\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities PIPELINING SIZE=10240000 CHUNKING 8BITMIME",
                  "reply MAIL 250", "reply RCPT 250", "reply DATA 354",
                  "reply DATA 250"});
}

TEST(ConnectionTest, DataRefusedInsteadOf354) {
  Script s(MakeConnection());
  s.Server(kGreeting)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Client("MAIL FROM:<a@example.org>\r\n")
      .Server("250 ok\r\n")
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Client("RCPT TO:<b@example.org>\r\n")
      .Server("250 ok\r\n")
      .Do(Sub(Data{absl::Cord("body"), false}))
      .Client("DATA\r\n")
      .Server("554 5.3.0 no\r\n")
      .Client("")
      .Do(Sub(Rset{}))
      .Client("RSET\r\n");
  s.RunAllSplits({"greeting 220", "reply MAIL 250", "reply RCPT 250",
                  "reply DATA 554 5.3.0"});
}

TEST(ConnectionTest, CapabilityFilterApplies) {
  ConnectionOptions o;
  o.capability_filter.ignore = {"PIPELINING"};
  Script s(MakeConnection(o));
  s.Server(kGreeting)
      .Do(Sub(Ehlo{"c.example"}))
      .Client("EHLO c.example\r\n")
      .Server(kEhloPipelining)
      .Do(Sub(MailFrom{"a@example.org", {}}))
      .Do(Sub(RcptTo{"b@example.org", {}}))
      .Client("MAIL FROM:<a@example.org>\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250",
                  "capabilities SIZE=10240000 CHUNKING 8BITMIME"});
}

TEST(ConnectionTest, AbortReportsIo) {
  Connection c(ConnectionOptions(), T(0));
  c.Abort(absl::UnavailableError("connection reset"), T(1));
  std::vector<std::string> events = DrainEvents(c);
  EXPECT_EQ(events, std::vector<std::string>{"closed io"});
  EXPECT_EQ(GetErrorDetail(c.close_status()), ErrorDetail::kIo);
}

}  // namespace
}  // namespace smtpcore
