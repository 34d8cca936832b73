// Session tests for the requests sent when idle: VRFY, EXPN, HELP and ETRN
// (Session::Vrfy, Expn, Help, Etrn) and their typed result events.

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

Script::Factory MakeSession(SessionOptions options = Plain()) {
  return [options](Instant now) {
    return std::make_unique<Session>(options, now);
  };
}

// Call runs one request and expects it accepted with id `want_id`.
Script::Action Call(std::string verb, std::string argument,
                    RequestId want_id) {
  return [=](Session& s, Instant now) {
    absl::StatusOr<RequestId> id;
    if (verb == "vrfy") id = s.Vrfy(argument, now);
    if (verb == "expn") id = s.Expn(argument, now);
    if (verb == "help") id = s.Help(argument, now);
    if (verb == "etrn") id = s.Etrn(argument, now);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, want_id);
  };
}

constexpr char kGreeting[] = "220 mx.example.org ESMTP\r\n";
constexpr char kEhloEtrn[] =
    "250-mx.example.org\r\n"
    "250-PIPELINING\r\n"
    "250-ETRN\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";
constexpr char kCapsEtrn[] =
    "capabilities PIPELINING ETRN ENHANCEDSTATUSCODES";

// VRFY: each code family of RFC 5321 §3.5. Requests queued before the
// greeting go out one at a time (each ends a pipelining group), in order.
TEST(SessionServiceTest, VrfyCodeFamilies) {
  Script s(MakeSession());
  s.Do(Call("vrfy", "fred", 1))
      .Do(Call("vrfy", "george", 2))
      .Do(Call("vrfy", "smith", 3))
      .Do(Call("vrfy", "nobody", 4))
      .Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloEtrn)
      .Client("VRFY fred\r\n")
      .Server("250 2.1.5 Fred Smith <fred@example.org>\r\n")
      .Client("VRFY george\r\n")
      .Server("252 2.1.5 Cannot VRFY user, but will accept message\r\n")
      .Client("VRFY smith\r\n")
      .Server("553-5.1.4 Ambiguous; Possibilities are\r\n"
              "553-5.1.4 Joe Smith <jsmith@example.org>\r\n"
              "553 5.1.4 Harry Smith <hsmith@example.org>\r\n")
      .Client("VRFY nobody\r\n")
      .Server("550 5.1.1 no such user\r\n");
  s.RunAllSplits({"greeting 220", kCapsEtrn, "ready",
                  "vrfy 250 2.1.5 found entries=1",
                  "vrfy 252 2.1.5 cannot_verify entries=0",
                  "vrfy 553 5.1.4 ambiguous entries=2",
                  "vrfy 550 5.1.1 not_found entries=0"});
}

