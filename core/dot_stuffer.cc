// DotStuffer implementation. See dot_stuffer.h for the contract.
//
// Structure: two stages per window of the chunk.
//  1. A scan kernel (scalar, SWAR, AVX2 or AVX-512) classifies 64-byte blocks
//     into bit masks C (CR), L (LF) and D ('.'), one bit per byte, and from
//     them finds every *insertion point*: an offset q before which the output
//     needs extra bytes. With carries cr_in/ls_in from the previous block
//     ("previous byte was CR" / "previous byte was LF, or body start"):
//        Cs    = C << 1 | cr_in        byte q-1 is a CR
//        Ls    = L << 1 | ls_in        byte q-1 is an LF (or q is the start)
//        bare  = L ^ Cs                bare LF at q (L, not Cs), or a bare
//                                      CR at q-1 resolved by byte q (Cs, not L)
//        dot   = (Ls | Cs) & D         a '.' that starts a line (D and L are
//                                      disjoint, so Cs & D is "CR then '.'")
//     A block with bare == dot == 0 is clean and costs a few ALU ops; other
//     blocks go to Scanner::SlowBlock, which counts, checks the reject
//     policies and records insertion offsets. The scan stops after the block
//     that brings the offset list past kPositionsStop, so the list lives on
//     the stack.
//  2. A sink turns the offsets into output: zero-copy slices (runs of the
//     chunk between insertion points plus static insertions) or bytes copied
//     into the caller's buffer. The inserted bytes are decided from the input
//     bytes around q: LF at q -> "\r"; CR before q -> "\n" (or "\n." if q is
//     a line-starting '.'); otherwise ".".
// Every inserted sequence is a substring of kWire = "\r\n.\r\n", so all
// static slices point into one constant.
//
// Errors are all-or-nothing: the scan accumulates counts and carries in a
// local Scanner, committed to the DotStuffer only on success; the sink rolls
// back what it appended for earlier windows.

#include "core/dot_stuffer.h"

#include <atomic>
#include <cstring>

#include "absl/base/config.h"
#include "absl/base/optimization.h"
#include "absl/numeric/bits.h"
#include "core/errors.h"

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define SMTP_DOT_STUFFER_X86 1
#include <immintrin.h>
#else
#define SMTP_DOT_STUFFER_X86 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SMTP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define SMTP_ALWAYS_INLINE inline
#endif

namespace smtpcore {
namespace {

// kWire holds every byte sequence the encoder inserts:
//   "\r" [0,1)  "\n" [1,2)  "\n." [1,3)  "." [2,3)
//   ".\r\n" [2,5)  "\n.\r\n" [1,5)  "\r\n.\r\n" [0,5)
constexpr char kWire[] = "\r\n.\r\n";

// A scan stops after the 64-byte block that takes the offset list past
// kPositionsStop; a block adds at most 64 offsets.
constexpr size_t kPositionsStop = 1024;
constexpr size_t kPositionsCapacity = kPositionsStop + 64;
// kWindow bounds one scan call so that offsets fit in uint32_t and the
// copying sink reads bytes the scan has just brought into cache.
constexpr size_t kWindow = 16 * 1024;

enum class ScanError : uint8_t { kNone, kBareLineEnding, kLineTooLong };

// Scanner is the state of stage 1: configuration, carries across blocks,
// windows and chunks, and the results of one Encode call so far.
struct Scanner {
  // Configuration.
  uint64_t stuff_mask = 0;  // ~0 with stuff_dots, else 0
  bool emit = true;         // record insertion offsets (normalising)
  bool reject_bare = false;
  LongLinePolicy long_lines = LongLinePolicy::kIgnore;
  uint64_t max_line = 0;

  // Carries: 0 or 1.
  uint64_t cr_in = 0;  // previous byte was a CR
  uint64_t ls_in = 0;  // previous byte was an LF, or no byte yet
  uint64_t line_len = 0;

  // Results of the current call.
  uint32_t* positions = nullptr;  // offsets relative to the window start
  size_t num_positions = 0;
  uint64_t bare_lf = 0;
  uint64_t bare_cr = 0;
  uint64_t dots = 0;
  uint64_t long_lines_seen = 0;
  bool eight_bit = false;
  bool nul = false;
  ScanError error = ScanError::kNone;

