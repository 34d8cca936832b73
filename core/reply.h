// ReplyView, Reply and EnhancedCode: an SMTP reply (RFC 5321 §4.2).
//
// A reply is one or more lines "ddd-text" ... "ddd text" (or a bare "ddd"),
// each ended by CRLF (a bare LF is tolerated and flagged). `ReplyView`
// borrows the bytes of a complete, validated reply; `Reply` owns a copy.
// 4xx/5xx replies are data for the caller, never errors by themselves.

#ifndef SMTP_CORE_REPLY_H_
#define SMTP_CORE_REPLY_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace smtpcore {

// EnhancedCode is an RFC 3463 enhanced status code "class.subject.detail":
// class is 2, 4 or 5; subject and detail are 0..999 (1 to 3 digits).
struct EnhancedCode {
  int klass = 0;
  int subject = 0;
  int detail = 0;

  // ToString formats the code as "5.1.1".
  std::string ToString() const;

  friend bool operator==(const EnhancedCode& a, const EnhancedCode& b) {
    return a.klass == b.klass && a.subject == b.subject && a.detail == b.detail;
  }
  friend bool operator!=(const EnhancedCode& a, const EnhancedCode& b) {
    return !(a == b);
  }
};

// ParseEnhancedCode parses an RFC 3463 code at the start of `text` (followed
// by a space or the end of `text`). On success it sets `*out`, stores the
// number of bytes used including one following space in `*consumed`, and
// returns true. Returns false, touching nothing, if `text` does not start
// with a valid code (e.g. "5.1" or "7.0.0" or "5.1000.0").
bool ParseEnhancedCode(absl::string_view text, EnhancedCode* out,
                       size_t* consumed);

// ReplyFlags are oddities found in a reply that was still accepted.
enum ReplyFlags : uint8_t {
  kReplyFlagNone = 0,
  kReplyFlagBareLf = 1 << 0,         // some line ended in LF without CR
  kReplyFlagControlChars = 1 << 1,   // NUL or another C0 control in text
  kReplyFlagBareCode = 1 << 2,       // some line was "ddd" with no text
};

class Reply;

// ReplyView is a borrowed, validated, complete reply. It points into the
// buffer it was parsed from (the caller's input, or a parser's carry buffer):
// it is valid only as long as that buffer is unchanged; the producer of each
// ReplyView states for how long that is. Copy it with `ToOwned()` to keep it.
// Cheap to copy (a few words); never allocates.
class ReplyView {
 public:
  // LineIterator walks the text of each line: the bytes after "ddd-" or
  // "ddd " (empty for a bare "ddd"), without the line ending.
  class LineIterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = absl::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const absl::string_view*;
    using reference = absl::string_view;

    LineIterator() = default;
    absl::string_view operator*() const;
    LineIterator& operator++();
    LineIterator operator++(int) {
      LineIterator copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const LineIterator& a, const LineIterator& b) {
      return a.pos_ == b.pos_;
    }
    friend bool operator!=(const LineIterator& a, const LineIterator& b) {
      return a.pos_ != b.pos_;
    }

   private:
    friend class ReplyView;
    LineIterator(absl::string_view raw, size_t pos);
    absl::string_view raw_;
    size_t pos_ = 0;  // offset of the current line's first byte in raw_
    size_t lf_ = 0;   // offset of its LF (found once per line), or size
  };

  // LineRange is what `lines()` returns: usable in range-for.
  struct LineRange {
    LineIterator b, e;
    LineIterator begin() const { return b; }
    LineIterator end() const { return e; }
  };

  // The default ReplyView is empty: code() == 0, no lines.
  ReplyView() = default;

  // ReplyView constructs a view from parts already validated by the reply
  // parser. Only `ReplyParser` and `Reply` should call this: `raw` must be a
  // syntactically valid reply of `line_count` lines with code `code`.
  // Defined inline: the parser's hot path builds one per reply.
  ReplyView(absl::string_view raw, int code, size_t line_count, uint8_t flags,
            absl::optional<EnhancedCode> enhanced)
      : raw_(raw),
        code_(code),
        line_count_(line_count),
        flags_(flags),
        enhanced_(enhanced) {}

  // code returns the three-digit reply code (200..599), 0 for an empty view.
  int code() const { return code_; }
  // enhanced returns the RFC 3463 code found at the start of the first line's
  // text, if any (it is only taken when the class digit matches the reply
  // code's first digit, RFC 3463 §2).
  const absl::optional<EnhancedCode>& enhanced() const { return enhanced_; }
  size_t line_count() const { return line_count_; }
  uint8_t flags() const { return flags_; }
  // raw returns every byte of the reply, line endings included.
  absl::string_view raw() const ABSL_ATTRIBUTE_LIFETIME_BOUND { return raw_; }
  // lines returns the text of each line (see LineIterator).
  LineRange lines() const ABSL_ATTRIBUTE_LIFETIME_BOUND;
  // first_line returns the text of the first line.
  absl::string_view first_line() const ABSL_ATTRIBUTE_LIFETIME_BOUND;
  // message returns the first line's text without the enhanced code prefix.
  absl::string_view message() const ABSL_ATTRIBUTE_LIFETIME_BOUND;

  // Severity helpers by first digit (RFC 5321 §4.2.1).
  bool is_positive() const { return code_ >= 200 && code_ < 300; }
  bool is_intermediate() const { return code_ >= 300 && code_ < 400; }
  bool is_transient() const { return code_ >= 400 && code_ < 500; }
  bool is_permanent() const { return code_ >= 500 && code_ < 600; }

  // ToOwned copies the reply into an owning `Reply`.
  Reply ToOwned() const;
  // DebugString renders "250-first\n250 last" style text for logs and tests
  // (line endings shown as written, CR omitted). C0 controls and DEL inside
  // a line are shown as "\xNN", so a reply cannot forge log lines.
  std::string DebugString() const;

 private:
  absl::string_view raw_;
  int code_ = 0;
  size_t line_count_ = 0;
  uint8_t flags_ = kReplyFlagNone;
  absl::optional<EnhancedCode> enhanced_;
};

// Reply owns a copy of a reply's bytes. Copyable and movable; `view()` is
// valid until the Reply is modified or destroyed.
class Reply {
 public:
  Reply() = default;
  explicit Reply(const ReplyView& view);
  Reply(const Reply& other);
  Reply& operator=(const Reply& other);
  Reply(Reply&& other) noexcept;
  Reply& operator=(Reply&& other) noexcept;

  ReplyView view() const ABSL_ATTRIBUTE_LIFETIME_BOUND;
  int code() const { return code_; }
  const absl::optional<EnhancedCode>& enhanced() const { return enhanced_; }
  const std::string& raw() const { return raw_; }
  std::string DebugString() const { return view().DebugString(); }

 private:
  std::string raw_;
  int code_ = 0;
  size_t line_count_ = 0;
  uint8_t flags_ = kReplyFlagNone;
  absl::optional<EnhancedCode> enhanced_;
};

}  // namespace smtpcore

#endif  // SMTP_CORE_REPLY_H_
