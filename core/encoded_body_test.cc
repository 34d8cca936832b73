// Tests for EncodedBody (core/encoded_body.h) and its two users: the facts
// the precheck reads from it (FactsOfEncoding, against BodyMeter) and the
// connection's DATA / BDAT that take it instead of bytes (the same octets on
// the wire, the same refusals, nothing taken on a refusal).

#include "core/encoded_body.h"

#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/connection.h"
#include "core/delivery_precheck.h"
#include "core/dot_stuffer.h"
#include "core/errors.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

Instant T(double seconds) { return InstantFromSeconds(seconds); }

DotStufferOptions Mode(bool data) {
  DotStufferOptions o;
  o.stuff_dots = data;
  o.terminator = data;
  o.normalize = true;
  o.line_endings = LineEndingPolicy::kNormalize;
  return o;
}

// Bodies with every line-ending and dot case at the edges, 8-bit octets,
// and one too large to be inline in a Cord.
std::vector<std::string> Bodies() {
  std::vector<std::string> bodies = {
      "",        ".",          "\r",         "\n",       "\r\n",
      "a",       ".a\r\n",     "a\r\n.\r\n", "a\n.\nb",  "a\r.\rb\r",
      "\r\r\n.", "..\n..\r\n", "x\xc3\xa9y", "end\r\n.", "a\r\n\r\n.b"};
  std::string big;
  for (int i = 0; i < 300; ++i) {
    big += i % 7 == 0 ? ".dotted line\r\n" : "plain text line\r\n";
    if (i % 50 == 3) big += "bare lf\n";
    if (i % 61 == 5) big += "bare cr\r";
  }
  big += ".last";
  bodies.push_back(big);
  return bodies;
}

// Cuts returns `body` as a Cord of up to three chunks cut at `a` and `b`.
absl::Cord Cut(absl::string_view body, size_t a, size_t b) {
  absl::Cord c;
  c.Append(std::string(body.substr(0, a)));
  c.Append(std::string(body.substr(a, b - a)));
  c.Append(std::string(body.substr(b)));
  return c;
}

std::string Join(const std::vector<IoSlice>& slices) {
  std::string out;
  for (const IoSlice& s : slices) out.append(s.data, s.size);
  return out;
}

uint64_t FinishedOutputOf(const EncodedBody& e) {
  return e.FinishedStats().output_bytes;
}

BodyFacts Metered(const absl::Cord& body) {
  BodyMeter meter;
  meter.Add(body);
  meter.Finish();
  return meter.facts();
}

// Every body, cut at every pair of points (the big one at a few), in both
// modes: the facts are the BodyMeter's, and the slices plus the finished
// tail are the bytes a fresh DotStuffer gives.
TEST(EncodedBodyTest, FactsAndBytesMatchMeterAndEncoder) {
  for (const std::string& text : Bodies()) {
    const size_t n = text.size();
    const size_t step = n > 64 ? n / 9 : 1;
    for (size_t a = 0; a <= n; a += step) {
      for (size_t b = a; b <= n; b += step) {
        const absl::Cord body = Cut(text, a, b);
        const BodyFacts metered = Metered(body);
        for (bool data : {true, false}) {
          SCOPED_TRACE(absl::StrCat("body of ", n, " cut ", a, "/", b,
                                    data ? " DATA" : " BDAT"));
          absl::StatusOr<std::shared_ptr<EncodedBody>> e =
              EncodedBody::Encode(body, Mode(data));
          ASSERT_TRUE(e.ok()) << e.status();
          const BodyFacts f = FactsOfEncoding(**e);
          EXPECT_EQ(f.input_size, metered.input_size);
          EXPECT_EQ(f.wire_size, metered.wire_size);
          EXPECT_EQ(f.bare_line_endings, metered.bare_line_endings);
          EXPECT_EQ(f.eight_bit, metered.eight_bit);
          EXPECT_EQ(f.dots_stuffed, data ? metered.dots_stuffed : 0u);
          EXPECT_EQ(f.chunks, metered.chunks);
          EXPECT_TRUE(f.complete);
          EXPECT_LE((*e)->slices_size() + 1, DataSliceBound(f, data));

          DotStuffer fresh(Mode(data));
          std::vector<IoSlice> want;
          ASSERT_TRUE(fresh.EncodeCord(body, &want).ok());
          fresh.Finish(&want);

          EncodedBody::Parts parts = (*e)->Take();
          EXPECT_TRUE((*e)->spent());
          parts.stuffer.Finish(&parts.slices);
          EXPECT_EQ(Join(parts.slices), Join(want));
          EXPECT_EQ(parts.stuffer.stats().output_bytes,
                    fresh.stats().output_bytes);
        }
      }
    }
  }
}

