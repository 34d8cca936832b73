// DotStuffer implementation. See dot_stuffer.h for the contract.
//
// A kernel (scalar, SWAR, AVX2 or AVX-512) classifies the chunk in 64-byte
// blocks into bit masks C (CR), L (LF) and D ('.'), one bit per byte, and
// from them finds every *insertion point*: an offset q before which the
// output needs extra bytes. With carries cr_in/ls_in from the previous block
// ("previous byte was CR" / "previous byte was LF, or body start"):
//    Cs    = C << 1 | cr_in        byte q-1 is a CR
//    Ls    = L << 1 | ls_in        byte q-1 is an LF (or q is the start)
//    bare  = L ^ Cs                bare LF at q (L, not Cs), or a bare CR at
//                                  q-1 resolved by byte q (Cs, not L)
//    dot   = (Ls | Cs) & D         a '.' that starts a line (D and L are
//                                  disjoint, so Cs & D is "CR, then '.'")
// A block with bare == dot == 0 is clean and costs a few ALU ops. In other
// blocks each insertion point gets a type saying what to insert before it:
//    kInsertCr "\r" before a bare LF       kInsertLf "\n" after a bare CR
//    kInsertLfDot "\n." after a bare CR, before a line-starting '.'
//    kInsertDot "." before a line-starting '.'
// Every inserted sequence is a substring of kWire = "\r\n.\r\n", so static
// slices all point into one constant.
//
// Each kernel is a template over an *emitter* that produces the output as
// the scan goes (one pass over the chunk):
//  - SliceEmitter: zero-copy IoSlices (runs of the chunk between insertion
//    points, plus static insertions);
//  - RunCopyEmitter: the same runs copied into the caller's buffer;
//  - BlockCopyEmitter512 (AVX-512 only): stores each 64-byte block as a
//    vector, then patches insertions with a shifted reload of the block's
//    remainder, so a dense block (bare-LF text) costs a few vector moves.
// Kernels and emitters are inlined into one function per (kernel, emitter)
// pair compiled for that kernel's instruction set (target attribute), chosen
// at run time from the CPU; the default build stays portable.
//
// Errors are all-or-nothing: counts and carries accumulate in a local
// Scanner, committed to the DotStuffer only on success, and the emitter rolls
// back what it wrote.

#include "core/dot_stuffer.h"

#include <atomic>
#include <cstdint>
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

#define SMTP_TARGET_AVX2 __attribute__((target("avx2,bmi,popcnt")))
#define SMTP_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,bmi,popcnt")))

namespace smtpcore {
namespace {

// kWire holds every byte sequence the encoder inserts:
//   "\r" [0,1)  "\n" [1,2)  "\n." [1,3)  "." [2,3)
//   ".\r\n" [2,5)  "\n.\r\n" [1,5)  "\r\n.\r\n" [0,5)
constexpr char kWire[] = "\r\n.\r\n";

// Insertion types (see the file comment).
enum : uint32_t {
  kInsertCr = 0,
  kInsertLf = 1,
  kInsertLfDot = 2,
  kInsertDot = 3
};

// InsertOffset/InsertLen give the bytes a type inserts, as kWire substrings.
SMTP_ALWAYS_INLINE uint32_t InsertOffset(uint32_t type) {
  return (type + 1) >> 1;  // 0, 1, 1, 2
}
SMTP_ALWAYS_INLINE uint32_t InsertLen(uint32_t type) {
  return 1 + (type == kInsertLfDot);  // 1, 1, 2, 1
}

// TypeMasks: for the insertion points of a block, bit 0 of the type is set
// where `t0` is (kInsertLf, kInsertDot) and bit 1 where `t1` is
// (kInsertLfDot, kInsertDot: the ones ending in '.').
struct TypeMasks {
  uint64_t t0;
  uint64_t t1;
};
SMTP_ALWAYS_INLINE TypeMasks MakeTypeMasks(uint64_t l, uint64_t bare,
                                           uint64_t dot) {
  const uint64_t bare_cr = bare & ~l;
  return TypeMasks{(bare_cr & ~dot) | (dot & ~bare), dot};
}
// OnlyBareLf is true if every insertion point of the block is kInsertCr
// (the common case in bare-LF text).
SMTP_ALWAYS_INLINE bool OnlyBareLf(const TypeMasks& m) {
  return (m.t0 | m.t1) == 0;
}
SMTP_ALWAYS_INLINE uint32_t TypeAt(const TypeMasks& m, unsigned b) {
  return static_cast<uint32_t>((m.t0 >> b) & 1) |
         static_cast<uint32_t>(((m.t1 >> b) & 1) << 1);
}

enum class ScanError : uint8_t { kNone, kBareLineEnding, kLineTooLong };

// Scanner is a kernel's state: configuration, carries across blocks and
// chunks, and the results of one Encode call.
struct Scanner {
  // Configuration.
  uint64_t stuff_mask = 0;  // ~0 with stuff_dots, else 0
  bool emit = true;         // insert anything (normalising)
  bool reject_bare = false;
  LongLinePolicy long_lines = LongLinePolicy::kIgnore;
  uint64_t max_line = 0;

