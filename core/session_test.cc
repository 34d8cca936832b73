#include "core/session.h"

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
using Script = internal::SansIoScript<Session>;

Instant T(double seconds) { return InstantFromSeconds(seconds); }

SessionOptions Plain() {
  SessionOptions o;
  o.ehlo_domain = "client.example";
  o.tls_mode = TlsMode::kNone;
  return o;
}

Script::Factory MakeSession(SessionOptions options) {
  return [options](Instant now) {
    return std::make_unique<Session>(options, now);
  };
}

Envelope Env(std::string from, std::vector<std::string> to) {
  Envelope e;
  e.from = std::move(from);
  for (std::string& r : to) e.AddRecipient(std::move(r));
  return e;
}

Script::Action Deliver(Envelope envelope, std::string body) {
  return [=](Session& s, Instant now) {
    absl::StatusOr<DeliveryId> id =
        s.Deliver(envelope, absl::Cord(body), now);
    EXPECT_TRUE(id.ok()) << id.status();
  };
}

Script::Action CloseSession() {
  return [](Session& s, Instant now) { EXPECT_TRUE(s.Close(now).ok()); };
}

// PlainMechanism is a test stand-in for sasl/plain: "\0user\0pass".
class PlainMechanism : public SaslMechanism {
 public:
  PlainMechanism(std::string user, std::string pass)
      : user_(std::move(user)), pass_(std::move(pass)) {}
  absl::string_view name() const override { return "PLAIN"; }
  absl::optional<std::string> InitialResponse() override {
    return absl::StrCat(std::string(1, '\0'), user_, std::string(1, '\0'),
                        pass_);
  }
  absl::StatusOr<std::string> Respond(absl::string_view) override {
    return absl::InvalidArgumentError("PLAIN takes no challenge");
  }

 private:
  std::string user_, pass_;
};

AuthChooser ChoosePlain() {
  return [](const Capabilities& caps,
            const TlsInfo*) -> std::unique_ptr<SaslMechanism> {
    if (!caps.has_auth_mechanism("PLAIN")) return nullptr;
    return std::make_unique<PlainMechanism>("user", "pass");
  };
}

constexpr char kGreeting[] = "220 mx.example.org ESMTP\r\n";
constexpr char kEhloFull[] =
    "250-mx.example.org\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 1000\r\n"
    "250-8BITMIME\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";
constexpr char kCapsFull[] =
    "capabilities PIPELINING SIZE=1000 8BITMIME ENHANCEDSTATUSCODES";

// Seed scenario 1 (Go net/smtp SendMail): EHLO accepted with AUTH listed,
// AUTH PLAIN, one message, QUIT.
TEST(SessionTest, EhloWithAuthThenSendMail) {
  SessionOptions o = Plain();
  o.auth = ChoosePlain();
  o.allow_insecure_auth = true;  // loopback test server
  Script s(MakeSession(o));
  s.Do(Deliver(Env("joe1@example.com", {"joe2@example.com"}),
               "Subject: hi\r\n\r\nhello\r\n"))
      .Do(CloseSession())
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx.example.org greets client.example\r\n"
              "250-8BITMIME\r\n"
              "250-AUTH LOGIN PLAIN\r\n"
              "250 HELP\r\n")
      .Client("AUTH PLAIN AHVzZXIAcGFzcw==\r\n")
      .Server("235 2.7.0 Authentication successful\r\n")
      .Client("MAIL FROM:<joe1@example.com>\r\n")
      .Server("250 2.1.0 OK\r\n")
      .Client("RCPT TO:<joe2@example.com>\r\n")
      .Server("250 2.1.5 OK\r\n")
      .Client("DATA\r\n")
      .Server("354 go ahead\r\n")
      .Client("Subject: hi\r\n\r\nhello\r\n.\r\n")
      .Server("250 2.0.0 OK queued\r\n")
      .Client("QUIT\r\n")
      .Server("221 2.0.0 bye\r\n");
  s.RunAllSplits({"greeting 220",
                  "capabilities 8BITMIME AUTH=LOGIN,PLAIN HELP",
                  "authenticated PLAIN", "ready",
                  "recipient <joe2@example.com> 250 2.1.5",
                  "delivered 250 2.0.0 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "closed ok"});
}

// Seed scenario 2 (Go net/smtp): EHLO answered 502, then HELO; no
// extensions, strict lock-step.
TEST(SessionTest, EhloRejectedFallsBackToHelo) {
  std::vector<std::string> expected = {
      "greeting 220", "capabilities", "ready",
      "recipient <b@example.org> 250", "recipient <c@example.org> 250",
      "delivered 250 accepted=2 rejected=0",
      "delivery_done delivered=2 rejected=0 deferred=0"};
  // Without PIPELINING: strict lock-step, one command per reply.
  Script t(MakeSession(Plain()));
  t.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("502 5.5.2 Error: command not recognized\r\n")
      .Client("HELO client.example\r\n")
      .Server("250 mx.example.org\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org", "c@example.org"}),
                  "x\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<b@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<c@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 ok\r\n");
  t.RunAllSplits(expected);
}

TEST(SessionTest, EhloRefusedWith550IsFatalNoHelo) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("550 5.7.1 go away\r\n")
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 220", "closed rejected"});
}

TEST(SessionTest, ForceHelo) {
  SessionOptions o = Plain();
  o.force_helo = true;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("HELO client.example\r\n")
      .Server("250 mx\r\n");
  s.RunAllSplits({"greeting 220", "capabilities", "ready"});
}

TEST(SessionTest, PipelinedMixedAcceptReject) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org",
                      {"bob@example.org", "eve@example.org",
                       "carol@example.org"}),
                  "hi\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=4\r\n"
              "RCPT TO:<bob@example.org>\r\n"
              "RCPT TO:<eve@example.org>\r\n"
              "RCPT TO:<carol@example.org>\r\n"
              "DATA\r\n")
      .Server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n"
              "250 2.1.5 ok\r\n354 go\r\n")
      .Client("hi\r\n.\r\n")
      .Server("250 2.0.0 queued\r\n")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.state(), SessionState::kReady);
      });
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <bob@example.org> 250 2.1.5",
                  "recipient <eve@example.org> 550 5.1.1",
                  "recipient <carol@example.org> 250 2.1.5",
                  "delivered 250 2.0.0 accepted=2 rejected=1",
                  "delivery_done delivered=2 rejected=1 deferred=0"});
}

