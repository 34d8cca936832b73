#include "sasl/saslprep.h"

#include <cstdint>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace smtpcore {
namespace {

struct Range {
  uint32_t first;
  uint32_t last;
};

bool InRanges(uint32_t c, const Range* ranges, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (c >= ranges[i].first && c <= ranges[i].last) return true;
  }
  return false;
}

// RFC 3454 B.1: commonly mapped to nothing.
constexpr Range kMappedToNothing[] = {
    {0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x1806, 0x1806}, {0x180B, 0x180D},
    {0x200B, 0x200D}, {0x2060, 0x2060}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF},
};

// RFC 3454 C.1.2: non-ASCII space characters (U+200B is in B.1 too and is
// removed first, as libidn does).
constexpr Range kNonAsciiSpace[] = {
    {0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200B},
    {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
};

// RFC 4013 §2.3: C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9.
constexpr Range kProhibited[] = {
    // C.2.1 ASCII control characters.
    {0x0000, 0x001F},
    {0x007F, 0x007F},
    // C.2.2 non-ASCII control characters.
    {0x0080, 0x009F},
    {0x06DD, 0x06DD},
    {0x070F, 0x070F},
    {0x180E, 0x180E},
    {0x200C, 0x200D},
    {0x2028, 0x2029},
    {0x2060, 0x2063},
    {0x206A, 0x206F},
    {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFC},
    {0x1D173, 0x1D17A},
    // C.3 private use.
    {0xE000, 0xF8FF},
    {0xF0000, 0xFFFFD},
    {0x100000, 0x10FFFD},
    // C.4 non-character code points (the nFFFE/nFFFF pairs are tested
    // separately below).
    {0xFDD0, 0xFDEF},
    // C.5 surrogate codes.
    {0xD800, 0xDFFF},
    // C.6 inappropriate for plain text.
    {0xFFF9, 0xFFFD},
    // C.7 inappropriate for canonical representation.
    {0x2FF0, 0x2FFB},
    // C.8 change display properties or deprecated.
    {0x0340, 0x0341},
    {0x200E, 0x200F},
    {0x202A, 0x202E},
    // C.9 tagging characters.
    {0xE0001, 0xE0001},
    {0xE0020, 0xE007F},
};

// DecodeUtf8 reads one scalar value at `*pos`, advancing it. Returns false
// for malformed, overlong or out-of-range sequences.
bool DecodeUtf8(absl::string_view s, size_t* pos, uint32_t* out) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(*pos);
  size_t len;
  uint32_t c;
  if (b0 < 0x80) {
    *out = b0;
    *pos += 1;
    return true;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    c = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    c = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    c = b0 & 0x07;
  } else {
    return false;
  }
  if (*pos + len > s.size()) return false;
  for (size_t i = 1; i < len; ++i) {
    const uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return false;
    c = (c << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    return false;
  }
  *out = c;
  *pos += len;
  return true;
}

void AppendUtf8(uint32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace

absl::StatusOr<std::string> SaslPrep(absl::string_view input) {
  std::string out;
  out.reserve(input.size());
  size_t pos = 0;
  size_t index = 0;  // code point index, for error messages
  while (pos < input.size()) {
    uint32_t c;
    if (!DecodeUtf8(input, &pos, &c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("SASLprep: invalid UTF-8 at code point ", index));
    }
    ++index;
    if (InRanges(c, kMappedToNothing, std::size(kMappedToNothing))) continue;
    if (InRanges(c, kNonAsciiSpace, std::size(kNonAsciiSpace))) c = 0x20;
    if (InRanges(c, kProhibited, std::size(kProhibited)) ||
        (c & 0xFFFE) == 0xFFFE) {
      return absl::InvalidArgumentError(
          absl::StrCat("SASLprep: prohibited character at code point ", index));
    }
    AppendUtf8(c, &out);
  }
  return out;
}

}  // namespace smtpcore
