#include "transports/testing/session_recorder.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/errors.h"
#include "core/session.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "transports/testing/fake_plain_mechanism.h"
#include "transports/testing/script_transport.h"

namespace smtpcore {
namespace {

using ::testing::HasSubstr;

SessionOptions Options() {
  SessionOptions o;
  o.ehlo_domain = "client.example.org";
  o.tls_mode = TlsMode::kNone;
  o.timeouts.rcpt = absl::Seconds(90);
  return o;
}

Envelope TwoRecipients() {
  Envelope e;
  e.from = "alice@example.org";
  e.AddRecipient("bob@example.org").AddRecipient("carol@example.org");
  return e;
}

// Records a pipelined session: one delivery, then a second one that times
// out waiting for the RCPT replies.
std::string RecordWithTimeout(std::vector<std::string>* events = nullptr) {
  ScriptOptions so;
  so.max_write = 5;  // partial writes end up in the trace too
  SessionRecorder recorder(Options(), so.start);
  ScriptEndpointFor<SessionRecorder> endpoint(&recorder);
  ScriptTransport transport(&endpoint, so);
  Script script;
  script.Server("220 mx.example.org ESMTP\r\n")
      .ExpectClient("EHLO client.example.org\r\n")
      .Server("250-mx.example.org\r\n250 PIPELINING\r\n")
      .Call("deliver",
            [&](Instant now) {
              return recorder
                  .Deliver(TwoRecipients(), absl::Cord(".hi\r\n"), now)
                  .status();
            })
      .ExpectClient(
          "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
          "RCPT TO:<carol@example.org>\r\nDATA\r\n")
      .Server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No\r\n354 Go\r\n")
      .ExpectClient("..hi\r\n.\r\n")
      .Server("250 2.0.0 Ok\r\n")
      .Call("deliver again",
            [&](Instant now) {
              return recorder
                  .Deliver(TwoRecipients(), absl::Cord("again\r\n"), now)
                  .status();
            })
      .ExpectClient(
          "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
          "RCPT TO:<carol@example.org>\r\nDATA\r\n")
      .Server("250 2.1.0 Ok\r\n")
      .Advance(absl::Seconds(89))
      .Advance(absl::Seconds(1));
  absl::Status status = transport.Run(script);
  EXPECT_TRUE(status.ok()) << status.message();
  if (events != nullptr) *events = transport.events();
  return recorder.trace();
}

TEST(SessionRecorderTest, RecordsInputsAndOutputs) {
  std::vector<std::string> events;
  std::string trace = RecordWithTimeout(&events);
  EXPECT_TRUE(absl::StartsWith(trace, "smtpcore-trace 1\noption ehlo_domain "
                                      "\"client.example.org\"\n"));
  EXPECT_THAT(trace, HasSubstr("\n@1000000000000 start\n"));
  EXPECT_THAT(trace, HasSubstr("\n@1000000000000 recv \"220 mx.example.org "
                               "ESMTP\\r\\n\"\n= ok deadline="));
  EXPECT_THAT(trace, HasSubstr("\n@1000000000000 write \"EHLO \"\n= void "));
  EXPECT_THAT(trace, HasSubstr(
                         "\n@1000000000000 deliver from \"alice@example.org\" "
                         "rcpt \"bob@example.org\" rcpt \"carol@example.org\" "
                         "body \".hi\\r\\n\"\n= ok id=1 "));
  EXPECT_THAT(trace, HasSubstr("\n@1090000000000 timeout\n= void "
                               "deadline=none\n"));
  EXPECT_THAT(trace, HasSubstr("\nevent \"greeting 220\"\n"));
  EXPECT_EQ(events.back(), "closed timeout");
  // Every event is in the trace.
  for (const std::string& e : events) {
    EXPECT_THAT(trace, HasSubstr(absl::StrCat("event \"", e, "\"")));
  }
}

TEST(SessionRecorderTest, ReplayOfAnUnchangedTraceMatches) {
  std::string trace = RecordWithTimeout();
  absl::Status status = ReplaySession(trace);
  EXPECT_TRUE(status.ok()) << status;
  // Deterministic: recording twice gives the same trace.
  EXPECT_EQ(trace, RecordWithTimeout());
}

TEST(SessionRecorderTest, TamperedServerByteIsReportedAtTheFirstDivergence) {
  std::string trace = RecordWithTimeout();
  // The server rejects carol with 550; change that one byte to make it 250.
  std::string tampered =
      absl::StrReplaceAll(trace, {{"550 5.1.1 No", "250 5.1.1 No"}});
  ASSERT_NE(tampered, trace);
  absl::Status status = ReplaySession(tampered);
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  // The first output that differs is carol's recipient event (a 2xx reply
  // has no 5.x.x enhanced code, RFC 3463 §2).
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("recorded `recipient <carol@example.org> 550 5.1.1`, "
                        "replay gave `recipient <carol@example.org> 250`"));
}

TEST(SessionRecorderTest, ShiftedTimeoutIsReported) {
  std::string trace = RecordWithTimeout();
  // Fire the timeout one second early: the session must not time out then,
  // so the recorded deadline=none no longer matches.
  std::string tampered = absl::StrReplaceAll(
      trace, {{"@1090000000000 timeout", "@1089000000000 timeout"}});
  ASSERT_NE(tampered, trace);
  absl::Status status = ReplaySession(tampered);
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("recorded `= void deadline=none`, replay gave "
                        "`= void deadline=1090000000000`"));
}

