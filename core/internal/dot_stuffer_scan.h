// The part every DotStuffer kernel shares: how a block of input is turned
// into insertion points, the scanner state that carries across blocks and
// chunks, and the kernel loop itself. Internal to core/dot_stuffer.cc and
// core/internal/dot_stuffer_kernels.cc; nothing here is public API.
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
// Each kernel is a template over an *emitter* (core/internal/
// dot_stuffer_emitters.h) that produces the output as the scan goes, in one
// pass over the chunk. Emitter interface:
//   Event(q, type)          insert before offset q (scalar kernel)
//   Events(i, e, m, n)      insert before i + b for each bit b of e
//   Clean(i, n)             block [i, i + n) has no insertions
//   Finish(n)               the chunk of n bytes is done
//   Rollback()              forget everything (error)
// Kernels copy the emitter into a local and back, so that its cursor can
// live in a register despite the byte stores.
//
// Errors are all-or-nothing: counts and carries accumulate in a local
// Scanner, committed to the DotStuffer only on success, and the emitter rolls
// back what it wrote.

#ifndef SMTP_CORE_INTERNAL_DOT_STUFFER_SCAN_H_
#define SMTP_CORE_INTERNAL_DOT_STUFFER_SCAN_H_

#include <cstddef>
#include <cstdint>

#include "absl/base/optimization.h"
#include "absl/numeric/bits.h"

#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__))
#define SMTP_DOT_STUFFER_X86 1
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
namespace dot_stuffer_internal {

// kWire holds every byte sequence the encoder inserts:
//   "\r" [0,1)  "\n" [1,2)  "\n." [1,3)  "." [2,3)
//   ".\r\n" [2,5)  "\n.\r\n" [1,5)  "\r\n.\r\n" [0,5)
inline constexpr char kWire[] = "\r\n.\r\n";

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

// LongLineCheck mirrors the public LongLinePolicy without depending on it.
enum class LongLineCheck : uint8_t { kIgnore, kReport, kReject };

// Scanner is a kernel's state: configuration, carries across blocks and
// chunks, and the results of one Encode call.
struct Scanner {
  // Configuration.
  uint64_t stuff_mask = 0;  // ~0 with stuff_dots, else 0
  bool emit = true;         // insert anything (normalising)
  bool reject_bare = false;
  LongLineCheck long_lines = LongLineCheck::kIgnore;
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
    return reject_bare || long_lines != LongLineCheck::kIgnore;
  }
};

// ScanFn is a kernel instantiated for one emitter: scans `n` bytes at `p`,
// updating `*s` and driving `*em`. Returns false (s->error set) to fail the
// chunk.
template <typename Emitter>
using ScanFn = bool (*)(const char* p, size_t n, Scanner* s, Emitter* em);

