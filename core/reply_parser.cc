// ReplyParser (see reply_parser.h): HOT PATH 1.
//
// Grammar (RFC 5321 §4.2):
//   reply = *( code "-" text eol ) last-line
//   last-line = code " " text eol / code eol     ; bare "ddd" is flagged
//   code = %x32-35 DIGIT DIGIT                   ; 200..599
//   eol  = CRLF / LF                              ; bare LF is flagged
// Every line of a reply must repeat the first line's code (§4.2.1: "the
// same reply code" on each line). Text bytes below 0x20 other than HTAB
// (RFC 5321's textstring allows %d09) set kReplyFlagControlChars; a CR not
// followed by LF is such a byte, so only CRLF and LF end a line.
//
// Error semantics (what makes every chunking of a stream give the same
// result, which the tests and the fuzzer check):
//   - A line is judged from its own bytes only, in this order: line count
//     (`max_lines`) as soon as the line's first byte arrives, then the code
//     digits and the separator (known from the first 3 to 5 bytes, so
//     reported as soon as they arrive), then the length limits.
//   - A line may hold at most lim = min(max_line_length, max_reply_size -
//     offset of the line in the reply) octets. Once lim octets of a line are
//     seen without its LF, the reply is over a limit even if the LF has not
//     arrived: kLineTooLong if max_line_length is the smaller bound (ties
//     included), else kReplyTooLarge. So an endless line fails after lim
//     octets and carried memory stays below max_reply_size + 5.
//
// Limits, and why these defaults (ReplyLimits in reply_parser.h):
//   - max_line_length = 2048 octets including the line ending.
//     RFC 5321 §4.5.3.1.5 sets 512 octets for a reply line, but §4.5.3.1
//     asks implementations to accept longer objects where they can, and real
//     servers exceed 512 in EHLO and 5xx explanations. Postfix enforces
//     line_length_limit = 2048 octets on everything its SMTP client reads
//     from the network; Python's smtplib allows _MAXLINE = 8192. We take
//     Postfix's value: 4x the RFC, ample for real replies.
//   - max_lines = 256. No RFC bound. Large providers' EHLO replies carry
//     10-20 lines (one per extension); 256 is >10x that and stops an endless
//     "250-" stream early.
//   - max_reply_size = 64 KiB for all lines together. h11 caps an incomplete
//     HTTP head at 16 KiB, citing node (80 KiB), Tomcat (8 KiB) and IIS
//     (16 KiB); an SMTP reply is far smaller in practice (EHLO < 1 KiB), and
//     64 KiB still admits 128 RFC-maximal 512-octet lines.
//
// Zero copy: a reply wholly inside one input is validated in place and
// returned as a view of that input. Only an unfinished reply is copied into
// carry_, and later inputs are appended line by line, never beyond the
// reply's last LF. A carried, unfinished line keeps its scan offset
// (scanned_), so new bytes are scanned once (picohttpparser's last_len idea).

#include "core/reply_parser.h"

#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "absl/base/config.h"
#include "absl/base/optimization.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/reply.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace smtpcore {
namespace {

// ScanLine results besides a line length (> 0).
constexpr size_t kNeedMore = 0;
constexpr size_t kFailed = ~size_t{0};

inline uint32_t Load32LE(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(ABSL_IS_BIG_ENDIAN)
  v = __builtin_bswap32(v);
#endif
  return v;
}

inline uint64_t Load64LE(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if defined(ABSL_IS_BIG_ENDIAN)
  v = __builtin_bswap64(v);
#endif
  return v;
}

// ValidFirstCode returns true if bytes 0..2 of the little-endian word `x`
// are a reply code 200..599 ("[2-5][0-9][0-9]"). A byte b is a digit iff
// its high nibble is 3 and b + 6 keeps it 3; adding 6 cannot carry between
// bytes once every byte is known to be 0x30..0x3f.
inline bool ValidFirstCode(uint32_t x) {
  constexpr uint32_t kHigh = 0x00f0f0f0;
  bool digits = ((x & kHigh) == 0x00303030) &
                (((x + 0x00060606) & kHigh) == 0x00303030);
  bool range = ((x & 0xff) - '2') <= 3;
  return digits & range;
}

// CodePrefixError checks the first min(n, 3) bytes of a line, one by one in
// stream order, and returns the error of the first bad byte, or kNone. For a
// continuation line (line_index > 0) each byte must equal the first line's
// (`code3`, little-endian); a different digit is a kCodeMismatch, anything
// else kBadCode.
ReplyError CodePrefixError(const char* p, size_t n, size_t line_index,
                           uint32_t code3) {
  if (n > 3) n = 3;
  for (size_t k = 0; k < n; ++k) {
    char c = p[k];
    bool ok = k == 0 ? (c >= '2' && c <= '5') : (c >= '0' && c <= '9');
    if (line_index == 0) {
      if (!ok) return ReplyError::kBadCode;
    } else if (c != static_cast<char>((code3 >> (8 * k)) & 0xff)) {
      return ok ? ReplyError::kCodeMismatch : ReplyError::kBadCode;
    }
  }
  return ReplyError::kNone;
}

// C0Mask64 sets bit 7 of each byte of `x` that is below 0x20, exactly (no
// carries cross bytes: (b & 0x7f) + 0x60 <= 0xdf).
inline uint64_t C0Mask64(uint64_t x) {
  constexpr uint64_t k7f = 0x7f7f7f7f7f7f7f7fULL;
  constexpr uint64_t k60 = 0x6060606060606060ULL;
  constexpr uint64_t k80 = 0x8080808080808080ULL;
  return ~(((x & k7f) + k60) | x) & k80;
}

// FindC0 returns the offset of the first byte below 0x20 in p[i, end), or
// `end`. Reads only p[0, end): blocks that would pass `end` are replaced by
// one block that ends exactly at `end` and overlaps bytes already checked.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t FindC0(const char* p, size_t i,
                                                  size_t end) {
  if (i >= end) return end;
#if defined(__SSE2__)
  if (end >= 16) {
    const __m128i k1f = _mm_set1_epi8(0x1f);
    while (i + 16 <= end) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      unsigned m = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, k1f), v)));
      if (m != 0) return i + static_cast<size_t>(__builtin_ctz(m));
      i += 16;
    }
    if (i >= end) return end;
    size_t base = end - 16;
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + base));
    unsigned m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, k1f), v)));
    m >>= (i - base);
    if (m != 0) return i + static_cast<size_t>(__builtin_ctz(m));
    return end;
  }