// The events carry the request id, the argument, the reply and the result.
TEST(SessionServiceTest, ResultEventsCarryTheirRequest) {
  Session s(Plain(), T(0));
  ASSERT_TRUE(s.Receive(kGreeting, T(0)).ok());
  DrainTransmit(s, T(0));
  ASSERT_TRUE(s.Receive(kEhloEtrn, T(0)).ok());
  DrainEvents(s);
  absl::StatusOr<RequestId> id = s.Expn("staff", T(0));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(DrainTransmit(s, T(0)), "EXPN staff\r\n");
  ASSERT_TRUE(s.Receive("250-2.1.5 Jon Postel <postel@example.org>\r\n"
                        "250-2.1.5 <fred@example.org>\r\n"
                        "250 2.1.5 Sam <sam@example.net>\r\n",
                        T(0))
                  .ok());
  absl::optional<Event> e = s.PollEvent();
  ASSERT_TRUE(e.has_value());
  const ExpnDone* done = std::get_if<ExpnDone>(&*e);
  ASSERT_NE(done, nullptr) << EventToString(*e);
  EXPECT_EQ(done->request, *id);
  EXPECT_EQ(done->argument, "staff");
  EXPECT_EQ(done->reply.code(), 250);
  EXPECT_EQ(done->result.outcome, LookupOutcome::kFound);
  ASSERT_EQ(done->result.entries.size(), 3u);
  EXPECT_EQ(done->result.entries[0].name, "Jon Postel");
  EXPECT_EQ(done->result.entries[0].mailbox, "postel@example.org");
  EXPECT_EQ(done->result.entries[1].mailbox, "fred@example.org");
  EXPECT_EQ(done->result.entries[2].mailbox, "sam@example.net");

  ASSERT_TRUE(s.Help("", T(0)).ok());
  EXPECT_EQ(DrainTransmit(s, T(0)), "HELP\r\n");
  ASSERT_TRUE(s.Receive("214-2.0.0 This is the help\r\n"
                        "214 2.0.0 End of HELP info\r\n",
                        T(0))
                  .ok());
  e = s.PollEvent();
  ASSERT_TRUE(e.has_value());
  const HelpDone* help = std::get_if<HelpDone>(&*e);
  ASSERT_NE(help, nullptr);
  EXPECT_EQ(help->request, *id + 1);
  EXPECT_EQ(help->topic, "");
  EXPECT_EQ(help->result.lines,
            (std::vector<std::string>{"This is the help",
                                      "End of HELP info"}));
}

// EXPN and HELP code families, interleaved with NOOP in call order.
TEST(SessionServiceTest, ExpnAndHelpCodeFamilies) {
  Script s(MakeSession());
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloEtrn)
      .Do(Call("expn", "staff", 1))
      .Do([](Session& s, Instant now) { ASSERT_TRUE(s.Noop(now).ok()); })
      .Do(Call("expn", "fred", 2))
      .Do(Call("help", "MAIL", 3))
      .Do(Call("help", "", 4))
      .Client("EXPN staff\r\n")
      .Server("250-<a@example.org>\r\n250 B <b@example.org>\r\n")
      .Client("NOOP\r\n")
      .Server("250 2.0.0 ok\r\n")
      .Client("EXPN fred\r\n")
      .Server("550 5.1.1 That is a user name, not a mailing list\r\n")
      .Client("HELP MAIL\r\n")
      .Server("504 5.5.4 no help for MAIL\r\n")
      .Client("HELP\r\n")
      .Server("502 5.5.1 HELP not implemented\r\n");
  s.RunAllSplits({"greeting 220", kCapsEtrn, "ready",
                  "expn 250 found entries=2", "noop 250 2.0.0",
                  "expn 550 5.1.1 not_found entries=0",
                  "help 504 5.5.4 unknown_topic lines=1",
                  "help 502 5.5.1 not_implemented lines=1"});
}

// ETRN: each code of RFC 1985 §5.
TEST(SessionServiceTest, EtrnCodes) {
  Script s(MakeSession());
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloEtrn)
      .Do(Call("etrn", "example.org", 1))
      .Do(Call("etrn", "@example.org", 2))
      .Do(Call("etrn", "#queue1", 3))
      .Do(Call("etrn", "example.net", 4))
      .Do(Call("etrn", "example.com", 5))
      .Do(Call("etrn", "example.edu", 6))
      .Client("ETRN example.org\r\n")
      .Server("250 OK, queuing for node example.org started\r\n")
      .Client("ETRN @example.org\r\n")
      .Server("251 OK, no messages waiting for node example.org\r\n")
      .Client("ETRN #queue1\r\n")
      .Server("252 OK, pending messages for node queue1 started\r\n")
      .Client("ETRN example.net\r\n")
      .Server("253 OK, 14 pending messages for node example.net started\r\n")
      .Client("ETRN example.com\r\n")
      .Server("458 Unable to queue messages for node example.com\r\n")
      .Client("ETRN example.edu\r\n")
      .Server("459 Node example.edu not allowed: not a client\r\n");
  s.RunAllSplits({"greeting 220", kCapsEtrn, "ready",
                  "etrn 250 queue_started", "etrn 251 no_messages",
                  "etrn 252 pending_started",
                  "etrn 253 pending_count messages=14",
                  "etrn 458 unable_to_queue", "etrn 459 node_not_allowed"});
}

