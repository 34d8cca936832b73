// Session tests for internationalised domains (SessionOptions::idna) with
// a fake converter: A-labels for a server without SMTPUTF8, UTF-8 kept
// with SMTPUTF8, non-ASCII local parts refused, the EHLO name converted.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/internal/sans_io_test_driver.h"
#include "core/session.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using Script = internal::SansIoScript<Session>;

constexpr char kBucher[] = "b\xc3\xbc" "cher.example";  // bücher.example
constexpr char kBucherAce[] = "xn--bcher-kva.example";

// FakeIdna knows one domain; anything else fails.
absl::StatusOr<std::string> FakeIdna(absl::string_view domain) {
  if (domain == kBucher) return std::string(kBucherAce);
  return absl::InvalidArgumentError(absl::StrCat("fake: no A-label for ",
                                                 domain));
}

SessionOptions WithIdna() {
  SessionOptions o;
  o.ehlo_domain = "client.example";
  o.tls_mode = TlsMode::kNone;
  o.idna = FakeIdna;
  return o;
}

Script::Factory MakeSession(SessionOptions options) {
  return [options](Instant now) {
    return std::make_unique<Session>(options, now);
  };
}

Script::Action Deliver(std::string from, std::vector<std::string> to) {
  return [=](Session& s, Instant now) {
    Envelope e;
    e.from = from;
    for (const std::string& r : to) e.AddRecipient(r);
    absl::StatusOr<DeliveryId> id = s.Deliver(e, absl::Cord("x\r\n"), now);
    EXPECT_TRUE(id.ok()) << id.status();
  };
}

constexpr char kGreeting[] = "220 mx.example.org ESMTP\r\n";

// No SMTPUTF8: the domains go out as A-labels; the events keep the
// caller's addresses.
TEST(SessionIdnaTest, ALabelsWithoutSmtpUtf8) {
  const std::string anna = absl::StrCat("anna@", kBucher);
  const std::string bob = absl::StrCat("bob@", kBucher);
  Script s(MakeSession(WithIdna()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx.example.org\r\n250 PIPELINING\r\n")
      .Do(Deliver(anna, {bob, "carol@example.org"}))
      .Client(absl::StrCat("MAIL FROM:<anna@", kBucherAce, ">\r\n",
                           "RCPT TO:<bob@", kBucherAce, ">\r\n",
                           "RCPT TO:<carol@example.org>\r\nDATA\r\n"))
      .Server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING", "ready",
                  absl::StrCat("recipient <", bob, "> 250"),
                  "recipient <carol@example.org> 250",
                  "delivered 250 accepted=2 rejected=0",
                  "delivery_done delivered=2 rejected=0 deferred=0"});
}

// With SMTPUTF8 the UTF-8 form is sent, with the SMTPUTF8 parameter.
TEST(SessionIdnaTest, Utf8KeptWithSmtpUtf8) {
  const std::string bob = absl::StrCat("bob@", kBucher);
  Script s(MakeSession(WithIdna()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx.example.org\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n")
      .Do(Deliver("a@example.org", {bob}))
      .Client(absl::StrCat("MAIL FROM:<a@example.org> SMTPUTF8\r\n",
                           "RCPT TO:<", bob, ">\r\nDATA\r\n"))
      .Server("250 ok\r\n250 ok\r\n354 go\r\n")
      .Client("x\r\n.\r\n")
      .Server("250 ok\r\n");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING SMTPUTF8",
                  "ready", absl::StrCat("recipient <", bob, "> 250"),
                  "delivered 250 accepted=1 rejected=0",
                  "delivery_done delivered=1 rejected=0 deferred=0"});
}

// A non-ASCII local part without SMTPUTF8 is refused before anything is
// sent (permanent kNeedsSmtpUtf8); the session goes on with the next one.
TEST(SessionIdnaTest, NonAsciiLocalPartRefusedBeforeSending) {
  Script s(MakeSession(WithIdna()));
  s.Server(kGreeting)
      .Client("EHLO client.example\r\n")
      .Server("250-mx.example.org\r\n250 PIPELINING\r\n")
      .Do(Deliver("a@example.org", {"j\xc3\xb6rg@example.org"}))
      .Client("")
      .Do(Deliver("a@example.org", {"b@example.org"}))
      .Client("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              "DATA\r\n");
  s.RunAllSplits({"greeting 220", "capabilities PIPELINING", "ready",
                  "delivery_failed needs_smtputf8 0"});

  Session session(WithIdna(), InstantFromSeconds(0));
  ASSERT_TRUE(session.Receive(kGreeting, InstantFromSeconds(0)).ok());
  ASSERT_TRUE(session
                  .Receive("250 mx.example.org\r\n", InstantFromSeconds(0))
                  .ok());
  Envelope e;
  e.from = "a@example.org";
  e.AddRecipient(absl::StrCat("j\xc3\xb6rg@", kBucher));
  ASSERT_TRUE(session.Deliver(e, absl::Cord("x"), InstantFromSeconds(0)).ok());
  absl::optional<DeliveryFailed> failed;
  while (absl::optional<Event> ev = session.PollEvent()) {
    if (auto* f = std::get_if<DeliveryFailed>(&*ev)) failed = *f;
  }
  ASSERT_TRUE(failed.has_value());
  EXPECT_TRUE(failed->error.permanent);
  EXPECT_EQ(failed->error.cause, ErrorDetail::kNeedsSmtpUtf8);
  EXPECT_EQ(failed->result.recipients[0].status, RecipientStatus::kRejected);
}

// The EHLO name is converted (the greeting precedes any SMTPUTF8
// negotiation), and so is the HELO of the fallback.
TEST(SessionIdnaTest, EhloNameConverted) {
  SessionOptions o = WithIdna();
  o.ehlo_domain = kBucher;
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client(absl::StrCat("EHLO ", kBucherAce, "\r\n"))
      .Server("502 5.5.2 what\r\n")
      .Client(absl::StrCat("HELO ", kBucherAce, "\r\n"))
      .Server("250 mx.example.org\r\n");
  s.RunAllSplits({"greeting 220", "capabilities", "ready"});
}

// An EHLO name without an ASCII form fails the session before EHLO; with
// no converter the name is sent as given.
TEST(SessionIdnaTest, EhloNameWithoutAsciiForm) {
  SessionOptions o = WithIdna();
  o.ehlo_domain = "\xc3\xbc.invalid";
  Script s(MakeSession(o));
  s.Server(kGreeting)
      .Client("QUIT\r\n")
      .Server("221 bye\r\n")
      .Do([](Session& s, Instant) {
        EXPECT_EQ(GetErrorDetail(s.close_status()),
                  ErrorDetail::kInvalidArgument);
      });
  s.RunAllSplits({"greeting 220", "closed invalid_argument"});

  o.idna = nullptr;
  o.ehlo_domain = kBucher;
  Script raw(MakeSession(o));
  raw.Server(kGreeting).Client(absl::StrCat("EHLO ", kBucher, "\r\n"));
  raw.RunAllSplits({"greeting 220"});
}

}  // namespace
}  // namespace smtpcore
