#include "tools/header_encoding.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace smtpcore {
namespace cli {
namespace {

// An encoded-word is at most 75 characters (RFC 2047 §2); "=?UTF-8?B?" and
// "?=" take 12, leaving 63 base64 characters: 45 input bytes (15 groups).
constexpr size_t kMaxBytesPerWord = 45;

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9')) {
    return true;
  }
  static constexpr absl::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(c) != absl::string_view::npos;
}

}  // namespace

bool IsAscii(absl::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string EncodeHeaderText(absl::string_view text) {
  bool plain = true;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (u < ' ' && u != '\t') || u == 127) plain = false;
  }
  if (plain) return std::string(text);
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = std::min(text.size(), pos + kMaxBytesPerWord);
    // Do not split a UTF-8 sequence: back off continuation bytes.
    while (end < text.size() && end > pos + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    words.push_back(absl::StrCat(
        "=?UTF-8?B?", absl::Base64Escape(text.substr(pos, end - pos)), "?="));
    pos = end;
  }
  return absl::StrJoin(words, " ");
}

std::string FormatMailbox(absl::string_view display_name,
                          absl::string_view address) {
  if (display_name.empty()) return std::string(address);
  std::string name;
  if (!IsAscii(display_name)) {
    name = EncodeHeaderText(display_name);
  } else {
    bool atoms = true;
    for (char c : display_name) atoms = atoms && (IsAtext(c) || c == ' ');
    if (atoms) {
      name = std::string(display_name);
    } else {
      name = "\"";
      for (char c : display_name) {
        if (c == '"' || c == '\\') name.push_back('\\');
        if (static_cast<unsigned char>(c) >= ' ') name.push_back(c);
      }
      name.push_back('"');
    }
  }
  return absl::StrCat(name, " <", address, ">");
}

}  // namespace cli
}  // namespace smtpcore
