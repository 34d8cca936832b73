// Tests for DotStuffer: exact bytes for the corner cases, then property tests
// (seeded PRNG, every kernel the CPU has, random chunkings) against the
// reference encoder and decoder of core/dot_stuffer_test_util.h (written from
// RFC 5321 §4.5.2, independent of the implementation).

#include "core/dot_stuffer.h"
#include "core/internal/dot_stuffer_kernels.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/errors.h"
#include "core/dot_stuffer_test_util.h"
#include "core/io_slice.h"
#include "gtest/gtest.h"

namespace smtpcore {
namespace {

using internal::DotStufferKernel;
using test_util::RefEncode;
using test_util::RefNormalize;
using test_util::RefResult;
using test_util::RefUnstuff;

constexpr DotStufferKernel kAllKernels[] = {
    DotStufferKernel::kScalar, DotStufferKernel::kSwar, DotStufferKernel::kAvx2,
    DotStufferKernel::kAvx512};

std::vector<DotStufferKernel> SupportedKernels() {
  std::vector<DotStufferKernel> kernels;
  for (DotStufferKernel k : kAllKernels) {
    if (internal::DotStufferKernelSupported(k)) kernels.push_back(k);
  }
  return kernels;
}

// KernelScope selects a kernel and restores the default when it goes away.
class KernelScope {
 public:
  explicit KernelScope(DotStufferKernel kernel) {
    EXPECT_TRUE(internal::SetDotStufferKernelForTesting(kernel));
  }
  ~KernelScope() {
    internal::SetDotStufferKernelForTesting(internal::BestDotStufferKernel());
  }
};

DotStufferOptions DataOptions() { return DotStufferOptions(); }

DotStufferOptions BdatOptions() {
  DotStufferOptions o;
  o.stuff_dots = false;
  o.terminator = false;
  return o;
}

DotStufferOptions BinaryOptions() {
  DotStufferOptions o = BdatOptions();
  o.normalize = false;
  return o;
}

// Chunk owns an exactly sized heap copy of a chunk, so that ASan reports any
// read past its end.
struct Chunk {
  explicit Chunk(absl::string_view s)
      : bytes(s.empty() ? nullptr : new char[s.size()]), size(s.size()) {
    // An empty chunk has data() == nullptr.
    if (!s.empty()) std::memcpy(bytes.get(), s.data(), s.size());
  }
  absl::string_view view() const {
    return absl::string_view(bytes.get(), size);
  }
  std::unique_ptr<char[]> bytes;
  size_t size;
};

std::vector<Chunk> MakeChunks(const std::vector<std::string>& parts) {
  std::vector<Chunk> chunks;
  for (const std::string& p : parts) chunks.emplace_back(p);
  return chunks;
}

struct EncodeResult {
  absl::Status status;      // first failure, or OK
  size_t failed_chunk = 0;  // index of the failing chunk
  std::string wire;         // bytes appended, Finish included on success
  DotStufferStats stats;
};

// EncodeSlices runs Encode over `parts` then Finish, and checks at each step
// that a failing call appends nothing and leaves the state unchanged.
EncodeResult EncodeSlices(const DotStufferOptions& options,
                          const std::vector<std::string>& parts) {
  std::vector<Chunk> chunks = MakeChunks(parts);
  DotStuffer stuffer(options);
  std::vector<IoSlice> slices;
  EncodeResult r;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const size_t before = slices.size();
    const DotStufferStats stats = stuffer.stats();
    const bool ls = stuffer.at_line_start();
    const bool cr = stuffer.pending_cr();
    absl::Status s = stuffer.Encode(chunks[i].view(), &slices);
    if (!s.ok()) {
      EXPECT_EQ(slices.size(), before);
      EXPECT_EQ(stuffer.stats().output_bytes, stats.output_bytes);
      EXPECT_EQ(stuffer.stats().input_bytes, stats.input_bytes);
      EXPECT_EQ(stuffer.stats().bare_lf, stats.bare_lf);
      EXPECT_EQ(stuffer.stats().bare_cr, stats.bare_cr);
      EXPECT_EQ(stuffer.stats().long_lines, stats.long_lines);
      EXPECT_EQ(stuffer.stats().dots_stuffed, stats.dots_stuffed);
      EXPECT_EQ(stuffer.at_line_start(), ls);
      EXPECT_EQ(stuffer.pending_cr(), cr);
      r.status = s;
      r.failed_chunk = i;
      AppendSlices(slices, &r.wire);
      r.stats = stuffer.stats();
      return r;
    }
  }
  stuffer.Finish(&slices);
  AppendSlices(slices, &r.wire);
  r.stats = stuffer.stats();
  return r;
}

// EncodeCopied is EncodeSlices with EncodeCopy/FinishCopy.
EncodeResult EncodeCopied(const DotStufferOptions& options,
                          const std::vector<std::string>& parts) {
  std::vector<Chunk> chunks = MakeChunks(parts);
  DotStuffer stuffer(options);
  EncodeResult r;
  for (size_t i = 0; i < chunks.size(); ++i) {
    // Exactly the promised room, on the heap, so ASan checks the bound.
    const size_t room = DotStuffer::MaxEncodedSize(chunks[i].size);
    std::unique_ptr<char[]> buf(new char[room]);
    size_t written = 12345;
    absl::Status s = stuffer.EncodeCopy(chunks[i].view(), buf.get(), &written);
    if (!s.ok()) {
      EXPECT_EQ(written, 0u);
      r.status = s;
      r.failed_chunk = i;
      r.stats = stuffer.stats();
      return r;
    }
    EXPECT_LE(written, room);
    r.wire.append(buf.get(), written);
  }
  char tail[5];
  r.wire.append(tail, stuffer.FinishCopy(tail));
  r.stats = stuffer.stats();
  return r;
}

std::string Wire(const DotStufferOptions& options,
                 const std::vector<std::string>& parts) {
  EncodeResult r = EncodeSlices(options, parts);
  EXPECT_TRUE(r.status.ok()) << r.status;
  return r.wire;
}

std::string Esc(absl::string_view s) { return absl::CEscape(s); }

// ---------------------------------------------------------------------------
// Exact bytes.

TEST(DotStufferTest, EmptyBody) {
  EXPECT_EQ(Wire(DataOptions(), {}), ".\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"", ""}), ".\r\n");
}

TEST(DotStufferTest, BodyWithoutFinalNewline) {
  EXPECT_EQ(Wire(DataOptions(), {"abc"}), "abc\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"a\r\nbc"}), "a\r\nbc\r\n.\r\n");
}

TEST(DotStufferTest, BodyWithFinalCrlf) {
  EXPECT_EQ(Wire(DataOptions(), {"abc\r\n"}), "abc\r\n.\r\n");
}

TEST(DotStufferTest, LeadingDotAtBodyStart) {
  // The very first body byte starts a line (§4.5.2).
  EXPECT_EQ(Wire(DataOptions(), {".abc\r\n"}), "..abc\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"."}), "..\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {".\r\n"}), "..\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"", ".x"}), "..x\r\n.\r\n");
}

TEST(DotStufferTest, LeadingDotAfterEachKindOfLineBreak) {
  EXPECT_EQ(Wire(DataOptions(), {"a\r\n.b\r\n"}), "a\r\n..b\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"a\n.b\n"}), "a\r\n..b\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"a\r.b\r"}), "a\r\n..b\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"a.b\r\n"}), "a.b\r\n.\r\n");   // not at start
  EXPECT_EQ(Wire(DataOptions(), {"...\r\n"}), "....\r\n.\r\n");  // one dot more
}

TEST(DotStufferTest, SmugglingSequencesAreNeutralised) {
  EXPECT_EQ(Wire(DataOptions(), {"\n.\n"}), "\r\n..\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"\r\n.\n"}), "\r\n..\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"\n.\r\n"}), "\r\n..\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"\r.\r"}), "\r\n..\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"x\r\n.\r\nMAIL FROM:<a@b>\r\n"}),
            "x\r\n..\r\nMAIL FROM:<a@b>\r\n.\r\n");
}