  // Carries across blocks and chunks.
  uint64_t cr_in = 0;     // 1 if the previous byte was a CR
  uint64_t ls_in = 0;     // 1 if the previous byte was an LF, or no byte yet
  uint64_t line_len = 0;  // octets of the current line (long-line policy)

  // Results of the current call.
  uint64_t bare_lf = 0;
  uint64_t bare_cr = 0;
  uint64_t dots = 0;
  uint64_t long_lines_seen = 0;
  bool eight_bit = false;
  bool nul = false;
  ScanError error = ScanError::kNone;

  bool checks() const {
    return reject_bare || long_lines != LongLinePolicy::kIgnore;
  }
};

// CheckBlock applies the long-line and reject policies to one block: `c`/`l`
// are the CR/LF masks, `bare` as in the file comment, `valid` has the low `n`
// bits set. Returns false, with s.error set, to fail the chunk.
SMTP_ALWAYS_INLINE bool CheckBlock(Scanner& s, uint64_t c, uint64_t l,
                                   uint64_t bare, uint64_t valid, unsigned n) {
  unsigned first_long = 64;  // offset in block of a rejected long line
  if (s.long_lines != LongLinePolicy::kIgnore) {
    // Walk the segments between line-break bytes; a segment of `seg` content
    // bytes after `cur` bytes of the same line crosses the limit at
    // start + (max_line - cur).
    const uint64_t max_line = s.max_line;
    uint64_t breaks = (c | l) & valid;
    unsigned start = 0;
    uint64_t cur = s.line_len;
    for (;;) {
      const unsigned end =
          breaks != 0 ? static_cast<unsigned>(absl::countr_zero(breaks)) : n;
      const uint64_t seg = end - start;
      if (cur <= max_line && cur + seg > max_line) {
        if (s.long_lines == LongLinePolicy::kReject) {
          first_long = start + static_cast<unsigned>(max_line - cur);
          break;
        }
        ++s.long_lines_seen;
      }
      if (breaks == 0) {
        cur += seg;
        break;
      }
      cur = 0;
      start = end + 1;
      breaks &= breaks - 1;
    }
    s.line_len = cur;
  }
  const unsigned first_bare =
      s.reject_bare && bare != 0
          ? static_cast<unsigned>(absl::countr_zero(bare))
          : 64;
  if (ABSL_PREDICT_FALSE(first_bare != 64 || first_long != 64)) {
    // The earlier offending byte wins; a tie (bare CR resolved by a byte
    // that is also too long) reports the line ending, as the scalar kernel.
    s.error = first_bare <= first_long ? ScanError::kBareLineEnding
                                       : ScanError::kLineTooLong;
    return false;
  }
  return true;
}

// BlockStep is the per-block logic shared by the block kernels, inlined into
// each so that carries stay in registers: `c`/`l`/`d` are the CR/LF/'.'
// masks, `valid` has the low `n` bits set (n is 64 but for the tail). It
// updates carries, counts and checks, and returns the insertion points (0
// for a clean block, or when not normalising) and their types; the kernel
// hands them to its emitter (BlockStep itself stays free of target-specific
// code). `ok` is false on error.
struct BlockResult {
  bool ok;
  uint64_t events;
  TypeMasks types;
};
SMTP_ALWAYS_INLINE BlockResult BlockStep(Scanner& s, uint64_t& cr_in,
                                         uint64_t& ls_in, uint64_t stuff_mask,
                                         bool checks, uint64_t c, uint64_t l,
                                         uint64_t d, uint64_t valid,
                                         unsigned n) {
  const uint64_t cs = (c << 1) | cr_in;
  const uint64_t ls = (l << 1) | ls_in;
  const uint64_t bare = (l ^ cs) & valid;
  const uint64_t dot = (ls | cs) & d & stuff_mask;
  cr_in = (c >> (n - 1)) & 1;
  ls_in = (l >> (n - 1)) & 1;
  if (ABSL_PREDICT_FALSE(checks) && !CheckBlock(s, c, l, bare, valid, n)) {
    return BlockResult{false, 0, TypeMasks{0, 0}};
  }
  if (ABSL_PREDICT_TRUE((bare | dot) == 0)) {
    return BlockResult{true, 0, TypeMasks{0, 0}};
  }
  s.bare_lf += absl::popcount(bare & l);
  s.bare_cr += absl::popcount(bare & ~l);
  s.dots += absl::popcount(dot);
  return BlockResult{true, s.emit ? bare | dot : 0,
                     MakeTypeMasks(l, bare, dot)};
}

// SMTP_BLOCK_STEP runs BlockStep on one block and hands the result to the
// kernel's emitter `em`. A macro, not a function: the emitter call must sit
// in the kernel's own body, compiled for its target (GCC refuses to inline
// a target-specific emitter into a generic helper).
#define SMTP_BLOCK_STEP(i, c, l, d, valid, n)                              \
  do {                                                                     \
    const BlockResult r_ =                                                 \
        BlockStep(s, cr_in, ls_in, stuff_mask, checks, c, l, d, valid, n); \
    if (ABSL_PREDICT_TRUE(r_.events == 0)) {                               \
      em.Clean(i, n);                                                      \
    } else {                                                               \
      em.Events(i, r_.events, r_.types, n);                                \
    }                                                                      \
    ok = r_.ok;                                                            \
  } while (0)

// ---------------------------------------------------------------------------
// Emitters. Interface:
//   Event(q, type)          insert before offset q (scalar kernel)
//   Events(i, e, m, n)      insert before i + b for each bit b of e
//   Clean(i, n)             block [i, i + n) has no insertions
//   Finish(n)               the chunk of n bytes is done
//   Rollback()              forget everything (error)
// Kernels copy the emitter into a local and back, so that its cursor can
// live in a register despite the byte stores.

// CopyRun copies n bytes from src to o and returns o + n. When src <=
// safe_end (the address 128 bytes before the chunk end, or 0) a run of up to
// 128 bytes is copied as a fixed 64 or 128 bytes, past its end: the source
// stays inside the chunk, and the destination inside the MaxEncodedSize
// room, since the output offset is at most twice the input offset. The
// excess is overwritten by the next write.
SMTP_ALWAYS_INLINE char* CopyRun(char* o, const char* src, size_t n,
                                 uintptr_t safe_end) {
  if (ABSL_PREDICT_TRUE(reinterpret_cast<uintptr_t>(src) <= safe_end)) {
    if (n <= 64) {
      std::memcpy(o, src, 64);
      return o + n;
    }
    if (n <= 128) {
      std::memcpy(o, src, 128);
      return o + n;
    }
  }
  std::memcpy(o, src, n);
  return o + n;
}

uintptr_t SafeEnd(const char* p, size_t n) {
  return n >= 128 ? reinterpret_cast<uintptr_t>(p) + (n - 128) : 0;
}

// SliceEmitter appends zero-copy IoSlices. Slices are staged in a small
// caller-provided array (on Encode's stack) and appended to the vector in
// bulk: resizing the vector ahead would zero-fill it, a cost as large as
// writing the slices.
constexpr size_t kStageSlices = 256;  // a dirty block adds at most 128

class SliceEmitter {
 public:
  SliceEmitter(std::vector<IoSlice>* out, const char* p, IoSlice* stage)
      : out_(out),
        base_(out->size()),
        p_(p),
        stage_(stage),
        w_(stage),
        w_end_(stage + kStageSlices) {}

