// Session tests for LMTP (SessionOptions::lmtp, RFC 2033): LHLO, the
// per-recipient data replies and what they do to each recipient's result.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "core/errors.h"
#include "core/internal/sans_io_test_driver.h"
#include "core/session.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using internal::DrainTransmit;
using Script = internal::SansIoScript<Session>;

Instant T(double seconds) { return InstantFromSeconds(seconds); }

SessionOptions Lmtp() {
  SessionOptions o;
  o.ehlo_domain = "client.example";
  o.tls_mode = TlsMode::kNone;
  o.lmtp = true;
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

constexpr char kGreeting[] = "220 lmtp.example.org LMTP ready\r\n";
constexpr char kLhloReply[] =
    "250-lmtp.example.org\r\n"
    "250-PIPELINING\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250 8BITMIME\r\n";
constexpr char kCaps[] = "capabilities PIPELINING ENHANCEDSTATUSCODES 8BITMIME";

// Mixed per-recipient replies: one recipient refused at RCPT, two accepted,
// one of which is refused after the data; the other is delivered.
TEST(SessionLmtpTest, MixedPerRecipientDataReplies) {
  Script s(MakeSession(Lmtp()));
  s.Do(Deliver(Env("a@example.org", {"b@example.org", "c@example.org",
                                     "d@example.org"}),
               "hi\r\n"))
      .Server(kGreeting)
      .Client("LHLO client.example\r\n")
      .Server(kLhloReply)
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\n"
              "DATA\r\n")
      .Server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 unknown\r\n"
              "250 2.1.5 ok\r\n354 go\r\n")
      .Client("hi\r\n.\r\n")
      .Server("250 2.0.0 <b> saved\r\n552 5.2.2 <d> mailbox full\r\n")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(s.state(), SessionState::kReady);
      });
  s.RunAllSplits({"greeting 220", kCaps, "ready",
                  "recipient <b@example.org> 250 2.1.5",
                  "recipient <c@example.org> 550 5.1.1",
                  "recipient <d@example.org> 250 2.1.5",
                  "data_reply <b@example.org> 250 2.0.0",
                  "data_reply <d@example.org> 552 5.2.2",
                  "lmtp_complete accepted=2 delivered=1 rejected=1",
                  "delivery_done delivered=1 rejected=2 deferred=0"});
}

// Each recipient's RecipientResult carries its own data reply.
TEST(SessionLmtpTest, ResultCarriesEachRecipientsReply) {
  Session s(Lmtp(), T(0));
  ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
  EXPECT_EQ(DrainTransmit(s, T(0)), "LHLO client.example\r\n");
  ASSERT_TRUE(s.Receive(kLhloReply, T(0)).ok());
  ASSERT_TRUE(s.Deliver(Env("a@example.org", {"b@example.org",
                                              "c@example.org",
                                              "d@example.org"}),
                        absl::Cord("x\r\n"), T(0))
                  .ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
                        T(0))
                  .ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive("250 2.0.0 b ok\r\n451 4.3.0 c later\r\n"
                        "550 5.1.1 d gone\r\n",
                        T(0))
                  .ok());
  absl::optional<DeliveryResult> result;
  while (absl::optional<Event> e = s.PollEvent()) {
    if (auto* done = std::get_if<DeliveryDone>(&*e)) result = done->result;
  }
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->recipients.size(), 3u);
  EXPECT_EQ(result->recipients[0].status, RecipientStatus::kDelivered);
  EXPECT_EQ(result->recipients[0].data_reply.view().message(), "b ok");
  EXPECT_EQ(result->recipients[1].status, RecipientStatus::kDeferred);
  EXPECT_EQ(result->recipients[1].data_reply.code(), 451);
  EXPECT_EQ(result->recipients[1].data_reply.view().message(), "c later");
  EXPECT_EQ(result->recipients[2].status, RecipientStatus::kRejected);
  EXPECT_EQ(result->recipients[2].data_reply.code(), 550);
  EXPECT_EQ(result->recipients[2].rcpt_reply.code(), 250);
}