// CheckBlock applies the long-line and reject policies to one block: `c`/`l`
// are the CR/LF masks, `bare` as in the file comment, `valid` has the low `n`
// bits set. Returns false, with s.error set, to fail the chunk.
SMTP_ALWAYS_INLINE bool CheckBlock(Scanner& s, uint64_t c, uint64_t l,
                                   uint64_t bare, uint64_t valid, unsigned n) {
  unsigned first_long = 64;  // offset in block of a rejected long line
  if (s.long_lines != LongLineCheck::kIgnore) {
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
        if (s.long_lines == LongLineCheck::kReject) {
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

// BlockMasks are a block's CR, LF and '.' masks, one bit per byte.
struct BlockMasks {
  uint64_t c;
  uint64_t l;
  uint64_t d;
};

// BlockStep is the per-block logic shared by the block kernels, inlined into
// each so that carries stay in registers: `m` are the block's masks, `valid`
// has the low `n` bits set (n is 64 but for the tail). It updates carries,
// counts and checks, and returns the insertion points (0 for a clean block,
// or when not normalising) and their types; the kernel hands them to its
// emitter (BlockStep itself stays free of target-specific code). `ok` is
// false on error.
struct BlockResult {
  bool ok;
  uint64_t events;
  TypeMasks types;
};
SMTP_ALWAYS_INLINE BlockResult BlockStep(Scanner& s, uint64_t& cr_in,
                                         uint64_t& ls_in, uint64_t stuff_mask,
                                         bool checks, const BlockMasks& m,
                                         uint64_t valid, unsigned n) {
  const uint64_t cs = (m.c << 1) | cr_in;
  const uint64_t ls = (m.l << 1) | ls_in;
  const uint64_t bare = (m.l ^ cs) & valid;
  const uint64_t dot = (ls | cs) & m.d & stuff_mask;
  cr_in = (m.c >> (n - 1)) & 1;
  ls_in = (m.l >> (n - 1)) & 1;
  if (ABSL_PREDICT_FALSE(checks) && !CheckBlock(s, m.c, m.l, bare, valid, n)) {
    return BlockResult{false, 0, TypeMasks{0, 0}};
  }
  if (ABSL_PREDICT_TRUE((bare | dot) == 0)) {
    return BlockResult{true, 0, TypeMasks{0, 0}};
  }
  s.bare_lf += absl::popcount(bare & m.l);
  s.bare_cr += absl::popcount(bare & ~m.l);
  s.dots += absl::popcount(dot);
  return BlockResult{true, s.emit ? bare | dot : 0,
                     MakeTypeMasks(m.l, bare, dot)};
}

}  // namespace dot_stuffer_internal
}  // namespace smtpcore

// SMTP_SCAN_BLOCKS(classifier) is the body of every block kernel: the
// prologue (scanner and emitter copied into locals), the loop over full
// 64-byte blocks, the tail block and the epilogue. It expects the kernel's
// parameters `p`, `n`, `sp`, `emp` and a template parameter `Emitter` in
// scope, and `classifier` to provide
//   BlockMasks Block(const char* block)                 64 bytes
//   BlockMasks Tail(const char* tail, unsigned count)   count < 64 bytes
//   bool eight_bit() const; bool nul() const            over all blocks
// A macro, not a function: the classifier and emitter calls must sit in the
// kernel's own body, compiled for its target (GCC refuses to inline a
// target-specific function into a generic helper).
#define SMTP_SCAN_BLOCKS(classifier)                                         \
  ::smtpcore::dot_stuffer_internal::Scanner s = *sp;                         \
  Emitter em = *emp;                                                         \
  uint64_t cr_in = s.cr_in, ls_in = s.ls_in;                                 \
  const uint64_t stuff_mask = s.stuff_mask;                                  \
  const bool checks = s.checks();                                            \
  bool ok = true;                                                            \
  size_t i = 0;                                                              \
  for (; ok && n - i >= 64; i += 64) {                                       \
    SMTP_BLOCK_STEP_(i, (classifier).Block(p + i), ~uint64_t{0}, 64u);       \
  }                                                                          \
  if (ok && i < n) {                                                         \
    const unsigned tail_ = static_cast<unsigned>(n - i);                     \
    SMTP_BLOCK_STEP_(i, (classifier).Tail(p + i, tail_),                     \
                     (uint64_t{1} << tail_) - 1, tail_);                     \
  }                                                                          \
  s.cr_in = cr_in;                                                           \
  s.ls_in = ls_in;                                                           \
  s.eight_bit |= (classifier).eight_bit();                                   \
  s.nul |= (classifier).nul();                                               \
  *sp = s;                                                                   \
  *emp = em;                                                                 \
  return ok

// SMTP_BLOCK_STEP_ runs BlockStep on one block and hands the result to the
// emitter `em` (a helper of SMTP_SCAN_BLOCKS).
#define SMTP_BLOCK_STEP_(offset, masks, valid, count)                        \
  do {                                                                       \
    const ::smtpcore::dot_stuffer_internal::BlockResult r_ =                 \
        ::smtpcore::dot_stuffer_internal::BlockStep(                         \
            s, cr_in, ls_in, stuff_mask, checks, (masks), (valid), (count)); \
    if (ABSL_PREDICT_TRUE(r_.events == 0)) {                                 \
      em.Clean((offset), (count));                                           \
    } else {                                                                 \
      em.Events((offset), r_.events, r_.types, (count));                     \
    }                                                                        \
    ok = r_.ok;                                                              \
  } while (0)

#endif  // SMTP_CORE_INTERNAL_DOT_STUFFER_SCAN_H_
