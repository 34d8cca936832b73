// ReplyView, Reply and EnhancedCode (see reply.h).
//
// Everything here reads bytes that the reply parser already validated: each
// line of `raw_` is "ddd" + separator + text + (CRLF or LF), so the accessors
// only look for line ends and never re-validate.

#include "core/reply.h"

#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace smtpcore {
namespace {

// LineEnd returns the offset of the LF ending the line that starts at `pos`,
// or raw.size() if there is none (only for views that break the contract).
size_t LineEnd(absl::string_view raw, size_t pos) {
  const void* lf = std::memchr(raw.data() + pos, '\n', raw.size() - pos);
  if (lf == nullptr) return raw.size();
  return static_cast<size_t>(static_cast<const char*>(lf) - raw.data());
}

// LineText returns the text of the line starting at `pos` whose LF is at
// `end` (raw.size() if none): the bytes after the 4-byte "ddd-" prefix up to
// the line ending (CRLF or bare LF). A bare "ddd" line gives an empty text.
absl::string_view LineText(absl::string_view raw, size_t pos, size_t end) {
  // Drop the CR of a CRLF ending. In a bare "ddd\r\n" line that CR is the
  // separator byte, and the text is empty either way.
  if (end > pos + 4 && raw[end - 1] == '\r') --end;
  size_t start = pos + 4;
  if (start >= end) return absl::string_view();
  return raw.substr(start, end - start);
}

// ParseNumber reads 1 to 3 ASCII digits at `*pos` in `text`. Returns false if
// there is no digit or a fourth digit follows.
bool ParseNumber(absl::string_view text, size_t* pos, int* out) {
  size_t i = *pos;
  int value = 0;
  size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (++digits > 3) return false;
    value = value * 10 + (text[i] - '0');
    ++i;
  }
  if (digits == 0) return false;
  *pos = i;
  *out = value;
  return true;
}

// AppendEscaped appends `text` to `out`, writing C0 controls and DEL as
// "\xNN" so that a hostile reply cannot forge log lines.
void AppendEscaped(absl::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out->append("\\x");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xf]);
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

std::string EnhancedCode::ToString() const {
  return absl::StrCat(klass, ".", subject, ".", detail);
}

// RFC 3463 §2: status-code = class "." subject "." detail, where class is
// "2" / "4" / "5" and subject and detail are 1*3digit. RFC 2034 §4 puts the
// code, followed by a space, at the start of the reply text.
bool ParseEnhancedCode(absl::string_view text, EnhancedCode* out,
                       size_t* consumed) {
  if (text.size() < 5) return false;  // shortest is "2.0.0"
  char k = text[0];
  if ((k != '2' && k != '4' && k != '5') || text[1] != '.') return false;
  size_t pos = 2;
  int subject = 0;
  int detail = 0;
  if (!ParseNumber(text, &pos, &subject)) return false;
  if (pos >= text.size() || text[pos] != '.') return false;
  ++pos;
  if (!ParseNumber(text, &pos, &detail)) return false;
  if (pos < text.size()) {
    if (text[pos] != ' ') return false;
    ++pos;
  }
  out->klass = k - '0';
  out->subject = subject;
  out->detail = detail;
  *consumed = pos;
  return true;
}

// ---------------------------------------------------------------------------
// ReplyView

ReplyView::LineIterator::LineIterator(absl::string_view raw, size_t pos)
    : raw_(raw),
      pos_(pos),
      lf_(pos < raw.size() ? LineEnd(raw, pos) : raw.size()) {}

absl::string_view ReplyView::LineIterator::operator*() const {
  return LineText(raw_, pos_, lf_);
}

ReplyView::LineIterator& ReplyView::LineIterator::operator++() {
  pos_ = lf_ < raw_.size() ? lf_ + 1 : raw_.size();
  lf_ = pos_ < raw_.size() ? LineEnd(raw_, pos_) : raw_.size();
  return *this;
}

ReplyView::LineRange ReplyView::lines() const {
  return LineRange{LineIterator(raw_, 0), LineIterator(raw_, raw_.size())};
}

absl::string_view ReplyView::first_line() const {
  if (raw_.empty()) return absl::string_view();
  return LineText(raw_, 0, LineEnd(raw_, 0));
}

absl::string_view ReplyView::message() const {
  absl::string_view first = first_line();
  if (!enhanced_.has_value()) return first;
  EnhancedCode unused;
  size_t used = 0;
  if (!ParseEnhancedCode(first, &unused, &used)) return first;
  return first.substr(used);
}

Reply ReplyView::ToOwned() const { return Reply(*this); }

// Each line is rendered as "ddd" + separator + text with its line ending
// removed; lines are joined by "\n". C0 controls and DEL inside a line are
// escaped as "\xNN" (see AppendEscaped).
std::string ReplyView::DebugString() const {
  std::string out;
  out.reserve(raw_.size());
  size_t pos = 0;
  while (pos < raw_.size()) {
    size_t end = LineEnd(raw_, pos);
    size_t content_end = end;
    if (content_end > pos + 3 && raw_[content_end - 1] == '\r') --content_end;
    if (pos != 0) out.push_back('\n');
    AppendEscaped(raw_.substr(pos, content_end - pos), &out);
    pos = end < raw_.size() ? end + 1 : raw_.size();
  }
  return out;
}

// ---------------------------------------------------------------------------
// Reply

Reply::Reply(const ReplyView& view)
    : raw_(view.raw()),
      code_(view.code()),
      line_count_(view.line_count()),
      flags_(view.flags()),
      enhanced_(view.enhanced()) {}

Reply::Reply(const Reply& other) = default;
Reply& Reply::operator=(const Reply& other) = default;
Reply::Reply(Reply&& other) noexcept = default;
Reply& Reply::operator=(Reply&& other) noexcept = default;

ReplyView Reply::view() const {
  return ReplyView(raw_, code_, line_count_, flags_, enhanced_);
}

}  // namespace smtpcore