  // SlowBlock handles a block that needs insertions, or any block when long
  // lines are checked. `c`/`l` are the CR/LF masks, `bare`/`dot` as in the
  // file comment, `valid` has the low `n` bits set. Returns false to stop
  // the scan (error, or offset list full).
  bool SlowBlock(uint32_t off, uint64_t c, uint64_t l, uint64_t bare,
                 uint64_t dot, uint64_t valid, unsigned n);
};

bool Scanner::SlowBlock(uint32_t off, uint64_t c, uint64_t l, uint64_t bare,
                        uint64_t dot, uint64_t valid, unsigned n) {
  unsigned first_long = 64;  // offset in block of a rejected long line
  if (long_lines != LongLinePolicy::kIgnore) {
    // Walk the segments between line-break bytes; a segment of `seg` content
    // bytes after `cur` bytes of the same line crosses the limit at
    // start + (max_line - cur).
    uint64_t breaks = (c | l) & valid;
    unsigned start = 0;
    uint64_t cur = line_len;
    for (;;) {
      const unsigned end =
          breaks != 0 ? static_cast<unsigned>(absl::countr_zero(breaks)) : n;
      const uint64_t seg = end - start;
      if (cur <= max_line && cur + seg > max_line) {
        if (long_lines == LongLinePolicy::kReject) {
          first_long = start + static_cast<unsigned>(max_line - cur);
          break;
        }
        ++long_lines_seen;
      }
      if (breaks == 0) {
        cur += seg;
        break;
      }
      cur = 0;
      start = end + 1;
      breaks &= breaks - 1;
    }
    line_len = cur;
  }
  const unsigned first_bare =
      reject_bare && bare != 0 ? static_cast<unsigned>(absl::countr_zero(bare))
                               : 64;
  if (ABSL_PREDICT_FALSE(first_bare != 64 || first_long != 64)) {
    // The earlier offending byte wins; a tie (bare CR resolved by a byte
    // that is also too long) reports the line ending, as the scalar kernel.
    error = first_bare <= first_long ? ScanError::kBareLineEnding
                                     : ScanError::kLineTooLong;
    return false;
  }
  if ((bare | dot) == 0) return true;
  bare_lf += absl::popcount(bare & l);
  bare_cr += absl::popcount(bare & ~l);
  dots += absl::popcount(dot);
  if (emit) {
    uint64_t e = bare | dot;
    uint32_t* p = positions + num_positions;
    num_positions += absl::popcount(e);
    do {
      *p++ = off + static_cast<uint32_t>(absl::countr_zero(e));
      e &= e - 1;
    } while (e != 0);
  }
  return num_positions <= kPositionsStop;
}

// ProcessBlock is the fast path shared by the block kernels: it is inlined
// into each target-specific loop so that the carries stay in registers.
// `slow_always` is ~0 when every block must reach SlowBlock (long lines).
SMTP_ALWAYS_INLINE bool ProcessBlock(Scanner& s, uint64_t& cr_in,
                                     uint64_t& ls_in, uint64_t stuff_mask,
                                     uint64_t slow_always, uint32_t off,
                                     uint64_t c, uint64_t l, uint64_t d,
                                     uint64_t valid, unsigned n) {
  const uint64_t cs = (c << 1) | cr_in;
  const uint64_t ls = (l << 1) | ls_in;
  const uint64_t bare = (l ^ cs) & valid;
  const uint64_t dot = (ls | cs) & d & stuff_mask;
  bool go = true;
  if (ABSL_PREDICT_FALSE((bare | dot | slow_always) != 0)) {
    go = s.SlowBlock(off, c, l, bare, dot, valid, n);
  }
  cr_in = (c >> (n - 1)) & 1;
  ls_in = (l >> (n - 1)) & 1;
  return go;
}

// A ScanFn scans p[begin, end) (end - begin <= kWindow), appending offsets
// relative to `begin`, and returns where it stopped: `end`, or earlier when
// the offset list is full. On error it returns with s->error set.
using ScanFn = size_t (*)(const char* p, size_t begin, size_t end, Scanner* s);

// ---------------------------------------------------------------------------
// Scalar: one byte at a time. The reference the block kernels are tested
// against; written as a plain state machine, not from the masks.

size_t ScanScalar(const char* p, size_t begin, size_t end, Scanner* sp) {
  Scanner s = *sp;
  const bool stuff = s.stuff_mask != 0;
  const bool check_long = s.long_lines != LongLinePolicy::kIgnore;
  size_t i = begin;
  while (i < end) {
    const unsigned char ch = static_cast<unsigned char>(p[i]);
    const uint32_t rel = static_cast<uint32_t>(i - begin);
    bool line_start = s.ls_in != 0;
    bool pushed = false;
    if (ch >= 0x80) s.eight_bit = true;
    if (ch == 0) s.nul = true;
    if (s.cr_in != 0 && ch != '\n') {  // the CR before this byte was bare
      if (s.reject_bare) {
        s.error = ScanError::kBareLineEnding;
        break;
      }
      ++s.bare_cr;
      line_start = true;
      if (s.emit) {
        s.positions[s.num_positions++] = rel;
        pushed = true;
      }
    } else if (s.cr_in == 0 && ch == '\n') {  // bare LF
      if (s.reject_bare) {
        s.error = ScanError::kBareLineEnding;
        break;
      }
      ++s.bare_lf;
      if (s.emit) s.positions[s.num_positions++] = rel;
    }
    if (stuff && line_start && ch == '.') {
      ++s.dots;
      if (s.emit && !pushed) s.positions[s.num_positions++] = rel;
    }
    if (ch == '\r' || ch == '\n') {
      s.line_len = 0;
    } else if (check_long && ++s.line_len == s.max_line + 1) {
      if (s.long_lines == LongLinePolicy::kReject) {
        s.error = ScanError::kLineTooLong;
        break;
      }
      ++s.long_lines_seen;
    }
    s.cr_in = ch == '\r';
    s.ls_in = ch == '\n';
    ++i;
    if (s.num_positions > kPositionsStop) break;
  }
  *sp = s;
  return i;
}

// ---------------------------------------------------------------------------
// SWAR: eight bytes per uint64_t, portable C++.

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

SMTP_ALWAYS_INLINE uint64_t LoadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
#if !defined(ABSL_IS_LITTLE_ENDIAN)
  w = __builtin_bswap64(w);  // byte k of the block in bits 8k..8k+7
#endif
  return w;
}

// ZeroBytes sets 0x80 in each byte of `w` that is zero, exactly (no false
// positives from borrows).
SMTP_ALWAYS_INLINE uint64_t ZeroBytes(uint64_t w) {
  return ~(((w & kLow7) + kLow7) | w | kLow7);
}

// PackHighBits moves bit 8k+7 to bit k, for k in 0..7.
SMTP_ALWAYS_INLINE uint64_t PackHighBits(uint64_t m) {
  return ((m >> 7) * 0x0102040810204080ULL) >> 56;
}

SMTP_ALWAYS_INLINE void ClassifySwar(const char* p, uint64_t* c, uint64_t* l,
                                     uint64_t* d, uint64_t* high,
                                     uint64_t* zero) {
  uint64_t cm = 0, lm = 0, dm = 0, h = 0, z = 0;
  for (int k = 0; k < 8; ++k) {
    const uint64_t w = LoadWord(p + 8 * k);
    cm |= PackHighBits(ZeroBytes(w ^ (kOnes * '\r'))) << (8 * k);
    lm |= PackHighBits(ZeroBytes(w ^ (kOnes * '\n'))) << (8 * k);
    dm |= PackHighBits(ZeroBytes(w ^ (kOnes * '.'))) << (8 * k);
    h |= w;
    z |= ZeroBytes(w);
  }
  *c = cm;
  *l = lm;
  *d = dm;
  *high |= h & kHighBits;
  *zero |= z;
}

size_t ScanSwar(const char* p, size_t begin, size_t end, Scanner* sp) {
  Scanner& s = *sp;
  uint64_t cr_in = s.cr_in, ls_in = s.ls_in;
  const uint64_t stuff_mask = s.stuff_mask;
  const uint64_t slow_always =
      s.long_lines != LongLinePolicy::kIgnore ? ~uint64_t{0} : 0;
  uint64_t high = 0, zero = 0;
  size_t i = begin;
  bool go = true;
  for (; go && end - i >= 64; i += 64) {
    uint64_t c, l, d;
    ClassifySwar(p + i, &c, &l, &d, &high, &zero);
    go = ProcessBlock(s, cr_in, ls_in, stuff_mask, slow_always,
                      static_cast<uint32_t>(i - begin), c, l, d, ~uint64_t{0},
                      64);
  }
  if (go && i < end) {
    // Tail: pad with 'a', which is none of CR, LF, '.', NUL or 8-bit.
    const unsigned n = static_cast<unsigned>(end - i);
    char buf[64];
    std::memset(buf, 'a', sizeof(buf));
    std::memcpy(buf, p + i, n);
    uint64_t c, l, d;
    ClassifySwar(buf, &c, &l, &d, &high, &zero);
    ProcessBlock(s, cr_in, ls_in, stuff_mask, slow_always,
                 static_cast<uint32_t>(i - begin), c, l, d,
                 (uint64_t{1} << n) - 1, n);
    i = end;
  }
  s.cr_in = cr_in;
  s.ls_in = ls_in;
  s.eight_bit |= high != 0;
  s.nul |= zero != 0;
  return i;
}

#if SMTP_DOT_STUFFER_X86

// ---------------------------------------------------------------------------
// AVX2: two 32-byte vectors per block.

// Avx2Mask returns the 64-bit mask of bytes of the block a:b equal to v.
__attribute__((target("avx2"))) SMTP_ALWAYS_INLINE uint64_t
Avx2Mask(__m256i a, __m256i b, __m256i v) {
  const uint32_t lo =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, v)));
  const uint32_t hi =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, v)));
  return (uint64_t{hi} << 32) | lo;
}