  SMTP_ALWAYS_INLINE void Clean(size_t, unsigned) {}
  SMTP_ALWAYS_INLINE void Event(size_t q, uint32_t type) {
    if (ABSL_PREDICT_FALSE(w_end_ - w_ < 2)) Flush();
    Put(q, type);
  }
  SMTP_ALWAYS_INLINE void Events(size_t i, uint64_t e, const TypeMasks& m,
                                 unsigned) {
    if (ABSL_PREDICT_FALSE(w_end_ - w_ < 128)) Flush();  // 2 per event
    if (OnlyBareLf(m)) {
      do {
        Put(i + static_cast<unsigned>(absl::countr_zero(e)), kInsertCr);
        e &= e - 1;
      } while (e != 0);
      return;
    }
    do {
      const unsigned b = static_cast<unsigned>(absl::countr_zero(e));
      Put(i + b, TypeAt(m, b));
      e &= e - 1;
    } while (e != 0);
  }
  void Finish(size_t n) {
    if (w_ == stage_) {  // nothing staged: at most one slice
      if (n > run_) out_->push_back(IoSlice{p_ + run_, n - run_});
      return;
    }
    if (n > run_) {
      if (w_ == w_end_) Flush();
      *w_++ = IoSlice{p_ + run_, n - run_};
    }
    Flush();
  }
  void Rollback() { out_->resize(base_); }