#endif
  if (end >= 8) {
    while (i + 8 <= end) {
      uint64_t m = C0Mask64(Load64LE(p + i));
      if (m != 0) return i + static_cast<size_t>(__builtin_ctzll(m)) / 8;
      i += 8;
    }
    if (i >= end) return end;
    size_t base = end - 8;
    uint64_t m = C0Mask64(Load64LE(p + base)) >> (8 * (i - base));
    if (m != 0) return i + static_cast<size_t>(__builtin_ctzll(m)) / 8;
    return end;
  }
  for (; i < end; ++i) {
    if (static_cast<unsigned char>(p[i]) < 0x20) return i;
  }
  return end;
}

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') <= 9; }

inline ReplyError LengthError(const ReplyLimits& limits, size_t offset) {
  return limits.max_line_length <= limits.max_reply_size - offset
             ? ReplyError::kLineTooLong
             : ReplyError::kReplyTooLarge;
}

// ScanLine judges the line that starts at `p` (offset `offset` in its reply,
// index `line_index`) from the `avail` bytes there, none of them LF before
// `*scan` (relative resume offset; 0 for a fresh line).
//
// Returns the line's length (LF included) when complete, setting `*last` for
// a last line; kNeedMore if the bytes so far are a valid prefix, with
// `*scan` set to where to resume; kFailed with `*error` set. Adds the line's
// oddities to `*flags`. Reads only p[0, avail) and never past the first LF.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t ScanLine(
    const char* p, size_t avail, size_t line_index, uint32_t code3,
    const ReplyLimits& limits, size_t offset, size_t* scan, uint8_t* flags,
    bool* last, ReplyError* error) {
  if (ABSL_PREDICT_FALSE(avail == 0)) return kNeedMore;
  if (ABSL_PREDICT_FALSE(line_index >= limits.max_lines)) {
    *error = ReplyError::kTooManyLines;
    return kFailed;
  }
  if (ABSL_PREDICT_FALSE(avail < 4)) {
    *error = CodePrefixError(p, avail, line_index, code3);
    return *error == ReplyError::kNone ? kNeedMore : kFailed;
  }
  uint32_t x = Load32LE(p);
  if (line_index == 0) {
    if (ABSL_PREDICT_FALSE(!ValidFirstCode(x))) {
      *error = ReplyError::kBadCode;
      return kFailed;
    }
  } else if (ABSL_PREDICT_FALSE(((x ^ code3) & 0x00ffffff) != 0)) {
    *error = CodePrefixError(p, 3, line_index, code3);
    return kFailed;
  }

  const size_t lim_reply = limits.max_reply_size - offset;
  const size_t lim = limits.max_line_length < lim_reply
                         ? limits.max_line_length
                         : lim_reply;
  const char sep = p[3];
  size_t len;
  if (ABSL_PREDICT_TRUE(sep == '-' || sep == ' ')) {
    *last = sep == ' ';
    const size_t window = avail < lim ? avail : lim;
    size_t i = *scan > 4 ? *scan : 4;
    for (;;) {
      i = FindC0(p, i, window);
      if (i >= window) {
        *scan = window;
        break;
      }
      const char c = p[i];
      if (ABSL_PREDICT_TRUE(c == '\r')) {
        if (ABSL_PREDICT_FALSE(i + 1 >= window)) {
          *scan = i;  // is it CRLF? decided when the next byte comes
          break;
        }
        if (ABSL_PREDICT_TRUE(p[i + 1] == '\n')) return i + 2;
        *flags |= kReplyFlagControlChars;
      } else if (c == '\n') {
        *flags |= kReplyFlagBareLf;
        return i + 1;
      } else if (c != '\t') {
        *flags |= kReplyFlagControlChars;
      }
      ++i;
    }
    // No line end among the first `window` bytes.
    if (avail >= lim) {
      *error = LengthError(limits, offset);
      return kFailed;
    }
    return kNeedMore;
  }
  // A bare "ddd" line: always the last line.
  if (sep == '\n') {
    len = 4;
    *flags |= kReplyFlagBareCode | kReplyFlagBareLf;
  } else if (sep == '\r') {
    if (avail < 5) return kNeedMore;
    if (p[4] != '\n') {
      *error = ReplyError::kBadSeparator;
      return kFailed;
    }
    len = 5;
    *flags |= kReplyFlagBareCode;
  } else {
    *error = ReplyError::kBadSeparator;
    return kFailed;
  }
  if (len > lim) {
    *error = LengthError(limits, offset);
    return kFailed;
  }
  *last = true;
  return len;
}

