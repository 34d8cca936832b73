// Tests for DeliveryFlow on a bare Connection, without a Session: the test
// driver below plays the session's part (EHLO, routing transaction replies
// to the flow, StartNext when idle), so each test shows the flow's own
// contract. Session-level behaviour (greeting, TLS, AUTH, NOOP, QUIT) is in
// session_test.cc and tests/transcripts/.

#include "core/delivery_flow.h"

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/cord.h"
#include "core/body_meter_memo.h"
#include "core/command.h"
#include "core/errors.h"
#include "core/internal/sans_io_test_driver.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

// FlowDriver owns a Connection and a DeliveryFlow and wires them the way
// Session does. Same inputs and outputs as Connection.
class FlowDriver {
 public:
  explicit FlowDriver(Instant now,
                      DeliveryFlowOptions options = DeliveryFlowOptions())
      : connection_(ConnectionOptions(), now),
        flow_(options, &connection_, &events_) {}

  DeliveryFlow& flow() { return flow_; }

  absl::Status Receive(absl::string_view bytes, Instant now) {
    absl::Status s = connection_.Receive(bytes, now);
    Pump(now);
    return s;
  }
  absl::Status ReceiveEof(Instant now) {
    absl::Status s = connection_.ReceiveEof(now);
    Pump(now);
    return s;
  }
  size_t PollTransmit(absl::Span<IoSlice> out) {
    return connection_.PollTransmit(out);
  }
  void ConsumeTransmit(size_t n, Instant now) {
    connection_.ConsumeTransmit(n, now);
    Pump(now);
  }
  absl::optional<Event> PollEvent() {
    if (events_.empty()) return absl::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  void Ehlo(Instant now) {
    ASSERT_TRUE(connection_.Submit(smtpcore::Ehlo{"client.example"}, now).ok());
  }
  void Deliver(Envelope envelope, std::string body, Instant now) {
    absl::StatusOr<DeliveryId> id =
        flow_.Enqueue(std::move(envelope), absl::Cord(std::move(body)), false);
    ASSERT_TRUE(id.ok()) << id.status();
    Pump(now);
  }
  void DeliverCord(Envelope envelope, absl::Cord body, Instant now) {
    absl::StatusOr<DeliveryId> id =
        flow_.Enqueue(std::move(envelope), std::move(body), false);
    ASSERT_TRUE(id.ok()) << id.status();
    Pump(now);
  }

 private:
  void Pump(Instant now) {
    while (absl::optional<Event> e = connection_.PollEvent()) {
      if (auto* r = std::get_if<ReplyReceived>(&*e)) {
        switch (r->kind) {
          case CommandKind::kMailFrom:
          case CommandKind::kRcptTo:
          case CommandKind::kData:
          case CommandKind::kBdat:
          case CommandKind::kRset:
            flow_.OnReply(*r, now);
            break;
          default:
            break;
        }
      } else if (auto* c = std::get_if<ConnectionClosed>(&*e)) {
        flow_.OnConnectionClosed(now);
        if (!c->status.ok()) flow_.FailAll(c->error);
        events_.push_back(std::move(*e));
      }
    }
    if (connection_.esmtp() && !connection_.closed()) flow_.StartNext(now);
  }

  Connection connection_;
  std::deque<Event> events_;
  DeliveryFlow flow_;
};

using Script = internal::SansIoScript<FlowDriver>;

Script::Factory MakeDriver(DeliveryFlowOptions options = {}) {
  return [options](Instant now) {
    return std::make_unique<FlowDriver>(now, options);
  };
}

Envelope Env(std::string from, std::vector<std::string> to) {
  Envelope e;
  e.from = std::move(from);
  for (std::string& r : to) e.AddRecipient(std::move(r));
  return e;
}

Script::Action Deliver(Envelope envelope, std::string body) {
  return [=](FlowDriver& d, Instant now) { d.Deliver(envelope, body, now); };
}

Script::Action SendEhlo() {
  return [](FlowDriver& d, Instant now) { d.Ehlo(now); };
}

// Greeted and EHLO'd with `capabilities` (keyword lines, no domain line).
Script& Start(Script& s, const std::string& capabilities) {
  return s.Server("220 mx.example ESMTP\r\n")
      .Do(SendEhlo())
      .Client("EHLO client.example\r\n")
      .Server("250-mx.example\r\n" + capabilities);
}

TEST(DeliveryFlowTest, PipelinedTransactionWithMixedRecipients) {
  Script s(MakeDriver());
  Start(s, "250-PIPELINING\r\n250 8BITMIME\r\n")
      .Do(Deliver(Env("a@x.org", {"b@x.org", "c@x.org", "d@x.org"}),
                  "Subject: t\r\n\r\nbody\r\n"))
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
              "RCPT TO:<c@x.org>\r\nRCPT TO:<d@x.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n"
              "450 4.2.0 try later\r\n354 go\r\n")
      .Client("Subject: t\r\n\r\nbody\r\n.\r\n")
      .Server("250 2.0.0 queued\r\n");
  s.RunAllSplits({"recipient <b@x.org> 250",
                  "recipient <c@x.org> 550 5.1.1",
                  "recipient <d@x.org> 450 4.2.0",
                  "delivered 250 2.0.0 accepted=1 rejected=2",
                  "delivery_done delivered=1 rejected=1 deferred=1"});
}