 private:
  SMTP_ALWAYS_INLINE void Put(size_t q, uint32_t type) {
    *w_ = IoSlice{p_ + run_, q - run_};
    w_ += q != run_;  // an empty run is overwritten
    *w_++ = IoSlice{kWire + InsertOffset(type), InsertLen(type)};
    run_ = q;
  }
  // Flush appends the staged slices. The work is in a static function
  // taking values, so that `this` (a kernel's local copy) does not escape
  // and its fields can stay in registers.
  SMTP_ALWAYS_INLINE void Flush() {
    Append(out_, stage_, w_);
    w_ = stage_;
  }
  static void Append(std::vector<IoSlice>* out, const IoSlice* from,
                     const IoSlice* to) {
    out->insert(out->end(), from, to);
  }

  std::vector<IoSlice>* out_;
  size_t base_;  // size on entry
  const char* p_;
  size_t run_ = 0;  // start of the input not yet in a slice
  IoSlice* stage_;
  IoSlice* w_;
  IoSlice* w_end_;
};

// RunCopyEmitter copies the same runs into a buffer with room for
// MaxEncodedSize(n).
class RunCopyEmitter {
 public:
  RunCopyEmitter(char* out, const char* p, size_t n)
      : base_(out), o_(out), p_(p), safe_end_(SafeEnd(p, n)) {}

  SMTP_ALWAYS_INLINE void Clean(size_t, unsigned) {}
  SMTP_ALWAYS_INLINE void Event(size_t q, uint32_t type) {
    o_ = CopyRun(o_, p_ + run_, q - run_, safe_end_);
    // 1 or 2 bytes; kWire has a byte to spare after every insertion, and
    // the room has one more byte (the input byte the insertion precedes).
    std::memcpy(o_, kWire + InsertOffset(type), 2);
    o_ += InsertLen(type);
    run_ = q;
  }
  SMTP_ALWAYS_INLINE void Events(size_t i, uint64_t e, const TypeMasks& m,
                                 unsigned) {
    if (OnlyBareLf(m)) {
      do {
        Event(i + static_cast<unsigned>(absl::countr_zero(e)), kInsertCr);
        e &= e - 1;
      } while (e != 0);
      return;
    }
    do {
      const unsigned b = static_cast<unsigned>(absl::countr_zero(e));
      Event(i + b, TypeAt(m, b));
      e &= e - 1;
    } while (e != 0);
  }
  void Finish(size_t n) {
    if (n > run_) o_ = CopyRun(o_, p_ + run_, n - run_, safe_end_);
  }
  void Rollback() { o_ = base_; }
  size_t written() const { return static_cast<size_t>(o_ - base_); }

