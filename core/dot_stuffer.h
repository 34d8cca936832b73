// DotStuffer: HOT PATH 2. A streaming encoder from message bytes to the
// DATA wire form (RFC 5321 §4.1.1.4, §4.5.2), or to BDAT chunk payloads
// (RFC 3030) without dot-stuffing.
//
// Invariants (property-tested in dot_stuffer_test.cc):
//  - Output lines end in CRLF. A bare LF or bare CR in the input becomes
//    CRLF (or is refused with `LineEndingPolicy::kReject`), so "\n.\n",
//    "\r\n.\n", "\n.\r\n" and friends can never reach the wire: no end-of-data
//    sequence but ours (SMTP smuggling, SEC Consult 2023).
//  - With `stuff_dots`, every line starting with '.' gets one more '.',
//    including the very first byte of the body (§4.5.2).
//  - The result is the same whatever the chunking of the input: state (at a
//    line start? last byte a CR?) carries across `Encode` calls.
//  - Zero copy: `Encode` appends `IoSlice`s that point into the caller's
//    chunk or into static storage ("\n", "\r\n", terminators). A stuffed
//    dot is the line's own dot sent twice: the slice before it ends on it,
//    the next one starts on it (one slice per dot line, not two). The
//    caller keeps each chunk alive and unchanged until every slice pointing
//    into it has been written.
//
// Finish() appends the end-of-data marker: ".\r\n" if the body ended with a
// line break, "\r\n.\r\n" otherwise (an empty body gives ".\r\n"). For
// BDAT (no terminator) it appends "\r\n" when the body does not end with a
// line break, so that DATA and BDAT deliver the same message (the CRLF
// before "." is part of the message, RFC 5321 §4.1.1.4); in pass-through
// mode (BINARYMIME) it appends nothing.
//
// Lines. A line ends at CRLF, at a bare LF or at a bare CR; CR and LF octets
// are never part of a line's length. A CR is emitted as soon as it is seen;
// whether it was bare (so a "\n" is added) is decided by the next byte, which
// may be in the next chunk, or by `Finish`. The long-line check counts input
// octets, not the stuffed dot (RFC 5321 §4.5.3.1.6), and fires on the byte
// that makes a line one octet too long.
//
// The one authority on body bytes. What a bare CR or LF is, whether a body
// is 8-bit, and how many octets it becomes on the wire are decided here and
// nowhere else: the session's prechecks (SIZE, 8BITMIME, bare line endings)
// read a count-only encoder (`Measure`, `stats()`, `FinishedOutputBytes`),
// and the connection encodes with the same code (`EncodeCord`).
//
// Speed. The body is scanned 64 bytes at a time with AVX-512BW, AVX2 or a
// portable word-at-a-time (SWAR) kernel, chosen at run time from the CPU
// (core/internal/dot_stuffer_kernels.h), in one pass that also produces the
// output. A block with nothing to insert costs a few instructions (plus a
// per-block check under a kReject or kReport policy); figures are in
// bench/README.md.

#ifndef SMTP_CORE_DOT_STUFFER_H_
#define SMTP_CORE_DOT_STUFFER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "core/io_slice.h"

namespace smtpcore {

// LineEndingPolicy says what happens to a bare CR or bare LF in a body.
enum class LineEndingPolicy : uint8_t {
  kNormalize,  // turn it into CRLF (default)
  kReject,     // fail the chunk with kInvalidArgument / kBareLineEnding
};

// LongLinePolicy says what happens to a line over `max_line_length` octets
// (RFC 5322 §2.1.1: 998 plus CRLF).
enum class LongLinePolicy : uint8_t {
  kIgnore,  // do not look
  kReport,  // count them in `DotStufferStats::long_lines`, send unchanged
  kReject,  // fail the chunk with kInvalidArgument / kLineTooLong
};

// DotStufferOptions configures a DotStuffer.
struct DotStufferOptions {
  // stuff_dots: true for DATA; false for BDAT payloads (RFC 3030 §2).
  bool stuff_dots = true;
  // terminator: true for DATA (Finish appends the end-of-data marker);
  // false for BDAT (Finish completes a pending CR, and ends an unterminated
  // last line with CRLF unless in pass-through mode).
  bool terminator = true;
  // normalize: false passes bytes through untouched (BINARYMIME over BDAT;
  // only allowed together with stuff_dots == false). It is honoured only
  // when both `stuff_dots` and `terminator` are false; otherwise the encoder
  // normalises anyway, so a DATA stream can never carry a bare CR or LF.
  // Stats and the reject policies work the same in pass-through mode.
  bool normalize = true;
  LineEndingPolicy line_endings = LineEndingPolicy::kNormalize;
  LongLinePolicy long_lines = LongLinePolicy::kIgnore;
  size_t max_line_length = 998;  // octets, excluding CRLF
};

// Two DotStufferOptions are equal when every field is: encoders made with
// equal options turn equal input into equal output, stats and errors (used
// to tell whether a remembered encoding fits a transfer,
// core/body_meter_memo.h). Pure; never fails.
inline bool operator==(const DotStufferOptions& a, const DotStufferOptions& b) {
  return a.stuff_dots == b.stuff_dots && a.terminator == b.terminator &&
         a.normalize == b.normalize && a.line_endings == b.line_endings &&
         a.long_lines == b.long_lines && a.max_line_length == b.max_line_length;
}
inline bool operator!=(const DotStufferOptions& a, const DotStufferOptions& b) {
  return !(a == b);
}

// DotStufferStats reports what the encoder saw so far.
struct DotStufferStats {
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  uint64_t dots_stuffed = 0;
  uint64_t bare_lf = 0;     // LFs not preceded by CR
  uint64_t bare_cr = 0;     // CRs not followed by LF
  uint64_t long_lines = 0;  // with LongLinePolicy::kReport
  bool eight_bit = false;   // some byte >= 0x80 (needs 8BITMIME)
  bool has_nul = false;     // some NUL byte (needs BINARYMIME)
};

// DotStuffer encodes one message. Not thread-safe. Reuse with `Reset()`.
// A value: a copy owns nothing shared with the original and continues from
// the same state (options, stats, line state), so copies given the same
// further input produce the same output.
class DotStuffer {
 public:
  // DotStuffer makes an encoder for one message with `options` (copied).
  explicit DotStuffer(DotStufferOptions options = DotStufferOptions());

