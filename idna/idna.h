// IDNA for smtpcore: internationalised domain names to A-labels with
// libidn2 (UTS #46 processing, nontransitional, as browsers and mail
// systems do today). Outside core/, which stays Abseil-only: the session
// gets the conversion injected as `SessionOptions::idna`
// (core/idna_converter.h), and the C ABI and the CLI wire it in by default.
//
//   SessionOptions options;
//   options.idna = IdnaToAsciiConverter();
//   // "anna@bücher.example" then goes out as "anna@xn--bcher-kva.example"
//   // to a server without SMTPUTF8.

#ifndef SMTP_IDNA_IDNA_H_
#define SMTP_IDNA_IDNA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/idna_converter.h"

namespace smtpcore {

// DomainToAscii converts the UTF-8 `domain` to its ASCII form with UTS #46
// ToASCII processing (Unicode TR46 §4.2: mapping, so "Bücher.Example" and
// "BÜCHER.example" give "xn--bcher-kva.example", and "。" separates labels;
// NFC normalisation; nontransitional, so "faß.de" is "xn--fa-hia.de";
// CheckHyphens, CheckBidi, CheckJoiners), then the DNS length rules
// (VerifyDnsLength: no empty label, labels of at most 63 octets, at most 253
// in all) and the SMTP domain syntax (RFC 5321 §4.1.2: every label letters,
// digits and hyphens). An ASCII domain goes through the same checks (and is
// lower-cased). Errors: kInvalidArgument / kInvalidArgument, with the
// domain and libidn2's reason ("string contains a disallowed character").
// Thread-safe; no global state.
absl::StatusOr<std::string> DomainToAscii(absl::string_view domain);

// IdnaToAsciiConverter returns `DomainToAscii` as the session's converter.
IdnaConverter IdnaToAsciiConverter();

}  // namespace smtpcore

#endif  // SMTP_IDNA_IDNA_H_
