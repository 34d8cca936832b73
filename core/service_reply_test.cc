#include "core/service_reply.h"

#include <string>

#include "core/reply_parser.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

Reply R(const std::string& raw) {
  ReplyParser parser;
  ReplyView view;
  EXPECT_EQ(parser.Parse(raw, &view).status, ParseStatus::kComplete) << raw;
  return view.ToOwned();
}

LookupOutcome Lookup(const std::string& raw) {
  return ParseLookupReply(R(raw).view()).outcome;
}

EtrnOutcome Etrn(const std::string& raw) {
  return ParseEtrnReply(R(raw).view()).outcome;
}

TEST(ServiceReplyTest, MailboxEntryForms) {
  absl::optional<MailboxEntry> e =
      ParseMailboxEntry("Fred Smith <fred@example.org>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "Fred Smith");
  EXPECT_EQ(e->mailbox, "fred@example.org");
  EXPECT_EQ(e->text, "Fred Smith <fred@example.org>");
  e = ParseMailboxEntry("<postel@isi.edu>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "");
  EXPECT_EQ(e->mailbox, "postel@isi.edu");
  e = ParseMailboxEntry("  bare@example.org ");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->mailbox, "bare@example.org");
  EXPECT_FALSE(ParseMailboxEntry("Ambiguous; Possibilities are").has_value());
  EXPECT_FALSE(ParseMailboxEntry("Unterminated <a@b").has_value());
  EXPECT_FALSE(ParseMailboxEntry("").has_value());
}

// RFC 5321 §3.5: every VRFY/EXPN code family.
TEST(ServiceReplyTest, LookupOutcomes) {
  EXPECT_EQ(Lookup("250 Fred Smith <fred@example.org>\r\n"),
            LookupOutcome::kFound);
  EXPECT_EQ(Lookup("251 User not local; will forward to <f@x.example>\r\n"),
            LookupOutcome::kWillForward);
  EXPECT_EQ(Lookup("252 2.1.5 Cannot VRFY user, but will accept message\r\n"),
            LookupOutcome::kCannotVerify);
  EXPECT_EQ(Lookup("550 5.1.1 no such user\r\n"), LookupOutcome::kNotFound);
  EXPECT_EQ(Lookup("551 User not local; please try <f@x.example>\r\n"),
            LookupOutcome::kNotLocal);
  EXPECT_EQ(Lookup("553 User ambiguous\r\n"), LookupOutcome::kAmbiguous);
  EXPECT_EQ(Lookup("502 5.5.1 VRFY disabled\r\n"),
            LookupOutcome::kNotImplemented);
  EXPECT_EQ(Lookup("500 unrecognized\r\n"), LookupOutcome::kNotImplemented);
  EXPECT_EQ(Lookup("450 4.3.0 try later\r\n"), LookupOutcome::kTemporary);
  EXPECT_EQ(Lookup("501 5.5.4 syntax\r\n"), LookupOutcome::kRefused);
  EXPECT_EQ(LookupOutcomeName(LookupOutcome::kCannotVerify), "cannot_verify");
  EXPECT_EQ(LookupOutcomeName(LookupOutcome::kNotImplemented),
            "not_implemented");
}

// An EXPN list (RFC 5321 §3.5.2 example shape), with enhanced codes on each
// line (RFC 2034 §4).
TEST(ServiceReplyTest, ExpnListEntries) {
  Reply reply = R(
      "250-2.1.5 Jon Postel <Postel@isi.edu>\r\n"
      "250-2.1.5 Fred Fonebone <Fonebone@physics.foo-u.edu>\r\n"
      "250 2.1.5 <sam@example.org>\r\n");
  LookupResult r = ParseLookupReply(reply.view());
  EXPECT_EQ(r.outcome, LookupOutcome::kFound);
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].name, "Jon Postel");
  EXPECT_EQ(r.entries[0].mailbox, "Postel@isi.edu");
  EXPECT_EQ(r.entries[0].text, "Jon Postel <Postel@isi.edu>");
  EXPECT_EQ(r.entries[1].mailbox, "Fonebone@physics.foo-u.edu");
  EXPECT_EQ(r.entries[2].name, "");
  EXPECT_EQ(r.entries[2].mailbox, "sam@example.org");
}

// 553 with the possibilities (RFC 5321 §3.5.1): the heading line is not an
// entry.
TEST(ServiceReplyTest, AmbiguousListsPossibilities) {
  Reply reply = R(
      "553-Ambiguous; Possibilities are\r\n"
      "553-Joe Smith <jsmith@foo.com>\r\n"
      "553 Harry Smith <hsmith@foo.com>\r\n");
  LookupResult r = ParseLookupReply(reply.view());
  EXPECT_EQ(r.outcome, LookupOutcome::kAmbiguous);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[1].mailbox, "hsmith@foo.com");
}