TEST(DotStufferTest, CrCrLf) {
  EXPECT_EQ(Wire(DataOptions(), {"a\r\r\nb"}), "a\r\n\r\nb\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"\r\r"}), "\r\n\r\n.\r\n");
}

TEST(DotStufferTest, LoneCrAtChunkEnd) {
  // Followed by LF: a CRLF split across chunks.
  EXPECT_EQ(Wire(DataOptions(), {"a\r", "\nb\r\n"}), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"a\r", "\n.b\r\n"}), "a\r\n..b\r\n.\r\n");
  // Followed by something else: the CR was bare.
  EXPECT_EQ(Wire(DataOptions(), {"a\r", "b"}), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"a\r", ".b"}), "a\r\n..b\r\n.\r\n");
  EXPECT_EQ(Wire(DataOptions(), {"a\r", "\r"}), "a\r\n\r\n.\r\n");
  // Followed by an empty chunk, then LF.
  EXPECT_EQ(Wire(DataOptions(), {"a\r", "", "\n"}), "a\r\n.\r\n");
  // Followed by the end.
  EXPECT_EQ(Wire(DataOptions(), {"a\r"}), "a\r\n.\r\n");
  EXPECT_EQ(Wire(BdatOptions(), {"a\r"}), "a\r\n");
}

