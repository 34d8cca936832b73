#include "core/dot_stuffer_test_util.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace test_util {

// References, written from the RFC text, byte at a time.

std::string RefNormalize(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      out += "\r\n";
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else if (in[i] == '\n') {
      out += "\r\n";
    } else {
      out += in[i];
    }
  }
  return out;
}

RefResult RefEncode(const DotStufferOptions& o, absl::string_view in) {
  const bool normalize = o.normalize || o.stuff_dots || o.terminator;
  const size_t npos = std::string::npos;
  RefResult r;
  r.stats.input_bytes = in.size();
  size_t first_bare = npos, first_long = npos;
  size_t line_len = 0;
  bool line_start = true;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\r') {
      r.wire += '\r';
      if (i + 1 < in.size() && in[i + 1] == '\n') {
        r.wire += '\n';
        ++i;
      } else {
        ++r.stats.bare_cr;
        if (normalize) r.wire += '\n';
        if (i + 1 < in.size()) first_bare = std::min(first_bare, i + 1);
      }
      line_len = 0;
      line_start = true;
      continue;
    }
    if (c == '\n') {
      ++r.stats.bare_lf;
      first_bare = std::min(first_bare, i);
      r.wire += normalize ? "\r\n" : "\n";
      line_len = 0;
      line_start = true;
      continue;
    }
    if (line_start && o.stuff_dots && c == '.') {
      r.wire += '.';
      ++r.stats.dots_stuffed;
    }
    line_start = false;
    r.wire += c;
    if (static_cast<unsigned char>(c) >= 0x80) r.stats.eight_bit = true;
    if (c == '\0') r.stats.has_nul = true;
    ++line_len;
    if (o.long_lines != LongLinePolicy::kIgnore &&
        line_len == o.max_line_length + 1) {
      if (o.long_lines == LongLinePolicy::kReport) ++r.stats.long_lines;
      first_long = std::min(first_long, i);
    }
  }
  const size_t bare_at =
      o.line_endings == LineEndingPolicy::kReject ? first_bare : npos;
  const size_t long_at =
      o.long_lines == LongLinePolicy::kReject ? first_long : npos;
  if (bare_at != npos || long_at != npos) {
    r.error = bare_at <= long_at ? ErrorDetail::kBareLineEnding
                                 : ErrorDetail::kLineTooLong;
    return r;
  }
  const bool ended_with_break =
      in.empty() || in.back() == '\r' || in.back() == '\n';
  if (o.terminator) {
    r.wire += ended_with_break ? ".\r\n" : "\r\n.\r\n";
  } else if (normalize && !ended_with_break) {
    r.wire += "\r\n";  // BDAT: the last line ends with CRLF, as with DATA
  }
  r.stats.output_bytes = r.wire.size();
  return r;
}

bool RefUnstuff(absl::string_view wire, std::string* body, std::string* why) {
  body->clear();
  size_t pos = 0;
  while (pos < wire.size()) {
    const size_t crlf = wire.find("\r\n", pos);
    if (crlf == absl::string_view::npos) {
      *why = "unterminated last line";
      return false;
    }
    absl::string_view line = wire.substr(pos, crlf - pos);
    if (line.find_first_of("\r\n") != absl::string_view::npos) {
      *why = absl::StrCat("bare CR or LF in line at ", pos);
      return false;
    }
    pos = crlf + 2;
    if (line == ".") {
      if (pos != wire.size()) {
        *why =
            absl::StrCat("end-of-data marker at ", crlf - 1, " before the end");
        return false;
      }
      return true;
    }
    if (!line.empty() && line[0] == '.') line.remove_prefix(1);
    absl::StrAppend(body, line, "\r\n");
  }
  *why = "no end-of-data marker";
  return false;
}

}  // namespace test_util
}  // namespace smtpcore