// Zero copy: the slices of a large body point into the caller's chunks, and
// the encoding keeps them alive after the caller's Cord is gone.
TEST(EncodedBodyTest, SlicesPointIntoTheCallersChunks) {
  static const std::string* text =
      new std::string(std::string(5000, 'a') + "\r\n");
  bool released = false;
  std::shared_ptr<EncodedBody> e;
  {
    absl::Cord body =
        absl::MakeCordFromExternal(*text, [&released] { released = true; });
    e = *EncodedBody::Encode(body, Mode(true));
  }
  EXPECT_FALSE(released);
  EncodedBody::Parts parts = e->Take();
  ASSERT_EQ(parts.slices.size(), 1u);
  EXPECT_EQ(parts.slices[0].data, text->data());
  e.reset();
  EXPECT_FALSE(released);  // the parts' owner holds the chunk
  parts.owner.reset();
  EXPECT_TRUE(released);
}

TEST(EncodedBodyTest, SecondTakeIsEmpty) {
  std::shared_ptr<EncodedBody> e =
      *EncodedBody::Encode(absl::Cord("hello\r\n"), Mode(true));
  EncodedBody::Parts first = e->Take();
  EXPECT_EQ(Join(first.slices), "hello\r\n");
  EncodedBody::Parts second = e->Take();
  EXPECT_EQ(second.owner, nullptr);
  EXPECT_TRUE(second.slices.empty());
}

TEST(EncodedBodyTest, RejectPolicyFailsLikeTheEncoder) {
  DotStufferOptions o = Mode(true);
  o.line_endings = LineEndingPolicy::kReject;
  absl::StatusOr<std::shared_ptr<EncodedBody>> e =
      EncodedBody::Encode(absl::Cord("a\nb"), o);
  EXPECT_EQ(GetErrorDetail(e.status()), ErrorDetail::kBareLineEnding);
}

// --- The connection's side -------------------------------------------------

constexpr absl::string_view kGreeting = "220 mx.example.org ESMTP\r\n";

std::string Drain(Connection& c, Instant now) {
  std::string out;
  IoSlice slices[16];
  for (;;) {
    const size_t n = c.PollTransmit(absl::MakeSpan(slices));
    if (n == 0) return out;
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) {
      out.append(slices[i].data, slices[i].size);
      bytes += slices[i].size;
    }
    c.ConsumeTransmit(bytes, now);
  }
}

// ReadyForData: greeted, (E)HLO skipped, MAIL and RCPT accepted.
std::unique_ptr<Connection> ReadyForData(ConnectionOptions o = {}) {
  auto c = std::make_unique<Connection>(o, T(0));
  EXPECT_TRUE(c->Receive(kGreeting, T(0)).ok());
  EXPECT_TRUE(c->Submit(MailFrom{"a@example.org", {}}, T(0)).ok());
  Drain(*c, T(0));
  EXPECT_TRUE(c->Receive("250 ok\r\n", T(0)).ok());
  EXPECT_TRUE(c->Submit(RcptTo{"b@example.org", {}}, T(0)).ok());
  Drain(*c, T(0));
  EXPECT_TRUE(c->Receive("250 ok\r\n", T(0)).ok());
  return c;
}

// SendData returns what goes on the wire after DATA's 354 for `command`.
std::string SendData(Data command) {
  std::unique_ptr<Connection> c = ReadyForData();
  absl::StatusOr<CommandId> id = c->Submit(std::move(command), T(0));
  EXPECT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(Drain(*c, T(0)), "DATA\r\n");
  EXPECT_TRUE(c->Receive("354 go\r\n", T(0)).ok());
  return Drain(*c, T(0));
}

// SendBdat returns what goes on the wire for `command` (a BDAT LAST).
std::string SendBdat(Bdat command) {
  std::unique_ptr<Connection> c = ReadyForData();
  absl::StatusOr<CommandId> id = c->Submit(std::move(command), T(0));
  EXPECT_TRUE(id.ok()) << id.status();
  return Drain(*c, T(0));
}