TEST(SessionTest, DeliveryResultDetails) {
  Session s(Plain(), T(0));
  ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive(kEhloFull, T(0)).ok());
  ASSERT_TRUE(s.Deliver(Env("a@example.org", {"b@example.org",
                                              "c@example.org",
                                              "d@example.org"}),
                        absl::Cord("x\r\n"), T(0))
                  .ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive("250 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no\r\n"
                        "451 4.3.0 later\r\n354 go\r\n",
                        T(0))
                  .ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive("250 2.0.0 id=42\r\n", T(0)).ok());
  absl::optional<DeliveryResult> result;
  while (absl::optional<Event> e = s.PollEvent()) {
    if (auto* done = std::get_if<DeliveryDone>(&*e)) result = done->result;
  }
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->recipients.size(), 3u);
  EXPECT_EQ(result->transactions, 1);
  const RecipientResult& b = result->recipients[0];
  EXPECT_EQ(b.address, "b@example.org");
  EXPECT_EQ(b.status, RecipientStatus::kDelivered);
  EXPECT_EQ(b.rcpt_reply.code(), 250);
  EXPECT_EQ(b.data_reply.code(), 250);
  EXPECT_EQ(b.data_reply.view().message(), "id=42");
  EXPECT_EQ(b.transaction, 1);
  const RecipientResult& c = result->recipients[1];
  EXPECT_EQ(c.status, RecipientStatus::kRejected);
  EXPECT_EQ(c.rcpt_reply.code(), 550);
  ASSERT_TRUE(c.rcpt_reply.enhanced().has_value());
  EXPECT_EQ(c.rcpt_reply.enhanced()->ToString(), "5.1.1");
  EXPECT_EQ(c.rcpt_reply.view().message(), "no");
  EXPECT_EQ(c.data_reply.code(), 0);
  EXPECT_EQ(result->recipients[2].status, RecipientStatus::kDeferred);
  EXPECT_EQ(result->delivered(), 1u);
  EXPECT_EQ(result->rejected(), 1u);
  EXPECT_EQ(result->deferred(), 1u);
}

TEST(SessionTest, AllRecipientsRejectedWith354) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"x@example.org", "y@example.org"}),
                  "body\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=6\r\n"
              "RCPT TO:<x@example.org>\r\nRCPT TO:<y@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n550 5.1.1 no\r\n553 5.1.3 bad\r\n354 go\r\n")
      .Client(".\r\n")  // RFC 2920 §3.1
      .Server("554 5.5.1 no valid recipients\r\n")
      // The next delivery resets the failed transaction first.
      .Do(Deliver(Env("a@example.org", {"z@example.org"}), "b\r\n"))
      .Client("RSET\r\nMAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<z@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("b\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <x@example.org> 550 5.1.1",
                  "recipient <y@example.org> 553 5.1.3",
                  "data_rejected 554 5.5.1 accepted=0 rejected=2",
                  "delivery_failed rejected 550 5.1.1",
                  "recipient <z@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

TEST(SessionTest, TooManyRecipients452SplitsTransactions) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org", "c@example.org",
                                        "d@example.org"}),
                  "m\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n"
              "RCPT TO:<d@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n"
              "552 5.5.3 too many recipients\r\n354 go\r\n")
      .Client("m\r\n.\r\n")
      .Server("250 2.0.0 first\r\n")
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("m\r\n.\r\n")
      .Server("250 2.0.0 second\r\n")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.queued_deliveries(), 0u);
      });
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <b@example.org> 250",
                  "recipient <c@example.org> 452 4.5.3",
                  "recipient <d@example.org> 552 5.5.3",
                  "delivered 250 2.0.0 accepted=1 rejected=0",
                  "recipient <c@example.org> 250",
                  "recipient <d@example.org> 250",
                  "delivered 250 2.0.0 accepted=2 rejected=0",
                  "delivery_done delivered=3 rejected=0 deferred=0"});
}

TEST(SessionTest, Repeated452WithoutProgressDefers) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "m\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n452 4.3.1 out of storage\r\n354 go\r\n")
      .Client(".\r\n")
      .Server("554 no recipients\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <b@example.org> 452 4.3.1",
                  "data_rejected 554 accepted=0 rejected=0",
                  "delivery_failed rejected 452 4.3.1"});
}

TEST(SessionTest, LimitsRcptmaxSplitsUpFront) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250 LIMITS RCPTMAX=2 MAILMAX=2\r\n")
      .Do(Deliver(Env("a@example.org", {"r1@example.org", "r2@example.org",
                                        "r3@example.org", "r4@example.org",
                                        "r5@example.org"}),
                  "m\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\n"
              "RCPT TO:<r1@example.org>\r\nRCPT TO:<r2@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("m\r\n.\r\n")
      .Server("250 ok\r\n")
      .Client("MAIL FROM:<a@example.org>\r\n"
              "RCPT TO:<r3@example.org>\r\nRCPT TO:<r4@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("m\r\n.\r\n")
      .Server("250 ok\r\n")
      // MAILMAX=2 reached: r5 is deferred for another connection.
      .Client("");
  s.RunAllSplits({"greeting 220",
                  "capabilities PIPELINING LIMITS=RCPTMAX=2,MAILMAX=2",
                  "ready", "recipient <r1@example.org> 250",
                  "recipient <r2@example.org> 250",
                  "delivered 250 accepted=2 rejected=0",
                  "recipient <r3@example.org> 250",
                  "recipient <r4@example.org> 250",
                  "delivered 250 accepted=2 rejected=0",
                  "delivery_done delivered=4 rejected=0 deferred=1"});
}

TEST(SessionTest, SizeRefusalBeforeSending) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org"}),
                  std::string(1001, 'x')))
      .Client("")  // nothing sent
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.state(), SessionState::kReady);
        EXPECT_FALSE(s.connection().broken());
      })
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "ok\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=4\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "delivery_failed message_too_large 0"});
}

TEST(SessionTest, EightBitRefusedWithout8BitMimeAndLabelledWithIt) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 PIPELINING\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}),
                  "caf\xC3\xA9\r\n"))
      .Client("");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING", "ready",
                  "delivery_failed needs_8bitmime 0"});
  Script t(MakeSession(Plain()));
  t.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org"}),
                  "caf\xC3\xA9\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=7 BODY=8BITMIME\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n");
  t.Run(0);
}

TEST(SessionTest, SmtpUtf8RefusedAndUsed) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"\xC3\xA9l\xC3\xA8ve@example.org"}),
                  "x\r\n"))
      .Client("");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "delivery_failed needs_smtputf8 0"});
  Script t(MakeSession(Plain()));
  t.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
      .Do(Deliver(Env("a@example.org", {"\xC3\xA9l\xC3\xA8ve@example.org"}),
                  "x\r\n"))
      .Client("MAIL FROM:<a@example.org> SMTPUTF8\r\n"
              "RCPT TO:<\xC3\xA9l\xC3\xA8ve@example.org>\r\nDATA\r\n");
  t.Run(0);
}

TEST(SessionTest, RequireTlsAndBinaryMimeRefused) {
  Script s(MakeSession(Plain()));
  Envelope e = Env("a@example.org", {"b@example.org"});
  e.mail.requiretls = true;
  Envelope bin = Env("a@example.org", {"b@example.org"});
  bin.mail.body = BodyType::kBinaryMime;
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-REQUIRETLS\r\n250 CHUNKING\r\n")
      .Do(Deliver(e, "x\r\n"))
      .Do(Deliver(bin, std::string("\0x", 2)))
      .Client("");
  s.RunAllSplits({"greeting 220", "capabilities REQUIRETLS CHUNKING", "ready",
                  "delivery_failed needs_requiretls 0",
                  "delivery_failed needs_binarymime 0"});
}

