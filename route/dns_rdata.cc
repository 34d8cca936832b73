#include "route/dns_rdata.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

absl::Status Invalid(absl::string_view what, absl::string_view why) {
  return LocalError(ErrorDetail::kInvalidArgument,
                    absl::StrCat(what, " rdata: ", why));
}

}  // namespace

absl::StatusOr<std::string> ParseWireName(absl::string_view rdata,
                                          size_t* offset) {
  std::string name;
  size_t pos = *offset;
  size_t wire_length = 0;
  for (;;) {
    if (pos >= rdata.size()) return Invalid("name", "truncated");
    const uint8_t len = static_cast<uint8_t>(rdata[pos]);
    if (len >= 0xc0) return Invalid("name", "compression pointer");
    if (len > 63) return Invalid("name", "label longer than 63 octets");
    wire_length += 1 + len;
    if (wire_length > 255) return Invalid("name", "longer than 255 octets");
    ++pos;
    if (len == 0) break;
    if (pos + len > rdata.size()) return Invalid("name", "truncated label");
    absl::string_view label = rdata.substr(pos, len);
    for (char c : label) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (c == '.' || u <= 0x20 || u >= 0x7f) {
        return Invalid("name", "label with '.', space or non-ASCII octet");
      }
    }
    if (!name.empty()) name += '.';
    absl::StrAppend(&name, label);
    pos += len;
  }
  *offset = pos;
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<MxRecord> ParseMxRdata(absl::string_view rdata) {
  if (rdata.size() < 3) return Invalid("MX", "shorter than 3 octets");
  MxRecord mx;
  mx.preference = static_cast<uint16_t>(
      static_cast<uint8_t>(rdata[0]) << 8 | static_cast<uint8_t>(rdata[1]));
  size_t offset = 2;
  absl::StatusOr<std::string> host = ParseWireName(rdata, &offset);
  if (!host.ok()) return host.status();
  if (offset != rdata.size()) return Invalid("MX", "trailing octets");
  mx.host = *std::move(host);
  return mx;
}

absl::StatusOr<std::string> ParseCnameRdata(absl::string_view rdata) {
  size_t offset = 0;
  absl::StatusOr<std::string> name = ParseWireName(rdata, &offset);
  if (!name.ok()) return name.status();
  if (offset != rdata.size()) return Invalid("CNAME", "trailing octets");
  return name;
}

absl::StatusOr<IpAddress> ParseAddressRdata(absl::string_view rdata) {
  absl::optional<IpAddress> a = IpAddressFromBytes(rdata);
  if (!a.has_value()) {
    return Invalid("A/AAAA", absl::StrCat(rdata.size(),
                                          " octets, want 4 or 16"));
  }
  return *a;
}

absl::StatusOr<std::string> ParseTxtRdata(absl::string_view rdata) {
  if (rdata.empty()) return Invalid("TXT", "empty");
  std::string out;
  size_t pos = 0;
  while (pos < rdata.size()) {
    const size_t len = static_cast<uint8_t>(rdata[pos]);
    ++pos;
    if (pos + len > rdata.size()) return Invalid("TXT", "truncated string");
    absl::StrAppend(&out, rdata.substr(pos, len));
    pos += len;
  }
  return out;
}

}  // namespace smtpcore