TEST(EncodedBodyTest, ConnectionSendsTheSameBytes) {
  for (const std::string& text : Bodies()) {
    SCOPED_TRACE(absl::StrCat("body of ", text.size()));
    const absl::Cord body = Cut(text, text.size() / 3, text.size() / 2);
    Data plain{body, false};
    Data encoded;
    encoded.encoded = *EncodedBody::Encode(body, Mode(true));
    EXPECT_EQ(SendData(std::move(encoded)), SendData(std::move(plain)));

    Bdat plain_bdat{body, true, true};
    Bdat encoded_bdat;
    encoded_bdat.last = true;
    encoded_bdat.encoded = *EncodedBody::Encode(body, Mode(false));
    EXPECT_EQ(SendBdat(std::move(encoded_bdat)),
              SendBdat(std::move(plain_bdat)));
  }
}

// A refused Submit takes nothing: the encoding can still be sent.
TEST(EncodedBodyTest, ConnectionRefusalsLeaveTheEncodingUnspent) {
  std::unique_ptr<Connection> c = ReadyForData();
  std::shared_ptr<EncodedBody> for_data =
      *EncodedBody::Encode(absl::Cord(".a\r\n"), Mode(true));
  std::shared_ptr<EncodedBody> for_bdat =
      *EncodedBody::Encode(absl::Cord(".a\r\n"), Mode(false));

  Data wrong_mode;
  wrong_mode.encoded = for_bdat;
  EXPECT_EQ(GetErrorDetail(c->Submit(wrong_mode, T(0)).status()),
            ErrorDetail::kInvalidArgument);
  Data with_bytes{absl::Cord("x"), false};
  with_bytes.encoded = for_data;
  EXPECT_EQ(GetErrorDetail(c->Submit(with_bytes, T(0)).status()),
            ErrorDetail::kInvalidArgument);
  Data streamed{absl::Cord(), true};
  streamed.encoded = for_data;
  EXPECT_EQ(GetErrorDetail(c->Submit(streamed, T(0)).status()),
            ErrorDetail::kInvalidArgument);
  Bdat bdat_wrong_mode;
  bdat_wrong_mode.last = true;
  bdat_wrong_mode.encoded = for_data;
  EXPECT_EQ(GetErrorDetail(c->Submit(bdat_wrong_mode, T(0)).status()),
            ErrorDetail::kInvalidArgument);
  Bdat not_last;
  not_last.encoded = for_bdat;
  EXPECT_EQ(GetErrorDetail(c->Submit(not_last, T(0)).status()),
            ErrorDetail::kInvalidArgument);
  Bdat binary;  // encoded normalising, sent as BINARYMIME
  binary.last = true;
  binary.normalize = false;
  binary.encoded = for_bdat;
  EXPECT_EQ(GetErrorDetail(c->Submit(binary, T(0)).status()),
            ErrorDetail::kInvalidArgument);
  EXPECT_FALSE(for_data->spent());
  EXPECT_FALSE(for_bdat->spent());
  EXPECT_EQ(Drain(*c, T(0)), "");

  Data good;
  good.encoded = for_data;
  ASSERT_TRUE(c->Submit(good, T(0)).ok());
  EXPECT_TRUE(for_data->spent());
  EXPECT_EQ(Drain(*c, T(0)), "DATA\r\n");
  ASSERT_TRUE(c->Receive("354 go\r\n", T(0)).ok());
  EXPECT_EQ(Drain(*c, T(0)), "..a\r\n.\r\n");
  ASSERT_TRUE(c->Receive("250 queued\r\n", T(0)).ok());
  // Spent: refused, whatever the state.
  ASSERT_TRUE(c->Submit(MailFrom{"a@example.org", {}}, T(0)).ok());
  Data again;
  again.encoded = for_data;
  EXPECT_EQ(GetErrorDetail(c->Submit(again, T(0)).status()),
            ErrorDetail::kInvalidArgument);
}

// An encoded BDAT cannot follow a chunk of the same message.
TEST(EncodedBodyTest, EncodedBdatAfterAChunkIsWrongState) {
  std::unique_ptr<Connection> c = ReadyForData();
  ASSERT_TRUE(c->Submit(Bdat{absl::Cord("first\r\n"), false}, T(0)).ok());
  Bdat rest;
  rest.last = true;
  rest.encoded = *EncodedBody::Encode(absl::Cord("b\r\n"), Mode(false));
  EXPECT_EQ(GetErrorDetail(c->Submit(rest, T(0)).status()),
            ErrorDetail::kWrongState);
  EXPECT_FALSE(rest.encoded->spent());
}