TEST(SessionTest, BdatWithChunkingAndBinaryMime) {
  Envelope bin = Env("a@example.org", {"b@example.org"});
  bin.mail.body = BodyType::kBinaryMime;
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-BINARYMIME\r\n"
              "250 8BITMIME\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}),
                  ".dot\nbare\r\n"))
      // RFC 3030: no stuffing, CRLF-normalised, BDAT LAST after the RCPTs.
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 12 LAST\r\n.dot\r\nbare\r\n")
      .Server("250 ok\r\n250 ok\r\n250 2.0.0 ok\r\n")
      .Do(Deliver(bin, std::string("\0\n\r", 3)))
      .Client(std::string("MAIL FROM:<a@example.org> BODY=BINARYMIME\r\n"
                          "RCPT TO:<b@example.org>\r\n"
                          "BDAT 3 LAST\r\n\0\n\r",
                          43 + 25 + 13 + 3))
      .Server("250 ok\r\n250 ok\r\n250 2.0.0 ok\r\n");
  s.RunAllSplits({"greeting 220",
                  "capabilities PIPELINING CHUNKING BINARYMIME 8BITMIME",
                  "ready", "recipient <b@example.org> 250",
                  "delivered 250 2.0.0 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "recipient <b@example.org> 250",
                  "delivered 250 2.0.0 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

TEST(SessionTest, ServiceClosing421MidTransaction) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\r\n"))
      .Do(Deliver(Env("a@example.org", {"c@example.org"}), "y\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n421 4.3.2 shutting down\r\n")
      .Do([](Session& s, Instant now) {
        EXPECT_EQ(s.state(), SessionState::kFailed);
        EXPECT_EQ(s.close_status().code(), absl::StatusCode::kUnavailable);
        absl::StatusOr<DeliveryId> id = s.Deliver(
            Env("a@example.org", {"d@example.org"}), absl::Cord("z"), now);
        EXPECT_EQ(GetErrorDetail(id.status()), ErrorDetail::kBroken);
      })
      .Client("");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "delivery_failed service_closing 421 4.3.2",
                  "delivery_failed service_closing 421 4.3.2",
                  "closed service_closing"});
}

TEST(SessionTest, MailRejectedThenRsetForNext) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250 mx\r\n")
      .Do(Deliver(Env("bad@example.org", {"b@example.org"}), "x\r\n"))
      .Do(Deliver(Env("good@example.org", {"b@example.org"}), "y\r\n"))
      .Client("MAIL FROM:<bad@example.org>\r\n")
      .Server("550 5.7.1 sender rejected\r\n")
      .Client("RSET\r\n")
      .Server("250 ok\r\n")
      .Client("MAIL FROM:<good@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<b@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("y\r\n.\r\n")
      .Server("250 ok\r\n")
      .Do(CloseSession())
      .Client("QUIT\r\n")
      .Eof();
  s.RunAllSplits({"greeting 220", "capabilities", "ready",
                  "delivery_failed rejected 550 5.7.1",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "closed ok"});
}

TEST(SessionTest, GreetingRefused) {
  Script s(MakeSession(Plain()));
  s.Do(Deliver(Env("a@example.org", {"b@example.org"}), "x"))
      .Server("554 5.3.2 no service for you\r\n")
      .Client("QUIT\r\n")
      .Server("221 bye\r\n")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(GetErrorDetail(s.close_status()), ErrorDetail::kRejected);
        EXPECT_EQ(s.close_status().code(),
                  absl::StatusCode::kFailedPrecondition);
        SmtpError e = SmtpError::FromStatus(s.close_status(),
                                            CommandKind::kNoop);
        EXPECT_EQ(e.code, 554);
        EXPECT_TRUE(e.permanent);
        EXPECT_EQ(e.command, CommandKind::kGreeting);
        EXPECT_EQ(e.first_line, "5.3.2 no service for you");
      });
  s.RunAllSplits({"greeting 554",
                  "delivery_failed rejected 554 5.3.2", "closed rejected"});
  Script t(MakeSession(Plain()));
  t.Server("421 4.3.2 busy\r\n");
  t.RunAllSplits({"greeting 421", "closed service_closing"});
}

TEST(SessionTest, OpportunisticStartTls) {
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kOpportunistic;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-STARTTLS\r\n250 PIPELINING\r\n")
      .Client("STARTTLS\r\n")
      .Server("220 2.0.0 ready\r\n")
      .Client("")
      .Do([](Session& s, Instant now) {
        EXPECT_EQ(s.state(), SessionState::kStartTls);
        TlsInfo info;
        info.version = "TLSv1.3";
        EXPECT_TRUE(s.OnTlsEstablished(info, now).ok());
      })
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 PIPELINING\r\n");
  s.RunAllSplits({"greeting 220", "capabilities STARTTLS PIPELINING",
                  "tls_upgrade_required", "tls_established",
                  "capabilities PIPELINING", "ready"});
}

TEST(SessionTest, OpportunisticStartTlsRefusedContinuesPlain) {
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kOpportunistic;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 STARTTLS\r\n")
      .Client("STARTTLS\r\n")
      .Server("454 4.7.0 TLS not available\r\n");
  s.RunAllSplits({"greeting 220", "capabilities STARTTLS", "ready"});
}

TEST(SessionTest, OpportunisticWithoutStartTlsStaysPlain) {
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kOpportunistic;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250 mx\r\n");
  s.RunAllSplits({"greeting 220", "capabilities", "ready"});
}

TEST(SessionTest, RequiredTlsNeverFallsBack) {
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kRequired;
  Script s(MakeSession(o));
  s.Do(Deliver(Env("a@example.org", {"b@example.org"}), "x"))
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250 mx\r\n")  // STARTTLS not advertised: sent anyway
      .Client("STARTTLS\r\n")
      .Server("502 5.5.1 unknown command\r\n")
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 220", "capabilities",
                  "delivery_failed tls_required 502 5.5.1",
                  "closed tls_required"});
}

TEST(SessionTest, StartTlsInjection) {
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kRequired;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 STARTTLS\r\n")
      .Client("STARTTLS\r\n")
      .Server("220 go\r\n250-PIPELINING\r\n");
  s.RunAllSplits({"greeting 220", "capabilities STARTTLS",
                  "tls_upgrade_required", "closed starttls_injection"});
}

TEST(SessionTest, TlsHandshakeFailureIsFatal) {
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kOpportunistic;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 STARTTLS\r\n")
      .Client("STARTTLS\r\n")
      .Server("220 go\r\n")
      .Do([](Session& s, Instant now) {
        s.OnTlsFailed(absl::UnavailableError("handshake failure"), now);
      });
  s.RunAllSplits({"greeting 220", "capabilities STARTTLS",
                  "tls_upgrade_required", "closed tls_handshake"});
}

TEST(SessionTest, ImplicitTls) {
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kImplicit;
  o.auth = ChoosePlain();
  Script s(MakeSession(o));
  s.Do([](Session& s, Instant now) {
     EXPECT_TRUE(s.OnTlsEstablished(TlsInfo{}, now).ok());
   })
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
      .Client("AUTH PLAIN AHVzZXIAcGFzcw==\r\n")  // TLS: allowed
      .Server("235 ok\r\n");
  s.RunAllSplits({"tls_established", "greeting 220",
                  "capabilities STARTTLS AUTH=PLAIN", "authenticated PLAIN",
                  "ready"});
  Script t(MakeSession(o));
  t.Server(kGreeting).Client("QUIT\r\n");
  t.RunAllSplits({"greeting 220"});
}