__attribute__((target("avx2"))) size_t ScanAvx2(const char* p, size_t begin,
                                                size_t end, Scanner* sp) {
  Scanner& s = *sp;
  uint64_t cr_in = s.cr_in, ls_in = s.ls_in;
  const uint64_t stuff_mask = s.stuff_mask;
  const uint64_t slow_always =
      s.long_lines != LongLinePolicy::kIgnore ? ~uint64_t{0} : 0;
  const __m256i vcr = _mm256_set1_epi8('\r');
  const __m256i vlf = _mm256_set1_epi8('\n');
  const __m256i vdot = _mm256_set1_epi8('.');
  __m256i acc_or = _mm256_setzero_si256();
  __m256i acc_min = _mm256_set1_epi8(static_cast<char>(0xFF));
  size_t i = begin;
  bool go = true;
  for (; go && end - i >= 64; i += 64) {
    const __m256i a =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i b =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    acc_or = _mm256_or_si256(acc_or, _mm256_or_si256(a, b));
    acc_min = _mm256_min_epu8(acc_min, _mm256_min_epu8(a, b));
    go = ProcessBlock(s, cr_in, ls_in, stuff_mask, slow_always,
                      static_cast<uint32_t>(i - begin), Avx2Mask(a, b, vcr),
                      Avx2Mask(a, b, vlf), Avx2Mask(a, b, vdot), ~uint64_t{0},
                      64);
  }
  if (go && i < end) {
    const unsigned n = static_cast<unsigned>(end - i);
    alignas(32) char buf[64];
    std::memset(buf, 'a', sizeof(buf));
    std::memcpy(buf, p + i, n);
    const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
    const __m256i b =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(buf + 32));
    acc_or = _mm256_or_si256(acc_or, _mm256_or_si256(a, b));
    acc_min = _mm256_min_epu8(acc_min, _mm256_min_epu8(a, b));
    ProcessBlock(s, cr_in, ls_in, stuff_mask, slow_always,
                 static_cast<uint32_t>(i - begin), Avx2Mask(a, b, vcr),
                 Avx2Mask(a, b, vlf), Avx2Mask(a, b, vdot),
                 (uint64_t{1} << n) - 1, n);
    i = end;
  }
  s.cr_in = cr_in;
  s.ls_in = ls_in;
  s.eight_bit |= _mm256_movemask_epi8(acc_or) != 0;
  s.nul |= _mm256_movemask_epi8(
               _mm256_cmpeq_epi8(acc_min, _mm256_setzero_si256())) != 0;
  return i;
}

