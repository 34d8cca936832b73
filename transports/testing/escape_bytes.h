// EscapeBytes / UnescapeBytes: a lossless, line-safe text form of arbitrary
// bytes, used by failure messages of the script transport and by session
// trace files (transports/testing/session_recorder.h).
//
// Form: printable ASCII (0x20..0x7e) as is, except `\` and `"`; then
// `\r` `\n` `\t` `\\` `\"`, and every other byte as `\xHH` (exactly two hex
// digits, lower case). UnescapeBytes(EscapeBytes(x)) == x for every x.

#ifndef SMTP_TRANSPORTS_TESTING_ESCAPE_BYTES_H_
#define SMTP_TRANSPORTS_TESTING_ESCAPE_BYTES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {

// EscapeBytes renders `bytes` in the escaped form. Never fails.
std::string EscapeBytes(absl::string_view bytes);

// UnescapeBytes decodes the escaped form. Returns kInvalidArgument for an
// unknown escape, a `\x` without two hex digits, a trailing backslash or a
// raw `"`, CR or LF (which EscapeBytes never produces).
absl::StatusOr<std::string> UnescapeBytes(absl::string_view text);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_ESCAPE_BYTES_H_