TEST(SessionTest, AuthRefusedWithoutTls) {
  SessionOptions o = Plain();
  o.auth = ChoosePlain();
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 AUTH PLAIN\r\n")
      .Client("QUIT\r\n")  // never the credentials
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 220", "capabilities AUTH=PLAIN",
                  "auth_failed insecure_auth", "closed insecure_auth"});
}

TEST(SessionTest, AuthFailedIsFatalAndQueuedDeliveriesFail) {
  SessionOptions o = Plain();
  o.auth = ChoosePlain();
  o.allow_insecure_auth = true;
  Script s(MakeSession(o));
  s.Do(Deliver(Env("a@example.org", {"b@example.org"}), "x"))
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 AUTH PLAIN\r\n")
      .Client("AUTH PLAIN AHVzZXIAcGFzcw==\r\n")
      .Server("535 5.7.8 Authentication credentials invalid\r\n")
      .Client("QUIT\r\n")
      .Server("221 bye\r\n")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.close_status().code(),
                  absl::StatusCode::kPermissionDenied);
        EXPECT_FALSE(absl::StrContains(s.close_status().ToString(), "AHVz"));
      });
  s.RunAllSplits({"greeting 220", "capabilities AUTH=PLAIN",
                  "auth_failed 535 5.7.8",
                  "delivery_failed auth_failed 535 5.7.8",
                  "closed auth_failed"});
}

TEST(SessionTest, AuthNeededButNotOffered) {
  SessionOptions o = Plain();
  o.auth = ChoosePlain();
  o.allow_insecure_auth = true;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 AUTH CRAM-MD5\r\n")  // chooser finds nothing
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 220", "capabilities AUTH=CRAM-MD5",
                  "auth_failed needs_auth", "closed needs_auth"});
  // No AUTH at all: the same event before the session fails.
  Script t(MakeSession(o));
  t.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 PIPELINING\r\n")
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  t.RunAllSplits({"greeting 220", "capabilities PIPELINING",
                  "auth_failed needs_auth", "closed needs_auth"});
}

TEST(SessionTest, TraceRedactsSecretsAndSummarizesBody) {
  SessionOptions o = Plain();
  o.auth = ChoosePlain();
  o.allow_insecure_auth = true;
  o.trace = true;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 AUTH PLAIN\r\n")
      .Client("AUTH PLAIN AHVzZXIAcGFzcw==\r\n")
      .Server("235 ok\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "secret body\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<b@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("secret body\r\n.\r\n")
      .Server("250 ok\r\n");
  std::vector<std::string> expected = {
      "trace S: 220 mx.example.org ESMTP", "greeting 220",
      "trace C: EHLO client.example", "trace S: 250-mx",
      "trace S: 250 AUTH PLAIN", "capabilities AUTH=PLAIN",
      "trace C: AUTH PLAIN <redacted>", "trace S: 235 ok",
      "authenticated PLAIN", "ready", "trace C: MAIL FROM:<a@example.org>",
      "trace S: 250 ok", "trace C: RCPT TO:<b@example.org>",
      "trace S: 250 ok", "recipient <b@example.org> 250", "trace C: DATA",
      "trace S: 354 go", "trace C: <body 13 bytes>", "trace S: 250 ok",
      "delivered 250 accepted=1 rejected=0",
      "delivery_done delivered=1 rejected=0 deferred=0"};
  s.RunAllSplits(expected);
  for (const std::string& e : s.Run(0)) {
    EXPECT_FALSE(absl::StrContains(e, "AHVz")) << e;
    EXPECT_FALSE(absl::StrContains(e, "secret")) << e;
  }
}

TEST(SessionTest, EndOfDataTimeoutByLaterNow) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting, 0)
      .Client("EHLO client.example\r\n", 0)
      .Server(kEhloFull, 1)
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\r\n"), 2)
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n",
              2)
      .Server("250 ok\r\n250 ok\r\n354 go\r\n", 3)
      .Client("x\r\n.\r\n", 4)
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.NextDeadline(), T(4 + 600));
        s.HandleTimeout(T(603));
        EXPECT_EQ(s.state(), SessionState::kTransaction);
      })
      .Do([](Session& s, Instant now) { s.HandleTimeout(now); }, 604)
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.close_status().code(),
                  absl::StatusCode::kDeadlineExceeded);
      });
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <b@example.org> 250",
                  "delivery_failed timeout 0 unknown=1", "closed timeout"});
}

// UnknownOutcomeRun drives a pipelined DATA delivery to three recipients
// (the second refused) up to the end of data, writing all but
// `unwritten` bytes of the final ".\r\n", then ends the connection with
// `end`, and returns the delivery's result.
DeliveryResult UnknownOutcomeRun(size_t unwritten,
                                 void (*end)(Session&, Instant)) {
  Session s(Plain(), T(0));
  EXPECT_TRUE(s.Receive(kGreeting, T(0)).ok());
  DrainTransmit(s, T(0));
  EXPECT_TRUE(s.Receive(kEhloFull, T(1)).ok());
  EXPECT_TRUE(
      s.Deliver(Env("a@example.org",
                    {"b@example.org", "c@example.org", "d@example.org"}),
                absl::Cord("x\r\n"), T(1))
          .ok());
  DrainTransmit(s, T(1));
  EXPECT_TRUE(
      s.Receive("250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n", T(2))
          .ok());
  std::string body;
  IoSlice slices[8];
  size_t n = s.PollTransmit(slices);
  for (size_t i = 0; i < n; ++i) body.append(std::string(slices[i].view()));
  EXPECT_EQ(body, "x\r\n.\r\n");
  s.ConsumeTransmit(body.size() - unwritten, T(3));
  end(s, T(4));
  absl::optional<DeliveryResult> result;
  while (absl::optional<Event> e = s.PollEvent()) {
    if (auto* f = std::get_if<DeliveryFailed>(&*e)) result = f->result;
  }
  EXPECT_TRUE(result.has_value());
  return result.value_or(DeliveryResult());
}

void EndWithEof(Session& s, Instant now) { (void)s.ReceiveEof(now); }
void EndWithTimeout(Session& s, Instant) { s.HandleTimeout(T(4 + 600)); }
void EndWithIoError(Session& s, Instant now) {
  s.Abort(MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kIo, "reset"),
          now);
}
void EndWith421(Session& s, Instant now) {
  (void)s.Receive("421 4.3.2 shutting down\r\n", now);
}

TEST(SessionTest, EndOfDataSentThenConnectionLostIsUnknown) {
  for (auto end : {EndWithEof, EndWithTimeout, EndWithIoError}) {
    DeliveryResult r = UnknownOutcomeRun(0, end);
    ASSERT_EQ(r.recipients.size(), 3u);
    EXPECT_EQ(r.recipients[0].status, RecipientStatus::kUnknown);
    EXPECT_EQ(r.recipients[1].status, RecipientStatus::kRejected);
    EXPECT_EQ(r.recipients[2].status, RecipientStatus::kUnknown);
    EXPECT_EQ(r.unknown(), 2u);
    EXPECT_EQ(r.deferred(), 0u);
  }
}

TEST(SessionTest, EndOfDataNotWrittenInFullIsDeferred) {
  // One byte of ".\r\n" never left: the server cannot have ended the
  // message.
  DeliveryResult r = UnknownOutcomeRun(1, EndWithEof);
  ASSERT_EQ(r.recipients.size(), 3u);
  EXPECT_EQ(r.recipients[0].status, RecipientStatus::kDeferred);
  EXPECT_EQ(r.recipients[1].status, RecipientStatus::kRejected);
  EXPECT_EQ(r.unknown(), 0u);
}

