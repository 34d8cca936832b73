// dot_stuffer_fuzzer: round-trip, smuggling and agreement fuzzer for
// DotStuffer (HOT PATH 2).
//
// Input layout (llhttp's trick: the first bytes pick options):
//   byte 0, bits 0-1  mode: 0, 1 DATA (stuff + terminator); 2 BDAT
//                     (normalise only); 3 BDAT BINARYMIME (pass-through)
//   byte 0, bit 2     LineEndingPolicy::kReject
//   byte 0, bits 3-4  LongLinePolicy: 0 kIgnore, 1 and 3 kReport, 2 kReject
//   byte 0, bits 5-7  max_line_length: 0, 1, 2, 7, 63, 64, 65, 998
//   byte 1            chunking: seeds a small PRNG; bits 0-1 pick the style
//                     (whole, byte by byte, sizes 0..8, sizes 0..200)
//   bytes 2..         the message body
//
// Invariants checked (abort on violation), for every kernel the CPU has and
// for both Encode (zero-copy) and EncodeCopy:
//   - same status detail, bytes and stats as the scalar kernel on the whole
//     body in one chunk (chunking and kernel agreement);
//   - a failed Encode appends nothing and leaves the state unchanged;
//   - DATA: the output has no bare CR or LF and no end-of-data marker but
//     the final one, and un-stuffing it gives the CRLF-normalised body (plus
//     the CRLF the marker adds after a body without a final line break);
//   - BDAT: the output is the normalised body; BINARYMIME: the body itself;
//   - stats: input_bytes, output_bytes match; bare counts and dots agree
//     with a byte-at-a-time count written here.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/dot_stuffer.h"
#include "core/internal/dot_stuffer_kernels.h"
#include "core/dot_stuffer_test_util.h"
#include "core/errors.h"
#include "core/io_slice.h"

namespace {

using smtpcore::DotStuffer;
using smtpcore::DotStufferOptions;
using smtpcore::DotStufferStats;
using smtpcore::ErrorDetail;
using smtpcore::IoSlice;
using smtpcore::LineEndingPolicy;
using smtpcore::LongLinePolicy;
using smtpcore::internal::DotStufferKernel;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "dot_stuffer_fuzzer: %s\n", what);
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

DotStufferOptions PickOptions(uint8_t b) {
  DotStufferOptions o;
  switch (b & 3) {
    case 2:
      o.stuff_dots = false;
      o.terminator = false;
      break;
    case 3:
      o.stuff_dots = false;
      o.terminator = false;
      o.normalize = false;
      break;
    default:
      break;
  }
  if (b & 4) o.line_endings = LineEndingPolicy::kReject;
  switch ((b >> 3) & 3) {
    case 0:
      o.long_lines = LongLinePolicy::kIgnore;
      break;
    case 2:
      o.long_lines = LongLinePolicy::kReject;
      break;
    default:
      o.long_lines = LongLinePolicy::kReport;
      break;
  }
  static constexpr size_t kMax[] = {0, 1, 2, 7, 63, 64, 65, 998};
  o.max_line_length = kMax[b >> 5];
  return o;
}

// Split cuts the body into chunks as byte 1 says.
std::vector<absl::string_view> Split(absl::string_view body, uint8_t b) {
  std::vector<absl::string_view> parts;
  uint32_t state = 0x9E3779B9u ^ b;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  size_t pos = 0;
  do {
    size_t n;
    switch (b & 3) {
      case 0:
        n = body.size();
        break;
      case 1:
        n = 1;
        break;
      case 2:
        n = next() % 9;
        break;
      default:
        n = next() % 201;
        break;
    }
    n = std::min(n, body.size() - pos);
    parts.push_back(body.substr(pos, n));
    pos += n;
  } while (pos < body.size());
  return parts;
}

// Unstuff decodes a DATA stream as a receiver would (RFC 5321 §4.5.2);
// aborts on a bare CR/LF, an unterminated line or a misplaced end-of-data
// marker.
std::string Unstuff(absl::string_view wire) {
  std::string body, why;
  if (!smtpcore::test_util::RefUnstuff(wire, &body, &why)) {
    std::fprintf(stderr, "dot_stuffer_fuzzer: DATA output: %s\n", why.c_str());
    std::abort();
  }
  return body;
}

struct Result {
  ErrorDetail error = ErrorDetail::kNone;
  std::string wire;
  DotStufferStats stats;
};

bool SameStats(const DotStufferStats& a, const DotStufferStats& b) {
  return a.input_bytes == b.input_bytes && a.output_bytes == b.output_bytes &&
         a.dots_stuffed == b.dots_stuffed && a.bare_lf == b.bare_lf &&
         a.bare_cr == b.bare_cr && a.long_lines == b.long_lines &&
         a.eight_bit == b.eight_bit && a.has_nul == b.has_nul;
}

