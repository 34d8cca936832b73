#include "tools/send_report.h"

#include <string>

#include "core/reply_parser.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace cli {
namespace {

Reply MakeReply(absl::string_view raw) {
  ReplyParser parser;
  ReplyView view;
  ParseResult r = parser.Parse(raw, &view);
  EXPECT_EQ(r.status, ParseStatus::kComplete) << raw;
  return view.ToOwned();
}

RecipientResult Rcpt(std::string address, RecipientStatus status,
                     absl::string_view reply) {
  RecipientResult r;
  r.address = std::move(address);
  r.status = status;
  if (!reply.empty()) r.rcpt_reply = MakeReply(reply);
  return r;
}

TEST(SendReportTest, ReplyHelpers) {
  Reply r = MakeReply("250 2.1.5 Recipient <b@x> OK\r\n");
  EXPECT_EQ(ReplyText(r), "Recipient <b@x> OK");
  EXPECT_EQ(ReplyLine(r), "250 2.1.5 Recipient <b@x> OK");
  EXPECT_EQ(ReplyText(Reply()), "");
  EXPECT_EQ(ReplyLine(Reply()), "");
  EXPECT_EQ(ErrorCommandName(CommandKind::kGreeting), "CONNECT");
  EXPECT_EQ(ErrorCommandName(CommandKind::kRcptTo), "RCPT");
}

TEST(SendReportTest, PartialDeliveryJson) {
  SendReport r;
  r.server = "127.0.0.1:2525";
  r.peer = "127.0.0.1:2525";
  r.tls_mode = "starttls";
  TlsInfo tls;
  tls.version = "TLSv1.3";
  tls.cipher = "TLS_AES_128_GCM_SHA256";
  tls.verified = true;
  r.tls = tls;
  r.capabilities = Capabilities::Parse(
      MakeReply("250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 AUTH PLAIN "
                "LOGIN\r\n")
          .view());
  r.auth_mechanism = "PLAIN";
  r.auth_user = "demo";
  r.body_command = "BDAT";
  r.recipients.push_back(Rcpt("b@x", RecipientStatus::kDelivered,
                              "250 2.1.5 Recipient <b@x> OK\r\n"));
  r.recipients.push_back(Rcpt("reject@x", RecipientStatus::kRejected,
                              "550 5.1.1 <reject@x>: \"no\" such user\r\n"));
  r.recipients.push_back(Rcpt("j\xC3\xBCrgen@x", RecipientStatus::kDelivered,
                              "250 Ok\r\n"));
  r.result = MakeReply("250 2.0.0 Ok: queued as 7\r\n");
  r.exit = ExitStatus::kPartial;
  EXPECT_EQ(
      SendReportToJson(r),
      R"({"server":"127.0.0.1:2525","peer":"127.0.0.1:2525",)"
      R"("tls":{"mode":"starttls","established":true,"version":"TLSv1.3",)"
      R"("cipher":"TLS_AES_128_GCM_SHA256","verified":true,)"
      R"("verify_error":null,"client_certificate":false},)"
      R"("capabilities":["PIPELINING","SIZE 1000","AUTH PLAIN LOGIN"],)"
      R"("auth":{"mechanism":"PLAIN","user":"demo"},"body_command":"BDAT",)"
      R"("recipients":[)"
      R"({"address":"b@x","accepted":true,"status":"delivered","code":250,)"
      R"("enhanced_code":"2.1.5","text":"Recipient <b@x> OK"},)"
      R"({"address":"reject@x","accepted":false,"status":"rejected",)"
      R"("code":550,"enhanced_code":"5.1.1",)"
      R"("text":"<reject@x>: \"no\" such user"},)"
      "{\"address\":\"j\xC3\xBCrgen@x\",\"accepted\":true,"
      R"("status":"delivered","code":250,"enhanced_code":null,"text":"Ok"}],)"
      R"("result":{"code":250,"enhanced_code":"2.0.0","text":"Ok: queued as 7"},)"
      R"("status":"partial","exit_code":2,"error":null})");
  EXPECT_EQ(SendReportToText(r),
            "delivered b@x        250 2.1.5 Recipient <b@x> OK\n"
            "rejected  reject@x   550 5.1.1 <reject@x>: \"no\" such user\n"
            "delivered j\xC3\xBCrgen@x  250 Ok\n"
            "message   BDAT       250 2.0.0 Ok: queued as 7\n");
}

