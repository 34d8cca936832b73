#include "route/tlsa.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "route/dns_name.h"

namespace smtpcore {
namespace {

absl::Status Invalid(absl::string_view why) {
  return LocalError(ErrorDetail::kInvalidArgument,
                    absl::StrCat("TLSA record: ", why));
}

bool ParseOctet(absl::string_view text, uint8_t* out) {
  uint32_t v = 0;
  if (text.empty() || text.size() > 3 || !absl::SimpleAtoi(text, &v) ||
      v > 255) {
    return false;
  }
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = static_cast<uint8_t>(v);
  return true;
}

}  // namespace

std::string TlsaRecord::ToString() const {
  return absl::StrCat(usage, " ", selector, " ", matching_type, " ",
                      absl::AsciiStrToUpper(absl::BytesToHexString(data)));
}

std::string TlsaRecord::UsageName() const {
  switch (usage) {
    case kTlsaUsagePkixTa:
      return "PKIX-TA";
    case kTlsaUsagePkixEe:
      return "PKIX-EE";
    case kTlsaUsageDaneTa:
      return "DANE-TA";
    case kTlsaUsageDaneEe:
      return "DANE-EE";
  }
  return absl::StrCat(usage);
}

absl::StatusOr<TlsaRecord> ParseTlsaText(absl::string_view text) {
  std::vector<absl::string_view> f =
      absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (f.size() < 4) return Invalid("want \"USAGE SELECTOR MTYPE HEX\"");
  TlsaRecord r;
  if (!ParseOctet(f[0], &r.usage) || !ParseOctet(f[1], &r.selector) ||
      !ParseOctet(f[2], &r.matching_type)) {
    return Invalid("usage, selector and matching type are numbers 0..255");
  }
  std::string hex;
  for (size_t i = 3; i < f.size(); ++i) absl::StrAppend(&hex, f[i]);
  if (hex.size() % 2 != 0) return Invalid("odd number of hex digits");
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return Invalid("data is not hex");
    }
  }
  r.data = absl::HexStringToBytes(hex);
  return r;
}

absl::StatusOr<TlsaRecord> ParseTlsaRdata(absl::string_view rdata) {
  if (rdata.size() < 4) return Invalid("rdata shorter than 4 octets");
  TlsaRecord r;
  r.usage = static_cast<uint8_t>(rdata[0]);
  r.selector = static_cast<uint8_t>(rdata[1]);
  r.matching_type = static_cast<uint8_t>(rdata[2]);
  r.data = std::string(rdata.substr(3));
  return r;
}

std::string TlsaUnusableReason(const TlsaRecord& r) {
  if (r.usage == kTlsaUsagePkixTa || r.usage == kTlsaUsagePkixEe) {
    return absl::StrCat("usage ", r.UsageName(),
                        " is not for SMTP (RFC 7672 §3.1.3)");
  }
  if (r.usage != kTlsaUsageDaneTa && r.usage != kTlsaUsageDaneEe) {
    return absl::StrCat("unknown usage ", r.usage, " (RFC 7671 §4)");
  }
  if (r.selector != kTlsaSelectorCert && r.selector != kTlsaSelectorSpki) {
    return absl::StrCat("unknown selector ", r.selector, " (RFC 7671 §4)");
  }
  switch (r.matching_type) {
    case kTlsaMatchingFull:
      if (r.data.empty()) return "empty data";
      return "";
    case kTlsaMatchingSha256:
      if (r.data.size() != 32) {
        return absl::StrCat("SHA2-256 data of ", r.data.size(),
                            " octets, not 32 (RFC 6698 §2.1.3)");
      }
      return "";
    case kTlsaMatchingSha512:
      if (r.data.size() != 64) {
        return absl::StrCat("SHA2-512 data of ", r.data.size(),
                            " octets, not 64 (RFC 6698 §2.1.3)");
      }
      return "";
  }
  return absl::StrCat("unknown matching type ", r.matching_type,
                      " (RFC 7671 §4)");
}

bool IsUsableTlsaForSmtp(const TlsaRecord& record) {
  return TlsaUnusableReason(record).empty();
}

std::string TlsaQueryName(absl::string_view host, uint16_t port) {
  return absl::StrCat("_", port, "._tcp.", NormalizeDomain(host));
}

}  // namespace smtpcore
