#include "core/reply_parser_test_util.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace smtpcore {
namespace test_util {
namespace {

RecordedReply Record(const ReplyView& view, size_t end_offset) {
  RecordedReply r;
  r.raw = std::string(view.raw());
  r.code = view.code();
  for (absl::string_view line : view.lines()) r.lines.emplace_back(line);
  r.flags = view.flags();
  r.enhanced = view.enhanced();
  r.message = std::string(view.message());
  r.end_offset = end_offset;
  return r;
}

bool Inside(const char* p, absl::string_view buf) {
  return !buf.empty() && p >= buf.data() && p < buf.data() + buf.size();
}

absl::string_view FinalName(FinalState s) {
  switch (s) {
    case FinalState::kClean:
      return "clean";
    case FinalState::kPartial:
      return "partial";
    case FinalState::kError:
      return "error";
  }
  return "?";
}

// Reference helpers: deliberately plain, byte by byte.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool CodeByteOk(size_t k, char c) {
  return k == 0 ? (c >= '2' && c <= '5') : IsDigit(c);
}

}  // namespace

bool operator==(const RecordedReply& a, const RecordedReply& b) {
  return a.raw == b.raw && a.code == b.code && a.lines == b.lines &&
         a.flags == b.flags && a.enhanced == b.enhanced &&
         a.message == b.message && a.end_offset == b.end_offset;
}

bool operator==(const Outcome& a, const Outcome& b) {
  return a.replies == b.replies && a.final_state == b.final_state &&
         a.error == b.error;
}

std::string Outcome::DebugString() const {
  std::string out;
  for (const RecordedReply& r : replies) {
    absl::StrAppend(&out, "reply code=", r.code, " flags=", r.flags,
                    " enhanced=",
                    r.enhanced.has_value() ? r.enhanced->ToString() : "-",
                    " end=", r.end_offset, " message=\"",
                    absl::CEscape(r.message), "\" lines=[");
    for (const std::string& line : r.lines) {
      absl::StrAppend(&out, "\"", absl::CEscape(line), "\" ");
    }
    absl::StrAppend(&out, "] raw=\"", absl::CEscape(r.raw), "\"\n");
  }
  absl::StrAppend(&out, "final=", FinalName(final_state),
                  " error=", ReplyErrorName(error), "\n");
  return out;
}

Outcome FeedChunks(const std::vector<absl::string_view>& chunks,
                   const ReplyLimits& limits,
                   std::vector<std::string>* violations) {
  auto violation = [&](absl::string_view what, size_t offset) {
    violations->push_back(absl::StrCat(what, " (stream offset ", offset, ")"));
  };
  std::string stream;
  for (absl::string_view c : chunks) stream.append(c.data(), c.size());

  ReplyParser parser(limits);
  Outcome outcome;
  size_t pos = 0;         // stream offset of the next unconsumed byte
  size_t reply_end = 0;   // stream offset after the last complete reply
  for (absl::string_view chunk : chunks) {
    absl::string_view rest = chunk;
    for (;;) {
      const bool carried = parser.has_partial();
      if (carried != (pos > reply_end)) {
        violation("has_partial() disagrees with the bytes carried", pos);
      }
      ReplyView view;
      ParseResult r = parser.Parse(rest, &view);
      if (r.status == ParseStatus::kError) {
        if (r.error == ReplyError::kNone) violation("kError with kNone", pos);
        ParseResult again = parser.Parse("250 ok\r\n", &view);
        if (again.status != ParseStatus::kError || again.error != r.error) {
          violation("error is not sticky", pos);
        }
        if (view.code() != 0) violation("*out written on kError", pos);
        outcome.final_state = FinalState::kError;
        outcome.error = r.error;
        return outcome;
      }
      if (r.error != ReplyError::kNone) violation("error set on success", pos);
      if (r.status == ParseStatus::kIncomplete) {
        if (r.consumed != rest.size()) {
          violation("kIncomplete did not consume the whole input", pos);
        }
        pos += rest.size();
        break;
      }
      // kComplete.
      if (r.consumed == 0 || r.consumed > rest.size()) {
        violation("kComplete consumed a bad count", pos);
        outcome.final_state = FinalState::kError;
        return outcome;
      }
      absl::string_view raw = view.raw();
      if (!carried) {
        // Zero copy: the view is exactly the consumed prefix of the input.
        if (raw.data() != rest.data() || raw.size() != r.consumed) {
          violation("complete reply in one input is not a view into it",
                    pos);
        }
      } else {
        if (raw.size() < r.consumed || Inside(raw.data(), rest) ||
            raw.substr(raw.size() - r.consumed) != rest.substr(0, r.consumed)) {
          violation("carried reply does not end with the consumed bytes",
                    pos);
        }
      }
      pos += r.consumed;
      if (raw.size() != pos - reply_end ||
          raw != absl::string_view(stream).substr(reply_end, raw.size())) {
        violation("reply bytes are not the stream bytes since the last reply",
                  pos);
      }
      if (view.code() < 200 || view.code() > 599) violation("bad code", pos);
      size_t count = 0;
      for (absl::string_view line : view.lines()) {
        (void)line;
        ++count;
      }
      if (count != view.line_count() || count == 0) {
        violation("line_count() differs from lines()", pos);
      }
      Reply owned = view.ToOwned();
      if (owned.raw() != raw || owned.view().DebugString() != view.DebugString()) {
        violation("ToOwned() differs from the view", pos);
      }
      outcome.replies.push_back(Record(view, pos));
      reply_end = pos;
      if (parser.has_partial()) violation("has_partial() after kComplete", pos);
      rest.remove_prefix(r.consumed);
      if (rest.empty()) break;
    }
  }
  outcome.final_state =
      parser.has_partial() ? FinalState::kPartial : FinalState::kClean;
  if ((pos > reply_end) != parser.has_partial()) {
    violation("has_partial() disagrees at the end", pos);
  }
  return outcome;
}