TEST(DotStufferTest, CrThenLfAcrossChunksCountsNoBareEnding) {
  EncodeResult r = EncodeSlices(DataOptions(), {"a\r", "\n"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.bare_cr, 0u);
  EXPECT_EQ(r.stats.bare_lf, 0u);
}

TEST(DotStufferTest, PendingCrAndLineStartAccessors) {
  DotStuffer s;
  std::vector<IoSlice> out;
  EXPECT_TRUE(s.at_line_start());
  ASSERT_TRUE(s.Encode("ab", &out).ok());
  EXPECT_FALSE(s.at_line_start());
  EXPECT_FALSE(s.pending_cr());
  ASSERT_TRUE(s.Encode("\r", &out).ok());
  EXPECT_TRUE(s.at_line_start());
  EXPECT_TRUE(s.pending_cr());
  ASSERT_TRUE(s.Encode("\n", &out).ok());
  EXPECT_TRUE(s.at_line_start());
  EXPECT_FALSE(s.pending_cr());
  ASSERT_TRUE(s.Encode("", &out).ok());  // an empty chunk changes nothing
  EXPECT_TRUE(s.at_line_start());
}

TEST(DotStufferTest, EightBitAndNul) {
  EncodeResult r = EncodeSlices(DataOptions(), {"caf\xc3\xa9\r\n"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.wire, "caf\xc3\xa9\r\n.\r\n");
  EXPECT_TRUE(r.stats.eight_bit);
  EXPECT_FALSE(r.stats.has_nul);

  const std::string with_nul("a\0b\r\n", 5);
  r = EncodeSlices(DataOptions(), {with_nul});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.wire, with_nul + ".\r\n");
  EXPECT_FALSE(r.stats.eight_bit);
  EXPECT_TRUE(r.stats.has_nul);

  r = EncodeSlices(DataOptions(), {"plain ascii\r\n"});
  EXPECT_FALSE(r.stats.eight_bit);
  EXPECT_FALSE(r.stats.has_nul);
}

TEST(DotStufferTest, EightBitAndNulSeenByEveryKernelAtEveryOffset) {
  for (DotStufferKernel k : SupportedKernels()) {
    KernelScope scope(k);
    for (size_t len : {1, 63, 64, 65, 130}) {
      for (size_t at = 0; at < len; ++at) {
        for (char c : {'\0', '\x80', '\xff'}) {
          std::string body(len, 'x');
          body[at] = c;
          EncodeResult r = EncodeSlices(DataOptions(), {body});
          ASSERT_TRUE(r.status.ok());
          EXPECT_EQ(r.stats.has_nul, c == '\0')
              << internal::DotStufferKernelName(k) << " " << len << " " << at;
          EXPECT_EQ(r.stats.eight_bit, c != '\0')
              << internal::DotStufferKernelName(k) << " " << len << " " << at;
        }
      }
    }
  }
}

TEST(DotStufferTest, StatsCountWhatHappened) {
  EncodeResult r = EncodeSlices(DataOptions(), {".a\nb\rc\r\n.d"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.wire, "..a\r\nb\r\nc\r\n..d\r\n.\r\n");
  EXPECT_EQ(r.stats.input_bytes, 10u);
  EXPECT_EQ(r.stats.output_bytes, r.wire.size());
  EXPECT_EQ(r.stats.dots_stuffed, 2u);
  EXPECT_EQ(r.stats.bare_lf, 1u);
  EXPECT_EQ(r.stats.bare_cr, 1u);
  EXPECT_EQ(r.stats.long_lines, 0u);
}

TEST(DotStufferTest, LongLinesIgnoredByDefault) {
  DotStufferOptions o;
  o.max_line_length = 3;
  EncodeResult r = EncodeSlices(o, {"abcdef\r\n"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.long_lines, 0u);
}

TEST(DotStufferTest, LongLinesReported) {
  DotStufferOptions o;
  o.long_lines = LongLinePolicy::kReport;
  o.max_line_length = 5;
  // 5 octets is fine, 6 is long; the stuffed dot does not count
  // (§4.5.3.1.6), CR and LF never count.
  EncodeResult r = EncodeSlices(o, {"12345\r\n.2345\r\n123456\r\n"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.wire, "12345\r\n..2345\r\n123456\r\n.\r\n");
  EXPECT_EQ(r.stats.long_lines, 1u);
  // A long line split across chunks is counted once, and lines end at bare
  // CR and bare LF too.
  r = EncodeSlices(o, {"123", "4567", "890\n1234567\r12"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.long_lines, 2u);
  EXPECT_EQ(r.wire, "1234567890\r\n1234567\r\n12\r\n.\r\n");
}

TEST(DotStufferTest, LongLinesRejected) {
  DotStufferOptions o;
  o.long_lines = LongLinePolicy::kReject;
  o.max_line_length = 5;
  DotStuffer s(o);
  std::vector<IoSlice> out;
  ASSERT_TRUE(s.Encode("12345\r\n123", &out).ok());
  const size_t slices = out.size();
  const DotStufferStats before = s.stats();
  absl::Status st = s.Encode("xyz\r\n", &out);  // line reaches 6 octets
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorDetail(st), ErrorDetail::kLineTooLong);
  EXPECT_EQ(out.size(), slices);
  EXPECT_EQ(s.stats().input_bytes, before.input_bytes);
  EXPECT_EQ(s.stats().output_bytes, before.output_bytes);
  EXPECT_FALSE(s.at_line_start());
  // The state is as before: two more octets still fit, then a break.
  ASSERT_TRUE(s.Encode("xy\r\n", &out).ok());
  s.Finish(&out);
  std::string wire;
  AppendSlices(out, &wire);
  EXPECT_EQ(wire, "12345\r\n123xy\r\n.\r\n");
}

TEST(DotStufferTest, LongLineLimitOfZero) {
  DotStufferOptions o;
  o.long_lines = LongLinePolicy::kReport;
  o.max_line_length = 0;
  EncodeResult r = EncodeSlices(o, {"\r\n\r\na\r\nbb"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.long_lines, 2u);
}

TEST(DotStufferTest, BareLineEndingsRejected) {
  DotStufferOptions o;
  o.line_endings = LineEndingPolicy::kReject;
  for (const char* bad : {"a\nb", "\n", "a\rb", "x\r\n\r.", "\r\r\n"}) {
    DotStuffer s(o);
    std::vector<IoSlice> out = {IoSlice{"sentinel", 8}};
    absl::Status st = s.Encode(bad, &out);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << Esc(bad);
    EXPECT_EQ(GetErrorDetail(st), ErrorDetail::kBareLineEnding) << Esc(bad);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].view(), "sentinel");
    EXPECT_EQ(s.stats().input_bytes, 0u);
    EXPECT_EQ(s.stats().bare_lf + s.stats().bare_cr, 0u);
    EXPECT_TRUE(s.at_line_start());
  }
  // CRLF split across chunks is fine; a CR resolved by the next chunk fails
  // that chunk and keeps the CR pending.
  EncodeResult r = EncodeSlices(o, {"a\r", "\nb\r\n"});
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.wire, "a\r\nb\r\n.\r\n");

  DotStuffer s(o);
  std::vector<IoSlice> out;
  ASSERT_TRUE(s.Encode("a\r", &out).ok());
  EXPECT_EQ(GetErrorDetail(s.Encode("b", &out)), ErrorDetail::kBareLineEnding);
  EXPECT_TRUE(s.pending_cr());
  ASSERT_TRUE(s.Encode("\nb", &out).ok());
  s.Finish(&out);
  std::string wire;
  AppendSlices(out, &wire);
  EXPECT_EQ(wire, "a\r\nb\r\n.\r\n");
}

TEST(DotStufferTest, RejectedBodyEndingInCrIsCompletedByFinish) {
  DotStufferOptions o;
  o.line_endings = LineEndingPolicy::kReject;
  DotStuffer s(o);
  std::vector<IoSlice> out;
  ASSERT_TRUE(s.Encode("a\r", &out).ok());
  EXPECT_TRUE(s.pending_cr());  // the caller can refuse here
  s.Finish(&out);
  std::string wire;
  AppendSlices(out, &wire);
  EXPECT_EQ(wire, "a\r\n.\r\n");
  EXPECT_EQ(s.stats().bare_cr, 1u);
}

TEST(DotStufferTest, FirstOffenceWinsWhenBothPoliciesReject) {
  DotStufferOptions o;
  o.line_endings = LineEndingPolicy::kReject;
  o.long_lines = LongLinePolicy::kReject;
  o.max_line_length = 3;
  EXPECT_EQ(GetErrorDetail(EncodeSlices(o, {"abcd\n"}).status),
            ErrorDetail::kLineTooLong);
  EXPECT_EQ(GetErrorDetail(EncodeSlices(o, {"ab\ncdef"}).status),
            ErrorDetail::kBareLineEnding);
  o.max_line_length = 0;  // the byte after a bare CR is both
  EXPECT_EQ(GetErrorDetail(EncodeSlices(o, {"\rx"}).status),
            ErrorDetail::kBareLineEnding);
}

TEST(DotStufferTest, BdatModeNormalisesWithoutStuffing) {
  EncodeResult r = EncodeSlices(BdatOptions(), {".a\nb\r", ".c\r\n."});
  ASSERT_TRUE(r.status.ok());
  // Finish ends the unterminated last line "." with CRLF.
  EXPECT_EQ(r.wire, ".a\r\nb\r\n.c\r\n.\r\n");
  EXPECT_EQ(r.stats.dots_stuffed, 0u);
  EXPECT_EQ(r.stats.output_bytes, r.wire.size());
  EXPECT_EQ(Wire(BdatOptions(), {}), "");
}

// DATA and BDAT deliver the same message: the CRLF before "." belongs to it
// (RFC 5321 §4.1.1.4), so BDAT adds it to an unterminated last line too;
// BINARYMIME stays byte-exact.
TEST(DotStufferTest, BdatEndsUnterminatedLastLineLikeData) {
  EXPECT_EQ(Wire(DataOptions(), {"a\nb"}), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(Wire(BdatOptions(), {"a\nb"}), "a\r\nb\r\n");
  EXPECT_EQ(Wire(BdatOptions(), {"a", ""}), "a\r\n");
  EXPECT_EQ(Wire(BdatOptions(), {"a\r\n"}), "a\r\n");
  EXPECT_EQ(Wire(BdatOptions(), {"a\n"}), "a\r\n");
  EXPECT_EQ(Wire(BdatOptions(), {"a\r"}), "a\r\n");
  EXPECT_EQ(Wire(BinaryOptions(), {"a\nb"}), "a\nb");
  // The copying variant agrees.
  DotStuffer copy(BdatOptions());
  char buf[DotStuffer::MaxEncodedSize(1)];
  size_t written = 0;
  ASSERT_TRUE(copy.EncodeCopy("x", buf, &written).ok());
  ASSERT_EQ(written, 1u);
  EXPECT_EQ(copy.FinishCopy(buf + written), 2u);
  EXPECT_EQ(std::string(buf, 3), "x\r\n");
  EXPECT_EQ(copy.stats().output_bytes, 3u);
  EXPECT_EQ(copy.FinishCopy(buf), 0u);  // a second call appends nothing
}

TEST(DotStufferTest, PassThroughLeavesBytesAlone) {
  const std::string bin("\r.\n\0\xff\r\n.\r", 10);
  EncodeResult r =
      EncodeSlices(BinaryOptions(), {bin.substr(0, 4), bin.substr(4)});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.wire, bin);
  EXPECT_EQ(r.stats.bare_cr, 2u);  // the last one counted by Finish
  EXPECT_EQ(r.stats.bare_lf, 1u);
  EXPECT_TRUE(r.stats.has_nul);
  EXPECT_TRUE(r.stats.eight_bit);
  EXPECT_EQ(r.stats.output_bytes, bin.size());
}

TEST(DotStufferTest, NormalizeFalseIgnoredForData) {
  DotStufferOptions o;
  o.normalize = false;  // not honoured with stuff_dots / terminator
  EXPECT_EQ(Wire(o, {"a\n.\n"}), "a\r\n..\r\n.\r\n");
  o.stuff_dots = false;
  EXPECT_EQ(Wire(o, {"a\n.\n"}), "a\r\n.\r\n.\r\n");
}

TEST(DotStufferTest, EncodeAfterFinishFails) {
  DotStuffer s;
  std::vector<IoSlice> out;
  s.Finish(&out);
  ASSERT_EQ(out.size(), 1u);
  absl::Status st = s.Encode("x", &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetErrorDetail(st), ErrorDetail::kWrongState);
  s.Finish(&out);  // a second Finish appends nothing
  EXPECT_EQ(out.size(), 1u);
  char buf[5];
  EXPECT_EQ(s.FinishCopy(buf), 0u);
}

TEST(DotStufferTest, ResetStartsANewMessage) {
  DotStuffer s;
  std::vector<IoSlice> out;
  ASSERT_TRUE(s.Encode("abc\r", &out).ok());
  s.Finish(&out);
  s.Reset();
  EXPECT_EQ(s.stats().input_bytes, 0u);
  EXPECT_TRUE(s.at_line_start());
  EXPECT_FALSE(s.pending_cr());
  out.clear();
  ASSERT_TRUE(s.Encode(".x", &out).ok());
  s.Finish(&out);
  std::string wire;
  AppendSlices(out, &wire);
  EXPECT_EQ(wire, "..x\r\n.\r\n");
}

TEST(DotStufferTest, FinishCopyWritesTheTerminators) {
  struct Case {
    const char* body;
    const char* tail;
  } cases[] = {{"", ".\r\n"},
               {"a", "\r\n.\r\n"},
               {"a\r\n", ".\r\n"},
               {"a\n", ".\r\n"},
               {"a\r", "\n.\r\n"}};
  for (const Case& c : cases) {
    DotStuffer s;
    char buf[64];
    size_t written = 0;
    ASSERT_TRUE(s.EncodeCopy(c.body, buf, &written).ok());
    char tail[5];
    EXPECT_EQ(std::string(tail, s.FinishCopy(tail)), c.tail) << Esc(c.body);
  }
}

TEST(DotStufferTest, ZeroCopySlicesPointIntoTheChunk) {
  for (DotStufferKernel k : SupportedKernels()) {
    KernelScope scope(k);
    std::string clean;
    for (int i = 0; i < 1000; ++i) clean += "Some clean text, a line.\r\n";
    DotStuffer s;
    std::vector<IoSlice> out;
    ASSERT_TRUE(s.Encode(clean, &out).ok());
    ASSERT_EQ(out.size(), 1u) << internal::DotStufferKernelName(k);
    EXPECT_EQ(out[0].data, clean.data());
    EXPECT_EQ(out[0].size, clean.size());

    // With one line starting with '.', two slices into the chunk that
    // overlap on the dot: "ab\r\n." and ".cd\r\n" (the stuffed dot is the
    // line's own, sent twice), no static slice.
    std::string dotted = "ab\r\n.cd\r\n";
    out.clear();
    ASSERT_TRUE(s.Encode(dotted, &out).ok());
    ASSERT_EQ(out.size(), 2u) << internal::DotStufferKernelName(k);
    EXPECT_EQ(out[0].data, dotted.data());
    EXPECT_EQ(out[0].size, 5u);
    EXPECT_EQ(out[1].data, dotted.data() + 4);
    EXPECT_EQ(out[1].size, 5u);

    // A dot line at the start of a chunk: the dot alone, then the line from
    // the same dot; both point into the chunk.
    DotStuffer fresh;
    const std::string leading = ".x\r\n";
    out.clear();
    ASSERT_TRUE(fresh.Encode(leading, &out).ok());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].data, leading.data());
    EXPECT_EQ(out[0].size, 1u);
    EXPECT_EQ(out[1].data, leading.data());
    EXPECT_EQ(out[1].size, 4u);
  }
}