// Run encodes the chunks (each copied to an exactly sized heap buffer so
// ASan sees over-reads) with Encode or EncodeCopy, stopping at an error.
Result Run(const DotStufferOptions& o,
           const std::vector<absl::string_view>& parts, bool copy) {
  DotStuffer s(o);
  Result r;
  std::vector<IoSlice> slices;
  for (absl::string_view part : parts) {
    std::unique_ptr<char[]> chunk(part.empty() ? nullptr
                                               : new char[part.size()]);
    if (!part.empty()) std::memcpy(chunk.get(), part.data(), part.size());
    const absl::string_view view(chunk.get(), part.size());
    const DotStufferStats before = s.stats();
    const bool ls = s.at_line_start();
    const bool cr = s.pending_cr();
    absl::Status status;
    if (copy) {
      const size_t room = DotStuffer::MaxEncodedSize(part.size());
      std::unique_ptr<char[]> out(new char[room]);
      size_t written = 0;
      status = s.EncodeCopy(view, out.get(), &written);
      Check(written <= room, "EncodeCopy wrote past its room");
      if (status.ok()) {
        r.wire.append(out.get(), written);
      } else {
        Check(written == 0, "failed EncodeCopy reported bytes");
      }
    } else {
      const size_t had = slices.size();
      status = s.Encode(view, &slices);
      if (status.ok()) {
        // Slices point into the chunk or into static storage; copy them out
        // before the chunk goes away.
        for (size_t i = had; i < slices.size(); ++i) {
          r.wire.append(slices[i].data, slices[i].size);
        }
      } else {
        Check(slices.size() == had, "failed Encode appended slices");
      }
      slices.clear();
    }
    if (!status.ok()) {
      Check(SameStats(before, s.stats()) && ls == s.at_line_start() &&
                cr == s.pending_cr(),
            "failed Encode changed the state");
      r.error = smtpcore::GetErrorDetail(status);
      Check(r.error == ErrorDetail::kBareLineEnding ||
                r.error == ErrorDetail::kLineTooLong,
            "unexpected error detail");
      r.stats = s.stats();
      return r;
    }
  }
  if (copy) {
    char tail[5];
    r.wire.append(tail, s.FinishCopy(tail));
  } else {
    s.Finish(&slices);
    for (const IoSlice& slice : slices) r.wire.append(slice.data, slice.size);
  }
  r.stats = s.stats();
  return r;
}

constexpr DotStufferKernel kKernels[] = {
    DotStufferKernel::kScalar, DotStufferKernel::kSwar, DotStufferKernel::kAvx2,
    DotStufferKernel::kAvx512};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const DotStufferOptions o = PickOptions(data[0]);
  const absl::string_view body(reinterpret_cast<const char*>(data) + 2,
                               size - 2);
  const std::vector<absl::string_view> parts = Split(body, data[1]);

  smtpcore::internal::SetDotStufferKernelForTesting(DotStufferKernel::kScalar);
  const Result ref = Run(o, {body}, /*copy=*/false);
  for (DotStufferKernel k : kKernels) {
    if (!smtpcore::internal::SetDotStufferKernelForTesting(k)) continue;
    for (bool copy : {false, true}) {
      const Result r = Run(o, parts, copy);
      Check(r.error == ref.error, "kernels or chunkings disagree on errors");
      if (r.error != ErrorDetail::kNone) continue;
      Check(r.wire == ref.wire, "kernels or chunkings disagree on bytes");
      Check(SameStats(r.stats, ref.stats),
            "kernels or chunkings disagree on stats");
    }
  }
  smtpcore::internal::SetDotStufferKernelForTesting(
      smtpcore::internal::BestDotStufferKernel());
  if (ref.error != ErrorDetail::kNone) return 0;

  // Properties of the (agreed) output.
  Check(ref.stats.input_bytes == body.size(), "input_bytes");
  Check(ref.stats.output_bytes == ref.wire.size(), "output_bytes");
  uint64_t bare_lf = 0, bare_cr = 0, dots = 0;
  bool line_start = true;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\n' && (i == 0 || body[i - 1] != '\r')) ++bare_lf;
    if (c == '\r' && (i + 1 == body.size() || body[i + 1] != '\n')) ++bare_cr;
    if (o.stuff_dots && line_start && c == '.') ++dots;
    line_start = c == '\n' ||
                 (c == '\r' && (i + 1 == body.size() || body[i + 1] != '\n'));
  }
  Check(ref.stats.bare_lf == bare_lf, "bare_lf count");
  Check(ref.stats.bare_cr == bare_cr, "bare_cr count");
  Check(ref.stats.dots_stuffed == dots, "dots_stuffed count");
  if (o.line_endings == LineEndingPolicy::kReject) {
    // Only a CR as the very last byte can get through (Finish completes it).
    Check(bare_lf == 0 && bare_cr <= 1, "kReject let a bare ending through");
  }

  // DATA and BDAT deliver the same message: the normalised body, its last
  // line ended with CRLF.
  std::string expected = smtpcore::test_util::RefNormalize(body);
  if (!expected.empty() &&
      (expected.size() < 2 ||
       expected.compare(expected.size() - 2, 2, "\r\n") != 0)) {
    expected += "\r\n";
  }
  if (o.stuff_dots && o.terminator) {
    Check(Unstuff(ref.wire) == expected, "un-stuffing does not round-trip");
  } else if (o.normalize) {
    Check(ref.wire == expected, "BDAT output is not the normalised body");
  } else {
    Check(ref.wire == body, "pass-through changed bytes");
  }
  return 0;
}