TEST(ServiceReplyTest, ForwardPathAndNoEntriesOnFailure) {
  LookupResult r = ParseLookupReply(
      R("551 User not local; please try <fred@other.example>\r\n").view());
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].mailbox, "fred@other.example");
  EXPECT_EQ(r.entries[0].name, "User not local; please try");
  // A 550 naming the address gives no entry: it is not a mailbox found.
  r = ParseLookupReply(R("550 5.1.1 <x@example.org> unknown\r\n").view());
  EXPECT_TRUE(r.entries.empty());
}

// RFC 1985 §5: every ETRN code.
TEST(ServiceReplyTest, EtrnOutcomes) {
  EXPECT_EQ(Etrn("250 OK, queuing for node example.org started\r\n"),
            EtrnOutcome::kQueueStarted);
  EXPECT_EQ(Etrn("251 OK, no messages waiting for node example.org\r\n"),
            EtrnOutcome::kNoMessages);
  EXPECT_EQ(Etrn("252 OK, pending messages for node example.org started\r\n"),
            EtrnOutcome::kPendingStarted);
  EXPECT_EQ(Etrn("458 Unable to queue messages for node example.org\r\n"),
            EtrnOutcome::kUnableToQueue);
  EXPECT_EQ(Etrn("459 Node example.org not allowed: unknown\r\n"),
            EtrnOutcome::kNodeNotAllowed);
  EXPECT_EQ(Etrn("500 Syntax Error\r\n"), EtrnOutcome::kSyntaxError);
  EXPECT_EQ(Etrn("501 Syntax Error in Parameters\r\n"),
            EtrnOutcome::kSyntaxError);
  EXPECT_EQ(Etrn("502 5.5.1 not implemented\r\n"),
            EtrnOutcome::kNotImplemented);
  EXPECT_EQ(Etrn("451 4.3.0 later\r\n"), EtrnOutcome::kTemporary);
  EXPECT_EQ(Etrn("554 5.7.1 no\r\n"), EtrnOutcome::kRefused);
  EXPECT_EQ(EtrnOutcomeName(EtrnOutcome::kPendingCount), "pending_count");
  EXPECT_EQ(EtrnOutcomeName(EtrnOutcome::kNotOffered), "not_offered");
}

TEST(ServiceReplyTest, EtrnPendingCount) {
  EtrnResult r = ParseEtrnReply(
      R("253 OK, 14 pending messages for node example.org started\r\n")
          .view());
  EXPECT_EQ(r.outcome, EtrnOutcome::kPendingCount);
  ASSERT_TRUE(r.pending_messages.has_value());
  EXPECT_EQ(*r.pending_messages, 14u);
  r = ParseEtrnReply(R("253 2.0.0 OK, 3 pending messages started\r\n").view());
  EXPECT_EQ(r.pending_messages, absl::optional<uint64_t>(3));
  r = ParseEtrnReply(R("253 OK, some pending messages started\r\n").view());
  EXPECT_FALSE(r.pending_messages.has_value());
  // Only 253 carries a count.
  r = ParseEtrnReply(R("250 OK, 14 things\r\n").view());
  EXPECT_FALSE(r.pending_messages.has_value());
}

TEST(ServiceReplyTest, HelpLinesAndOutcomes) {
  HelpResult h = ParseHelpReply(R("214-2.0.0 Commands:\r\n"
                                  "214-2.0.0   HELO EHLO MAIL RCPT DATA\r\n"
                                  "214 2.0.0 End of HELP info\r\n")
                                    .view());
  EXPECT_EQ(h.outcome, HelpOutcome::kHelp);
  ASSERT_EQ(h.lines.size(), 3u);
  EXPECT_EQ(h.lines[0], "Commands:");
  EXPECT_EQ(h.lines[1], "  HELO EHLO MAIL RCPT DATA");
  EXPECT_EQ(ParseHelpReply(R("211 System status ok\r\n").view()).outcome,
            HelpOutcome::kHelp);
  EXPECT_EQ(ParseHelpReply(R("502 5.5.1 no HELP\r\n").view()).outcome,
            HelpOutcome::kNotImplemented);
  EXPECT_EQ(ParseHelpReply(R("504 5.5.4 no help on FOO\r\n").view()).outcome,
            HelpOutcome::kUnknownTopic);
  EXPECT_EQ(ParseHelpReply(R("421 4.3.2 bye\r\n").view()).outcome,
            HelpOutcome::kTemporary);
  EXPECT_EQ(HelpOutcomeName(HelpOutcome::kUnknownTopic), "unknown_topic");
}

// A line that starts like a code of another class is text, not a code.
TEST(ServiceReplyTest, LineTextsKeepForeignCodes) {
  std::vector<std::string> lines =
      ReplyLineTexts(R("214-5.0.0 is a version\r\n214 done\r\n").view());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "5.0.0 is a version");
  EXPECT_EQ(lines[1], "done");
}

}  // namespace
}  // namespace smtpcore
