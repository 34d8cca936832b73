// The DotStuffer kernels. See dot_stuffer_kernels.h for the choice among
// them and dot_stuffer_scan.h for what a block scan computes.
//
// Each block kernel is a *classifier* (how one block becomes CR/LF/'.'
// masks, and how 8-bit and NUL octets are noticed) plus the shared loop
// SMTP_SCAN_BLOCKS, compiled for the classifier's instruction set (target
// attribute) in one function per (kernel, emitter) pair; the default build
// stays portable.

#include "core/internal/dot_stuffer_kernels.h"

#include <atomic>
#include <cstdint>
#include <cstring>

#include "absl/base/config.h"
#include "absl/base/optimization.h"

namespace smtpcore {
namespace dot_stuffer_internal {
namespace {

// ---------------------------------------------------------------------------
// Scalar: one byte at a time. The reference the block kernels are tested
// against; written as a plain state machine, not from the masks.

template <typename Emitter>
bool ScanScalar(const char* p, size_t n, Scanner* sp, Emitter* emp) {
  Scanner s = *sp;
  Emitter em = *emp;
  const bool stuff = s.stuff_mask != 0;
  const bool check_long = s.long_lines != LongLineCheck::kIgnore;
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
      if (s.long_lines == LongLineCheck::kReject) {
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

class SwarClassifier {
 public:
  SMTP_ALWAYS_INLINE BlockMasks Block(const char* p) {
    BlockMasks m{0, 0, 0};
    uint64_t h = 0, z = 0;
    for (int k = 0; k < 8; ++k) {
      const uint64_t w = LoadWord(p + 8 * k);
      m.c |= PackHighBits(ZeroBytes(w ^ (kOnes * '\r'))) << (8 * k);
      m.l |= PackHighBits(ZeroBytes(w ^ (kOnes * '\n'))) << (8 * k);
      m.d |= PackHighBits(ZeroBytes(w ^ (kOnes * '.'))) << (8 * k);
      h |= w;
      z |= ZeroBytes(w);
    }
    high_ |= h & kHighBits;
    zero_ |= z;
    return m;
  }
  // Tail pads with 'a', which is none of CR, LF, '.', NUL or 8-bit.
  SMTP_ALWAYS_INLINE BlockMasks Tail(const char* p, unsigned count) {
    char buf[64];
    std::memset(buf, 'a', sizeof(buf));
    std::memcpy(buf, p, count);
    return Block(buf);
  }
  bool eight_bit() const { return high_ != 0; }
  bool nul() const { return zero_ != 0; }

 private:
  uint64_t high_ = 0;
  uint64_t zero_ = 0;
};

template <typename Emitter>
bool ScanSwar(const char* p, size_t n, Scanner* sp, Emitter* emp) {
  SwarClassifier classifier;
  SMTP_SCAN_BLOCKS(classifier);
}

#if SMTP_DOT_STUFFER_X86

// ---------------------------------------------------------------------------
// AVX2: two 32-byte vectors per block.

class Avx2Classifier {
 public:
  SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE Avx2Classifier()
      : acc_or_(_mm256_setzero_si256()),
        acc_min_(_mm256_set1_epi8(static_cast<char>(0xFF))) {}

  SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE BlockMasks Block(const char* p) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i b =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    return Classify(a, b);
  }
  SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE BlockMasks Tail(const char* p,
                                                      unsigned count) {
    alignas(32) char buf[64];
    std::memset(buf, 'a', sizeof(buf));
    std::memcpy(buf, p, count);
    const __m256i a = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
    const __m256i b =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(buf + 32));
    return Classify(a, b);
  }
  SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE bool eight_bit() const {
    return _mm256_movemask_epi8(acc_or_) != 0;
  }
  SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE bool nul() const {
    return _mm256_movemask_epi8(
               _mm256_cmpeq_epi8(acc_min_, _mm256_setzero_si256())) != 0;
  }

 private:
  // Mask returns the 64-bit mask of bytes of the block a:b equal to v.
  static SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE uint64_t Mask(__m256i a,
                                                           __m256i b,
                                                           __m256i v) {
    const uint32_t lo =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, v)));
    const uint32_t hi =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, v)));
    return (uint64_t{hi} << 32) | lo;
  }
  SMTP_TARGET_AVX2 SMTP_ALWAYS_INLINE BlockMasks Classify(__m256i a,
                                                          __m256i b) {
    acc_or_ = _mm256_or_si256(acc_or_, _mm256_or_si256(a, b));
    acc_min_ = _mm256_min_epu8(acc_min_, _mm256_min_epu8(a, b));
    return BlockMasks{Mask(a, b, _mm256_set1_epi8('\r')),
                      Mask(a, b, _mm256_set1_epi8('\n')),
                      Mask(a, b, _mm256_set1_epi8('.'))};
  }

  __m256i acc_or_;
  __m256i acc_min_;
};