TEST(SessionRecorderTest, TamperedClientBytesAreReported) {
  std::string trace = RecordWithTimeout();
  std::string tampered =
      absl::StrReplaceAll(trace, {{"write \"EHLO \"", "write \"HELO \""}});
  absl::Status status = ReplaySession(tampered);
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("recorded `write \"HELO \"`, replay gave "
                        "`write \"EHLO \"`"));
}

TEST(SessionRecorderTest, MalformedTracesAreRejected) {
  std::string trace = RecordWithTimeout();
  EXPECT_EQ(ReplaySession("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReplaySession("smtpcore-trace 2\n").code(),
            absl::StatusCode::kInvalidArgument);
  // Unknown record, unterminated string, missing result, option after start.
  for (const std::string& bad :
       {absl::StrCat(trace, "@5 dance\n"),
        absl::StrCat(trace, "@5 recv \"abc\n"),
        absl::StrCat(trace, "@5 eof\n"),
        absl::StrCat(trace, "option trace 1\n"),
        absl::StrReplaceAll(trace, {{"option chunking 1", "option chunky 1"}})}) {
    absl::Status status = ReplaySession(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("trace line "));
  }
}

TEST(SessionRecorderTest, EverySerializedFieldRoundTrips) {
  // Options, envelope parameters, TLS info, statuses and streamed bodies all
  // go through the trace and back.
  SessionOptions o = Options();
  o.tls_mode = TlsMode::kImplicit;
  o.capability_filter.ignore = {"CHUNKING"};
  o.capability_filter.force = {Capability{"SIZE", {"100000"}}};
  o.reply_limits.max_lines = 77;
  o.line_endings = LineEndingPolicy::kNormalize;
  o.allow_insecure_auth = true;
  o.auth = [](const Capabilities&, const TlsInfo*) {
    return std::make_unique<FakePlainMechanism>("u", "p");
  };
  Instant t = InstantFromSeconds(7);
  SessionRecorder r(o, t);
  TlsInfo tls;
  tls.version = "TLSv1.2";
  tls.channel_binding = std::string("\0\xff\"", 3);
  EXPECT_TRUE(r.OnTlsEstablished(tls, t).ok());
  EXPECT_TRUE(r.Receive("220 mx\r\n", t).ok());
  Envelope e;
  e.from = "";
  e.mail.body = BodyType::k8BitMime;
  e.mail.ret = DsnRet::kHdrs;
  e.mail.envid = "id+1";
  e.mail.extra.push_back({"X-ONE", "1"});
  e.AddRecipient("b@example.org");
  e.recipients[0].params.notify = kNotifySuccess | kNotifyFailure;
  e.recipients[0].params.orcpt = "b@example.org";
  absl::StatusOr<DeliveryId> id = r.StartDelivery(e, t);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(r.AppendBody(*id, absl::Cord("caf\xc3\xa9\r\n"), false, t).ok());
  EXPECT_TRUE(r.AppendBody(*id, absl::Cord(""), true, t).ok());
  EXPECT_FALSE(r.Deliver(Envelope(), absl::Cord("x"), t).ok());
  std::vector<IoSlice> slices(8);
  size_t n = r.PollTransmit(absl::MakeSpan(slices));
  std::string out;
  AppendSlices(absl::MakeConstSpan(slices.data(), n), &out);
  r.ConsumeTransmit(out.size(), t);
  r.Receive("250-mx\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n", t).IgnoreError();
  while (r.PollEvent().has_value()) {
  }
  r.Abort(MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kIo,
                    "reset by \"peer\""),
          t + absl::Seconds(1));
  while (r.PollEvent().has_value()) {
  }

  const std::string& trace = r.trace();
  EXPECT_THAT(trace, HasSubstr("option ignore \"CHUNKING\"\n"));
  EXPECT_THAT(trace, HasSubstr("option force \"SIZE\" \"100000\"\n"));
  EXPECT_THAT(trace, HasSubstr("option auth 1\n"));
  EXPECT_THAT(trace, HasSubstr(" cb \"\\x00\\xff\\\"\" "));
  EXPECT_THAT(trace,
              HasSubstr("start_delivery from \"\" body_type 8bitmime ret hdrs "
                        "envid \"id+1\" param \"X-ONE\" \"1\" rcpt "
                        "\"b@example.org\" notify 3 orcpt \"b@example.org\"\n"));
  EXPECT_THAT(trace, HasSubstr("append_body 1 \"caf\\xc3\\xa9\\r\\n\" more\n"));
  EXPECT_THAT(trace, HasSubstr("abort 14 io \"reset by \\\"peer\\\"\"\n"));

  // Without the chooser the replay cannot build the same session.
  absl::Status no_auth = ReplaySession(trace);
  EXPECT_EQ(no_auth.code(), absl::StatusCode::kInvalidArgument);
  ReplayOptions ro;
  ro.auth = o.auth;
  absl::Status status = ReplaySession(trace, ro);
  EXPECT_TRUE(status.ok()) << status << "\n" << trace;
}

}  // namespace
}  // namespace smtpcore