// EmplaceView builds in `*out` the view of the complete reply p[0, len)
// whose first line is `first_len` bytes long. The enhanced code is looked
// for only when the text starts with the reply code's class digit (RFC 3463
// §2).
//
// The view is constructed in place (ReplyView is trivially destructible and
// has no const members, so reusing its storage is well defined): with
// `*out = ReplyView(...)`, GCC 12 builds the temporary with narrow stores and
// copies it with 16-byte loads, and the store-forwarding stalls cost more
// than the rest of a one-line parse.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void EmplaceView(ReplyView* out,
                                                     const char* p,
                                                     size_t len, size_t lines,
                                                     size_t first_len,
                                                     uint8_t flags) {
  static_assert(std::is_trivially_destructible<ReplyView>::value,
                "EmplaceView reuses ReplyView storage without destroying it");
  const int code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
  const absl::string_view raw(p, len);
  size_t text_end = first_len - 1;  // drop the LF
  if (p[text_end - 1] == '\r') --text_end;
  const char* t = p + 4;
  const size_t t_len = text_end > 4 ? text_end - 4 : 0;
  if (t_len >= 5 && t[0] == p[0]) {
    // Fast path for the usual one-digit shape "c.s.d" + (" " or end), e.g.
    // "2.1.0 Ok"; ParseEnhancedCode handles the rest identically.
    if (t[1] == '.' && IsDigit(t[2]) && t[3] == '.' && IsDigit(t[4]) &&
        (t_len == 5 || t[5] == ' ') && t[0] != '3') {
      new (out) ReplyView(raw, code, lines, flags,
                          EnhancedCode{t[0] - '0', t[2] - '0', t[4] - '0'});
      return;
    }
    EnhancedCode ec;
    size_t used;
    if (ParseEnhancedCode(absl::string_view(t, t_len), &ec, &used)) {
      new (out) ReplyView(raw, code, lines, flags, ec);
      return;
    }
  }
  new (out) ReplyView(raw, code, lines, flags, absl::nullopt);
}

}  // namespace

absl::string_view ReplyErrorName(ReplyError error) {
  switch (error) {
    case ReplyError::kNone:
      return "no error";
    case ReplyError::kBadCode:
      return "reply code is not three digits in 200..599";
    case ReplyError::kBadSeparator:
      return "reply code not followed by '-', ' ' or a line ending";
    case ReplyError::kCodeMismatch:
      return "continuation line has a different reply code";
    case ReplyError::kLineTooLong:
      return "reply line too long";
    case ReplyError::kTooManyLines:
      return "too many lines in reply";
    case ReplyError::kReplyTooLarge:
      return "reply too large";
  }
  return "unknown reply error";
}

ReplyParser::ReplyParser(ReplyLimits limits) : limits_(limits) {}

void ReplyParser::Reset() {
  carry_.clear();
  done_.clear();
  line_start_ = 0;
  scanned_ = 0;
  line_count_ = 0;
  flags_ = kReplyFlagNone;
  failed_ = false;
  error_ = ReplyError::kNone;
}