// Under LineEndingPolicy::kReject the connection judges an encoded body as
// it judges bytes: a bare LF or CR anywhere, or a final CR, refuses it.
TEST(EncodedBodyTest, ConnectionRejectPolicyJudgesTheEncoding) {
  ConnectionOptions o;
  o.line_endings = LineEndingPolicy::kReject;
  for (absl::string_view text : {"a\nb\r\n", "a\rb\r\n", "a\r\nb\r"}) {
    SCOPED_TRACE(text);
    std::unique_ptr<Connection> c = ReadyForData(o);
    Data plain{absl::Cord(text), false};
    EXPECT_EQ(GetErrorDetail(c->Submit(plain, T(0)).status()),
              ErrorDetail::kBareLineEnding);
    Data data;
    data.encoded = *EncodedBody::Encode(absl::Cord(text), Mode(true));
    EXPECT_EQ(GetErrorDetail(c->Submit(data, T(0)).status()),
              ErrorDetail::kBareLineEnding);
    EXPECT_FALSE(data.encoded->spent());
    Bdat bdat;
    bdat.last = true;
    bdat.encoded = *EncodedBody::Encode(absl::Cord(text), Mode(false));
    EXPECT_EQ(GetErrorDetail(c->Submit(bdat, T(0)).status()),
              ErrorDetail::kBareLineEnding);
    EXPECT_EQ(Drain(*c, T(0)), "");
  }
  std::unique_ptr<Connection> c = ReadyForData(o);
  Data fine;
  fine.encoded = *EncodedBody::Encode(absl::Cord("a\r\nb\r\n"), Mode(true));
  EXPECT_TRUE(c->Submit(fine, T(0)).ok());
}

// --- Copies (rule 5) ---------------------------------------------------------

// Wire returns the bytes `e` sends: its slices, then its encoder's Finish
// tail. Spends `e`.
std::string Wire(EncodedBody& e) {
  EncodedBody::Parts parts = e.Take();
  parts.stuffer.Finish(&parts.slices);
  return Join(parts.slices);
}

// Fresh returns the bytes a new DotStuffer makes of `body`.
std::string Fresh(const absl::Cord& body, const DotStufferOptions& o) {
  DotStuffer fresh(o);
  std::vector<IoSlice> out;
  EXPECT_TRUE(fresh.EncodeCord(body, &out).ok());
  fresh.Finish(&out);
  return Join(out);
}

// The largest body an absl::Cord keeps inside its own object.
constexpr size_t kMaxInline = 15;

// Every body, cut in three chunks at a few points, plus one of many chunks:
// a copy (and a copy of the copy) sends exactly what the original sends,
// which is what a fresh encoder makes, in both modes; only bodies small
// enough to be inline are refused.
TEST(EncodedBodyCopyTest, ACopySendsTheSameBytes) {
  std::vector<absl::Cord> bodies;
  for (const std::string& text : Bodies()) {
    const size_t n = text.size();
    const size_t step = n > 64 ? n / 4 : 1;
    for (size_t a = 0; a <= n; a += step) {
      bodies.push_back(Cut(text, a, a + (n - a) / 2));
    }
  }
  absl::Cord many;
  for (int i = 0; i < 40; ++i) {
    many.Append(absl::Cord(Bodies().back()));
    many.Append(i % 2 == 0 ? "\n.odd\r" : "tail without CRLF");
  }
  bodies.push_back(many);
  for (const absl::Cord& body : bodies) {
    for (bool data : {true, false}) {
      SCOPED_TRACE(
          absl::StrCat("body of ", body.size(), " in ",
                       std::distance(body.chunk_begin(), body.chunk_end()),
                       " chunks", data ? " DATA" : " BDAT"));
      std::shared_ptr<EncodedBody> original =
          *EncodedBody::Encode(body, Mode(data));
      std::shared_ptr<EncodedBody> copy = EncodedBody::Copy(*original);
      if (copy == nullptr) {
        EXPECT_GT(body.size(), 0u);
        EXPECT_LE(body.size(), kMaxInline);
        continue;
      }
      EXPECT_FALSE(copy->spent());
      EXPECT_FALSE(original->spent());  // Copy does not change it
      EXPECT_EQ(copy->options(), original->options());
      EXPECT_EQ(copy->chunks(), original->chunks());
      EXPECT_EQ(copy->slices_size(), original->slices_size());
      EXPECT_EQ(FinishedOutputOf(*copy), FinishedOutputOf(*original));
      std::shared_ptr<EncodedBody> copy2 = EncodedBody::Copy(*copy);
      ASSERT_NE(copy2, nullptr);
      const std::string want = Fresh(body, Mode(data));
      EXPECT_EQ(Wire(*copy), want);
      EXPECT_EQ(Wire(*copy2), want);
      EXPECT_EQ(Wire(*original), want);
    }
  }
}