TEST(SendReportTest, ConnectionFailureJson) {
  SendReport r;
  r.server = "127.0.0.1:1";
  r.tls_mode = "opportunistic";
  // What `smtpc send` reports when the connection fails before the session:
  // the recipient's final outcome, deferred and not sent (never "pending").
  r.recipients.push_back(Rcpt("b@x", RecipientStatus::kDeferred, ""));
  SmtpError e;
  e.cause = ErrorDetail::kIo;
  e.command = CommandKind::kGreeting;
  e.what = "connect to 127.0.0.1:1: connection refused";
  r.error = e;
  r.exit = ExitStatus::kTemporary;
  const std::string json = SendReportToJson(r);
  EXPECT_EQ(json.substr(0, json.find("\"line\"")),
            R"({"server":"127.0.0.1:1","peer":null,)"
            R"("tls":{"mode":"opportunistic","established":false},)"
            R"("capabilities":[],"auth":null,"body_command":null,)"
            R"("recipients":[{"address":"b@x","accepted":false,)"
            R"("status":"not_sent","code":null,"enhanced_code":null,)"
            R"("text":null}],"result":null,"status":"temporary",)"
            R"("exit_code":3,"error":{"kind":"io","permanent":false,)"
            R"("code":null,"enhanced_code":null,"command":"CONNECT",)");
  EXPECT_NE(json.find("\"line\":\"" + e.Message()), std::string::npos)
      << json;
  EXPECT_EQ(SendReportToText(r), "not sent  b@x  -\n");
}

TEST(SendReportTest, UnknownOutcomeIsSaid) {
  SendReport r;
  r.server = "mx:25";
  r.tls_mode = "none";
  r.recipients.push_back(
      Rcpt("b@x", RecipientStatus::kUnknown, "250 2.1.5 Ok\r\n"));
  r.recipients.push_back(
      Rcpt("c@x", RecipientStatus::kRejected, "550 5.1.1 no\r\n"));
  SmtpError e;
  e.cause = ErrorDetail::kTimeout;
  e.command = CommandKind::kData;
  e.what = "timed out (stage data_termination, limit 10m)";
  r.error = e;
  r.exit = ExitStatus::kTemporary;
  const std::string json = SendReportToJson(r);
  EXPECT_NE(json.find(R"({"address":"b@x","accepted":true,"status":"unknown",)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("status":"temporary","exit_code":3,)"),
            std::string::npos)
      << json;
  EXPECT_EQ(SendReportToText(r),
            std::string("unknown   b@x  250 2.1.5 Ok\n"
                        "rejected  c@x  550 5.1.1 no\n") +
                kUnknownOutcomeNote);
}

TEST(SendReportTest, ReplyErrorJson) {
  SendReport r;
  r.server = "mx:25";
  r.tls_mode = "none";
  SmtpError e = SmtpError::FromReply(
      CommandKind::kAuth,
      MakeReply("535 5.7.8 Authentication credentials invalid\r\n").view(),
      ErrorDetail::kAuthFailed);
  r.error = e;
  r.exit = ExitStatus::kPermanent;
  const std::string json = SendReportToJson(r);
  EXPECT_NE(json.find(R"("error":{"kind":"auth_failed","permanent":true,)"
                      R"("code":535,"enhanced_code":"5.7.8","command":"AUTH",)"
                      R"("line":"535 5.7.8 Authentication credentials invalid",)"
                      R"("message":)"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace cli
}  // namespace smtpcore