Outcome ReferenceParse(absl::string_view s, const ReplyLimits& limits) {
  Outcome o;
  size_t pos = 0;
  auto fail = [&o](ReplyError e) {
    o.final_state = FinalState::kError;
    o.error = e;
    return o;
  };
  auto partial = [&o]() {
    o.final_state = FinalState::kPartial;
    return o;
  };
  for (;;) {
    if (pos == s.size()) {
      o.final_state = FinalState::kClean;
      return o;
    }
    const size_t start = pos;
    size_t line = 0;
    uint8_t flags = 0;
    std::string code;
    std::vector<std::string> texts;
    for (;;) {
      const size_t off = pos - start;
      const size_t avail = s.size() - pos;
      if (avail == 0) return partial();
      if (line >= limits.max_lines) return fail(ReplyError::kTooManyLines);
      for (size_t k = 0; k < 3; ++k) {
        if (k == avail) return partial();
        char c = s[pos + k];
        if (line == 0) {
          if (!CodeByteOk(k, c)) return fail(ReplyError::kBadCode);
        } else if (c != code[k]) {
          return fail(CodeByteOk(k, c) ? ReplyError::kCodeMismatch
                                       : ReplyError::kBadCode);
        }
      }
      if (line == 0) code = std::string(s.substr(pos, 3));
      if (avail == 3) return partial();
      const char sep = s[pos + 3];
      size_t len = 0;
      bool last = false;
      bool have_lf = true;
      if (sep == '\n') {
        len = 4;
        last = true;
        flags |= kReplyFlagBareCode | kReplyFlagBareLf;
      } else if (sep == '\r') {
        if (avail == 4) return partial();
        if (s[pos + 4] != '\n') return fail(ReplyError::kBadSeparator);
        len = 5;
        last = true;
        flags |= kReplyFlagBareCode;
      } else if (sep == '-' || sep == ' ') {
        last = sep == ' ';
        size_t lf = s.find('\n', pos + 4);
        if (lf == absl::string_view::npos) {
          have_lf = false;
        } else {
          len = lf - pos + 1;
        }
      } else {
        return fail(ReplyError::kBadSeparator);
      }
      const size_t max_len =
          std::min(limits.max_line_length, limits.max_reply_size - off);
      const ReplyError length_error =
          limits.max_line_length <= limits.max_reply_size - off
              ? ReplyError::kLineTooLong
              : ReplyError::kReplyTooLarge;
      if (!have_lf) {
        if (avail >= max_len) return fail(length_error);
        return partial();
      }
      if (len > max_len) return fail(length_error);
      std::string text;
      if (sep == '-' || sep == ' ') {
        size_t text_end = pos + len - 1;  // the LF
        if (len >= 6 && s[text_end - 1] == '\r') {
          --text_end;
        } else {
          flags |= kReplyFlagBareLf;
        }
        text = std::string(s.substr(pos + 4, text_end - (pos + 4)));
        for (char c : text) {
          if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
            flags |= kReplyFlagControlChars;
          }
        }
      }
      texts.push_back(text);
      pos += len;
      ++line;
      if (last) break;
    }
    RecordedReply r;
    r.raw = std::string(s.substr(start, pos - start));
    r.code = std::stoi(code);
    r.lines = texts;
    r.flags = flags;
    r.message = texts[0];
    EnhancedCode ec;
    size_t used = 0;
    if (ParseEnhancedCode(texts[0], &ec, &used) && ec.klass == r.code / 100) {
      r.enhanced = ec;
      r.message = texts[0].substr(used);
    }
    r.end_offset = pos;
    o.replies.push_back(std::move(r));
  }
}

std::vector<absl::string_view> SplitAt(absl::string_view s, size_t at) {
  return {s.substr(0, at), s.substr(at)};
}

std::vector<absl::string_view> SplitEvery(absl::string_view s, size_t n) {
  std::vector<absl::string_view> out;
  for (size_t i = 0; i < s.size(); i += n) out.push_back(s.substr(i, n));
  return out;
}

}  // namespace test_util
}  // namespace smtpcore