  // Encode appends to `*out` the slices that encode `chunk`. Slices point
  // into `chunk` or static storage (see file comment for lifetimes).
  // Returns OK, or kInvalidArgument (detail kBareLineEnding / kLineTooLong)
  // under a kReject policy; on error nothing is appended and the encoder's
  // state is as before the call. Must not be called after `Finish` (then
  // returns kFailedPrecondition / kWrongState).
  absl::Status Encode(absl::string_view chunk, std::vector<IoSlice>* out);

  // EncodeCord encodes every chunk of `body` as `Encode` does, all or
  // nothing: on error nothing is appended and the state is as before the
  // call, even when an earlier chunk of `body` was fine. Slices point into
  // `body`'s chunks: the caller keeps `body` (the same Cord object, or a copy
  // sharing its chunks) alive and unchanged until they are written.
  absl::Status EncodeCord(const absl::Cord& body, std::vector<IoSlice>* out);

  // Measure advances the encoder over `chunk` exactly as `Encode` would
  // (same stats, line state and errors) without producing any output: the
  // count-only mode behind the session's SIZE, 8BITMIME and bare-line-ending
  // decisions. `chunk` is not retained.
  absl::Status Measure(absl::string_view chunk);

  // MeasureCord is `Measure` over every chunk of `body`, all or nothing.
  absl::Status MeasureCord(const absl::Cord& body);

  // CheckFinish returns kInvalidArgument / kBareLineEnding when the input so
  // far ends in a CR and the policy is LineEndingPolicy::kReject (`Finish`
  // would complete it to CRLF), else OK. Call it before `Finish` to refuse
  // such a body.
  absl::Status CheckFinish() const;

  // FinishedOutputBytes returns `stats().output_bytes` as it will be after
  // `Finish`: with stuff_dots and terminator off, the RFC 1870 §3 size of
  // the message (CRLF pairs included, no end-of-data marker). Does not
  // change the encoder.
  uint64_t FinishedOutputBytes() const;

  // Finish appends what a pending CR needs and, with `terminator`, the
  // end-of-data marker; without it (BDAT, normalising), a CRLF ending an
  // unterminated last line. Call once, after the last `Encode`. Finish cannot
  // fail: a body ending in a bare CR is completed to CRLF (and counted in
  // `bare_cr`) even under LineEndingPolicy::kReject; check `pending_cr()`
  // first to refuse it. A second call appends nothing. `out` may be null
  // (count-only use: the stats are updated all the same).
  void Finish(std::vector<IoSlice>* out);

  // MaxEncodedSize bounds the output of `EncodeCopy` for `input_len` input
  // bytes (every byte could become two), plus room for `FinishCopy`.
  static constexpr size_t MaxEncodedSize(size_t input_len) {
    return 2 * input_len + 5;
  }

  // EncodeCopy is the copying variant of `Encode`: it writes the encoding of
  // `chunk` to `out`, which must have room for MaxEncodedSize(chunk.size())
  // bytes, and sets `*written` to the number of bytes written. Same errors
  // as `Encode` (then `*written` is 0 and the state unchanged). Bytes of
  // `out` past `*written`, within the MaxEncodedSize room, may be
  // overwritten.
  absl::Status EncodeCopy(absl::string_view chunk, char* out, size_t* written);

  // FinishCopy is the copying variant of `Finish`; `out` needs 5 bytes.
  // Returns the number of bytes written (0 on a second call).
  size_t FinishCopy(char* out);

  // Reset makes the encoder ready for a new message with the same options.
  void Reset();

  // stats returns the counts so far (valid while the encoder lives; reset
  // by `Reset`).
  const DotStufferStats& stats() const { return stats_; }
  // options returns the options given at construction.
  const DotStufferOptions& options() const { return options_; }
  // at_line_start is true if the input so far is empty or ends in a line
  // break (a pending CR counts: the next byte starts a line unless it is the
  // LF of that CR).
  bool at_line_start() const { return at_line_start_; }
  // pending_cr is true if the last input byte was a CR whose LF has not been
  // seen yet (the CR itself has already been emitted).
  bool pending_cr() const { return pending_cr_; }

 private:
  template <typename Emitter, typename ScanFn>
  absl::Status EncodeImpl(absl::string_view chunk, Emitter* em, ScanFn scan);
  absl::string_view FinishImpl();  // the bytes Finish appends; updates state

  DotStufferOptions options_;
  DotStufferStats stats_;
  bool normalize_ = true;      // effective: options_.normalize or DATA mode
  bool at_line_start_ = true;  // next byte begins a line
  bool pending_cr_ = false;    // last byte seen was a CR (LF not yet seen)
  uint64_t line_length_ = 0;   // octets in the current line so far
  bool finished_ = false;
};


}  // namespace smtpcore

#endif  // SMTP_CORE_DOT_STUFFER_H_