// Every accepted recipient refused after the data: the delivery fails with
// the first refusal, and the next transaction starts with RSET.
TEST(SessionLmtpTest, AllRefusedAfterDataFailsTheDelivery) {
  Script s(MakeSession(Lmtp()));
  s.Server(kGreeting)
      .Client("LHLO client.example\r\n")
      .Server(kLhloReply)
      .Do(Deliver(Env("a@example.org", {"b@example.org", "c@example.org"}),
                  "x\r\n"))
      .Do(Deliver(Env("a@example.org", {"e@example.org"}), "y\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("452 4.2.2 b full\r\n554 5.6.0 c refused\r\n")
      .Client("RSET\r\nMAIL FROM:<a@example.org>\r\n"
              "RCPT TO:<e@example.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("y\r\n.\r\n")
      .Server("250 2.0.0 ok\r\n");
  s.RunAllSplits({"greeting 220", kCaps, "ready",
                  "recipient <b@example.org> 250",
                  "recipient <c@example.org> 250",
                  "data_reply <b@example.org> 452 4.2.2",
                  "data_reply <c@example.org> 554 5.6.0",
                  "lmtp_complete accepted=2 delivered=0 rejected=0",
                  "delivery_failed rejected 452 4.2.2",
                  "recipient <e@example.org> 250",
                  "data_reply <e@example.org> 250 2.0.0",
                  "lmtp_complete accepted=1 delivered=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// BDAT LAST with LMTP: one reply per accepted recipient (RFC 2033 §4.3).
TEST(SessionLmtpTest, BdatLastWithLmtp) {
  Script s(MakeSession(Lmtp()));
  s.Server(kGreeting)
      .Client("LHLO client.example\r\n")
      .Server("250-lmtp.example.org\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
      .Do(Deliver(Env("a@example.org", {"b@example.org", "c@example.org"}),
                  "x\r\n"))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "RCPT TO:<c@example.org>\r\nBDAT 3 LAST\r\nx\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n250 b ok\r\n550 c gone\r\n");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING CHUNKING",
                  "ready", "recipient <b@example.org> 250",
                  "recipient <c@example.org> 250",
                  "data_reply <b@example.org> 250",
                  "data_reply <c@example.org> 550",
                  "lmtp_complete accepted=2 delivered=1 rejected=0",
                  "delivery_done delivered=1 rejected=1 deferred=0"});
}

// A 421 among the per-recipient replies: the recipients answered before it
// keep their outcome, the others are deferred, and the session fails.
TEST(SessionLmtpTest, ServiceClosingAmongDataReplies) {
  Session s(Lmtp(), T(0));
  ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive(kLhloReply, T(0)).ok());
  ASSERT_TRUE(s.Deliver(Env("a@example.org", {"b@example.org",
                                              "c@example.org",
                                              "d@example.org"}),
                        absl::Cord("x\r\n"), T(0))
                  .ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
                        T(0))
                  .ok());
  DrainTransmit(s, T(0));
  absl::Status st =
      s.Receive("250 2.0.0 b ok\r\n421 4.3.2 shutting down\r\n", T(0));
  EXPECT_EQ(GetErrorDetail(st), ErrorDetail::kServiceClosing);
  std::vector<std::string> events;
  absl::optional<DeliveryFailed> failed;
  while (absl::optional<Event> e = s.PollEvent()) {
    events.push_back(EventToString(*e));
    if (auto* f = std::get_if<DeliveryFailed>(&*e)) failed = *f;
  }
  EXPECT_EQ(events, (std::vector<std::string>{
                        "greeting 220", kCaps, "ready",
                        "recipient <b@example.org> 250",
                        "recipient <c@example.org> 250",
                        "recipient <d@example.org> 250",
                        "data_reply <b@example.org> 250 2.0.0",
                        "delivery_failed service_closing 421 4.3.2",
                        "closed service_closing"}));
  ASSERT_TRUE(failed.has_value());
  EXPECT_FALSE(failed->error.permanent);
  EXPECT_EQ(failed->result.recipients[0].status, RecipientStatus::kDelivered);
  EXPECT_EQ(failed->result.recipients[1].status, RecipientStatus::kDeferred);
  EXPECT_EQ(failed->result.recipients[2].status, RecipientStatus::kDeferred);
}

// A refused LHLO fails the session: no EHLO or HELO fallback.
TEST(SessionLmtpTest, LhloRefusedIsFatal) {
  SessionOptions o = Lmtp();
  o.force_helo = true;  // ignored with LMTP
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("LHLO client.example\r\n")
      .Server("500 5.5.1 unknown command\r\n")
      .Client("QUIT\r\n")
      .Server("221 bye\r\n");
  s.RunAllSplits({"greeting 220", "closed rejected"});
}

}  // namespace
}  // namespace smtpcore
