// DANE certificate verification for SMTP (RFC 7672 §3, RFC 7671 §5, RFC
// 6698 §2): the server's chain, as it came in the handshake, checked
// against the usable TLSA records the route layer decided on
// (route/dane_policy.h). `TlsLayer` runs it during the handshake when
// `TlsOptions::dane` is set, so a mismatch aborts the handshake before a
// single SMTP byte is sent under TLS, and never falls back.
//
// Rules:
//  - DANE-EE(3): the leaf certificate (selector Cert) or its public key
//    (selector SPKI) matches the data (Full, SHA2-256, SHA2-512). Names,
//    validity dates and the rest of the chain are ignored (RFC 7672 §3.1.1).
//  - DANE-TA(2): some certificate of the presented chain above the leaf
//    (or, for "2 0 0", the certificate in the record itself) matches; it
//    becomes the only trust anchor, the chain from the leaf to it must
//    validate (signatures, dates, CA constraints: a partial chain), and the
//    leaf must carry one of `names` (RFC 7672 §3.2.2; wildcards in the
//    certificate cover one label; no partial wildcards).
//  - One matching record is enough; records are tried in order.
//
// Pure function of its inputs except the clock: BoringSSL checks DANE-TA
// dates against the current time.

#ifndef SMTP_TRANSPORTS_TLS_DANE_VERIFIER_H_
#define SMTP_TRANSPORTS_TLS_DANE_VERIFIER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "route/tlsa.h"

namespace smtpcore {

// DaneOptions are the records and names to verify a server with.
struct DaneOptions {
  // records are the usable TLSA records (route/tlsa.h
  // IsUsableTlsaForSmtp); unusable ones passed here never match.
  std::vector<TlsaRecord> records;
  // names are the reference identifiers for DANE-TA.
  std::vector<std::string> names;
};

// VerifyDane checks `chain_der` (DER certificates, leaf first) against
// `options`. Returns the record that matched. Fails with
// kUnauthenticated / kTlsVerification naming why ("no TLSA record matches
// the server's certificate chain"; the DANE-TA chain error; an empty
// chain). Never throws; BoringSSL errors are cleared.
absl::StatusOr<TlsaRecord> VerifyDane(absl::Span<const std::string> chain_der,
                                      const DaneOptions& options);

// TlsaDataFor returns the association data `record`'s selector and
// matching type produce for `certificate_der` (for tests and for `smtpc`
// to show what a server presents), or kInvalidArgument for an unparsable
// certificate or unknown parameters.
absl::StatusOr<std::string> TlsaDataFor(const std::string& certificate_der,
                                        uint8_t selector,
                                        uint8_t matching_type);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TLS_DANE_VERIFIER_H_
