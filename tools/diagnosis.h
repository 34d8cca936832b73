// Diagnosis: what the CLI adds to an error so a person can fix the usual
// mistakes: the wrong TLS mode for a port, the sender refused, and the
// replies big mail providers give, explained from their enhanced status
// codes (RFC 3463, RFC 5248 registry; provider codes as documented by
// Microsoft 365 and Google Workspace).

#ifndef SMTP_TOOLS_DIAGNOSIS_H_
#define SMTP_TOOLS_DIAGNOSIS_H_

#include <cstdint>
#include <string>

#include "absl/types/optional.h"
#include "core/reply.h"
#include "core/smtp_error.h"

namespace smtpcore {
namespace cli {

// ExplainReply returns one sentence for a well-known reply, or ""
// when there is nothing to add:
//   5.7.139, 5.7.57       basic authentication disabled: OAuth 2.0 needed
//   5.7.8, 5.7.9          wrong credentials, or an app password needed
//   530 with 5.7.0        STARTTLS or AUTH required before MAIL
//   421/432/454 with 4.7.0, 4.4.5, 4.3.2
//                         throttled: retry later, with fewer connections
std::string ExplainReply(int code,
                         const absl::optional<EnhancedCode>& enhanced);

// DiagnoseError returns a hint for `error` met on server port `port` (with
// `implicit_tls` when the session used implicit TLS), or "" when there is
// none: the TLS-mode mistakes
// (kTlsPeerPlaintext: use --tls starttls or port 587; kTlsPeerExpectsTls:
// use --tls implicit; any other greeting timeout without implicit TLS: it
// may be an implicit-TLS port), a refused or malformed sender (MAIL: the
// sender's problem, its recipients were not sent), then ExplainReply.
std::string DiagnoseError(const SmtpError& error, uint16_t port,
                          bool implicit_tls);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_DIAGNOSIS_H_
