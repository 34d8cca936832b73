// ReplyParser: HOT PATH 1. An incremental, zero-copy parser of SMTP replies
// (RFC 5321 §4.2, §4.5.3.1.5) in the picohttpparser style.
//
// Contract:
//  - A reply wholly inside one `Parse` input is returned as a `ReplyView`
//    pointing into that input: no allocation, no copy.
//  - Only a reply that straddles two inputs is copied into a bounded internal
//    carry buffer, and the ReplyView then points into that buffer.
//  - Strict where it matters: the code is three digits 200..599; every line
//    of a multi-line reply carries the same code (else kCodeMismatch); the
//    separator is '-' (more lines follow) or ' ' (last line); a bare "ddd"
//    line (no text) is accepted as a last line and flagged.
//  - Tolerant where real servers are sloppy: a bare LF ends a line (flagged
//    `kReplyFlagBareLf`); NUL and other controls in the text are flagged
//    (`kReplyFlagControlChars`), never crash.
//  - Limits (`ReplyLimits`) bound memory: an endless multi-line reply stops
//    with kTooManyLines / kReplyTooLarge, an endless line with kLineTooLong.
//  - After kError the parser stays in error until `Reset()`.

#ifndef SMTP_CORE_REPLY_PARSER_H_
#define SMTP_CORE_REPLY_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/reply.h"

namespace smtpcore {

// ReplyLimits bounds what one reply may use. Defaults and their precedent
// are documented in reply_parser.cc.
struct ReplyLimits {
  // Maximum octets in one reply line, line ending included. RFC 5321
  // §4.5.3.1.5 says 512; real servers send longer lines.
  size_t max_line_length = 2048;
  // Maximum lines in one reply.
  size_t max_lines = 256;
  // Maximum octets of one reply, all lines together.
  size_t max_reply_size = 64 * 1024;
};

// ParseStatus is the outcome of one `ReplyParser::Parse` call.
enum class ParseStatus : uint8_t {
  kComplete,    // one reply parsed; see ParseResult::consumed
  kIncomplete,  // all input consumed (carried); feed more bytes
  kError,       // the stream is malformed or over a limit; see error
};

// ReplyError says why parsing failed.
enum class ReplyError : uint8_t {
  kNone,
  kBadCode,        // not three digits, or outside 200..599
  kBadSeparator,   // fourth byte is neither '-', ' ' nor a line ending
  kCodeMismatch,   // a continuation line's code differs from the first
  kLineTooLong,    // over ReplyLimits::max_line_length
  kTooManyLines,   // over ReplyLimits::max_lines
  kReplyTooLarge,  // over ReplyLimits::max_reply_size
};

// ReplyErrorName returns a short English description of `error`.
absl::string_view ReplyErrorName(ReplyError error);

// ParseResult is returned by `ReplyParser::Parse`.
struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  // consumed is how many bytes of the input were used. For kComplete, the
  // bytes of the returned reply (or its tail, when the head was carried);
  // for kIncomplete, the whole input; for kError, unspecified.
  size_t consumed = 0;
  ReplyError error = ReplyError::kNone;
};

// ReplyParser splits a byte stream into replies. Not thread-safe; cheap to
// construct (allocates only when a reply straddles inputs).
//
// Call pattern:
//   while (!input.empty()) {
//     ReplyView reply;
//     ParseResult r = parser.Parse(input, &reply);
//     if (r.status != ParseStatus::kComplete) break;  // kIncomplete or kError
//     Use(reply);            // valid until the next Parse/Reset, and while
//     input.remove_prefix(r.consumed);  // `input` is unchanged
//   }
class ReplyParser {
 public:
  explicit ReplyParser(ReplyLimits limits = ReplyLimits());

  // Parse looks for one complete reply at the start of carried bytes +
  // `input`. On kComplete it sets `*out`; the view is valid until the next
  // call to `Parse` or `Reset` and only while `input`'s bytes are unchanged.
  // On kIncomplete the whole input was consumed (copied to the carry buffer,
  // within the limits). On kError `*out` is untouched and `error` says why.
  ParseResult Parse(absl::string_view input, ReplyView* out);

  // has_partial returns true if bytes of an unfinished reply are carried
  // (for "EOF in the middle of a reply" and STARTTLS injection checks).
  bool has_partial() const { return !carry_.empty(); }

  // Reset drops carried bytes and any error state.
  void Reset();

  const ReplyLimits& limits() const { return limits_; }

 private:
  ParseResult ParseCarried(absl::string_view input, ReplyView* out);
  ParseResult Fail(ReplyError error);

  ReplyLimits limits_;
  std::string carry_;    // head of a reply that straddles inputs
  // done_ holds the last reply completed in carry_ (swapped out of it, so
  // has_partial() is false) while the ReplyView returned for it is valid.
  std::string done_;
  size_t line_start_ = 0;  // offset in carry_ of the unfinished line
  size_t scanned_ = 0;   // bytes of carry_ already validated (no rescans)
  size_t line_count_ = 0;  // complete lines in carry_
  uint8_t flags_ = kReplyFlagNone;  // ReplyFlags of the carried lines
  bool failed_ = false;
  ReplyError error_ = ReplyError::kNone;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_REPLY_PARSER_H_