TEST(DotStufferTest, ManyInsertionsInOneChunk) {
  // More insertions than one scan window holds, for every kernel.
  for (DotStufferKernel k : SupportedKernels()) {
    KernelScope scope(k);
    const std::string lfs(5000, '\n');
    std::string expected;
    for (int i = 0; i < 5000; ++i) expected += "\r\n";
    EXPECT_EQ(Wire(DataOptions(), {lfs}), expected + ".\r\n");
    const std::string dots(3000, '\r');
    EXPECT_EQ(Wire(BdatOptions(), {dots}), expected.substr(0, 6000));
    std::string dot_lines, stuffed;
    for (int i = 0; i < 3000; ++i) {
      dot_lines += ".\r\n";
      stuffed += "..\r\n";
    }
    EXPECT_EQ(Wire(DataOptions(), {dot_lines}), stuffed + ".\r\n");
  }
}

TEST(DotStufferTest, KernelSelection) {
  EXPECT_TRUE(internal::DotStufferKernelSupported(DotStufferKernel::kScalar));
  EXPECT_TRUE(internal::DotStufferKernelSupported(DotStufferKernel::kSwar));
  EXPECT_EQ(internal::ActiveDotStufferKernel(),
            internal::BestDotStufferKernel());
  {
    KernelScope scope(DotStufferKernel::kScalar);
    EXPECT_EQ(internal::ActiveDotStufferKernel(), DotStufferKernel::kScalar);
  }
  EXPECT_EQ(internal::ActiveDotStufferKernel(),
            internal::BestDotStufferKernel());
  EXPECT_STREQ(internal::DotStufferKernelName(DotStufferKernel::kAvx512),
               "avx512");
  std::printf("kernels on this machine:");
  for (DotStufferKernel k : SupportedKernels()) {
    std::printf(" %s", internal::DotStufferKernelName(k));
  }
  std::printf("\n");
}

