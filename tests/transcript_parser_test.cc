#include "tests/transcript_parser.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/transcript_meta.h"

namespace smtpcore {
namespace internal {
namespace {

using Kind = TranscriptStepKind;

TEST(ParseMetaTest, AcceptsTheSubset) {
  absl::StatusOr<MetaValue> v = ParseMeta(
      R"({"a": [1, -2, true, false, null], "b": {"c": "x\r\n\u00e9\xff"}})");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->type, MetaValue::Type::kObject);
  const MetaValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->array.size(), 5u);
  EXPECT_EQ(a->array[0].integer, 1);
  EXPECT_EQ(a->array[1].integer, -2);
  EXPECT_TRUE(a->array[2].boolean);
  EXPECT_EQ(a->array[4].type, MetaValue::Type::kNull);
  EXPECT_EQ(v->Find("b")->Find("c")->string, "x\r\n\xc3\xa9\xff");
  EXPECT_EQ(v->Find("zz"), nullptr);
}

TEST(ParseMetaTest, IsStrict) {
  for (const char* bad :
       {"", "{", "{\"a\":1,}", "[1,]", "{\"a\":1,\"a\":2}", "1.5", "1e3",
        "01", "\"\\q\"", "\"\\ud800\"", "{a:1}", "{\"a\":1} x", "\"a\nb\"",
        "9223372036854775808", "tru", "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]"}) {
    EXPECT_FALSE(ParseMeta(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseMeta("9223372036854775807")->integer, INT64_MAX);
}

TEST(UnescapeScriptTextTest, Escapes) {
  std::string out;
  ASSERT_TRUE(UnescapeScriptText(R"(a\r\nb\t\\\x00\xFf)", &out).ok());
  EXPECT_EQ(out, std::string("a\r\nb\t\\\0\xff", 8));
  out.clear();
  EXPECT_FALSE(UnescapeScriptText(R"(\q)", &out).ok());
  EXPECT_FALSE(UnescapeScriptText(R"(\x4)", &out).ok());
  EXPECT_FALSE(UnescapeScriptText(R"(ab\)", &out).ok());
}

constexpr char kGood[] = R"md(# Title

Prose is ignored, and so are other fenced blocks:

```text
## not a case
S: nor a line
```

## first case
<!-- meta={"split": "whole", "options": {"pipelining": true}, "messages": [{"from": "a@b"}]} -->
<!-- known_failure: the core does X -->

```smtp
# a comment
S: 220 hi
C: EHLO x
S~: 250 ok\r
S:
S: <EOF>
C:  two spaces
T: +300s
DEADLINE: +5m
DEADLINE: none
TLS: established
TLS: failed
A: deliver 1 => message_too_large
A: close
```

```events
greeting 220
closed ok
```

## second
```smtp
S: 220 x
```
```events
```
)md";

TEST(ParseTranscriptTest, ParsesEveryLineKind) {
  absl::StatusOr<std::vector<TranscriptCase>> cases =
      ParseTranscript("t.md", kGood);
  ASSERT_TRUE(cases.ok()) << cases.status();
  ASSERT_EQ(cases->size(), 2u);
  const TranscriptCase& c = (*cases)[0];
  EXPECT_EQ(c.name, "first case");
  EXPECT_EQ(c.Label(), "t.md:10 (first case)");
  EXPECT_EQ(c.split, "whole");
  EXPECT_TRUE(c.options.Find("pipelining")->boolean);
  EXPECT_EQ(c.messages.array.size(), 1u);
  EXPECT_EQ(c.known_failure, "the core does X");
  ASSERT_EQ(c.steps.size(), 13u);
  EXPECT_EQ(c.steps[0].kind, Kind::kServer);
  EXPECT_EQ(c.steps[0].bytes, "220 hi\r\n");
  EXPECT_EQ(c.steps[0].line, 16);
  EXPECT_EQ(c.steps[1].kind, Kind::kClient);
  EXPECT_EQ(c.steps[1].bytes, "EHLO x\r\n");
  EXPECT_EQ(c.steps[2].bytes, "250 ok\r");
  EXPECT_EQ(c.steps[3].bytes, "\r\n");
  EXPECT_EQ(c.steps[4].kind, Kind::kEof);
  EXPECT_EQ(c.steps[5].bytes, " two spaces\r\n");
  EXPECT_EQ(c.steps[6].kind, Kind::kAdvance);
  EXPECT_EQ(c.steps[6].duration, absl::Seconds(300));
  EXPECT_EQ(c.steps[7].kind, Kind::kDeadline);
  EXPECT_EQ(c.steps[7].duration, absl::Minutes(5));
  EXPECT_FALSE(c.steps[7].no_deadline);
  EXPECT_TRUE(c.steps[8].no_deadline);
  EXPECT_EQ(c.steps[9].kind, Kind::kTlsEstablished);
  EXPECT_EQ(c.steps[10].kind, Kind::kTlsFailed);
  EXPECT_EQ(c.steps[11].kind, Kind::kAction);
  EXPECT_EQ(c.steps[11].words, (std::vector<std::string>{"deliver", "1"}));
  EXPECT_EQ(c.steps[11].expect_error, "message_too_large");
  EXPECT_EQ(c.steps[12].words, (std::vector<std::string>{"close"}));
  EXPECT_EQ(c.events,
            (std::vector<std::string>{"greeting 220", "closed ok"}));
  const TranscriptCase& d = (*cases)[1];
  EXPECT_EQ(d.split, "all");
  EXPECT_TRUE(d.events.empty());
  EXPECT_EQ(d.options.type, MetaValue::Type::kObject);
}

TEST(ParseTranscriptTest, RejectsMalformedFiles) {
  const char* kBad[] = {
      // smtp block before any case
      "```smtp\nS: 220\n```\n",
      // unknown prefix
      "## a\n```smtp\nX: 1\n```\n```events\n```\n",
      // missing space after colon
      "## a\n```smtp\nS:220\n```\n```events\n```\n",
      // bad escape
      "## a\n```smtp\nS: \\q\n```\n```events\n```\n",
      // missing events block
      "## a\n```smtp\nS: 220\n```\n",
      // two smtp blocks
      "## a\n```smtp\n```\n```smtp\n```\n```events\n```\n",
      // duplicate names
      "## a\n```smtp\n```\n```events\n```\n## a\n```smtp\n```\n```events\n```\n",
      // unknown meta key
      "## a\n<!-- meta={\"spilt\": \"all\"} -->\n```smtp\n```\n```events\n```\n",
      // bad split
      "## a\n<!-- meta={\"split\": \"some\"} -->\n```smtp\n```\n```events\n```\n",
      // meta not closed on its line
      "## a\n<!-- meta={}\n```smtp\n```\n```events\n```\n",
      // bad durations
      "## a\n```smtp\nT: 300s\n```\n```events\n```\n",
      "## a\n```smtp\nT: +3 parsecs\n```\n```events\n```\n",
      // bad TLS word, action without verb, empty error name
      "## a\n```smtp\nTLS: maybe\n```\n```events\n```\n",
      "## a\n```smtp\nA: => x\n```\n```events\n```\n",
      "## a\n```smtp\nA: close =>\n```\n```events\n```\n",
      // unclosed fence
      "## a\n```smtp\nS: 220\n",
      // empty known_failure reason
      "## a\n<!-- known_failure: -->\n```smtp\n```\n```events\n```\n",
  };
  for (const char* text : kBad) {
    EXPECT_FALSE(ParseTranscript("bad.md", text).ok()) << text;
  }
}

TEST(ParseTranscriptTest, ErrorsNameFileAndLine) {
  absl::StatusOr<std::vector<TranscriptCase>> cases = ParseTranscript(
      "f.md", "## a\n```smtp\nS: 220\nQ: x\n```\n```events\n```\n");
  ASSERT_FALSE(cases.ok());
  EXPECT_EQ(cases.status().message(), "f.md:4: unknown script prefix \"Q\"");
}

}  // namespace
}  // namespace internal
}  // namespace smtpcore
