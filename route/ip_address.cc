#include "route/ip_address.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace smtpcore {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ParseIpv4 fills out[0..3] from a dotted quad.
bool ParseIpv4(absl::string_view text, uint8_t* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return false;
  for (int i = 0; i < 4; ++i) {
    absl::string_view p = parts[i];
    if (p.empty() || p.size() > 3) return false;
    if (p.size() > 1 && p[0] == '0') return false;  // no octal look-alikes
    int value = 0;
    for (char c : p) {
      if (!IsDigit(c)) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    out[i] = static_cast<uint8_t>(value);
  }
  return true;
}

// ParseGroups parses colon-separated hex groups (no "::") into `groups`;
// the last one may be a dotted quad (two groups) when `allow_v4` is set.
bool ParseGroups(absl::string_view text, bool allow_v4,
                 std::vector<uint16_t>* groups) {
  if (text.empty()) return true;
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view p = parts[i];
    if (allow_v4 && i + 1 == parts.size() &&
        p.find('.') != absl::string_view::npos) {
      uint8_t v4[4];
      if (!ParseIpv4(p, v4)) return false;
      groups->push_back(static_cast<uint16_t>(v4[0] << 8 | v4[1]));
      groups->push_back(static_cast<uint16_t>(v4[2] << 8 | v4[3]));
      continue;
    }
    if (p.empty() || p.size() > 4) return false;
    int value = 0;
    for (char c : p) {
      int h = HexValue(c);
      if (h < 0) return false;
      value = value * 16 + h;
    }
    groups->push_back(static_cast<uint16_t>(value));
  }
  return true;
}

bool ParseIpv6(absl::string_view text, uint8_t* out) {
  std::vector<uint16_t> head, tail;
  size_t gap = text.find("::");
  if (gap != absl::string_view::npos) {
    if (text.find("::", gap + 1) != absl::string_view::npos) return false;
    absl::string_view left = text.substr(0, gap);
    absl::string_view right = text.substr(gap + 2);
    if (!ParseGroups(left, false, &head)) return false;
    if (!ParseGroups(right, true, &tail)) return false;
    if (head.size() + tail.size() > 7) return false;
  } else {
    if (!ParseGroups(text, true, &head)) return false;
    if (head.size() != 8) return false;
  }
  uint16_t words[8] = {};
  for (size_t i = 0; i < head.size(); ++i) words[i] = head[i];
  for (size_t i = 0; i < tail.size(); ++i) {
    words[8 - tail.size() + i] = tail[i];
  }
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(words[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(words[i] & 0xff);
  }
  return true;
}

}  // namespace

absl::string_view IpFamilyName(IpFamily family) {
  return family == IpFamily::kV4 ? "ipv4" : "ipv6";
}

std::string IpAddress::ToString() const {
  if (family == IpFamily::kV4) {
    return absl::StrCat(bytes[0], ".", bytes[1], ".", bytes[2], ".",
                        bytes[3]);
  }
  uint16_t words[8];
  for (int i = 0; i < 8; ++i) {
    words[i] = static_cast<uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  }
  // Longest run of zero words (length >= 2), the first one on a tie.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = -1;
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible form,
  // as inet_ntop prints them.
  const bool v4_tail =
      best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (v4_tail && i == 6) {
      if (out.back() != ':') out += ':';
      absl::StrAppend(&out, bytes[12], ".", bytes[13], ".", bytes[14], ".",
                      bytes[15]);
      break;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    absl::StrAppend(&out, absl::Hex(words[i]));
  }
  return out;
}

bool IpAddress::is_loopback() const {
  if (family == IpFamily::kV4) return bytes[0] == 127;
  bool zero10 = true;
  for (int i = 0; i < 10; ++i) zero10 = zero10 && bytes[i] == 0;
  if (!zero10) return false;
  if (bytes[10] == 0xff && bytes[11] == 0xff) return bytes[12] == 127;
  for (int i = 10; i < 15; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[15] == 1;
}

absl::optional<IpAddress> ParseIpAddress(absl::string_view text) {
  IpAddress a;
  if (text.find(':') != absl::string_view::npos) {
    a.family = IpFamily::kV6;
    if (!ParseIpv6(text, a.bytes.data())) return absl::nullopt;
    return a;
  }
  a.family = IpFamily::kV4;
  if (!ParseIpv4(text, a.bytes.data())) return absl::nullopt;
  return a;
}

absl::optional<IpAddress> IpAddressFromBytes(absl::string_view raw) {
  IpAddress a;
  if (raw.size() == 4) {
    a.family = IpFamily::kV4;
  } else if (raw.size() == 16) {
    a.family = IpFamily::kV6;
  } else {
    return absl::nullopt;
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    a.bytes[i] = static_cast<uint8_t>(raw[i]);
  }
  return a;
}

}  // namespace smtpcore