// ---------------------------------------------------------------------------
// AVX-512BW: one 64-byte vector per block, compares straight into masks.

__attribute__((target("avx512f,avx512bw"))) size_t ScanAvx512(const char* p,
                                                              size_t begin,
                                                              size_t end,
                                                              Scanner* sp) {
  Scanner& s = *sp;
  uint64_t cr_in = s.cr_in, ls_in = s.ls_in;
  const uint64_t stuff_mask = s.stuff_mask;
  const uint64_t slow_always =
      s.long_lines != LongLinePolicy::kIgnore ? ~uint64_t{0} : 0;
  const __m512i vcr = _mm512_set1_epi8('\r');
  const __m512i vlf = _mm512_set1_epi8('\n');
  const __m512i vdot = _mm512_set1_epi8('.');
  __m512i acc_or = _mm512_setzero_si512();
  __m512i acc_min = _mm512_set1_epi8(static_cast<char>(0xFF));
  size_t i = begin;
  bool go = true;
  for (; go && end - i >= 64; i += 64) {
    const __m512i v = _mm512_loadu_si512(p + i);
    acc_or = _mm512_or_si512(acc_or, v);
    acc_min = _mm512_min_epu8(acc_min, v);
    go = ProcessBlock(s, cr_in, ls_in, stuff_mask, slow_always,
                      static_cast<uint32_t>(i - begin),
                      _mm512_cmpeq_epi8_mask(v, vcr),
                      _mm512_cmpeq_epi8_mask(v, vlf),
                      _mm512_cmpeq_epi8_mask(v, vdot), ~uint64_t{0}, 64);
  }
  if (go && i < end) {
    // A masked load does not touch (or fault on) bytes past the chunk; the
    // masked-off lanes read as 'a'.
    const unsigned n = static_cast<unsigned>(end - i);
    const uint64_t valid = (uint64_t{1} << n) - 1;
    const __m512i v =
        _mm512_mask_loadu_epi8(_mm512_set1_epi8('a'), valid, p + i);
    acc_or = _mm512_or_si512(acc_or, v);
    acc_min = _mm512_min_epu8(acc_min, v);
    ProcessBlock(s, cr_in, ls_in, stuff_mask, slow_always,
                 static_cast<uint32_t>(i - begin),
                 _mm512_cmpeq_epi8_mask(v, vcr), _mm512_cmpeq_epi8_mask(v, vlf),
                 _mm512_cmpeq_epi8_mask(v, vdot), valid, n);
    i = end;
  }
  s.cr_in = cr_in;
  s.ls_in = ls_in;
  s.eight_bit |= _mm512_movepi8_mask(acc_or) != 0;
  s.nul |= _mm512_testn_epi8_mask(acc_min, acc_min) != 0;
  return i;
}

