#include "core/event.h"

#include <string>

#include "core/reply_parser.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

Reply R(const std::string& raw) {
  ReplyParser parser;
  ReplyView view;
  EXPECT_EQ(parser.Parse(raw, &view).status, ParseStatus::kComplete);
  return view.ToOwned();
}

TEST(EventTest, ContractStrings) {
  EXPECT_EQ(EventToString(Greeting{R("220 hi\r\n")}), "greeting 220");
  EXPECT_EQ(EventToString(ReplyReceived{1, CommandKind::kMailFrom,
                                        R("250 2.1.0 ok\r\n")}),
            "reply MAIL 250 2.1.0");
  EXPECT_EQ(EventToString(ReplyReceived{2, CommandKind::kRcptTo,
                                        R("550 no\r\n")}),
            "reply RCPT 550");
  EXPECT_EQ(EventToString(ReplyReceived{3, CommandKind::kData,
                                        R("250 2.0.0 ok\r\n"), 2}),
            "reply DATA 250 2.0.0 more=2");
  std::vector<absl::string_view> lines = {"PIPELINING", "SIZE 10240000",
                                          "STARTTLS", "AUTH PLAIN LOGIN"};
  EXPECT_EQ(EventToString(CapabilitiesUpdated{
                Capabilities::ParseLines(lines), true}),
            "capabilities PIPELINING SIZE=10240000 STARTTLS AUTH=PLAIN,LOGIN");
  EXPECT_EQ(EventToString(CapabilitiesUpdated{Capabilities(), false}),
            "capabilities");
  EXPECT_EQ(EventToString(TlsUpgradeRequired{}), "tls_upgrade_required");
  EXPECT_EQ(EventToString(TlsEstablished{}), "tls_established");
  EXPECT_EQ(EventToString(Authenticated{"PLAIN"}), "authenticated PLAIN");
  SmtpError auth;
  auth.code = 535;
  auth.enhanced = EnhancedCode{5, 7, 8};
  EXPECT_EQ(EventToString(AuthFailed{auth}), "auth_failed 535 5.7.8");
  SmtpError local;
  local.cause = ErrorDetail::kInsecureAuth;
  EXPECT_EQ(EventToString(AuthFailed{local}), "auth_failed insecure_auth");
  EXPECT_EQ(EventToString(SessionReady{}), "ready");
  EXPECT_EQ(EventToString(RecipientReply{1, "bob@example.org",
                                         R("250 2.1.5 ok\r\n")}),
            "recipient <bob@example.org> 250 2.1.5");
  EXPECT_EQ(EventToString(TransactionComplete{1, R("250 2.0.0 ok\r\n"), 2, 1}),
            "delivered 250 2.0.0 accepted=2 rejected=1");
  EXPECT_EQ(EventToString(TransactionComplete{1, R("554 5.6.0 no\r\n"), 2, 0}),
            "data_rejected 554 5.6.0 accepted=2 rejected=0");
  EXPECT_EQ(EventToString(TransactionComplete{1, R("452 4.2.2 full\r\n"), 3,
                                              1, 2, /*lmtp=*/true}),
            "lmtp_complete accepted=3 delivered=2 rejected=1");
  EXPECT_EQ(EventToString(RecipientDataReply{1, "bob@example.org",
                                             R("452 4.2.2 full\r\n")}),
            "data_reply <bob@example.org> 452 4.2.2");
  DeliveryResult result;
  result.recipients.resize(3);
  result.recipients[0].status = RecipientStatus::kDelivered;
  result.recipients[1].status = RecipientStatus::kRejected;
  result.recipients[2].status = RecipientStatus::kDeferred;
  EXPECT_EQ(EventToString(DeliveryDone{1, result}),
            "delivery_done delivered=1 rejected=1 deferred=1");
  SmtpError rejected;
  rejected.cause = ErrorDetail::kRejected;
  rejected.code = 554;
  rejected.enhanced = EnhancedCode{5, 0, 0};
  EXPECT_EQ(EventToString(DeliveryFailed{1, rejected, {}}),
            "delivery_failed rejected 554 5.0.0");
  SmtpError too_big;
  too_big.cause = ErrorDetail::kMessageTooLarge;
  EXPECT_EQ(EventToString(DeliveryFailed{1, too_big, {}}),
            "delivery_failed message_too_large 0");
  EXPECT_EQ(EventToString(ConnectionClosed{absl::OkStatus(), {}}),
            "closed ok");
  EXPECT_EQ(EventToString(ConnectionClosed{
                MakeError(absl::StatusCode::kDeadlineExceeded,
                          ErrorDetail::kTimeout, "t"),
                {}}),
            "closed timeout");
  EXPECT_EQ(EventToString(Trace{true, "EHLO x"}), "trace C: EHLO x");
  EXPECT_EQ(EventToString(Trace{false, "250 ok"}), "trace S: 250 ok");
  EXPECT_EQ(EventToString(NoopDone{R("250 2.0.0 Ok\r\n")}),
            "noop 250 2.0.0");
  EXPECT_EQ(EventToString(NoopDone{R("250 ok\r\n")}), "noop 250");
  Reply vrfy = R("252 2.1.5 Cannot VRFY user\r\n");
  EXPECT_EQ(EventToString(VrfyDone{1, "bob", vrfy,
                                   ParseLookupReply(vrfy.view())}),
            "vrfy 252 2.1.5 cannot_verify entries=0");
  Reply expn = R("250-<a@example.org>\r\n250 <b@example.org>\r\n");
  EXPECT_EQ(EventToString(ExpnDone{2, "staff", expn,
                                   ParseLookupReply(expn.view())}),
            "expn 250 found entries=2");
  Reply help = R("214-2.0.0 a\r\n214 2.0.0 b\r\n");
  EXPECT_EQ(EventToString(HelpDone{3, "", help, ParseHelpReply(help.view())}),
            "help 214 2.0.0 help lines=2");
  Reply etrn = R("253 OK, 14 pending messages for node x started\r\n");
  EXPECT_EQ(EventToString(EtrnDone{4, "x", etrn,
                                   ParseEtrnReply(etrn.view())}),
            "etrn 253 pending_count messages=14");
  EtrnResult not_offered;
  not_offered.outcome = EtrnOutcome::kNotOffered;
  EXPECT_EQ(EventToString(EtrnDone{5, "x", Reply(), not_offered}),
            "etrn 0 not_offered");
  EXPECT_EQ(RecipientStatusName(RecipientStatus::kDeferred), "deferred");
}

}  // namespace
}  // namespace smtpcore