 private:
  char* base_;
  char* o_;
  const char* p_;
  uintptr_t safe_end_;
  size_t run_ = 0;
};

// ---------------------------------------------------------------------------
// Scalar: one byte at a time. The reference the block kernels are tested
// against; written as a plain state machine, not from the masks.

template <typename Emitter>
bool ScanScalar(const char* p, size_t n, Scanner* sp, Emitter* emp) {
  Scanner s = *sp;
  Emitter em = *emp;
  const bool stuff = s.stuff_mask != 0;
  const bool check_long = s.long_lines != LongLinePolicy::kIgnore;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char ch = static_cast<unsigned char>(p[i]);
    bool line_start = s.ls_in != 0;
    int type = -1;  // what to insert before this byte
    if (ch >= 0x80) s.eight_bit = true;
    if (ch == 0) s.nul = true;
    if (s.cr_in != 0 && ch != '\n') {  // the CR before this byte was bare
      if (s.reject_bare) {
        s.error = ScanError::kBareLineEnding;
        break;
      }
      ++s.bare_cr;
      line_start = true;
      type = kInsertLf;
    } else if (s.cr_in == 0 && ch == '\n') {  // bare LF
      if (s.reject_bare) {
        s.error = ScanError::kBareLineEnding;
        break;
      }
      ++s.bare_lf;
      type = kInsertCr;
    }
    if (stuff && line_start && ch == '.') {
      ++s.dots;
      type = type == kInsertLf ? kInsertLfDot : kInsertDot;
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
    if (type >= 0 && s.emit) em.Event(i, static_cast<uint32_t>(type));
    s.cr_in = ch == '\r';
    s.ls_in = ch == '\n';
  }
  *sp = s;
  *emp = em;
  return s.error == ScanError::kNone;
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

template <typename Emitter>
bool ScanSwar(const char* p, size_t n, Scanner* sp, Emitter* emp) {
  Scanner s = *sp;  // locals, so that their fields can live in registers
  Emitter em = *emp;
  uint64_t cr_in = s.cr_in, ls_in = s.ls_in;
  const uint64_t stuff_mask = s.stuff_mask;
  const bool checks = s.checks();
  uint64_t high = 0, zero = 0;
  bool ok = true;
  size_t i = 0;
  for (; ok && n - i >= 64; i += 64) {
    uint64_t c, l, d;
    ClassifySwar(p + i, &c, &l, &d, &high, &zero);
    SMTP_BLOCK_STEP(i, c, l, d, ~uint64_t{0}, 64);
  }
  if (ok && i < n) {
    // Tail: pad with 'a', which is none of CR, LF, '.', NUL or 8-bit.
    const unsigned tail = static_cast<unsigned>(n - i);
    char buf[64];
    std::memset(buf, 'a', sizeof(buf));
    std::memcpy(buf, p + i, tail);
    uint64_t c, l, d;
    ClassifySwar(buf, &c, &l, &d, &high, &zero);
    SMTP_BLOCK_STEP(i, c, l, d, (uint64_t{1} << tail) - 1, tail);
  }
  s.cr_in = cr_in;
  s.ls_in = ls_in;
  s.eight_bit |= high != 0;
  s.nul |= zero != 0;
  *sp = s;
  *emp = em;
  return ok;
}

#if SMTP_DOT_STUFFER_X86

// ---------------------------------------------------------------------------
// AVX2: two 32-byte vectors per block.

// Avx2Mask returns the 64-bit mask of bytes of the block a:b equal to v.
SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE uint64_t Avx2Mask(__m256i a, __m256i b,
                                                      __m256i v) {
  const uint32_t lo =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, v)));
  const uint32_t hi =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, v)));
  return (uint64_t{hi} << 32) | lo;
}