TEST(EncodedBodyCopyTest, LargeBodiesAreNeverRefused) {
  for (const std::string& text : Bodies()) {
    if (text.size() <= kMaxInline) continue;
    for (bool data : {true, false}) {
      std::shared_ptr<EncodedBody> e =
          *EncodedBody::Encode(absl::Cord(text), Mode(data));
      EXPECT_NE(EncodedBody::Copy(*e), nullptr) << text.size();
    }
  }
}

// A copy keeps the chunks alive: it is still valid, and sends the same
// bytes, after the original encoding and the caller's Cord are gone; the
// external memory is released only when the last copy goes.
TEST(EncodedBodyCopyTest, ACopyOutlivesTheOriginalAndTheCallersCord) {
  static const std::string* text = new std::string(
      ".first\r\n" + std::string(3000, 'a') + "\nbare lf\r\n.dot\rno crlf");
  for (bool data : {true, false}) {
    SCOPED_TRACE(data ? "DATA" : "BDAT");
    bool released = false;
    std::shared_ptr<EncodedBody> copy;
    std::string want;
    {
      absl::Cord body =
          absl::MakeCordFromExternal(*text, [&released] { released = true; });
      body.Append(absl::Cord(std::string(100, 'z')));  // a second chunk
      want = Fresh(body, Mode(data));
      std::shared_ptr<EncodedBody> original =
          *EncodedBody::Encode(body, Mode(data));
      copy = EncodedBody::Copy(*original);
      ASSERT_NE(copy, nullptr);
      EXPECT_EQ(Wire(*original), want);
    }  // the original and the caller's Cord are gone
    EXPECT_FALSE(released);
    EncodedBody::Parts parts = copy->Take();
    copy.reset();
    EXPECT_FALSE(released);  // the parts' owner holds the chunks
    ASSERT_FALSE(parts.slices.empty());
    parts.stuffer.Finish(&parts.slices);
    EXPECT_EQ(Join(parts.slices), want);
    parts.owner.reset();
    EXPECT_TRUE(released);
  }
}

// The connection sends a copy as it sends the original.
TEST(EncodedBodyCopyTest, ConnectionSendsACopy) {
  const absl::Cord body(Bodies().back());
  std::shared_ptr<EncodedBody> for_data =
      *EncodedBody::Encode(body, Mode(true));
  std::shared_ptr<EncodedBody> for_bdat =
      *EncodedBody::Encode(body, Mode(false));
  for (int i = 0; i < 2; ++i) {
    Data data;
    data.encoded = EncodedBody::Copy(*for_data);
    ASSERT_NE(data.encoded, nullptr);
    EXPECT_EQ(SendData(std::move(data)), SendData(Data{body, false}));
    Bdat bdat;
    bdat.last = true;
    bdat.encoded = EncodedBody::Copy(*for_bdat);
    ASSERT_NE(bdat.encoded, nullptr);
    EXPECT_EQ(SendBdat(std::move(bdat)), SendBdat(Bdat{body, true, true}));
  }
  EXPECT_FALSE(for_data->spent());
  EXPECT_FALSE(for_bdat->spent());
}

// Inline bytes live in the Cord object: a copy's would be elsewhere.
TEST(EncodedBodyCopyTest, AnInlineBodyIsRefused) {
  for (absl::string_view text : {"hi\r\n", ".x\n", "a", "fifteen octets."}) {
    for (bool data : {true, false}) {
      std::shared_ptr<EncodedBody> e =
          *EncodedBody::Encode(absl::Cord(text), Mode(data));
      EXPECT_EQ(EncodedBody::Copy(*e), nullptr) << text;
      EXPECT_FALSE(e->spent());
    }
  }
}

// An empty body has only static bytes (the end-of-data marker): copyable.
TEST(EncodedBodyCopyTest, AnEmptyBodyIsCopied) {
  for (bool data : {true, false}) {
    std::shared_ptr<EncodedBody> e =
        *EncodedBody::Encode(absl::Cord(), Mode(data));
    std::shared_ptr<EncodedBody> copy = EncodedBody::Copy(*e);
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(Wire(*copy), data ? ".\r\n" : "");
  }
}

TEST(EncodedBodyCopyTest, ASpentBodyIsRefused) {
  std::shared_ptr<EncodedBody> e =
      *EncodedBody::Encode(absl::Cord(Bodies().back()), Mode(true));
  ASSERT_NE(EncodedBody::Copy(*e), nullptr);
  e->Take();
  EXPECT_EQ(EncodedBody::Copy(*e), nullptr);
}

}  // namespace
}  // namespace smtpcore