TEST(DeliveryFlowTest, Rcpt452RetriesTheRestInAnotherTransaction) {
  Script s(MakeDriver());
  Start(s, "250 PIPELINING\r\n")
      .Do(Deliver(Env("a@x.org", {"b@x.org", "c@x.org"}), "x\r\n"))
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
              "RCPT TO:<c@x.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n452 4.5.3 too many\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 one\r\n")
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<c@x.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 two\r\n");
  s.RunAllSplits({"recipient <b@x.org> 250", "recipient <c@x.org> 452 4.5.3",
                  "delivered 250 accepted=1 rejected=0",
                  "recipient <c@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=2 rejected=0 deferred=0"});
}

TEST(DeliveryFlowTest, RefusedMailFailsTheDeliveryAndTheNextStartsWithRset) {
  // Lock-step (no PIPELINING): MAIL refused, nothing else of the first
  // delivery is sent; the second one resets first.
  Script s(MakeDriver());
  Start(s, "250 8BITMIME\r\n")
      .Do(Deliver(Env("bad@x.org", {"b@x.org"}), "one\r\n"))
      .Do(Deliver(Env("good@x.org", {"b@x.org"}), "two\r\n"))
      .Client("MAIL FROM:<bad@x.org>\r\n")
      .Server("550 5.7.1 sender refused\r\n")
      .Client("RSET\r\n")
      .Server("250 flushed\r\n")
      .Client("MAIL FROM:<good@x.org>\r\n")
      .Server("250 ok\r\n")
      .Client("RCPT TO:<b@x.org>\r\n")
      .Server("250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("two\r\n.\r\n")
      .Server("250 queued\r\n");
  s.RunAllSplits({"delivery_failed rejected 550 5.7.1",
                  "recipient <b@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

TEST(DeliveryFlowTest, PrecheckRefusalSendsNothingAndMovesOn) {
  Script s(MakeDriver());
  Start(s, "250-PIPELINING\r\n250 SIZE 20\r\n")
      .Do(Deliver(Env("a@x.org", {"b@x.org"}), std::string(40, 'x')))
      .Do(Deliver(Env("a@x.org", {"c@x.org"}), "small\r\n"))
      .Client("MAIL FROM:<a@x.org> SIZE=7\r\nRCPT TO:<c@x.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("small\r\n.\r\n")
      .Server("250 queued\r\n");
  s.RunAllSplits({"delivery_failed message_too_large 0",
                  "recipient <c@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// A body delivered again (the same Cord: a bulk sender) is measured once
// (core/body_meter_memo.h) and still goes out with its own SIZE, stuffed
// dots and completed line endings each time; another body after it is
// measured afresh.
TEST(DeliveryFlowTest, AReusedBodyKeepsItsSizeAndEncoding) {
  const absl::Cord body(std::string(60, 'a') + "\r\n.x\nend");
  DeliveryFlowOptions options;
  options.remember_last_body = true;
  Script s(MakeDriver(options));
  const std::string wire = std::string(60, 'a') + "\r\n..x\r\nend\r\n.\r\n";
  Start(s, "250-PIPELINING\r\n250 SIZE 1000\r\n")
      .Do([body](FlowDriver& d, Instant now) {
        d.DeliverCord(Env("a@x.org", {"b@x.org"}), body, now);
        d.DeliverCord(Env("a@x.org", {"c@x.org"}), body, now);
        d.DeliverCord(Env("a@x.org", {"d@x.org"}),
                      absl::Cord(std::string(40, 'b')), now);
      })
      .Client("MAIL FROM:<a@x.org> SIZE=71\r\nRCPT TO:<b@x.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client(wire)
      .Server("250 one\r\n")
      .Client("MAIL FROM:<a@x.org> SIZE=71\r\nRCPT TO:<c@x.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client(wire)
      .Server("250 two\r\n")
      .Client("MAIL FROM:<a@x.org> SIZE=42\r\nRCPT TO:<d@x.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client(std::string(40, 'b') + "\r\n.\r\n")
      .Server("250 three\r\n");
  s.RunAllSplits({"recipient <b@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "recipient <c@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "recipient <d@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// Reused is what one connection wrote for a run of deliveries of the same
// Cord, and what the memo saw.
struct Reused {
  std::string transcript;  // every byte written, and the events
  uint64_t hits = 0;
  uint64_t encoding_hits = 0;
};

// SendReused delivers `body` once per entry of `types` (one sender and
// recipient per message, as a VERP mailing list does) on one connection
// offering `capabilities`, answering each transaction as a willing server
// does, with or without `remember_last_body`.
Reused SendReused(bool remember, const std::string& capabilities,
                  const absl::Cord& body, const std::vector<BodyType>& types) {
  DeliveryFlowOptions options;
  options.remember_last_body = remember;
  const Instant now = InstantFromSeconds(0);
  FlowDriver d(now, options);
  Reused r;
  EXPECT_TRUE(d.Receive("220 mx.example ESMTP\r\n", now).ok());
  d.Ehlo(now);
  r.transcript += internal::DrainTransmit(d, now);
  EXPECT_TRUE(d.Receive("250-mx.example\r\n" + capabilities, now).ok());
  const bool bdat = capabilities.find("CHUNKING") != std::string::npos;
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string n = std::to_string(i);
    Envelope e = Env("list-bounces+u" + n + "@x.org", {"u" + n + "@y.org"});
    e.mail.body = types[i];
    d.DeliverCord(std::move(e), body, now);
    r.transcript += internal::DrainTransmit(d, now);
    if (bdat) {  // MAIL, RCPT, BDAT LAST with the body in one write
      EXPECT_TRUE(d.Receive("250 ok\r\n250 ok\r\n250 queued\r\n", now).ok());
    } else {  // MAIL, RCPT, DATA; the body after the 354
      EXPECT_TRUE(d.Receive("250 ok\r\n250 ok\r\n354 go\r\n", now).ok());
      r.transcript += internal::DrainTransmit(d, now);
      EXPECT_TRUE(d.Receive("250 queued\r\n", now).ok());
    }
    for (const std::string& event : internal::DrainEvents(d)) {
      r.transcript += "[" + event + "]\n";
    }
  }
  r.transcript += internal::DrainTransmit(d, now);
  size_t done = 0;
  for (size_t at = r.transcript.find("[delivery_done delivered=1 ");
       at != std::string::npos;
       at = r.transcript.find("[delivery_done delivered=1 ", at + 1)) {
    ++done;
  }
  EXPECT_EQ(done, types.size());  // every message delivered
  if (const BodyMeterMemo* memo = d.flow().body_memo()) {
    r.hits = memo->hits();
    r.encoding_hits = memo->encoding_hits();
  }
  return r;
}

// The same Cord three times over DATA and three times over BDAT: with
// remember_last_body the wire carries exactly what it carries without,
// and only the first message of each connection is encoded (the others get
// a copy of the remembered encoding: core/body_meter_memo.h).
TEST(DeliveryFlowTest, AReusedBodyIsEncodedOnceAndSentUnchanged) {
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += i % 9 == 0 ? ".leading dot\r\n" : "line of text\r\n";
    if (i % 30 == 4) text += "bare lf\n";
  }
  text += "\xc3\xa9 no final line break";
  absl::Cord body(text);
  body.Append(absl::Cord(std::string(3000, 'x') + "\r\n.\r\nafter"));
  const std::vector<BodyType> three(3, BodyType::k8BitMime);
  for (const std::string caps :
       {"250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000\r\n",
        "250-PIPELINING\r\n250-8BITMIME\r\n250 CHUNKING\r\n"}) {
    SCOPED_TRACE(caps);
    const Reused plain = SendReused(false, caps, body, three);
    const Reused memo = SendReused(true, caps, body, three);
    EXPECT_EQ(memo.transcript, plain.transcript);
    EXPECT_EQ(memo.hits, 2u);
    EXPECT_EQ(memo.encoding_hits, 2u);
    // Each message's body is on the wire, stuffed (DATA) or not (BDAT).
    const std::string wire_body = caps.find("CHUNKING") == std::string::npos
                                      ? "\r\n..leading dot\r\n"
                                      : "\r\n.leading dot\r\n";
    size_t count = 0;
    for (size_t at = memo.transcript.find(wire_body); at != std::string::npos;
         at = memo.transcript.find(wire_body, at + 1)) {
      ++count;
    }
    EXPECT_EQ(count, 3u * 12u);  // i = 0, 9, ..., 99 in each message
  }
}

// A hit whose transfer needs other encoder options (BINARYMIME passes the
// bytes through) gets the facts only, and the connection encodes (here:
// passes through) the body itself; the remembered encoding still serves
// the next message that needs it.
TEST(DeliveryFlowTest, AReusedBodyUnderOtherOptionsIsEncodedByTheConnection) {
  absl::Cord body(std::string(2000, 'b') + "\r\n.dot\nbare\r\n");
  const std::vector<BodyType> types = {
      BodyType::k8BitMime, BodyType::kBinaryMime, BodyType::k8BitMime,
      BodyType::k8BitMime};
  const std::string caps =
      "250-PIPELINING\r\n250-8BITMIME\r\n250-BINARYMIME\r\n"
      "250 CHUNKING\r\n";
  const Reused plain = SendReused(false, caps, body, types);
  const Reused memo = SendReused(true, caps, body, types);
  EXPECT_EQ(memo.transcript, plain.transcript);
  EXPECT_NE(memo.transcript.find("BODY=BINARYMIME"), std::string::npos);
  EXPECT_NE(memo.transcript.find(".dot\nbare"), std::string::npos);  // raw
  EXPECT_EQ(memo.hits, 3u);
  EXPECT_EQ(memo.encoding_hits, 2u);
}

TEST(DeliveryFlowTest, RcptMaxSplitsTheRecipients) {
  Script s(MakeDriver());
  Start(s, "250-PIPELINING\r\n250 LIMITS RCPTMAX=1\r\n")
      .Do(Deliver(Env("a@x.org", {"b@x.org", "c@x.org"}), "x\r\n"))
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 one\r\n")
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<c@x.org>\r\nDATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 two\r\n");
  s.RunAllSplits({"recipient <b@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "recipient <c@x.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=2 rejected=0 deferred=0"});
}

TEST(DeliveryFlowTest, ConnectionLossAfterMailRefusalKeepsTheRefusalAsCause) {
  Script s(MakeDriver());
  Start(s, "250-PIPELINING\r\n250 CHUNKING\r\n")
      .Do(Deliver(Env("a@x.org", {"b@x.org"}), "x\r\n"))
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
              "BDAT 3 LAST\r\nx\r\n")
      .Server("550 5.7.1 no\r\n503 5.5.1 no MAIL\r\n")
      .Eof();
  s.RunAllSplits({"delivery_failed rejected 550 5.7.1",
                  "closed connection_closed"});
}

TEST(DeliveryFlowTest, EveryRecipientGetsExactlyOneOutcome) {
  // Direct drive, to look at the DeliveryResult itself: one delivered, one
  // rejected, one deferred by a connection loss before its RCPT reply.
  FlowDriver d(InstantFromSeconds(0));
  Instant now = InstantFromSeconds(0);
  ASSERT_TRUE(d.Receive("220 mx\r\n", now).ok());
  d.Ehlo(now);
  internal::DrainTransmit(d, now);
  ASSERT_TRUE(d.Receive("250-mx\r\n250 PIPELINING\r\n", now).ok());
  d.Deliver(Env("a@x.org", {"b@x.org", "c@x.org", "e@x.org"}), "x\r\n", now);
  internal::DrainTransmit(d, now);
  ASSERT_TRUE(d.Receive("250 ok\r\n250 ok\r\n550 no\r\n", now).ok());
  (void)d.ReceiveEof(now);
  std::vector<RecipientStatus> statuses;
  int outcomes = 0;
  while (absl::optional<Event> e = d.PollEvent()) {
    if (auto* f = std::get_if<DeliveryFailed>(&*e)) {
      ++outcomes;
      EXPECT_FALSE(f->error.permanent);
      for (const RecipientResult& r : f->result.recipients) {
        statuses.push_back(r.status);
      }
    }
    EXPECT_FALSE(std::holds_alternative<DeliveryDone>(*e));
  }
  EXPECT_EQ(outcomes, 1);
  // Nothing was delivered (no end of data): b is deferred, c rejected, e
  // deferred; none is left pending.
  EXPECT_EQ(statuses,
            (std::vector<RecipientStatus>{RecipientStatus::kDeferred,
                                          RecipientStatus::kRejected,
                                          RecipientStatus::kDeferred}));
  EXPECT_EQ(d.flow().queued(), 0u);
  EXPECT_FALSE(d.flow().busy());
}

TEST(DeliveryFlowTest, RefusedSenderLeavesItsRecipientsNotSent) {
  // Pipelined: MAIL refused, the RCPTs get 503 (no MAIL). The sender is the
  // cause; the recipients were never judged by the server, so they are
  // "not sent" (RecipientNotSent), keeping the refusal's permanence.
  FlowDriver d(InstantFromSeconds(0));
  Instant now = InstantFromSeconds(0);
  ASSERT_TRUE(d.Receive("220 mx\r\n", now).ok());
  d.Ehlo(now);
  internal::DrainTransmit(d, now);
  ASSERT_TRUE(d.Receive("250-mx\r\n250 PIPELINING\r\n", now).ok());
  d.Deliver(Env("bad@x.org", {"b@x.org", "c@x.org"}), "x\r\n", now);
  internal::DrainTransmit(d, now);
  ASSERT_TRUE(d.Receive("553 5.1.8 sender domain does not exist\r\n"
                        "503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n"
                        "503 5.5.1 no MAIL\r\n",
                        now)
                  .ok());
  int outcomes = 0;
  while (absl::optional<Event> e = d.PollEvent()) {
    auto* f = std::get_if<DeliveryFailed>(&*e);
    if (f == nullptr) continue;
    ++outcomes;
    EXPECT_EQ(f->error.command, CommandKind::kMailFrom);
    EXPECT_TRUE(f->error.permanent);
    ASSERT_EQ(f->result.recipients.size(), 2u);
    for (const RecipientResult& r : f->result.recipients) {
      EXPECT_EQ(r.status, RecipientStatus::kRejected) << r.address;
      EXPECT_EQ(r.rcpt_reply.code(), 0) << r.address;
      EXPECT_TRUE(RecipientNotSent(r)) << r.address;
      EXPECT_EQ(RecipientOutcomeName(r), "not_sent");
    }
    EXPECT_EQ(f->result.not_sent(), 2u);
  }
  EXPECT_EQ(outcomes, 1);
}

TEST(DeliveryFlowTest, RefusedRecipientIsNotNotSent) {
  RecipientResult refused;
  refused.status = RecipientStatus::kRejected;
  refused.rcpt_reply =
      ReplyView("550 no such user\r\n", 550, 1, 0, absl::nullopt).ToOwned();
  EXPECT_FALSE(RecipientNotSent(refused));
  EXPECT_EQ(RecipientOutcomeName(refused), "rejected");
  RecipientResult lost;
  lost.status = RecipientStatus::kDeferred;
  EXPECT_TRUE(RecipientNotSent(lost));
  RecipientResult pending;
  EXPECT_FALSE(RecipientNotSent(pending));
  EXPECT_EQ(RecipientOutcomeName(pending), "pending");
}

DeliveryFlowOptions AllOrNone() {
  DeliveryFlowOptions options;
  options.all_recipients_or_none = true;
  return options;
}

TEST(DeliveryFlowTest, AllOrNoneSendsTheDataOnlyWhenEveryRcptIsAccepted) {
  // PIPELINING: MAIL and the RCPTs in one write, DATA after their replies.
  Script s(MakeDriver(AllOrNone()));
  Start(s, "250-PIPELINING\r\n250 LIMITS RCPTMAX=1\r\n")
      .Do(Deliver(Env("a@x.org", {"b@x.org", "c@x.org"}), "x\r\n"))
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
              "RCPT TO:<c@x.org>\r\n")
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n")
      .Client("DATA\r\n")
      .Server("354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 queued\r\n");
  s.RunAllSplits({"recipient <b@x.org> 250", "recipient <c@x.org> 250",
                  "delivered 250 accepted=2 rejected=0",
                  "delivery_done delivered=2 rejected=0 deferred=0"});
}

TEST(DeliveryFlowTest, AllOrNoneRefusedRcptKeepsTheMessageFromEveryone) {
  Script s(MakeDriver(AllOrNone()));
  Start(s, "250 PIPELINING\r\n")
      .Do(Deliver(Env("a@x.org", {"b@x.org", "c@x.org"}), "one\r\n"))
      .Do(Deliver(Env("a@x.org", {"b@x.org"}), "two\r\n"))
      .Client("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
              "RCPT TO:<c@x.org>\r\n")
      .Server("250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n")
      .Client("RSET\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n")
      .Server("250 flushed\r\n250 ok\r\n452 4.5.3 too many\r\n");
  s.RunAllSplits({"recipient <b@x.org> 250",
                  "recipient <c@x.org> 550 5.1.1",
                  "delivery_failed rejected 550 5.1.1",
                  "recipient <b@x.org> 452 4.5.3",
                  "delivery_failed rejected 452 4.5.3"});

  // The results: the refused recipient keeps its reply; the accepted one
  // was not sent to, with the refusal's permanence.
  FlowDriver d(InstantFromSeconds(0), AllOrNone());
  Instant now = InstantFromSeconds(0);
  ASSERT_TRUE(d.Receive("220 mx\r\n", now).ok());
  d.Ehlo(now);
  internal::DrainTransmit(d, now);
  ASSERT_TRUE(d.Receive("250-mx\r\n250 PIPELINING\r\n", now).ok());
  d.Deliver(Env("a@x.org", {"b@x.org", "c@x.org"}), "x\r\n", now);
  internal::DrainTransmit(d, now);
  ASSERT_TRUE(d.Receive("250 ok\r\n250 ok\r\n550 5.1.1 no\r\n", now).ok());
  int outcomes = 0;
  while (absl::optional<Event> e = d.PollEvent()) {
    auto* f = std::get_if<DeliveryFailed>(&*e);
    EXPECT_FALSE(std::holds_alternative<DeliveryDone>(*e));
    if (f == nullptr) continue;
    ++outcomes;
    EXPECT_TRUE(f->error.permanent);
    EXPECT_EQ(f->error.command, CommandKind::kRcptTo);
    ASSERT_EQ(f->result.recipients.size(), 2u);
    const RecipientResult& b = f->result.recipients[0];
    const RecipientResult& c = f->result.recipients[1];
    EXPECT_EQ(b.status, RecipientStatus::kRejected);
    EXPECT_TRUE(RecipientNotSent(b));
    EXPECT_EQ(RecipientOutcomeName(b), "not_sent");
    EXPECT_EQ(c.status, RecipientStatus::kRejected);
    EXPECT_FALSE(RecipientNotSent(c));
    EXPECT_EQ(f->result.not_sent(), 1u);
  }
  EXPECT_EQ(outcomes, 1);
}

TEST(DeliveryFlowTest, EnqueueValidatesSynchronously) {
  FlowDriver d(InstantFromSeconds(0));
  EXPECT_EQ(GetErrorDetail(
                d.flow().Enqueue(Env("a@x.org", {}), absl::Cord(), false)
                    .status()),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(d.flow()
                               .Enqueue(Env("a@x.org", {"b\r\n@x.org"}),
                                        absl::Cord(), false)
                               .status()),
            ErrorDetail::kControlCharacter);
  EXPECT_EQ(d.flow().queued(), 0u);
}

}  // namespace
}  // namespace smtpcore