// Without ETRN in the EHLO reply nothing is sent: EtrnDone kNotOffered.
// The capability filter can force it for a server that omits it.
TEST(SessionServiceTest, EtrnOnlyWhenOffered) {
  Script s(MakeSession());
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx.example.org\r\n250 PIPELINING\r\n")
      .Do(Call("etrn", "example.org", 1))
      .Client("")
      .Do(Call("vrfy", "bob", 2))
      .Client("VRFY bob\r\n")
      .Server("502 5.5.1 VRFY disabled\r\n");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING", "ready",
                  "etrn 0 not_offered",
                  "vrfy 502 5.5.1 not_implemented entries=0"});

  SessionOptions forced = Plain();
  forced.capability_filter.force.push_back(Capability{"ETRN", {}});
  Script f(MakeSession(forced));
  f.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250 mx.example.org\r\n")
      .Do(Call("etrn", "example.org", 1))
      .Client("ETRN example.org\r\n")
      .Server("250 OK\r\n");
  f.RunAllSplits({"greeting 220", "capabilities ETRN", "ready",
                  "etrn 250 queue_started"});
}

// Requests wait for a running transaction, then go before the next one.
TEST(SessionServiceTest, SentBetweenDeliveries) {
  Script s(MakeSession());
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloEtrn)
      .Do([](Session& s, Instant now) {
        Envelope e;
        e.from = "a@example.org";
        e.AddRecipient("b@example.org");
        ASSERT_TRUE(s.Deliver(e, absl::Cord("x\r\n"), now).ok());
      })
      .Do(Call("vrfy", "carol", 1))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n")
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 ok\r\n")
      .Client("VRFY carol\r\n")
      .Server("251 User not local; will forward to <carol@example.net>\r\n");
  s.RunAllSplits({"greeting 220", kCapsEtrn, "ready",
                  "recipient <b@example.org> 250",
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0",
                  "vrfy 251 will_forward entries=1"});
}

// Bad arguments are refused at the call, nothing queued, the session
// unchanged; after Close or a fatal error the calls are refused.
TEST(SessionServiceTest, LocalErrors) {
  Session s(Plain(), T(0));
  EXPECT_EQ(GetErrorDetail(s.Vrfy("bob\r\nRSET", T(0)).status()),
            ErrorDetail::kControlCharacter);
  EXPECT_EQ(GetErrorDetail(s.Expn("", T(0)).status()),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(s.Etrn("two words", T(0)).status()),
            ErrorDetail::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(s.Help(std::string(600, 'x'), T(0)).status()),
            ErrorDetail::kLineTooLong);
  absl::StatusOr<RequestId> id = s.Vrfy("bob", T(0));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1u);  // the refused calls used no id
  ASSERT_TRUE(s.Close(T(0)).ok());
  EXPECT_EQ(GetErrorDetail(s.Etrn("example.org", T(0)).status()),
            ErrorDetail::kClosed);
}

// A 421 to VRFY fails the session (no VrfyDone); the queued EXPN gets no
// event; later calls are refused with kBroken.
TEST(SessionServiceTest, ServiceClosingFailsTheSession) {
  Script s(MakeSession());
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server(kEhloEtrn)
      .Do(Call("vrfy", "bob", 1))
      .Do(Call("expn", "staff", 2))
      .Client("VRFY bob\r\n")
      .Server("421 4.3.2 shutting down\r\n")
      .Do([](Session& s, Instant now) {
        EXPECT_EQ(GetErrorDetail(s.Vrfy("bob", now).status()),
                  ErrorDetail::kBroken);
      });
  s.RunAllSplits({"greeting 220", kCapsEtrn, "ready",
                  "closed service_closing"});
}

}  // namespace
}  // namespace smtpcore