template <typename Emitter>
SMTP_TARGET_AVX2 bool ScanAvx2(const char* p, size_t n, Scanner* sp,
                               Emitter* emp) {
  Scanner s = *sp;
  Emitter em = *emp;
  uint64_t cr_in = s.cr_in, ls_in = s.ls_in;
  const uint64_t stuff_mask = s.stuff_mask;
  const bool checks = s.checks();
  const __m256i vcr = _mm256_set1_epi8('\r');
  const __m256i vlf = _mm256_set1_epi8('\n');
  const __m256i vdot = _mm256_set1_epi8('.');
  __m256i acc_or = _mm256_setzero_si256();
  __m256i acc_min = _mm256_set1_epi8(static_cast<char>(0xFF));
  bool ok = true;
  size_t i = 0;
  for (; ok && n - i >= 64; i += 64) {
    const __m256i a =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i b =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32));
    acc_or = _mm256_or_si256(acc_or, _mm256_or_si256(a, b));
    acc_min = _mm256_min_epu8(acc_min, _mm256_min_epu8(a, b));
    SMTP_BLOCK_STEP(i, Avx2Mask(a, b, vcr), Avx2Mask(a, b, vlf),
                    Avx2Mask(a, b, vdot), ~uint64_t{0}, 64);
  }
  if (ok && i < n) {
    const unsigned tail = static_cast<unsigned>(n - i);
    alignas(32) char buf[64];
    std::memset(buf, 'a', sizeof(buf));
    std::memcpy(buf, p + i, tail);
    const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
    const __m256i b =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(buf + 32));
    acc_or = _mm256_or_si256(acc_or, _mm256_or_si256(a, b));
    acc_min = _mm256_min_epu8(acc_min, _mm256_min_epu8(a, b));
    SMTP_BLOCK_STEP(i, Avx2Mask(a, b, vcr), Avx2Mask(a, b, vlf),
                    Avx2Mask(a, b, vdot), (uint64_t{1} << tail) - 1, tail);
  }
  s.cr_in = cr_in;
  s.ls_in = ls_in;
  s.eight_bit |= _mm256_movemask_epi8(acc_or) != 0;
  s.nul |= _mm256_movemask_epi8(
               _mm256_cmpeq_epi8(acc_min, _mm256_setzero_si256())) != 0;
  *sp = s;
  *emp = em;
  return ok;
}

// ---------------------------------------------------------------------------
// AVX-512BW: one 64-byte vector per block, compares straight into masks.