template <typename Emitter>
SMTP_TARGET_AVX2 bool ScanAvx2(const char* p, size_t n, Scanner* sp,
                               Emitter* emp) {
  Avx2Classifier classifier;
  SMTP_SCAN_BLOCKS(classifier);
}

// ---------------------------------------------------------------------------
// AVX-512BW: one 64-byte vector per block, compares straight into masks.

class Avx512Classifier {
 public:
  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE Avx512Classifier()
      : acc_or_(_mm512_setzero_si512()),
        acc_min_(_mm512_set1_epi8(static_cast<char>(0xFF))) {}

  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE BlockMasks Block(const char* p) {
    return Classify(_mm512_loadu_si512(p));
  }
  // Tail: a masked load does not touch (or fault on) bytes past the chunk;
  // the masked-off lanes read as 'a'.
  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE BlockMasks Tail(const char* p,
                                                        unsigned count) {
    const uint64_t valid = (uint64_t{1} << count) - 1;
    return Classify(
        _mm512_mask_loadu_epi8(_mm512_set1_epi8('a'), valid, p));
  }
  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE bool eight_bit() const {
    return _mm512_movepi8_mask(acc_or_) != 0;
  }
  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE bool nul() const {
    return _mm512_testn_epi8_mask(acc_min_, acc_min_) != 0;
  }

 private:
  SMTP_TARGET_AVX512 SMTP_ALWAYS_INLINE BlockMasks Classify(__m512i v) {
    acc_or_ = _mm512_or_si512(acc_or_, v);
    acc_min_ = _mm512_min_epu8(acc_min_, v);
    return BlockMasks{_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r')),
                      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')),
                      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'))};
  }

  __m512i acc_or_;
  __m512i acc_min_;
};

template <typename Emitter>
SMTP_TARGET_AVX512 bool ScanAvx512(const char* p, size_t n, Scanner* sp,
                                   Emitter* emp) {
  Avx512Classifier classifier;
  SMTP_SCAN_BLOCKS(classifier);
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

}  // namespace

template <typename Emitter>
ScanFn<Emitter> ScanFor(DotStufferKernel kernel) {
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

template ScanFn<SliceEmitter> ScanFor<SliceEmitter>(DotStufferKernel);
template ScanFn<RunCopyEmitter> ScanFor<RunCopyEmitter>(DotStufferKernel);
template ScanFn<CountEmitter> ScanFor<CountEmitter>(DotStufferKernel);

#if SMTP_DOT_STUFFER_X86
ScanFn<BlockCopyEmitter512> Avx512BlockCopyScan() {
  return &ScanAvx512<BlockCopyEmitter512>;
}
#endif

}  // namespace dot_stuffer_internal

namespace internal {

bool DotStufferKernelSupported(DotStufferKernel kernel) {
  return dot_stuffer_internal::CpuHas(kernel);
}

DotStufferKernel BestDotStufferKernel() {
  if (DotStufferKernelSupported(DotStufferKernel::kAvx512)) {
    return DotStufferKernel::kAvx512;
  }
  if (DotStufferKernelSupported(DotStufferKernel::kAvx2)) {
    return DotStufferKernel::kAvx2;
  }
  return DotStufferKernel::kSwar;
}

bool SetDotStufferKernelForTesting(DotStufferKernel kernel) {
  if (!DotStufferKernelSupported(kernel)) return false;
  dot_stuffer_internal::g_kernel.store(static_cast<int>(kernel),
                                       std::memory_order_relaxed);
  return true;
}

DotStufferKernel ActiveDotStufferKernel() {
  int k = dot_stuffer_internal::g_kernel.load(std::memory_order_relaxed);
  if (ABSL_PREDICT_FALSE(k < 0)) {
    k = static_cast<int>(BestDotStufferKernel());
    dot_stuffer_internal::g_kernel.store(k, std::memory_order_relaxed);
  }
  return static_cast<DotStufferKernel>(k);
}

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
}  // namespace smtpcore
