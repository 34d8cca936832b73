#include "idna/idna.h"

#include <idn2.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

// kMaxDomain and kMaxLabel: RFC 1035 §2.3.4 (UTS #46 VerifyDnsLength).
constexpr size_t kMaxDomain = 253;
constexpr size_t kMaxLabel = 63;

absl::Status Invalid(absl::string_view domain, absl::string_view why) {
  return MakeError(absl::StatusCode::kInvalidArgument,
                   ErrorDetail::kInvalidArgument,
                   absl::StrCat("domain \"", domain,
                                "\" has no valid ASCII form (IDNA, UTS #46): ",
                                why));
}

// CheckSmtpSyntax applies what UTS #46 leaves to the protocol: no empty
// label, the DNS lengths, and letters, digits and hyphens only (RFC 5321
// §4.1.2 sub-domain; hyphens at the ends were already refused by
// CheckHyphens).
absl::Status CheckSmtpSyntax(absl::string_view domain,
                             absl::string_view ascii) {
  if (ascii.size() > kMaxDomain) {
    return Invalid(domain, absl::StrCat("longer than ", kMaxDomain,
                                        " octets in ASCII form"));
  }
  for (absl::string_view label : absl::StrSplit(ascii, '.')) {
    if (label.empty()) return Invalid(domain, "empty label");
    if (label.size() > kMaxLabel) {
      return Invalid(domain,
                     absl::StrCat("label longer than ", kMaxLabel, " octets"));
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return Invalid(domain, "a label has a character other than letters, "
                               "digits and hyphens");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> DomainToAscii(absl::string_view domain) {
  // libidn2 reads a NUL-terminated string: an embedded NUL would cut it.
  if (domain.empty()) return Invalid(domain, "empty");
  if (domain.find('\0') != absl::string_view::npos) {
    return Invalid(domain, "NUL character");
  }
  const std::string input(domain);
  char* output = nullptr;
  // UTS #46 processing (TR46 mapping, nontransitional), NFC input.
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()),
                          reinterpret_cast<uint8_t**>(&output),
                          IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  std::unique_ptr<char, void (*)(void*)> owned(output, idn2_free);
  if (rc != IDN2_OK) return Invalid(domain, idn2_strerror(rc));
  std::string ascii(owned.get());
  if (absl::Status s = CheckSmtpSyntax(domain, ascii); !s.ok()) return s;
  return ascii;
}

IdnaConverter IdnaToAsciiConverter() {
  return [](absl::string_view domain) { return DomainToAscii(domain); };
}

}  // namespace smtpcore
