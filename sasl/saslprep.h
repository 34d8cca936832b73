// SASLprep (RFC 4013), the stringprep (RFC 3454) profile SCRAM applies to
// user names and passwords (RFC 5802 §2.2 Normalize()).
//
// Implemented: UTF-8 validation; mapping of the "commonly mapped to nothing"
// characters (RFC 3454 B.1) and of non-ASCII spaces (C.1.2) to U+0020;
// rejection of the prohibited characters of RFC 4013 §2.3 (C.2.1 - C.9:
// controls, private use, non-characters, surrogates, ...). Printable ASCII
// passes through unchanged, which is the common case.
//
// Limitations (documented, deliberate: no Unicode tables in the tree):
//   - no NFKC normalisation (RFC 4013 §2.2): non-ASCII text is passed
//     through as given. Text already in NFKC (most typed passwords) is
//     unaffected; compatibility characters (ligatures, full-width forms)
//     are not folded, so a server that folds them will reject the proof.
//   - no unassigned-code-point check (RFC 4013 §2.5) and no bidirectional
//     check (§2.4, RFC 3454 §6).

#ifndef SMTP_SASL_SASLPREP_H_
#define SMTP_SASL_SASLPREP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// SaslPrep returns `input` prepared per RFC 4013 (with the limitations in
// the file comment). Fails with kInvalidArgument for invalid UTF-8 or a
// prohibited character; the message names the code point position, never
// the input (it may be a password).
absl::StatusOr<std::string> SaslPrep(absl::string_view input);

}  // namespace smtpcore

#endif  // SMTP_SASL_SASLPREP_H_