TEST(SessionTest, A421AfterTheEndOfDataIsAnAnswer) {
  // 421 is the server's reply to the end of data (RFC 5321 §3.8): it did
  // not take the message.
  DeliveryResult r = UnknownOutcomeRun(0, EndWith421);
  EXPECT_EQ(r.unknown(), 0u);
  EXPECT_EQ(r.deferred(), 2u);
}

TEST(SessionTest, EofMidReply) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting).Client("EHLO client.example\r\n").Server("250-mx\r\n").Eof();
  s.RunAllSplits({"greeting 220", "closed connection_closed"});
}

TEST(SessionTest, DsnParamsOnlyWhenOffered) {
  Envelope e = Env("a@example.org", {});
  e.mail.ret = DsnRet::kHdrs;
  e.mail.envid = "Q1";
  Recipient r;
  r.address = "b@example.org";
  r.params.notify = kNotifyFailure | kNotifyDelay;
  r.params.orcpt = "b@example.org";
  e.recipients.push_back(r);
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250 DSN\r\n")
      .Do(Deliver(e, "x\r\n"))
      .Client("MAIL FROM:<a@example.org> RET=HDRS ENVID=Q1\r\n"
              "RCPT TO:<b@example.org> NOTIFY=FAILURE,DELAY "
              "ORCPT=rfc822;b@example.org\r\nDATA\r\n");
  s.Run(0);
  Script t(MakeSession(Plain()));
  t.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 PIPELINING\r\n")
      .Do(Deliver(e, "x\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n");
  t.Run(0);
}

TEST(SessionTest, StreamedDelivery) {
  auto id = std::make_shared<DeliveryId>(0);
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do([id](Session& s, Instant now) {
        absl::StatusOr<DeliveryId> d =
            s.StartDelivery(Env("a@example.org", {"b@example.org"}), now);
        ASSERT_TRUE(d.ok());
        *id = *d;
        EXPECT_TRUE(s.AppendBody(*d, absl::Cord("part one\r\n"), false, now)
                        .ok());
      })
      // Streamed: no SIZE, BODY=8BITMIME as the safe label.
      .Client("MAIL FROM:<a@example.org> BODY=8BITMIME\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("part one\r\n")
      .Do([id](Session& s, Instant now) {
        EXPECT_TRUE(s.AppendBody(*id, absl::Cord(".two"), true, now).ok());
        EXPECT_EQ(GetErrorDetail(
                      s.AppendBody(*id, absl::Cord("x"), true, now)),
                  ErrorDetail::kWrongState);
      })
      .Client("..two\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

TEST(SessionTest, ArgumentErrorsAreSynchronousAndHarmless) {
  Session s(Plain(), T(0));
  EXPECT_EQ(GetErrorDetail(s.Deliver(Env("a@example.org", {}),
                                     absl::Cord("x"), T(0))
                               .status()),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(s.Deliver(Env("a@example.org",
                                         {"b@example.org\r\nDATA"}),
                                     absl::Cord("x"), T(0))
                               .status()),
            ErrorDetail::kControlCharacter);
  EXPECT_EQ(GetErrorDetail(s.AppendBody(7, absl::Cord("x"), true, T(0))),
            ErrorDetail::kWrongState);
  EXPECT_EQ(s.queued_deliveries(), 0u);
  ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
  EXPECT_EQ(DrainTransmit(s, T(0)), "EHLO client.example\r\n");
}

TEST(SessionTest, MultipleDeliveriesQueuedBeforeGreeting) {
  Script s(MakeSession(Plain()));
  s.Do(Deliver(Env("a@example.org", {"b@example.org"}), "1\r\n"))
      .Do(Deliver(Env("a@example.org", {"c@example.org"}), "2\r\n"))
      .Do(CloseSession())
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("1\r\n.\r\n")
      .Server("250 ok\r\n")
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<c@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("2\r\n.\r\n")
      .Server("250 ok\r\n")
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "recipient <c@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "closed ok"});
}

TEST(SessionTest, ReplyEventsOption) {
  SessionOptions o = Plain();
  o.reply_events = true;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250 mx\r\n");
  s.RunAllSplits({"greeting 220", "reply EHLO 250", "capabilities", "ready"});
}

TEST(SessionTest, ParamsPushingMailOverLineLimitFailOnlyThatDelivery) {
  // "MAIL FROM:<" + from + ">\r\n" is exactly 512 octets; " SIZE=3" is not.
  std::string from = std::string(512 - 14 - 12, 'a') + "@example.org";
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env(from, {"b@example.org"}), "x\r\n"))
      .Client("")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "delivery_failed line_too_long 0"});
}

TEST(SessionTest, CodeMismatchMidTransactionBreaks) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250-ok\r\n550 mismatch\r\n")
      .Client("")
      .Do([](Session& s, Instant now) {
        EXPECT_EQ(s.close_status().code(), absl::StatusCode::kDataLoss);
        EXPECT_EQ(GetErrorDetail(s.Close(now)), ErrorDetail::kBroken);
      });
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "delivery_failed reply_code_mismatch 0",
                  "closed reply_code_mismatch"});
}

TEST(SessionTest, UnboundedReplyBreaks) {
  SessionOptions o = Plain();
  o.reply_limits.max_reply_size = 4096;
  std::string endless;
  while (endless.size() < 10000) endless += "250-this never ends\r\n";
  Script s(MakeSession(o));
  s.Server(kGreeting).Client("EHLO client.example\r\n").Server(endless);
  std::vector<std::string> expected = {"greeting 220", "closed reply_too_large"};
  EXPECT_EQ(s.Run(0), expected);
  EXPECT_EQ(s.Run(1), expected);
  EXPECT_EQ(s.Run(777), expected);
}

TEST(SessionTest, BdatLockStepWithoutPipelining) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 CHUNKING\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "hi\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<b@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("BDAT 4 LAST\r\nhi\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", "capabilities CHUNKING", "ready",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// StartStreamed starts a streamed delivery to `to` and stores its id.
Script::Action StartStreamed(std::shared_ptr<DeliveryId> id, std::string to) {
  return [id, to](Session& s, Instant now) {
    absl::StatusOr<DeliveryId> d =
        s.StartDelivery(Env("a@example.org", {to}), now);
    ASSERT_TRUE(d.ok()) << d.status();
    *id = *d;
  };
}

// Append appends `chunk` to delivery `*id` and expects `detail` (kNone: OK).
Script::Action Append(std::shared_ptr<DeliveryId> id, std::string chunk,
                      bool last, ErrorDetail detail = ErrorDetail::kNone) {
  return [id, chunk, last, detail](Session& s, Instant now) {
    absl::Status st = s.AppendBody(*id, absl::Cord(chunk), last, now);
    if (detail == ErrorDetail::kNone) {
      EXPECT_TRUE(st.ok()) << st;
    } else {
      EXPECT_EQ(GetErrorDetail(st), detail) << st;
    }
  };
}

SessionOptions RejectBareLineEndings() {
  SessionOptions o = Plain();
  o.line_endings = LineEndingPolicy::kReject;
  return o;
}

