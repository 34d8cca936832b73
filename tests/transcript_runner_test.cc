#include "tests/transcript_runner.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/transcript_parser.h"

namespace smtpcore {
namespace internal {
namespace {

using ::testing::HasSubstr;

TranscriptCase ParseOne(const std::string& text) {
  absl::StatusOr<std::vector<TranscriptCase>> cases =
      ParseTranscript("t.md", text);
  EXPECT_TRUE(cases.ok()) << cases.status();
  EXPECT_EQ(cases->size(), 1u);
  return (*cases)[0];
}

std::string Case(const std::string& meta, const std::string& script,
                 const std::string& events) {
  return "## c\n<!-- meta=" + meta + " -->\n```smtp\n" + script +
         "```\n```events\n" + events + "```\n";
}

const char kScript[] =
    "S: 220 mx\n"
    "C: EHLO client.example.org\n"
    "S: 250 mx\n"
    "A: close\n"
    "C: QUIT\n"
    "S: 221 bye\n";
const char kEvents[] = "greeting 220\ncapabilities\nready\nclosed ok\n";

TEST(TranscriptRunnerTest, ModesCoverEverySplit) {
  TranscriptCase c = ParseOne(Case("{}", kScript, kEvents));
  // 8 + 8 + 9 server bytes: whole, 24 splits, bytes, record, write1,
  // write7.
  std::vector<TranscriptMode> modes = TranscriptModes(c);
  ASSERT_EQ(modes.size(), 29u);
  EXPECT_EQ(modes[0].name, "whole");
  EXPECT_EQ(modes[1].name, "split@1");
  EXPECT_EQ(modes[24].name, "split@24");
  EXPECT_EQ(modes[25].name, "bytes");
  EXPECT_EQ(modes[26].name, "record");
  EXPECT_TRUE(modes[26].record);
  EXPECT_EQ(modes[28].name, "write7");
  EXPECT_TRUE(CheckTranscript(c).ok()) << CheckTranscript(c);

  TranscriptCase whole = ParseOne(Case("{\"split\": \"whole\"}", kScript, kEvents));
  EXPECT_EQ(TranscriptModes(whole).size(), 4u);
}

TEST(TranscriptRunnerTest, RunReportsClientBytesAndEvents) {
  TranscriptCase c = ParseOne(Case("{}", kScript, kEvents));
  TranscriptRun run = RunTranscript(c, TranscriptModes(c)[0]);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.client_bytes, "EHLO client.example.org\r\nQUIT\r\n");
  EXPECT_EQ(run.events, (std::vector<std::string>{
                            "greeting 220", "capabilities", "ready",
                            "closed ok"}));
}

TEST(TranscriptRunnerTest, WrongClientBytesFail) {
  std::string script = kScript;
  script.replace(script.find("EHLO client"), 4, "HELO");
  absl::Status status = CheckTranscript(ParseOne(Case("{}", script, kEvents)));
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("t.md:1 (c) mode whole: step 1 (t.md:5): client "
                        "bytes differ"));
}

TEST(TranscriptRunnerTest, WrongEventsFail) {
  absl::Status status = CheckTranscript(
      ParseOne(Case("{}", kScript, "greeting 220\ncapabilities\nclosed ok\n")));
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("events differ at index 2"));
}

TEST(TranscriptRunnerTest, LockStepIsEnforced) {
  // The script claims the client sends QUIT before the EHLO reply.
  std::string script =
      "S: 220 mx\nC: EHLO client.example.org\nA: close\nC: QUIT\nS: 250 mx\n";
  absl::Status status = CheckTranscript(ParseOne(Case("{}", script, kEvents)));
  ASSERT_FALSE(status.ok());
}

TEST(TranscriptRunnerTest, ActionOutcomesAreChecked) {
  std::string script = std::string(kScript) + "A: close => broken\n";
  absl::Status status = CheckTranscript(ParseOne(Case("{}", script, kEvents)));
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("close => broken: FAILED_PRECONDITION: returned OK, "
                        "expected broken"));
}

TEST(TranscriptRunnerTest, BadOptionsAndActionsAreReported) {
  EXPECT_EQ(CheckTranscript(ParseOne(Case("{\"options\": {\"tsl\": \"none\"}}",
                                          kScript, kEvents)))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckTranscript(ParseOne(Case("{\"options\": {\"tls\": \"maybe\"}}",
                                          kScript, kEvents)))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckTranscript(ParseOne(Case("{}", "A: dance\n", "")))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckTranscript(ParseOne(Case("{}", "A: deliver\n", ""))).code(),
            absl::StatusCode::kInvalidArgument);  // no message 0
  EXPECT_EQ(
      CheckTranscript(ParseOne(Case(
          "{\"messages\": [{\"from\": \"a@b\", \"to\": [\"c@d\"]}]}",
          "A: deliver\n", "")))
          .code(),
      absl::StatusCode::kInvalidArgument);  // no body
}

TEST(TranscriptRunnerTest, SessionOptionsFromMeta) {
  TranscriptCase c = ParseOne(Case(
      "{\"options\": {\"ehlo_domain\": \"[192.0.2.1]\", \"tls\": \"required\","
      " \"pipelining\": false, \"timeouts\": {\"rcpt\": 7}, "
      "\"ignore\": [\"CHUNKING\"], \"force\": [\"SIZE 10\"], "
      "\"max_reply_lines\": 9}}",
      "", ""));
  absl::StatusOr<SessionOptions> o = SessionOptionsFromMeta(c.options);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->ehlo_domain, "[192.0.2.1]");
  EXPECT_EQ(o->tls_mode, TlsMode::kRequired);
  EXPECT_FALSE(o->pipelining);
  EXPECT_EQ(o->timeouts.rcpt, absl::Seconds(7));
  EXPECT_EQ(o->capability_filter.ignore,
            (std::vector<std::string>{"CHUNKING"}));
  ASSERT_EQ(o->capability_filter.force.size(), 1u);
  EXPECT_EQ(o->capability_filter.force[0].keyword, "SIZE");
  EXPECT_EQ(o->capability_filter.force[0].params,
            (std::vector<std::string>{"10"}));
  EXPECT_EQ(o->reply_limits.max_lines, 9u);
}

TEST(TranscriptRunnerTest, TestNames) {
  TranscriptCase c;
  c.file = "pipelining.md";
  c.name = "452: split (twice)";
  EXPECT_EQ(TestNameFor(c), "pipelining_452__split__twice_");
}

}  // namespace
}  // namespace internal
}  // namespace smtpcore
