// The DotStuffer's emitters: what a kernel's insertion points turn into
// (interface in core/internal/dot_stuffer_scan.h). Internal.
//  - SliceEmitter: zero-copy IoSlices (runs of the chunk between insertion
//    points, plus static insertions; a stuffed dot is the line's own dot,
//    covered by two overlapping runs) for DotStuffer::Encode;
//  - RunCopyEmitter: the same runs copied into the caller's buffer
//    (EncodeCopy);
//  - BlockCopyEmitter512 (AVX-512 only): stores each 64-byte block as a
//    vector, then patches insertions with a shifted reload of the block's
//    remainder, so a dense block (bare-LF text) costs a few vector moves;
//  - CountEmitter: nothing at all (DotStuffer::Measure, count-only).

#ifndef SMTP_CORE_INTERNAL_DOT_STUFFER_EMITTERS_H_
#define SMTP_CORE_INTERNAL_DOT_STUFFER_EMITTERS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/numeric/bits.h"
#include "core/internal/dot_stuffer_scan.h"
#include "core/io_slice.h"

#if SMTP_DOT_STUFFER_X86
#include <immintrin.h>
#endif

namespace smtpcore {
namespace dot_stuffer_internal {

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

inline uintptr_t SafeEnd(const char* p, size_t n) {
  return n >= 128 ? reinterpret_cast<uintptr_t>(p) + (n - 128) : 0;
}

// SliceEmitter appends zero-copy IoSlices. Slices are staged in a small
// caller-provided array (on Encode's stack) and appended to the vector in
// bulk: resizing the vector ahead would zero-fill it, a cost as large as
// writing the slices.
inline constexpr size_t kStageSlices = 256;  // a dirty block adds at most 128

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
    if (type == kInsertDot) {
      // The stuffed dot is the line's own dot sent twice (RFC 5321
      // §4.5.2): the run is extended over it and the next run starts on it
      // again. One slice per dot line instead of two (the run and a static
      // "."): fewer iovecs for the kernel to walk, the same bytes. The dot
      // is always in this chunk (the insertion point is its position).
      *w_++ = IoSlice{p_ + run_, q + 1 - run_};
      run_ = q;
      return;
    }
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

// CountEmitter produces nothing: the scan only updates the counts and the
// line state (DotStuffer::Measure).
class CountEmitter {
 public:
  SMTP_ALWAYS_INLINE void Clean(size_t, unsigned) {}
  SMTP_ALWAYS_INLINE void Event(size_t, uint32_t) {}
  SMTP_ALWAYS_INLINE void Events(size_t, uint64_t, const TypeMasks&,
                                 unsigned) {}
  void Finish(size_t) {}
  void Rollback() {}
};

#if SMTP_DOT_STUFFER_X86

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

#endif  // SMTP_DOT_STUFFER_X86

}  // namespace dot_stuffer_internal
}  // namespace smtpcore

#endif  // SMTP_CORE_INTERNAL_DOT_STUFFER_EMITTERS_H_