// A body refused by LineEndingPolicy::kReject fails only its delivery, and
// before MAIL: nothing is sent, the session stays usable (lock-step here;
// the pipelined case is tests/transcripts/body.md).
TEST(SessionTest, BareLineEndingRefusedBeforeMail) {
  Script s(MakeSession(RejectBareLineEndings()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 SIZE 1000\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "a\nb\r\n"))
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "a\rb\r\n"))
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "ends in CR\r"))
      .Client("")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.state(), SessionState::kReady);
        EXPECT_EQ(s.queued_deliveries(), 0u);
      })
      .Do(Deliver(Env("a@example.org", {"c@example.org"}), "ok\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=4\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<c@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("ok\r\n.\r\n")
      .Server("250 ok\r\n")
      .Do(CloseSession())
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 220", "capabilities SIZE=1000", "ready",
                  "delivery_failed bare_line_ending 0",
                  "delivery_failed bare_line_ending 0",
                  "delivery_failed bare_line_ending 0",
                  "recipient <c@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "closed ok"});
}

// A CRLF split across Cord chunks is not a bare line ending.
TEST(SessionTest, CrlfAcrossCordChunksIsNotBare) {
  // Chunks big enough that Cord keeps them apart.
  std::string first = std::string(600, 'x') + "\r";
  std::string second = "\n" + std::string(600, 'y') + "\r\n";
  absl::Cord body;
  body.Append(absl::MakeCordFromExternal(first, [] {}));
  body.Append(absl::MakeCordFromExternal(second, [] {}));
  ASSERT_GT(std::distance(body.Chunks().begin(), body.Chunks().end()), 1);
  Session s(RejectBareLineEndings(), T(0));
  ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
  EXPECT_EQ(DrainTransmit(s, T(0)), "EHLO client.example\r\n");
  ASSERT_TRUE(s.Receive("250-mx\r\n250-PIPELINING\r\n250 SIZE 5000\r\n",
                        T(0)).ok());
  ASSERT_TRUE(s.Deliver(Env("a@example.org", {"b@example.org"}), body, T(0))
                  .ok());
  // 1204 octets, all line endings already CRLF.
  EXPECT_EQ(DrainTransmit(s, T(0)),
            "MAIL FROM:<a@example.org> SIZE=1204\r\n"
            "RCPT TO:<b@example.org>\r\nDATA\r\n");
}

// The precheck encodes a complete body once for the transfer
// (core/encoded_body.h) and the connection sends that encoding: still zero
// copy, for DATA and BDAT, and the caller's memory is let go once the body
// is written and the delivery is over. A refused delivery (SIZE) writes
// nothing.
TEST(SessionTest, PrecheckedBodyIsSentWithoutCopy) {
  static const std::string* text =
      new std::string(std::string(3000, 'a') + "\r\n.b\r\n");
  for (bool bdat : {false, true}) {
    SCOPED_TRACE(bdat ? "BDAT" : "DATA");
    bool released = false;
    Session s(Plain(), T(0));
    ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
    EXPECT_EQ(DrainTransmit(s, T(0)), "EHLO client.example\r\n");
    ASSERT_TRUE(s.Receive(bdat ? "250-mx\r\n250-PIPELINING\r\n"
                                 "250-CHUNKING\r\n250 SIZE 5000\r\n"
                               : "250-mx\r\n250-PIPELINING\r\n"
                                 "250 SIZE 5000\r\n",
                          T(0))
                    .ok());
    ASSERT_TRUE(s.Deliver(Env("a@example.org", {"b@example.org"}),
                          absl::Cord(std::string(6000, 'z')), T(0))
                    .ok());  // over SIZE: refused before MAIL
    ASSERT_TRUE(s.Deliver(Env("a@example.org", {"b@example.org"}),
                          absl::MakeCordFromExternal(
                              *text, [&released] { released = true; }),
                          T(0))
                    .ok());
    std::string head =
        "MAIL FROM:<a@example.org> SIZE=3006\r\n"
        "RCPT TO:<b@example.org>\r\n";
    if (bdat) {
      head += "BDAT 3006 LAST\r\n";
    } else {
      head += "DATA\r\n";
      EXPECT_EQ(DrainTransmit(s, T(0)), head);
      ASSERT_TRUE(s.Receive("250 ok\r\n250 ok\r\n354 go\r\n", T(0)).ok());
      head.clear();
    }
    IoSlice slices[16];
    size_t n = s.PollTransmit(absl::MakeSpan(slices));
    std::string wire;
    bool points_into_text = false;
    for (size_t i = 0; i < n; ++i) {
      wire.append(slices[i].data, slices[i].size);
      if (slices[i].data == text->data()) points_into_text = true;
    }
    EXPECT_TRUE(points_into_text);
    EXPECT_EQ(wire, head + std::string(3000, 'a') +
                        (bdat ? "\r\n.b\r\n" : "\r\n..b\r\n.\r\n"));
    s.ConsumeTransmit(wire.size(), T(0));
    ASSERT_TRUE(s.Receive(bdat ? "250 ok\r\n250 ok\r\n250 queued\r\n"
                               : "250 queued\r\n",
                          T(0))
                    .ok());
    std::vector<std::string> kinds;
    while (auto e = s.PollEvent()) {
      if (std::holds_alternative<DeliveryFailed>(*e)) {
        kinds.push_back("failed");
      } else if (std::holds_alternative<DeliveryDone>(*e)) {
        kinds.push_back("done");
      }
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"failed", "done"}));
    EXPECT_TRUE(released);
  }
}

