// Tests for BodyMeterMemo: a body is measured once while the same chunks
// come back, and measured afresh (with the same answer as a new BodyMeter)
// otherwise; a remembered encoding is handed out as a fresh copy on a hit
// with the same encoder options, and never otherwise.

#include "core/body_meter_memo.h"

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "core/delivery_precheck.h"
#include "core/dot_stuffer.h"
#include "core/encoded_body.h"
#include "core/io_slice.h"
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

// --- The remembered encoding ------------------------------------------------

DotStufferOptions Mode(bool data) {
  DotStufferOptions o;
  o.stuff_dots = data;
  o.terminator = data;
  return o;
}

// Wire returns the bytes `e` sends (slices, then the Finish tail); spends it.
std::string Wire(EncodedBody& e) {
  EncodedBody::Parts parts = e.Take();
  parts.stuffer.Finish(&parts.slices);
  std::string out;
  for (const IoSlice& s : parts.slices) out.append(s.data, s.size);
  return out;
}

// Remember encodes `body` as the delivery flow does and remembers a copy.
std::shared_ptr<EncodedBody> EncodeAndRemember(BodyMeterMemo& memo,
                                               const absl::Cord& body,
                                               bool data) {
  std::shared_ptr<EncodedBody> e = *EncodedBody::Encode(body, Mode(data));
  memo.Remember(body, FactsOfEncoding(*e), e.get());
  return e;
}

TEST(BodyMeterMemoEncodingTest, AHitHandsOutAFreshCopyEachTime) {
  for (bool data : {true, false}) {
    SCOPED_TRACE(data ? "DATA" : "BDAT");
    BodyMeterMemo memo;
    const absl::Cord body(Text('e'));
    std::shared_ptr<EncodedBody> original = EncodeAndRemember(memo, body, data);
    EXPECT_TRUE(memo.has_encoding());
    const std::string want = Wire(*original);  // the original is sent
    for (int i = 1; i <= 3; ++i) {
      const DotStufferOptions o = Mode(data);
      std::shared_ptr<EncodedBody> copy;
      const BodyFacts* facts = memo.Find(absl::Cord(body), &o, &copy);
      ASSERT_NE(facts, nullptr);
      ExpectSameFacts(*facts,
                      FactsOfEncoding(**EncodedBody::Encode(body, Mode(data))));
      ASSERT_NE(copy, nullptr);
      EXPECT_FALSE(copy->spent());
      EXPECT_EQ(Wire(*copy), want);
      EXPECT_EQ(memo.hits(), static_cast<uint64_t>(i));
      EXPECT_EQ(memo.encoding_hits(), static_cast<uint64_t>(i));
    }
  }
}

TEST(BodyMeterMemoEncodingTest, OtherOptionsGetTheFactsButNoEncoding) {
  BodyMeterMemo memo;
  const absl::Cord body(Text('o'));
  EncodeAndRemember(memo, body, /*data=*/true);
  DotStufferOptions reject = Mode(true);
  reject.line_endings = LineEndingPolicy::kReject;
  DotStufferOptions binary = Mode(false);
  binary.normalize = false;
  for (const DotStufferOptions& o : {Mode(false), reject, binary}) {
    std::shared_ptr<EncodedBody> copy =  // not null before the call
        *EncodedBody::Encode(absl::Cord(), Mode(true));
    EXPECT_NE(memo.Find(body, &o, &copy), nullptr);
    EXPECT_EQ(copy, nullptr);  // set to null, not left as it was
  }
  std::shared_ptr<EncodedBody> copy;
  EXPECT_NE(memo.Find(body, nullptr, &copy), nullptr);  // BINARYMIME
  EXPECT_EQ(copy, nullptr);
  EXPECT_EQ(memo.hits(), 4u);
  EXPECT_EQ(memo.encoding_hits(), 0u);
}

TEST(BodyMeterMemoEncodingTest, EqualBytesElsewhereAreAMiss) {
  BodyMeterMemo memo;
  const absl::Cord a(Text('m'));
  EncodeAndRemember(memo, a, /*data=*/true);
  const absl::Cord b(Text('m'));
  ASSERT_EQ(a, b);
  const DotStufferOptions o = Mode(true);
  std::shared_ptr<EncodedBody> copy;
  EXPECT_EQ(memo.Find(b, &o, &copy), nullptr);
  EXPECT_EQ(copy, nullptr);
  EXPECT_EQ(memo.hits(), 0u);
  EXPECT_EQ(memo.encoding_hits(), 0u);
}

TEST(BodyMeterMemoEncodingTest, WhatCannotBeATemplateIsNotKept) {
  BodyMeterMemo memo;
  const absl::Cord body(Text('t'));
  // An encoding of another body (equal bytes, other chunks).
  std::shared_ptr<EncodedBody> other =
      *EncodedBody::Encode(absl::Cord(Text('t')), Mode(true));
  memo.Remember(body, Fresh(body), other.get());
  EXPECT_FALSE(memo.has_encoding());
  // A spent one.
  std::shared_ptr<EncodedBody> spent = *EncodedBody::Encode(body, Mode(true));
  spent->Take();
  memo.Remember(body, Fresh(body), spent.get());
  EXPECT_FALSE(memo.has_encoding());
  // An inline body's.
  const absl::Cord small("hi\r\n");
  std::shared_ptr<EncodedBody> inline_e =
      *EncodedBody::Encode(small, Mode(true));
  memo.Remember(small, Fresh(small), inline_e.get());
  EXPECT_FALSE(memo.has_encoding());
  // None; and Measure forgets the previous one.
  EncodeAndRemember(memo, body, true);
  EXPECT_TRUE(memo.has_encoding());
  memo.Remember(body, Fresh(body));
  EXPECT_FALSE(memo.has_encoding());
  EncodeAndRemember(memo, body, true);
  memo.Measure(absl::Cord(Text('u')));
  EXPECT_FALSE(memo.has_encoding());
}

// The template is the memo's own: sending the original (or every copy)
// leaves it usable, and it keeps the chunks alive after the caller's Cord.
TEST(BodyMeterMemoEncodingTest, TheTemplateIsNeverSpent) {
  BodyMeterMemo memo;
  absl::Cord survivor;
  std::string want;
  {
    const absl::Cord body(Text('s'));
    std::shared_ptr<EncodedBody> original =
        EncodeAndRemember(memo, body, /*data=*/false);
    want = Wire(*original);
    survivor = body;
  }
  for (int i = 0; i < 2; ++i) {
    const DotStufferOptions o = Mode(false);
    std::shared_ptr<EncodedBody> copy;
    ASSERT_NE(memo.Find(survivor, &o, &copy), nullptr);
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(Wire(*copy), want);
  }
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
