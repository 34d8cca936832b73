// IdnaConverter: how the core turns an internationalised domain name into
// its ASCII form (A-labels, RFC 5890 §2.3.2.1), without depending on an
// IDNA library: the caller injects the conversion (//idna wraps libidn2's
// UTS #46 processing; tests use fakes).
//
// The core calls it only for a domain that is not ASCII and only when the
// ASCII form is needed: an address domain when the server lacks SMTPUTF8
// (core/delivery_precheck.h), and a non-ASCII EHLO/LHLO name, always (the
// greeting precedes any SMTPUTF8 negotiation; RFC 5321 §2.3.5, RFC 6531
// §3.2).

#ifndef SMTP_CORE_IDNA_CONVERTER_H_
#define SMTP_CORE_IDNA_CONVERTER_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// IdnaConverter returns the ASCII form of the UTF-8 `domain` (e.g.
// "bücher.example" -> "xn--bcher-kva.example"), or an error for a domain
// that has none (invalid labels, disallowed code points); the error's
// message is shown to the user, so it names the domain and the reason.
// It must be pure and deterministic (the same input gives the same output)
// and must not call back into the session; it is called synchronously from
// Session inputs and operations.
using IdnaConverter =
    std::function<absl::StatusOr<std::string>(absl::string_view domain)>;

}  // namespace smtpcore

#endif  // SMTP_CORE_IDNA_CONVERTER_H_