// BlockCopyEmitter512 stores every block with one vector store. For each
// insertion point b of a dirty block it writes the inserted bytes, then
// stores the block's bytes from b on again, reloaded from the input, right
// after them. Full blocks at least 128 bytes before the chunk end use plain
// 64-byte loads and stores: a store may run up to 64 bytes past the block's
// output, which the next block's stores overwrite, and which stays inside
// the MaxEncodedSize room. Other blocks use masked loads and stores that
// touch exactly their bytes.
class BlockCopyEmitter512 {
 public:
  BlockCopyEmitter512(char* out, const char* p, size_t n)
      : base_(out),
        o_(out),
        p_(p),
        fast_end_(n >= 128 ? n - 128 : 0),
        fast_ok_(n >= 128) {}

  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE void Clean(size_t i, unsigned n) {
    if (ABSL_PREDICT_TRUE(n == 64)) {
      _mm512_storeu_si512(o_, _mm512_loadu_si512(p_ + i));
    } else {
      const __mmask64 k = Low(n);
      _mm512_mask_storeu_epi8(o_, k, _mm512_maskz_loadu_epi8(k, p_ + i));
    }
    o_ += n;
  }
  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE void Events(size_t i, uint64_t e,
                                                    const TypeMasks& m,
                                                    unsigned n) {
    const char* const src = p_ + i;
    char* const o = o_;
    size_t shift = 0;
    if (ABSL_PREDICT_TRUE(n == 64 && fast_ok_ && i <= fast_end_)) {
      _mm512_storeu_si512(o, _mm512_loadu_si512(src));
      if (OnlyBareLf(m)) {  // bare-LF text: "\r" before each LF
        do {
          const unsigned b = static_cast<unsigned>(absl::countr_zero(e));
          o[b + shift] = '\r';
          ++shift;
          _mm512_storeu_si512(o + b + shift, _mm512_loadu_si512(src + b));
          e &= e - 1;
        } while (e != 0);
        o_ = o + 64 + shift;
        return;
      }
      do {
        const unsigned b = static_cast<unsigned>(absl::countr_zero(e));
        const uint32_t type = TypeAt(m, b);
        std::memcpy(o + b + shift, kWire + InsertOffset(type), 2);
        shift += InsertLen(type);
        _mm512_storeu_si512(o + b + shift, _mm512_loadu_si512(src + b));
        e &= e - 1;
      } while (e != 0);
    } else {
      const __mmask64 k = Low(n);
      _mm512_mask_storeu_epi8(o, k, _mm512_maskz_loadu_epi8(k, src));
      do {
        const unsigned b = static_cast<unsigned>(absl::countr_zero(e));
        const uint32_t type = TypeAt(m, b);
        const char* ins = kWire + InsertOffset(type);
        o[b + shift] = ins[0];
        if (type == kInsertLfDot) o[b + shift + 1] = ins[1];
        shift += InsertLen(type);
        const __mmask64 rest = Low(n - b);
        _mm512_mask_storeu_epi8(o + b + shift, rest,
                                _mm512_maskz_loadu_epi8(rest, src + b));
        e &= e - 1;
      } while (e != 0);
    }
    o_ = o + n + shift;
  }
  void Finish(size_t) {}
  void Rollback() { o_ = base_; }
  size_t written() const { return static_cast<size_t>(o_ - base_); }

 private:
  static SMTP_ALWAYS_INLINE uint64_t Low(unsigned n) {
    return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  }

  char* base_;
  char* o_;
  const char* p_;
  size_t fast_end_;  // blocks at offsets <= this may use unmasked stores
  bool fast_ok_;
};

template <typename Emitter>
SMTP_TARGET_AVX512 bool ScanAvx512(const char* p, size_t n, Scanner* sp,
                                   Emitter* emp) {
  Scanner s = *sp;
  Emitter em = *emp;
  uint64_t cr_in = s.cr_in, ls_in = s.ls_in;
  const uint64_t stuff_mask = s.stuff_mask;
  const bool checks = s.checks();
  const __m512i vcr = _mm512_set1_epi8('\r');
  const __m512i vlf = _mm512_set1_epi8('\n');
  const __m512i vdot = _mm512_set1_epi8('.');
  __m512i acc_or = _mm512_setzero_si512();
  __m512i acc_min = _mm512_set1_epi8(static_cast<char>(0xFF));
  bool ok = true;
  size_t i = 0;
  for (; ok && n - i >= 64; i += 64) {
    const __m512i v = _mm512_loadu_si512(p + i);
    acc_or = _mm512_or_si512(acc_or, v);
    acc_min = _mm512_min_epu8(acc_min, v);
    SMTP_BLOCK_STEP(i, _mm512_cmpeq_epi8_mask(v, vcr),
                    _mm512_cmpeq_epi8_mask(v, vlf),
                    _mm512_cmpeq_epi8_mask(v, vdot), ~uint64_t{0}, 64);
  }
  if (ok && i < n) {
    // A masked load does not touch (or fault on) bytes past the chunk; the
    // masked-off lanes read as 'a'.
    const unsigned tail = static_cast<unsigned>(n - i);
    const uint64_t valid = (uint64_t{1} << tail) - 1;
    const __m512i v =
        _mm512_mask_loadu_epi8(_mm512_set1_epi8('a'), valid, p + i);
    acc_or = _mm512_or_si512(acc_or, v);
    acc_min = _mm512_min_epu8(acc_min, v);
    SMTP_BLOCK_STEP(i, _mm512_cmpeq_epi8_mask(v, vcr),
                    _mm512_cmpeq_epi8_mask(v, vlf),
                    _mm512_cmpeq_epi8_mask(v, vdot), valid, tail);
  }
  s.cr_in = cr_in;
  s.ls_in = ls_in;
  s.eight_bit |= _mm512_movepi8_mask(acc_or) != 0;
  s.nul |= _mm512_testn_epi8_mask(acc_min, acc_min) != 0;
  *sp = s;
  *emp = em;
  return ok;
}