// ---------------------------------------------------------------------------
// Exhaustive and random properties.

// CheckAgainstReference encodes `input` split into `parts` with the current
// kernel, both ways, and compares with RefEncode and (for DATA) RefUnstuff.
void CheckAgainstReference(const DotStufferOptions& o, absl::string_view input,
                           const std::vector<std::string>& parts,
                           const std::string& label) {
  const RefResult ref = RefEncode(o, input);
  const EncodeResult got = EncodeSlices(o, parts);
  const EncodeResult copied = EncodeCopied(o, parts);
  const std::string ctx = absl::StrCat(label, " input=\"", Esc(input), "\"");
  ASSERT_EQ(GetErrorDetail(got.status), ref.error) << ctx << " " << got.status;
  ASSERT_EQ(GetErrorDetail(copied.status), ref.error) << ctx;
  if (ref.error != ErrorDetail::kNone) return;
  ASSERT_EQ(Esc(got.wire), Esc(ref.wire)) << ctx;
  ASSERT_EQ(Esc(copied.wire), Esc(got.wire)) << ctx;  // property (d)
  for (const EncodeResult* r : {&got, &copied}) {
    EXPECT_EQ(r->stats.input_bytes, ref.stats.input_bytes) << ctx;
    EXPECT_EQ(r->stats.output_bytes, ref.stats.output_bytes) << ctx;
    EXPECT_EQ(r->stats.dots_stuffed, ref.stats.dots_stuffed) << ctx;
    EXPECT_EQ(r->stats.bare_lf, ref.stats.bare_lf) << ctx;
    EXPECT_EQ(r->stats.bare_cr, ref.stats.bare_cr) << ctx;
    EXPECT_EQ(r->stats.long_lines, ref.stats.long_lines) << ctx;
    EXPECT_EQ(r->stats.eight_bit, ref.stats.eight_bit) << ctx;
    EXPECT_EQ(r->stats.has_nul, ref.stats.has_nul) << ctx;
  }
  // The message a receiver stores: the normalised input, plus the CRLF that
  // ends a last line without one (DATA and BDAT alike).
  std::string expected = RefNormalize(input);
  if (!expected.empty() &&
      (expected.size() < 2 ||
       expected.compare(expected.size() - 2, 2, "\r\n") != 0)) {
    expected += "\r\n";
  }
  if (o.stuff_dots && o.terminator) {
    // (a) un-stuffing gives that message; (b) no bare CR/LF and no
    // end-of-data marker before the end.
    std::string body, why;
    ASSERT_TRUE(RefUnstuff(got.wire, &body, &why))
        << ctx << " " << why << " wire=" << Esc(got.wire);
    ASSERT_EQ(Esc(body), Esc(expected)) << ctx;
  } else if (!o.stuff_dots && !o.terminator && !o.normalize) {
    ASSERT_EQ(Esc(got.wire), Esc(input)) << ctx;  // pass-through
  } else if (!o.stuff_dots && !o.terminator) {
    ASSERT_EQ(Esc(got.wire), Esc(expected)) << ctx;  // BDAT: same message
  }
}

