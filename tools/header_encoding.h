// HeaderEncoding: header field text that is safe to put in a message the
// CLI writes: RFC 2047 encoded-words for non-ASCII text, RFC 5322 quoting
// of display names.

#ifndef SMTP_TOOLS_HEADER_ENCODING_H_
#define SMTP_TOOLS_HEADER_ENCODING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace smtpcore {
namespace cli {

// IsAscii returns true when every byte of `text` is below 0x80.
bool IsAscii(absl::string_view text);

// EncodeHeaderText returns `text` unchanged when it is ASCII without
// control characters, else as RFC 2047 §4.1 "B" encoded-words in UTF-8
// ("=?UTF-8?B?...?="), each at most 75 characters and split between
// UTF-8 sequences, separated by a space (they are joined when decoded,
// RFC 2047 §6.2). Never fails; `text` is taken as UTF-8.
std::string EncodeHeaderText(absl::string_view text);

// FormatMailbox returns "address" when `display_name` is empty, else
// "display-name <address>": the name as an atom phrase when it has only
// atext and spaces, quoted (RFC 5322 §3.2.4) when it holds specials, or
// encoded (RFC 2047 §5(3)) when it is not ASCII.
std::string FormatMailbox(absl::string_view display_name,
                          absl::string_view address);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_HEADER_ENCODING_H_
