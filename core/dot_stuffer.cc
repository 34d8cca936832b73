// DotStuffer: the encoder's state machine. The block scan that finds the
// insertion points, and the kernels that run it, are in core/internal/
// (dot_stuffer_scan.h: what a scan computes; dot_stuffer_kernels.cc: the
// scalar, SWAR, AVX2 and AVX-512 kernels; dot_stuffer_emitters.h: slices,
// copies or nothing). Here: options, carries between calls, stats, errors
// and the end-of-data marker.

#include "core/dot_stuffer.h"

#include <cstdint>
#include <cstring>

#include "absl/base/optimization.h"
#include "core/errors.h"
#include "core/internal/dot_stuffer_emitters.h"
#include "core/internal/dot_stuffer_kernels.h"
#include "core/internal/dot_stuffer_scan.h"

namespace smtpcore {

using dot_stuffer_internal::CountEmitter;
using dot_stuffer_internal::kStageSlices;
using dot_stuffer_internal::kWire;
using dot_stuffer_internal::LongLineCheck;
using dot_stuffer_internal::RunCopyEmitter;
using dot_stuffer_internal::ScanError;
using dot_stuffer_internal::ScanFor;
using dot_stuffer_internal::Scanner;
using dot_stuffer_internal::SliceEmitter;
using internal::ActiveDotStufferKernel;
using internal::DotStufferKernel;

static_assert(static_cast<int>(LongLinePolicy::kIgnore) ==
                      static_cast<int>(LongLineCheck::kIgnore) &&
                  static_cast<int>(LongLinePolicy::kReport) ==
                      static_cast<int>(LongLineCheck::kReport) &&
                  static_cast<int>(LongLinePolicy::kReject) ==
                      static_cast<int>(LongLineCheck::kReject),
              "LongLineCheck mirrors LongLinePolicy");

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
  s.long_lines = static_cast<LongLineCheck>(options_.long_lines);
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
  return EncodeImpl(chunk, &em, ScanFor<SliceEmitter>(ActiveDotStufferKernel()));
}

absl::Status DotStuffer::EncodeCord(const absl::Cord& body,
                                    std::vector<IoSlice>* out) {
  // Encode on a copy so that an error in a later chunk leaves this encoder
  // and `out` as they were.
  DotStuffer trial = *this;
  const size_t base = out->size();
  for (absl::string_view piece : body.Chunks()) {
    absl::Status s = trial.Encode(piece, out);
    if (!s.ok()) {
      out->resize(base);
      return s;
    }
  }
  *this = trial;
  return absl::OkStatus();
}

absl::Status DotStuffer::Measure(absl::string_view chunk) {
  CountEmitter em;
  return EncodeImpl(chunk, &em,
                    ScanFor<CountEmitter>(ActiveDotStufferKernel()));
}

absl::Status DotStuffer::MeasureCord(const absl::Cord& body) {
  DotStuffer trial = *this;
  for (absl::string_view piece : body.Chunks()) {
    absl::Status s = trial.Measure(piece);
    if (!s.ok()) return s;
  }
  *this = trial;
  return absl::OkStatus();
}

absl::Status DotStuffer::CheckFinish() const {
  if (options_.line_endings == LineEndingPolicy::kReject && pending_cr_) {
    return LocalError(ErrorDetail::kBareLineEnding,
                      "body ends with a bare CR (line_endings is reject)");
  }
  return absl::OkStatus();
}

uint64_t DotStuffer::FinishedOutputBytes() const {
  DotStuffer copy = *this;
  copy.FinishImpl();
  return copy.stats_.output_bytes;
}

absl::Status DotStuffer::EncodeCopy(absl::string_view chunk, char* out,
                                    size_t* written) {
  const DotStufferKernel kernel = ActiveDotStufferKernel();
  absl::Status status;
#if SMTP_DOT_STUFFER_X86
  if (kernel == DotStufferKernel::kAvx512) {
    dot_stuffer_internal::BlockCopyEmitter512 em(out, chunk.data(),
                                                 chunk.size());
    status = EncodeImpl(chunk, &em, dot_stuffer_internal::Avx512BlockCopyScan());
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
  if (out != nullptr && !tail.empty()) {
    out->push_back(IoSlice{tail.data(), tail.size()});
  }
}

size_t DotStuffer::FinishCopy(char* out) {
  const absl::string_view tail = FinishImpl();
  if (!tail.empty()) std::memcpy(out, tail.data(), tail.size());
  return tail.size();
}

}  // namespace smtpcore
