// TLSA records (RFC 6698 §2) and which of them an SMTP client can use for
// DANE (RFC 7672 §3.1, RFC 7671 §4 and §5).
//
// Usable for SMTP: certificate usage DANE-TA(2) or DANE-EE(3); selector
// Cert(0) or SPKI(1); matching type Full(0), SHA2-256(1) or SHA2-512(2),
// with data of the right length for a digest. Everything else is
// "unusable" and is ignored as RFC 7672 §3.1.3 says (PKIX-TA(0) and
// PKIX-EE(1) are not for SMTP), RFC 7671 §4 (unknown parameters), and RFC
// 6698 §2.1 (a digest of the wrong size cannot match anything).

#ifndef SMTP_ROUTE_TLSA_H_
#define SMTP_ROUTE_TLSA_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// TLSA parameter values (IANA registries of RFC 6698 §7 and RFC 7218).
inline constexpr uint8_t kTlsaUsagePkixTa = 0;
inline constexpr uint8_t kTlsaUsagePkixEe = 1;
inline constexpr uint8_t kTlsaUsageDaneTa = 2;
inline constexpr uint8_t kTlsaUsageDaneEe = 3;
inline constexpr uint8_t kTlsaSelectorCert = 0;
inline constexpr uint8_t kTlsaSelectorSpki = 1;
inline constexpr uint8_t kTlsaMatchingFull = 0;
inline constexpr uint8_t kTlsaMatchingSha256 = 1;
inline constexpr uint8_t kTlsaMatchingSha512 = 2;

// TlsaRecord is one TLSA record. A value type; any values, usable or not.
struct TlsaRecord {
  uint8_t usage = kTlsaUsageDaneEe;
  uint8_t selector = kTlsaSelectorSpki;
  uint8_t matching_type = kTlsaMatchingSha256;
  // data is the certificate association data (binary, not hex).
  std::string data;

  // ToString returns the presentation form "3 1 1 ABCD..." (hex upper
  // case), as in a zone file.
  std::string ToString() const;
  // UsageName returns "DANE-EE", "DANE-TA", "PKIX-EE", "PKIX-TA" or the
  // number.
  std::string UsageName() const;

  bool operator==(const TlsaRecord& other) const {
    return usage == other.usage && selector == other.selector &&
           matching_type == other.matching_type && data == other.data;
  }
};

// ParseTlsaText parses the presentation form "USAGE SELECTOR MTYPE HEX"
// (hex may contain spaces; RFC 6698 §2.2). Fails with kInvalidArgument on
// anything else (numbers above 255, odd or non-hex data, empty data).
absl::StatusOr<TlsaRecord> ParseTlsaText(absl::string_view text);

// ParseTlsaRdata parses the wire rdata (RFC 6698 §2.1): three octets and the
// data. Fails with kInvalidArgument when shorter than 4 octets.
absl::StatusOr<TlsaRecord> ParseTlsaRdata(absl::string_view rdata);

// TlsaUsability says whether an SMTP client can use `record` and, when not,
// why ("" when usable), for reports and `smtpc route`.
std::string TlsaUnusableReason(const TlsaRecord& record);

// IsUsableTlsaForSmtp is `TlsaUnusableReason(record).empty()`.
bool IsUsableTlsaForSmtp(const TlsaRecord& record);

// TlsaQueryName returns "_PORT._tcp.HOST" (RFC 6698 §3; RFC 7672 §2.2.3),
// `host` normalised.
std::string TlsaQueryName(absl::string_view host, uint16_t port);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_TLSA_H_