// RFC 1870 §3: SIZE counts the octets sent, CRLF pairs included: each bare
// LF or CR (normalised to CRLF) adds one; dot-stuffing and the final "." do
// not count. The SIZE pre-check uses the same count.
TEST(SessionTest, SizeCountsNormalisedOctets) {
  std::string big;
  for (int i = 0; i < 250; ++i) big += "abc\n";  // 1000 raw, 1250 sent
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), big))
      .Client("")
      // 8 raw octets, plus one for the bare LF and one for the final bare
      // CR: 10. The stuffed dot of ".x" is not counted.
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "a\n.x\r\nc\r"))
      .Client("MAIL FROM:<a@example.org> SIZE=10\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("a\r\n..x\r\nc\r\n.\r\n")
      .Server("250 ok\r\n")
      // A last line without a line break: DATA sends "b\r\n" before the
      // ".": 3 octets, one for the bare LF, two for the added CRLF.
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "a\nb"))
      .Client("MAIL FROM:<a@example.org> SIZE=6\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("a\r\nb\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "delivery_failed message_too_large 0",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// BDAT sends the normalised body, with CRLF added to a last line without
// one (as DATA does), so its octet count equals SIZE; a BINARYMIME body goes
// out unchanged and SIZE is its raw size.
TEST(SessionTest, SizeMatchesBdatCount) {
  Envelope bin = Env("a@example.org", {"b@example.org"});
  bin.mail.body = BodyType::kBinaryMime;
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250-SIZE 100\r\n250-CHUNKING\r\n"
              "250 BINARYMIME\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\ny"))
      .Client("MAIL FROM:<a@example.org> SIZE=6\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 6 LAST\r\nx\r\ny\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n")
      .Do(Deliver(bin, "\n\r"))
      .Client("MAIL FROM:<a@example.org> SIZE=2 BODY=BINARYMIME\r\n"
              "RCPT TO:<b@example.org>\r\nBDAT 2 LAST\r\n\n\r")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n");
  s.RunAllSplits({"greeting 220",
                  "capabilities PIPELINING SIZE=100 CHUNKING BINARYMIME",
                  "ready", "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// Streamed chunks under kReject: a CR ending one chunk is judged with the
// next; a refused chunk leaves the delivery open; a final bare CR is
// refused with `last`.
TEST(SessionTest, StreamedBareLineEndingsRefusedPerChunk) {
  auto id = std::make_shared<DeliveryId>(0);
  Script s(MakeSession(RejectBareLineEndings()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 PIPELINING\r\n")
      .Do(StartStreamed(id, "b@example.org"))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n")
      .Do(Append(id, "a\nb", false, ErrorDetail::kBareLineEnding))
      .Do(Append(id, "one\r", false))
      .Do(Append(id, "two", false, ErrorDetail::kBareLineEnding))
      .Do(Append(id, "\ntwo\r", false))
      .Do(Append(id, "", true, ErrorDetail::kBareLineEnding))
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("one\r\ntwo\r")
      .Do(Append(id, "\n", true))
      .Client("\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING", "ready",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// 8-bit chunks appended before MAIL is sent are judged like a whole body:
// without 8BITMIME the delivery is refused and nothing is sent.
TEST(SessionTest, StreamedEightBitBeforeMailRefused) {
  auto id = std::make_shared<DeliveryId>(0);
  Script s(MakeSession(Plain()));
  s.Do(StartStreamed(id, "b@example.org"))
      .Do(Append(id, "caf\xC3\xA9\r\n", false))
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 PIPELINING\r\n")
      .Client("")
      .Do(Append(id, "more\r\n", true, ErrorDetail::kWrongState));
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING", "ready",
                  "delivery_failed needs_8bitmime 0"});
}

// MAIL went out as 7-bit (no 8BITMIME); an 8-bit chunk before the body was
// sent fails only this delivery: the replies are awaited, no RCPT follows,
// and the next transaction starts with RSET.
TEST(SessionTest, StreamedEightBitChunkResetsOnlyThatDelivery) {
  auto id = std::make_shared<DeliveryId>(0);
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 SIZE 1000\r\n")
      .Do(StartStreamed(id, "b@example.org"))
      .Do(Append(id, "one\r\n", false))
      .Client("MAIL FROM:<a@example.org>\r\n")
      .Do(Append(id, "caf\xC3\xA9", false, ErrorDetail::kNeeds8BitMime))
      .Client("")
      .Server("250 ok\r\n")
      .Client("")
      .Do(Append(id, "x", true, ErrorDetail::kWrongState))
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.state(), SessionState::kReady);
        EXPECT_FALSE(s.connection().broken());
      })
      .Do(Deliver(Env("a@example.org", {"c@example.org"}), "next\r\n"))
      .Client("RSET\r\n")
      .Server("250 ok\r\n")
      .Client("MAIL FROM:<a@example.org> SIZE=6\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<c@example.org>\r\n")
      .Server("250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("next\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", "capabilities SIZE=1000", "ready",
                  "delivery_failed needs_8bitmime 0",
                  "recipient <c@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// With BDAT, chunks already sent are discarded by RSET (RFC 3030): the
// 8-bit chunk is not sent, the delivery fails, the session goes on.
TEST(SessionTest, StreamedEightBitChunkAfterBdatChunks) {
  auto id = std::make_shared<DeliveryId>(0);
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
      .Do(StartStreamed(id, "b@example.org"))
      .Do(Append(id, "one\r\n", false))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 5\r\none\r\n")
      .Do(Append(id, "caf\xC3\xA9", true, ErrorDetail::kNeeds8BitMime))
      .Client("")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n")
      .Do(Deliver(Env("a@example.org", {"c@example.org"}), "next\r\n"))
      .Client("RSET\r\nMAIL FROM:<a@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nBDAT 6 LAST\r\nnext\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING CHUNKING", "ready",
                  "delivery_failed needs_8bitmime 0",
                  "recipient <c@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// Once DATA is submitted it cannot be cancelled: the 8-bit chunk is refused,
// the delivery fails, and the connection is dropped without the final "."
// (RFC 5321 §3.8); queued deliveries fail with the session.
TEST(SessionTest, StreamedEightBitChunkAfterDataDropsConnection) {
  auto id = std::make_shared<DeliveryId>(0);
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250 PIPELINING\r\n")
      .Do(StartStreamed(id, "b@example.org"))
      .Do(Append(id, "ascii\r\n", false))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("ascii\r\n")
      .Do(Deliver(Env("a@example.org", {"c@example.org"}), "next\r\n"))
      .Do(Append(id, "caf\xC3\xA9\r\n", true, ErrorDetail::kNeeds8BitMime))
      .Client("")
      .Do([](Session& s, Instant now) {
        EXPECT_EQ(s.state(), SessionState::kFailed);
        EXPECT_EQ(GetErrorDetail(s.close_status()),
                  ErrorDetail::kNeeds8BitMime);
        EXPECT_EQ(s.queued_deliveries(), 0u);
        EXPECT_EQ(s.NextDeadline(), absl::nullopt);
        EXPECT_EQ(GetErrorDetail(s.Close(now)), ErrorDetail::kBroken);
      });
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING", "ready",
                  "recipient <b@example.org> 250",
                  "delivery_failed needs_8bitmime 0",
                  "delivery_failed needs_8bitmime 0",
                  "closed needs_8bitmime"});
}

// A streamed 8-bit chunk is fine when MAIL declared BODY=8BITMIME.
TEST(SessionTest, StreamedEightBitWith8BitMime) {
  auto id = std::make_shared<DeliveryId>(0);
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(StartStreamed(id, "b@example.org"))
      .Client("MAIL FROM:<a@example.org> BODY=8BITMIME\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Do(Append(id, "caf\xC3\xA9\r\n", true))
      .Client("caf\xC3\xA9\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// Postfix's submission port without TLS: 530 to MAIL, RCPT and BDAT, the
// BDAT payload read as commands (500, 500), then 221 and the close, all in
// one segment. The replies count in order: MAIL's 530 is the delivery's
// cause; only the first reply nobody waited for breaks the connection.
TEST(SessionTest, RepliesBeforeFatalReplyInSameReadCount) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}),
                  "Subject: x\r\n\r\n> y\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 19 LAST\r\nSubject: x\r\n\r\n> y\r\n")
      .Server("530 5.7.0 Must issue a STARTTLS command first\r\n"
              "530 5.7.0 Must issue a STARTTLS command first\r\n"
              "530 5.7.0 Must issue a STARTTLS command first\r\n"
              "500 5.5.2 Error: command not recognized\r\n"
              "500 5.5.2 Error: bad syntax\r\n"
              "221 2.7.0 Error: I can break rules, too. Goodbye.\r\n")
      .Eof();
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING CHUNKING",
                  "ready", "delivery_failed rejected 530 5.7.0",
                  "closed unexpected_reply"});

  // The same, one Receive, with the details of the failure.
  Session session(Plain(), T(0));
  ASSERT_TRUE(session.Receive(kGreeting, T(0)).ok());
  DrainTransmit(session, T(0));
  ASSERT_TRUE(session.Receive("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n",
                              T(0))
                  .ok());
  ASSERT_TRUE(session
                  .Deliver(Env("a@example.org", {"b@example.org"}),
                           absl::Cord("Subject: x\r\n\r\n> y\r\n"), T(0))
                  .ok());
  DrainTransmit(session, T(0));
  absl::Status st = session.Receive(
      "530 5.7.0 Must issue a STARTTLS command first\r\n"
      "530 5.7.0 Must issue a STARTTLS command first\r\n"
      "530 5.7.0 Must issue a STARTTLS command first\r\n"
      "500 5.5.2 Error: command not recognized\r\n"
      "221 2.7.0 Error: I can break rules, too. Goodbye.\r\n",
      T(0));
  EXPECT_EQ(GetErrorDetail(st), ErrorDetail::kUnexpectedReply);
  EXPECT_EQ(session.state(), SessionState::kFailed);
  absl::optional<DeliveryFailed> failed;
  absl::optional<ConnectionClosed> closed;
  while (absl::optional<Event> e = session.PollEvent()) {
    if (auto* f = std::get_if<DeliveryFailed>(&*e)) failed = *f;
    if (auto* c = std::get_if<ConnectionClosed>(&*e)) closed = *c;
  }
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->error.cause, ErrorDetail::kRejected);
  EXPECT_EQ(failed->error.command, CommandKind::kMailFrom);
  EXPECT_EQ(failed->error.code, 530);
  EXPECT_TRUE(failed->error.permanent);
  ASSERT_EQ(failed->result.recipients.size(), 1u);
  EXPECT_EQ(failed->result.recipients[0].status, RecipientStatus::kRejected);
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(GetErrorDetail(closed->status), ErrorDetail::kUnexpectedReply);
}

