// Tests for BodyMeterMemo: a body is measured once while the same chunks
// come back, and measured afresh (with the same answer as a new BodyMeter)
// otherwise.

#include "core/body_meter_memo.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "core/delivery_precheck.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

BodyFacts Fresh(const absl::Cord& body) {
  BodyMeter meter;
  meter.Add(body);
  meter.Finish();
  return meter.facts();
}

void ExpectSameFacts(const BodyFacts& a, const BodyFacts& b) {
  EXPECT_EQ(a.input_size, b.input_size);
  EXPECT_EQ(a.wire_size, b.wire_size);
  EXPECT_EQ(a.bare_line_endings, b.bare_line_endings);
  EXPECT_EQ(a.eight_bit, b.eight_bit);
  EXPECT_EQ(a.dots_stuffed, b.dots_stuffed);
  EXPECT_EQ(a.chunks, b.chunks);
  EXPECT_EQ(a.complete, b.complete);
}

// A body too large to be kept inline in the Cord object, with dots to stuff
// and a bare LF.
std::string Text(char marker) {
  std::string s;
  for (int i = 0; i < 200; ++i) {
    s += i % 10 == 0 ? ".dot line " : "plain line ";
    s += marker;
    s += "\r\n";
  }
  s += "bare\nend";
  return s;
}

TEST(BodyMeterMemoTest, ACopyOfTheSameCordIsMeasuredOnce) {
  BodyMeterMemo memo;
  const absl::Cord body(Text('a'));
  const BodyFacts first = memo.Measure(body);
  ExpectSameFacts(first, Fresh(body));
  EXPECT_EQ(memo.hits(), 0u);
  const absl::Cord copy = body;  // shares the chunks
  ExpectSameFacts(memo.Measure(copy), first);
  ExpectSameFacts(memo.Measure(body), first);
  EXPECT_EQ(memo.hits(), 2u);
  EXPECT_TRUE(first.complete);
  EXPECT_EQ(first.dots_stuffed, 20u);
  EXPECT_EQ(first.bare_line_endings, 1u);
}

TEST(BodyMeterMemoTest, ManyChunksMatchChunkByChunk) {
  absl::Cord body;
  for (int i = 0; i < 8; ++i) body.Append(absl::Cord(Text('0' + i)));
  BodyMeterMemo memo;
  const BodyFacts first = memo.Measure(body);
  EXPECT_GE(first.chunks, 1u);
  ExpectSameFacts(memo.Measure(absl::Cord(body)), first);
  EXPECT_EQ(memo.hits(), 1u);
  ExpectSameFacts(first, Fresh(body));
}

TEST(BodyMeterMemoTest, EqualBytesElsewhereAreMeasuredAgain) {
  BodyMeterMemo memo;
  const absl::Cord a(Text('x'));
  const absl::Cord b(Text('x'));  // equal content, other memory
  ASSERT_EQ(a, b);
  memo.Measure(a);
  ExpectSameFacts(memo.Measure(b), Fresh(b));
  EXPECT_EQ(memo.hits(), 0u);
}

TEST(BodyMeterMemoTest, AChangedBodyIsMeasuredAgain) {
  BodyMeterMemo memo;
  const absl::Cord a(Text('x'));
  memo.Measure(a);
  absl::Cord longer = a;
  longer.Append("\r.more\n");
  ExpectSameFacts(memo.Measure(longer), Fresh(longer));
  absl::Cord shorter = a;
  shorter.RemoveSuffix(5);
  ExpectSameFacts(memo.Measure(shorter), Fresh(shorter));
  absl::Cord other(Text('y'));  // same size, other bytes
  ASSERT_EQ(other.size(), a.size());
  ExpectSameFacts(memo.Measure(other), Fresh(other));
  EXPECT_EQ(memo.hits(), 0u);
}

TEST(BodyMeterMemoTest, OnlyTheLastBodyIsRemembered) {
  BodyMeterMemo memo;
  const absl::Cord a(Text('a'));
  const absl::Cord b(Text('b'));
  memo.Measure(a);
  memo.Measure(b);
  ExpectSameFacts(memo.Measure(a), Fresh(a));
  EXPECT_EQ(memo.hits(), 0u);
  memo.Measure(a);
  EXPECT_EQ(memo.hits(), 1u);
}

TEST(BodyMeterMemoTest, SmallAndEmptyBodies) {
  BodyMeterMemo memo;
  const absl::Cord small("hi\n.x");  // kept inline: never a hit
  ExpectSameFacts(memo.Measure(small), Fresh(small));
  ExpectSameFacts(memo.Measure(small), Fresh(small));
  EXPECT_EQ(memo.hits(), 0u);
  const absl::Cord empty;
  const BodyFacts e = memo.Measure(empty);
  ExpectSameFacts(e, Fresh(empty));
  EXPECT_EQ(e.wire_size, 0u);
  EXPECT_TRUE(e.complete);
  ExpectSameFacts(memo.Measure(absl::Cord()), e);
}

TEST(BodyMeterMemoTest, TheMemoKeepsItsBodyAlive) {
  BodyMeterMemo memo;
  BodyFacts first;
  absl::Cord survivor;
  {
    absl::Cord body(Text('z'));
    first = memo.Measure(body);
    survivor = body;
  }  // `body` is gone; the memo and `survivor` still share its chunks
  ExpectSameFacts(memo.Measure(survivor), first);
  EXPECT_EQ(memo.hits(), 1u);
}

TEST(SameChunksTest, IdentityNotEquality) {
  const absl::Cord a(Text('a'));
  EXPECT_TRUE(SameChunks(a, absl::Cord(a)));
  EXPECT_FALSE(SameChunks(a, absl::Cord(Text('a'))));
  EXPECT_TRUE(SameChunks(absl::Cord(), absl::Cord()));
  absl::Cord two = a;
  two.Append(absl::Cord(Text('b')));
  absl::Cord two_copy = two;
  EXPECT_TRUE(SameChunks(two, two_copy));
  EXPECT_FALSE(SameChunks(a, two));
}

}  // namespace
}  // namespace smtpcore