ParseResult ReplyParser::Fail(ReplyError error) {
  failed_ = true;
  error_ = error;
  carry_.clear();
  line_start_ = 0;
  scanned_ = 0;
  line_count_ = 0;
  flags_ = kReplyFlagNone;
  ParseResult r;
  r.status = ParseStatus::kError;
  r.error = error;
  return r;
}

ParseResult ReplyParser::Parse(absl::string_view input, ReplyView* out) {
  if (ABSL_PREDICT_FALSE(failed_)) {
    ParseResult r;
    r.status = ParseStatus::kError;
    r.error = error_;
    return r;
  }
  if (ABSL_PREDICT_FALSE(!done_.empty())) done_.clear();
  if (ABSL_PREDICT_FALSE(!carry_.empty())) return ParseCarried(input, out);

  // Fast path: nothing carried, parse in place.
  const char* p = input.data();
  const size_t n = input.size();
  size_t pos = 0;
  size_t lines = 0;
  size_t first_len = 0;
  uint32_t code3 = 0;
  uint8_t flags = kReplyFlagNone;
  for (;;) {
    size_t scan = 0;
    bool last = false;
    ReplyError error = ReplyError::kNone;
    const size_t len = ScanLine(p + pos, n - pos, lines, code3, limits_, pos,
                                &scan, &flags, &last, &error);
    if (ABSL_PREDICT_FALSE(len == kFailed)) return Fail(error);
    if (ABSL_PREDICT_FALSE(len == kNeedMore)) {
      // Carry everything: complete lines (<= max_reply_size) plus the
      // unfinished line (< max(lim, 5) octets).
      if (n != 0) carry_.assign(p, n);
      line_start_ = pos;
      scanned_ = pos + scan;
      line_count_ = lines;
      flags_ = flags;
      ParseResult r;
      r.status = ParseStatus::kIncomplete;
      r.consumed = n;
      return r;
    }
    if (lines == 0) {
      code3 = Load32LE(p) & 0x00ffffff;
      first_len = len;
    }
    ++lines;
    pos += len;
    if (last) {
      EmplaceView(out, p, pos, lines, first_len, flags);
      ParseResult r;
      r.status = ParseStatus::kComplete;
      r.consumed = pos;
      return r;
    }
  }
}

// ParseCarried continues the reply in carry_ with `input`, appending one
// line piece at a time: each piece ends at the line's LF or where the line
// would be over its limit, so no byte after the reply is ever copied.
ParseResult ReplyParser::ParseCarried(absl::string_view input,
                                      ReplyView* out) {
  const char* in = input.data();
  const size_t in_n = input.size();
  size_t consumed = 0;
  for (;;) {
    const size_t start = line_start_;
    const size_t have = carry_.size() - start;
    const size_t lim_reply = limits_.max_reply_size - start;
    size_t lim = limits_.max_line_length < lim_reply ? limits_.max_line_length
                                                     : lim_reply;
    if (lim < 5) lim = 5;  // the code and separator need up to 5 bytes
    // Invariant: have < lim (ScanLine would have failed otherwise).
    size_t take = in_n - consumed;
    if (take > lim - have) take = lim - have;
    if (take != 0) {
      const void* lf = std::memchr(in + consumed, '\n', take);
      if (lf != nullptr) {
        take = static_cast<size_t>(static_cast<const char*>(lf) -
                                   (in + consumed)) +
               1;
      }
      carry_.append(in + consumed, take);
      consumed += take;
    }
    const uint32_t code3 =
        line_count_ != 0 ? Load32LE(carry_.data()) & 0x00ffffff : 0;
    size_t scan = scanned_ - start;
    bool last = false;
    ReplyError error = ReplyError::kNone;
    const size_t len =
        ScanLine(carry_.data() + start, carry_.size() - start, line_count_,
                 code3, limits_, start, &scan, &flags_, &last, &error);
    if (len == kFailed) return Fail(error);
    if (len == kNeedMore) {
      // Only when `input` is used up: a full-size piece without LF fails.
      scanned_ = start + scan;
      ParseResult r;
      r.status = ParseStatus::kIncomplete;
      r.consumed = consumed;
      return r;
    }
    // The line ends at the LF that ended the piece: len == have + take.
    ++line_count_;
    line_start_ = scanned_ = carry_.size();
    if (last) {
      done_.swap(carry_);
      carry_.clear();
      const char* first_lf = static_cast<const char*>(
          std::memchr(done_.data(), '\n', done_.size()));
      const size_t first_len =
          static_cast<size_t>(first_lf - done_.data()) + 1;
      EmplaceView(out, done_.data(), done_.size(), line_count_, first_len,
                  flags_);
      line_start_ = 0;
      scanned_ = 0;
      line_count_ = 0;
      flags_ = kReplyFlagNone;
      ParseResult r;
      r.status = ParseStatus::kComplete;
      r.consumed = consumed;
      return r;
    }
  }
}

}  // namespace smtpcore