#endif  // SMTP_DOT_STUFFER_X86

// ---------------------------------------------------------------------------
// Kernel selection.

using internal::DotStufferKernel;

bool CpuHas(DotStufferKernel kernel) {
  switch (kernel) {
    case DotStufferKernel::kScalar:
    case DotStufferKernel::kSwar:
      return true;
    case DotStufferKernel::kAvx2:
#if SMTP_DOT_STUFFER_X86
      return __builtin_cpu_supports("avx2");
#else
      return false;
#endif
    case DotStufferKernel::kAvx512:
#if SMTP_DOT_STUFFER_X86
      return __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw");
#else
      return false;
#endif
  }
  return false;
}

ScanFn KernelFn(DotStufferKernel kernel) {
  switch (kernel) {
    case DotStufferKernel::kScalar:
      return &ScanScalar;
    case DotStufferKernel::kSwar:
      return &ScanSwar;
#if SMTP_DOT_STUFFER_X86
    case DotStufferKernel::kAvx2:
      return &ScanAvx2;
    case DotStufferKernel::kAvx512:
      return &ScanAvx512;
#else
    default:
      break;
#endif
  }
  return &ScanSwar;
}

// -1 until the first use picks the best kernel.
std::atomic<int> g_kernel{-1};

DotStufferKernel CurrentKernel() {
  int k = g_kernel.load(std::memory_order_relaxed);
  if (ABSL_PREDICT_FALSE(k < 0)) {
    k = static_cast<int>(internal::BestDotStufferKernel());
    g_kernel.store(k, std::memory_order_relaxed);
  }
  return static_cast<DotStufferKernel>(k);
}