// MAIL and RCPT refused, then EOF before the BDAT reply: the delivery
// fails with MAIL's reply, not with the connection loss. Every RCPT
// refused with MAIL accepted: the last RCPT reply is the cause.
TEST(SessionTest, RefusedTransactionThenEofKeepsTheReplyAsCause) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\r\n"))
      .Do(Deliver(Env("a@example.org", {"c@example.org"}), "y\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 3 LAST\r\nx\r\n")
      .Server("530 5.7.0 no\r\n530 5.7.0 no\r\n")
      .Eof();
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING CHUNKING",
                  "ready", "delivery_failed rejected 530 5.7.0",
                  "delivery_failed connection_closed 0",
                  "closed connection_closed"});
  Script t(MakeSession(Plain()));
  t.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "BDAT 3 LAST\r\nx\r\n")
      .Server("250 ok\r\n550 5.1.1 no such user\r\n")
      .Eof();
  t.RunAllSplits({"greeting 220", "capabilities PIPELINING CHUNKING",
                  "ready", "recipient <b@example.org> 550 5.1.1",
                  "delivery_failed rejected 550 5.1.1",
                  "closed connection_closed"});
}

// A 421 in the same read after accepted replies: those replies count, the
// 421 fails what is left.
TEST(SessionTest, ServiceClosingAfterRepliesInSameRead) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Do(Deliver(Env("a@example.org", {"b@example.org", "c@example.org"}),
                  "x\r\n"))
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 2.1.5 ok\r\n421 4.3.2 bye\r\n");
  s.RunAllSplits({"greeting 220", kCapsFull, "ready",
                  "recipient <b@example.org> 250 2.1.5",
                  "delivery_failed service_closing 421 4.3.2",
                  "closed service_closing"});
}

// OnTlsEstablished is refused before the greeting unless the mode is
// kImplicit, and after it unless a TLS upgrade is pending.
TEST(SessionTest, OnTlsEstablishedOnlyWhenExpected) {
  for (TlsMode mode : {TlsMode::kNone, TlsMode::kOpportunistic,
                       TlsMode::kRequired}) {
    SessionOptions o = Plain();
    o.tls_mode = mode;
    Session s(o, T(0));
    absl::Status st = s.OnTlsEstablished(TlsInfo{}, T(0));
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition)
        << TlsModeName(mode);
    EXPECT_EQ(GetErrorDetail(st), ErrorDetail::kWrongState);
    EXPECT_EQ(s.connection().tls(), nullptr);
    EXPECT_EQ(DrainEvents(s), std::vector<std::string>{});
    // The session goes on normally.
    ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
    EXPECT_EQ(DrainTransmit(s, T(0)), "EHLO client.example\r\n");
  }
  SessionOptions o = Plain();
  o.tls_mode = TlsMode::kRequired;
  Session s(o, T(0));
  ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive("250-mx\r\n250 STARTTLS\r\n", T(0)).ok());
  EXPECT_EQ(DrainTransmit(s, T(0)), "STARTTLS\r\n");
  // STARTTLS sent, no 220 yet: not pending.
  EXPECT_EQ(GetErrorDetail(s.OnTlsEstablished(TlsInfo{}, T(0))),
            ErrorDetail::kWrongState);
  ASSERT_TRUE(s.Receive("220 go\r\n", T(0)).ok());
  EXPECT_TRUE(s.OnTlsEstablished(TlsInfo{}, T(0)).ok());
  EXPECT_EQ(DrainTransmit(s, T(0)), "EHLO client.example\r\n");
}

// Noop: sent when idle, queued until then otherwise; NoopDone per reply.
TEST(SessionTest, NoopWhenIdleAndQueued) {
  auto noop = [](Session& s, Instant now) { EXPECT_TRUE(s.Noop(now).ok()); };
  Script s(MakeSession(Plain()));
  s.Do(noop)  // before the greeting: waits for ready
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloFull)
      .Client("NOOP\r\n")
      .Server("250 2.0.0 Ok\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org"}), "x\r\n"))
      .Do(noop)  // during a transaction: after it
      .Client("MAIL FROM:<a@example.org> SIZE=3\r\n"
              "RCPT TO:<b@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 ok\r\n")
      .Client("NOOP\r\n")
      .Server("250 ok\r\n")
      .Do(noop)  // idle: at once
      .Client("NOOP\r\n")
      .Server("500 what\r\n")
      .Do(CloseSession())
      .Client("QUIT\r\n")
      .Server("221 bye\r\n")
      .Do([](Session& s, Instant now) {
        EXPECT_EQ(GetErrorDetail(s.Noop(now)), ErrorDetail::kClosed);
      });
  s.RunAllSplits({"greeting 220", kCapsFull, "ready", "noop 250 2.0.0",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "noop 250", "noop 500", "closed ok"});
}

// A 421 to NOOP fails the session like any 421; Noop is then refused.
TEST(SessionTest, NoopAnswered421ClosesTheSession) {
  Script s(MakeSession(Plain()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250 mx\r\n")
      .Do([](Session& s, Instant now) { EXPECT_TRUE(s.Noop(now).ok()); })
      .Client("NOOP\r\n")
      .Server("421 4.4.2 idle too long\r\n")
      .Do([](Session& s, Instant now) {
        EXPECT_EQ(s.state(), SessionState::kFailed);
        EXPECT_EQ(GetErrorDetail(s.Noop(now)), ErrorDetail::kBroken);
      });
  s.RunAllSplits({"greeting 220", "capabilities", "ready",
                  "closed service_closing"});
}

}  // namespace
}  // namespace smtpcore