#endif  // SMTP_DOT_STUFFER_X86

#undef SMTP_BLOCK_STEP

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
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("popcnt");
#else
      return false;
#endif
    case DotStufferKernel::kAvx512:
#if SMTP_DOT_STUFFER_X86
      return __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt");
#else
      return false;
#endif
  }
  return false;
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

template <typename Emitter>
using ScanFnFor = bool (*)(const char* p, size_t n, Scanner* s, Emitter* em);

// ScanFor returns `kernel`'s scan for a run-based emitter.
template <typename Emitter>
ScanFnFor<Emitter> ScanFor(DotStufferKernel kernel) {
  switch (kernel) {
    case DotStufferKernel::kScalar:
      return &ScanScalar<Emitter>;
    case DotStufferKernel::kSwar:
      return &ScanSwar<Emitter>;
#if SMTP_DOT_STUFFER_X86
    case DotStufferKernel::kAvx2:
      return &ScanAvx2<Emitter>;
    case DotStufferKernel::kAvx512:
      return &ScanAvx512<Emitter>;
#else
    default:
      break;
#endif
  }
  return &ScanSwar<Emitter>;
}

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

template <typename Emitter, typename ScanFn>
absl::Status DotStuffer::EncodeImpl(absl::string_view chunk, Emitter* em,
                                    ScanFn scan) {
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

  const size_t n = chunk.size();
  if (ABSL_PREDICT_FALSE(!scan(chunk.data(), n, &s, em))) {
    em->Rollback();
    return s.error == ScanError::kBareLineEnding
               ? LocalError(ErrorDetail::kBareLineEnding,
                            "bare CR or LF in message body")
               : LocalError(ErrorDetail::kLineTooLong,
                            "message body line longer than the limit");
  }
  em->Finish(n);

  // Each insertion point adds one byte per bare ending and per stuffed dot.
  const size_t inserted = normalize_ ? s.bare_lf + s.bare_cr + s.dots : 0;
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
  IoSlice stage[kStageSlices];
  SliceEmitter em(out, chunk.data(), stage);
  return EncodeImpl(chunk, &em, ScanFor<SliceEmitter>(CurrentKernel()));
}

absl::Status DotStuffer::EncodeCopy(absl::string_view chunk, char* out,
                                    size_t* written) {
  const DotStufferKernel kernel = CurrentKernel();
  absl::Status status;
#if SMTP_DOT_STUFFER_X86
  if (kernel == DotStufferKernel::kAvx512) {
    BlockCopyEmitter512 em(out, chunk.data(), chunk.size());
    status = EncodeImpl(chunk, &em, &ScanAvx512<BlockCopyEmitter512>);
    *written = em.written();
    return status;
  }
#endif
  RunCopyEmitter em(out, chunk.data(), chunk.size());
  status = EncodeImpl(chunk, &em, ScanFor<RunCopyEmitter>(kernel));
  *written = em.written();
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
  } else if (normalize_ && !at_line_start_) {
    // BDAT (not BINARYMIME): end the last line with CRLF, as DATA does, so
    // both transfer commands store the same bytes (RFC 5321 §4.1.1.4: the
    // CRLF before "." belongs to the message).
    tail = absl::string_view(kWire, 2);
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