TEST(DotStufferPropertyTest, ExhaustiveShortInputsEverySplit) {
  // Every string of length <= 6 over {CR, LF, '.', 'a'}, whole and split at
  // every point, every kernel, DATA and BDAT.
  const char alphabet[] = {'\r', '\n', '.', 'a'};
  std::vector<std::string> inputs = {""};
  for (size_t len = 1, first = 0; len <= 6; ++len) {
    const size_t last = inputs.size();
    for (size_t i = first; i < last; ++i) {
      for (char c : alphabet) inputs.push_back(inputs[i] + c);
    }
    first = last;
  }
  for (DotStufferKernel k : SupportedKernels()) {
    KernelScope scope(k);
    const std::string label = internal::DotStufferKernelName(k);
    for (const std::string& in : inputs) {
      for (const DotStufferOptions& o : {DataOptions(), BdatOptions()}) {
        CheckAgainstReference(o, in, {in}, label);
        for (size_t cut = 0; cut <= in.size(); ++cut) {
          CheckAgainstReference(o, in, {in.substr(0, cut), in.substr(cut)},
                                label);
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

// RandomInput draws from an alphabet heavy in CR, LF and '.', with the
// neighbours of each (CR^1, LF^1, '.'^1, 0x01 after NUL trip inexact SWAR
// zero-byte tests), or, one time in four, uniformly from all 256 bytes.
std::string RandomInput(std::mt19937_64& rng, size_t len) {
  static const char kAlphabet[] =
      "\r\r\r\n\n\n...aaaaabc \x80\xff\x0c\x0b/\x01\x0e\x7f";
  std::string s(len, 'a');
  const size_t alphabet_len = sizeof(kAlphabet) - 1;  // no trailing NUL...
  const bool uniform = rng() % 4 == 0;
  for (char& c : s) {
    if (uniform) {
      c = static_cast<char>(rng() & 0xFF);
      continue;
    }
    const uint64_t r = rng() % (alphabet_len + 1);
    c = r == alphabet_len ? '\0' : kAlphabet[r];  // ...but NUL is drawn too
  }
  return s;
}

// RandomSplit cuts `s` into pieces, sometimes empty, sometimes 1 byte.
std::vector<std::string> RandomSplit(std::mt19937_64& rng,
                                     const std::string& s) {
  std::vector<std::string> parts;
  const int style = static_cast<int>(rng() % 4);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t n;
    switch (style) {
      case 0:
        n = s.size();
        break;
      case 1:
        n = 1;
        break;
      case 2:
        n = rng() % 8;
        break;
      default:
        n = rng() % 200;
        break;
    }
    n = std::min(n, s.size() - pos);
    parts.push_back(s.substr(pos, n));
    pos += n;
  }
  if (rng() % 8 == 0) parts.push_back("");
  return parts;
}

DotStufferOptions RandomOptions(std::mt19937_64& rng) {
  DotStufferOptions o;
  switch (rng() % 4) {
    case 0:
    case 1:
      o = DataOptions();
      break;
    case 2:
      o = BdatOptions();
      break;
    default:
      o = BinaryOptions();
      break;
  }
  if (rng() % 4 == 0) o.line_endings = LineEndingPolicy::kReject;
  o.long_lines = static_cast<LongLinePolicy>(rng() % 3);
  switch (rng() % 4) {
    case 0:
      o.max_line_length = rng() % 4;
      break;
    case 1:
      o.max_line_length = rng() % 140;
      break;
    case 2:
      o.max_line_length = 62 + rng() % 4;
      break;
    default:
      o.max_line_length = 998;
      break;
  }
  return o;
}

TEST(DotStufferPropertyTest, RandomInputsChunkingsAndKernels) {
  std::mt19937_64 rng(20240611);
  const std::vector<DotStufferKernel> kernels = SupportedKernels();
  for (int iter = 0; iter < 4000; ++iter) {
    const size_t len = iter % 50 == 0 ? rng() % 5000 : rng() % 300;
    std::string input = RandomInput(rng, len);
    // Sometimes mostly clean text with a few specials, to walk the fast path.
    if (iter % 3 == 0) {
      for (char& c : input) {
        if (rng() % 8 != 0) c = 'x';
      }
    }
    const DotStufferOptions o = RandomOptions(rng);
    const std::vector<std::string> parts = RandomSplit(rng, input);
    for (DotStufferKernel k : kernels) {
      KernelScope scope(k);
      // Compares with the reference, so (c) holds across kernels and
      // chunkings too.
      CheckAgainstReference(
          o, input, parts,
          absl::StrCat(internal::DotStufferKernelName(k), " iter=", iter));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(DotStufferPropertyTest, RealisticTextAgreesAcrossKernels) {
  // CRLF text with a few dot lines and bare endings, 200 KB, encoded in odd
  // chunk sizes; every kernel must produce the same bytes.
  std::mt19937_64 rng(7);
  std::string text;
  while (text.size() < 200000) {
    const int r = static_cast<int>(rng() % 100);
    if (r < 2) text += '.';
    text += std::string(rng() % 110, 'w');
    text += r == 50 ? "\n" : r == 51 ? "\r" : "\r\n";
  }
  std::vector<std::string> parts;
  for (size_t pos = 0; pos < text.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 70000, text.size() - pos);
    parts.push_back(text.substr(pos, n));
    pos += n;
  }
  for (DotStufferKernel k : SupportedKernels()) {
    KernelScope scope(k);
    CheckAgainstReference(DataOptions(), text, parts,
                          internal::DotStufferKernelName(k));
  }
}

TEST(DotStufferPropertyTest, MixedStretches) {
  // Stretches of CRLF text, bare-LF text (most 64-byte blocks need an
  // insertion) and text with stray CRs, a few KB each, in chunks of random
  // size up to 40 KB: the reference bytes with every kernel.
  std::mt19937_64 rng(99);
  for (int iter = 0; iter < 40; ++iter) {
    std::string text;
    while (text.size() < 40000) {
      const size_t len = 1000 + rng() % 8000;
      const int kind = static_cast<int>(rng() % 3);
      for (size_t n = 0; n < len;) {
        std::string line(rng() % 90, 'x');
        if (rng() % 10 == 0) line.insert(0, ".");
        if (kind == 2 && rng() % 3 == 0) line += std::string(rng() % 3, '\r');
        line += kind == 0 ? "\r\n" : "\n";
        n += line.size();
        text += line;
      }
    }
    std::vector<std::string> parts;
    for (size_t pos = 0; pos < text.size();) {
      const size_t n = std::min<size_t>(1 + rng() % 40000, text.size() - pos);
      parts.push_back(text.substr(pos, n));
      pos += n;
    }
    const DotStufferOptions o = iter % 2 == 0 ? DataOptions() : BdatOptions();
    for (DotStufferKernel k : SupportedKernels()) {
      KernelScope scope(k);
      CheckAgainstReference(
          o, text, parts,
          absl::StrCat(internal::DotStufferKernelName(k), " iter=", iter));
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace

// Measure, MeasureCord, EncodeCord, CheckFinish and FinishedOutputBytes are
// the DotStuffer's count-only and whole-Cord faces: they must agree with
// Encode + Finish exactly, for every kernel and chunking.

absl::Cord CordOf(const std::vector<std::string>& parts) {
  absl::Cord cord;
  for (const std::string& p : parts) {
    // Append as separate chunks (absl::Cord may merge small ones; that is
    // fine: the results may not depend on the chunking).
    cord.Append(absl::Cord(p));
  }
  return cord;
}

void ExpectSameStats(const DotStufferStats& a, const DotStufferStats& b,
                     const std::string& ctx) {
  EXPECT_EQ(a.input_bytes, b.input_bytes) << ctx;
  EXPECT_EQ(a.output_bytes, b.output_bytes) << ctx;
  EXPECT_EQ(a.dots_stuffed, b.dots_stuffed) << ctx;
  EXPECT_EQ(a.bare_lf, b.bare_lf) << ctx;
  EXPECT_EQ(a.bare_cr, b.bare_cr) << ctx;
  EXPECT_EQ(a.long_lines, b.long_lines) << ctx;
  EXPECT_EQ(a.eight_bit, b.eight_bit) << ctx;
  EXPECT_EQ(a.has_nul, b.has_nul) << ctx;
}

TEST(DotStufferMeasureTest, MeasureAgreesWithEncodeForEveryKernel) {
  std::mt19937_64 rng(4242);
  for (int iter = 0; iter < 1500; ++iter) {
    const std::string input = RandomInput(rng, rng() % 400);
    const DotStufferOptions o = RandomOptions(rng);
    const std::vector<std::string> parts = RandomSplit(rng, input);
    for (DotStufferKernel k : SupportedKernels()) {
      KernelScope scope(k);
      const std::string ctx =
          absl::StrCat(internal::DotStufferKernelName(k), " iter=", iter);
      DotStuffer encoder(o), meter(o);
      std::vector<IoSlice> slices;
      bool failed = false;
      for (const std::string& part : parts) {
        absl::Status e = encoder.Encode(part, &slices);
        absl::Status m = meter.Measure(part);
        ASSERT_EQ(e.ok(), m.ok()) << ctx;
        if (!e.ok()) {
          EXPECT_EQ(GetErrorDetail(e), GetErrorDetail(m)) << ctx;
          failed = true;
          break;
        }
        EXPECT_EQ(encoder.pending_cr(), meter.pending_cr()) << ctx;
        EXPECT_EQ(encoder.at_line_start(), meter.at_line_start()) << ctx;
      }
      ExpectSameStats(encoder.stats(), meter.stats(), ctx);
      if (failed) continue;
      const uint64_t predicted = meter.FinishedOutputBytes();
      EXPECT_EQ(meter.CheckFinish().ok(), encoder.CheckFinish().ok()) << ctx;
      encoder.Finish(&slices);
      meter.Finish(nullptr);
      ExpectSameStats(encoder.stats(), meter.stats(), ctx);
      EXPECT_EQ(predicted, TotalSize(slices)) << ctx;
      EXPECT_EQ(predicted, meter.stats().output_bytes) << ctx;
      if (HasFatalFailure()) return;
    }
  }
}

TEST(DotStufferMeasureTest, BdatMeterGivesTheRfc1870Size) {
  // The precheck's SIZE: CRLF pairs included, bare endings normalised, the
  // CRLF that ends an unterminated last line counted, no terminator.
  struct Case {
    std::string body;
    uint64_t size;
  } cases[] = {
      {"", 0},
      {"a", 3},           // "a\r\n"
      {"a\r\n", 3},
      {"a\n", 3},         // bare LF -> CRLF
      {"a\r", 3},         // final bare CR completed
      {".a\r\n", 4},      // no dot-stuffing counted
      {"x\ny\rz", 9},     // x CRLF y CRLF z CRLF
  };
  for (const Case& c : cases) {
    DotStuffer meter(BdatOptions());
    ASSERT_TRUE(meter.Measure(c.body).ok());
    EXPECT_EQ(meter.FinishedOutputBytes(), c.size) << Esc(c.body);
    meter.Finish(nullptr);
    EXPECT_EQ(meter.stats().output_bytes, c.size) << Esc(c.body);
  }
}

TEST(DotStufferMeasureTest, EncodeCordIsAllOrNothing) {
  DotStufferOptions o = DataOptions();
  o.line_endings = LineEndingPolicy::kReject;
  DotStuffer stuffer(o);
  std::vector<IoSlice> out;
  ASSERT_TRUE(stuffer.Encode("first\r\n", &out).ok());
  const size_t before = out.size();
  const DotStufferStats stats = stuffer.stats();
  // The second chunk of the Cord has a bare LF: nothing of the Cord is
  // appended, and the encoder's state is as before.
  absl::Cord cord = CordOf({std::string(5000, 'a') + "\r\n",
                            std::string(5000, 'b') + "\n"});
  absl::Status s = stuffer.EncodeCord(cord, &out);
  EXPECT_EQ(GetErrorDetail(s), ErrorDetail::kBareLineEnding);
  EXPECT_EQ(out.size(), before);
  ExpectSameStats(stuffer.stats(), stats, "after refused cord");
  EXPECT_TRUE(stuffer.at_line_start());
  // MeasureCord likewise.
  EXPECT_EQ(GetErrorDetail(stuffer.MeasureCord(cord)),
            ErrorDetail::kBareLineEnding);
  ExpectSameStats(stuffer.stats(), stats, "after refused measure");
  // A good Cord encodes as its chunks would.
  absl::Cord good = CordOf({".dot\r\n", std::string(3000, 'c'), "\r\n"});
  ASSERT_TRUE(stuffer.EncodeCord(good, &out).ok());
  stuffer.Finish(&out);
  std::string wire;
  AppendSlices(out, &wire);
  EXPECT_EQ(wire, "first\r\n..dot\r\n" + std::string(3000, 'c') +
                      "\r\n.\r\n");
}

TEST(DotStufferMeasureTest, CheckFinishRefusesAFinalCrOnlyUnderReject) {
  DotStufferOptions reject = BdatOptions();
  reject.line_endings = LineEndingPolicy::kReject;
  DotStuffer strict(reject);
  ASSERT_TRUE(strict.Measure("text\r").ok());
  EXPECT_EQ(GetErrorDetail(strict.CheckFinish()),
            ErrorDetail::kBareLineEnding);
  ASSERT_TRUE(strict.Measure("\n").ok());  // the CR was not bare after all
  EXPECT_TRUE(strict.CheckFinish().ok());
  DotStuffer lenient(BdatOptions());
  ASSERT_TRUE(lenient.Measure("text\r").ok());
  EXPECT_TRUE(lenient.CheckFinish().ok());
  lenient.Finish(nullptr);
  EXPECT_EQ(lenient.stats().bare_cr, 1u);
}

}  // namespace smtpcore