// ---------------------------------------------------------------------------
// Sinks (stage 2).

// SliceSink appends zero-copy IoSlices.
class SliceSink {
 public:
  explicit SliceSink(std::vector<IoSlice>* out)
      : out_(out), base_(out->size()) {}
  void Run(const char* p, size_t n) { out_->push_back(IoSlice{p, n}); }
  void Insert(const char* p, size_t n) { out_->push_back(IoSlice{p, n}); }
  void Rollback() { out_->resize(base_); }

 private:
  std::vector<IoSlice>* out_;
  size_t base_;
};

// CopySink writes into a caller buffer with room for MaxEncodedSize(n).
class CopySink {
 public:
  explicit CopySink(char* out) : base_(out), o_(out) {}
  void Run(const char* p, size_t n) {
    std::memcpy(o_, p, n);
    o_ += n;
  }
  void Insert(const char* p, size_t n) {
    // n is 1 or 2; kWire has a byte to spare after every insertion.
    o_[0] = p[0];
    o_[1] = p[1];
    o_ += n;
  }
  void Rollback() { o_ = base_; }
  size_t written() const { return static_cast<size_t>(o_ - base_); }

 private:
  char* base_;
  char* o_;
};

}  // namespace

namespace internal {

bool DotStufferKernelSupported(DotStufferKernel kernel) {
  return CpuHas(kernel);
}

DotStufferKernel BestDotStufferKernel() {
  if (CpuHas(DotStufferKernel::kAvx512)) return DotStufferKernel::kAvx512;
  if (CpuHas(DotStufferKernel::kAvx2)) return DotStufferKernel::kAvx2;
  return DotStufferKernel::kSwar;
}

bool SetDotStufferKernelForTesting(DotStufferKernel kernel) {
  if (!CpuHas(kernel)) return false;
  g_kernel.store(static_cast<int>(kernel), std::memory_order_relaxed);
  return true;
}

DotStufferKernel ActiveDotStufferKernel() { return CurrentKernel(); }

const char* DotStufferKernelName(DotStufferKernel kernel) {
  switch (kernel) {
    case DotStufferKernel::kScalar:
      return "scalar";
    case DotStufferKernel::kSwar:
      return "swar";
    case DotStufferKernel::kAvx2:
      return "avx2";
    case DotStufferKernel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

}  // namespace internal

DotStuffer::DotStuffer(DotStufferOptions options)
    : options_(options),
      normalize_(options.normalize || options.stuff_dots ||
                 options.terminator) {}

void DotStuffer::Reset() {
  stats_ = DotStufferStats();
  at_line_start_ = true;
  pending_cr_ = false;
  line_length_ = 0;
  finished_ = false;
}

template <typename Sink>
absl::Status DotStuffer::EncodeImpl(absl::string_view chunk, Sink* sink) {
  if (ABSL_PREDICT_FALSE(finished_)) {
    return WrongStateError("DotStuffer: Encode after Finish");
  }
  Scanner s;
  s.stuff_mask = options_.stuff_dots ? ~uint64_t{0} : 0;
  s.emit = normalize_;
  s.reject_bare = options_.line_endings == LineEndingPolicy::kReject;
  s.long_lines = options_.long_lines;
  s.max_line = options_.max_line_length;
  s.cr_in = pending_cr_ ? 1 : 0;
  s.ls_in = at_line_start_ && !pending_cr_ ? 1 : 0;
  s.line_len = line_length_;

  const ScanFn scan = KernelFn(CurrentKernel());
  const char* const p = chunk.data();
  const size_t n = chunk.size();
  const bool start_cr = pending_cr_;
  const bool stuff = options_.stuff_dots;
  uint32_t positions[kPositionsCapacity];
  size_t run = 0;       // start of the input not yet handed to the sink
  size_t inserted = 0;  // bytes inserted
  size_t off = 0;
  while (off < n) {
    const size_t end = n - off > kWindow ? off + kWindow : n;
    s.positions = positions;
    s.num_positions = 0;
    const size_t stop = scan(p, off, end, &s);
    if (ABSL_PREDICT_FALSE(s.error != ScanError::kNone)) {
      sink->Rollback();
      return s.error == ScanError::kBareLineEnding
                 ? LocalError(ErrorDetail::kBareLineEnding,
                              "bare CR or LF in message body")
                 : LocalError(ErrorDetail::kLineTooLong,
                              "message body line longer than the limit");
    }
    for (size_t k = 0; k < s.num_positions; ++k) {
      const size_t q = off + positions[k];
      if (q > run) sink->Run(p + run, q - run);
      run = q;
      const char cur = p[q];
      const bool prev_cr = q > 0 ? p[q - 1] == '\r' : start_cr;
      if (cur == '\n') {
        sink->Insert(kWire, 1);  // "\r" before a bare LF
        inserted += 1;
      } else if (prev_cr) {
        const size_t len = stuff && cur == '.' ? 2 : 1;  // "\n" or "\n."
        sink->Insert(kWire + 1, len);
        inserted += len;
      } else {
        sink->Insert(kWire + 2, 1);  // "." before a line-starting '.'
        inserted += 1;
      }
    }
    off = stop;
  }
  if (n > run) sink->Run(p + run, n - run);

  stats_.input_bytes += n;
  stats_.output_bytes += n + inserted;
  stats_.dots_stuffed += s.dots;
  stats_.bare_lf += s.bare_lf;
  stats_.bare_cr += s.bare_cr;
  stats_.long_lines += s.long_lines_seen;
  stats_.eight_bit |= s.eight_bit;
  stats_.has_nul |= s.nul;
  if (n > 0) {
    pending_cr_ = s.cr_in != 0;
    at_line_start_ = (s.cr_in | s.ls_in) != 0;
  }
  line_length_ = s.line_len;
  return absl::OkStatus();
}

absl::Status DotStuffer::Encode(absl::string_view chunk,
                                std::vector<IoSlice>* out) {
  SliceSink sink(out);
  return EncodeImpl(chunk, &sink);
}

absl::Status DotStuffer::EncodeCopy(absl::string_view chunk, char* out,
                                    size_t* written) {
  CopySink sink(out);
  absl::Status status = EncodeImpl(chunk, &sink);
  *written = sink.written();
  return status;
}

absl::string_view DotStuffer::FinishImpl() {
  if (finished_) return absl::string_view();
  finished_ = true;
  absl::string_view tail;
  if (pending_cr_) {
    // A CR as the very last byte is bare: complete it, then terminate.
    ++stats_.bare_cr;
    pending_cr_ = false;
    if (normalize_) {
      tail = absl::string_view(kWire + 1, options_.terminator ? 4 : 1);
    }
  } else if (options_.terminator) {
    tail = at_line_start_ ? absl::string_view(kWire + 2, 3)
                          : absl::string_view(kWire, 5);
  }
  at_line_start_ = true;
  line_length_ = 0;
  stats_.output_bytes += tail.size();
  return tail;
}

void DotStuffer::Finish(std::vector<IoSlice>* out) {
  const absl::string_view tail = FinishImpl();
  if (!tail.empty()) out->push_back(IoSlice{tail.data(), tail.size()});
}

size_t DotStuffer::FinishCopy(char* out) {
  const absl::string_view tail = FinishImpl();
  if (!tail.empty()) std::memcpy(out, tail.data(), tail.size());
  return tail.size();
}

}  // namespace smtpcore
