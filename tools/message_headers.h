// MessageHeaders: reading and editing the header section of an RFC 5322
// message as `smtpc sendmail` needs it: find fields, take recipients from
// To/Cc/Bcc (`-t`), remove Bcc, add missing fields.
//
// Messages come from mail programs with LF or CRLF line endings (the core
// normalises them to CRLF when sending, core/dot_stuffer.h); these
// functions accept both and never change the body. Folded fields (RFC 5322
// §2.2.3) are unfolded for reading. The header section ends at the first
// empty line, or at the first line that is neither a field nor a
// continuation (as in a message without a body separator).

#ifndef SMTP_TOOLS_MESSAGE_HEADERS_H_
#define SMTP_TOOLS_MESSAGE_HEADERS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace smtpcore {
namespace cli {

// HeaderField is one field of a header section. Owns its strings.
struct HeaderField {
  // name as written (case kept); compare case-insensitively.
  std::string name;
  // value: unfolded (line breaks of continuation lines removed), leading
  // and trailing white space stripped.
  std::string value;
  // [begin, end) are the byte offsets of the whole field in the message,
  // continuation lines and the final line ending included.
  size_t begin = 0;
  size_t end = 0;
};

// HeaderSection is the parsed header section of a message.
struct HeaderSection {
  std::vector<HeaderField> fields;
  // body_offset is where the header section ends: the offset of the empty
  // separator line (or of the first line that is not a field), or the
  // message size.
  size_t body_offset = 0;

  // Has returns true when a field named `name` (any case) exists.
  bool Has(absl::string_view name) const;
  // Values returns the values of every field named `name`, in order.
  std::vector<std::string> Values(absl::string_view name) const;
};

// ParseHeaderSection parses the header section of `message`. Never fails:
// text that is not a field ends the section.
HeaderSection ParseHeaderSection(absl::string_view message);

// RemoveHeaderFields returns `message` without the fields named `name`
// (any case), continuation lines included. The rest is unchanged.
std::string RemoveHeaderFields(absl::string_view message,
                               absl::string_view name);

// ParseAddressList returns the addr-specs of an RFC 5322 §3.4 address-list
// ("Ann <a@x>, b@y, \"Smith, C\" <c@z>, team: d@w, e@v;"): display names,
// comments and group names are dropped, an empty group gives nothing.
// Tolerant: an entry without '@' is still returned (local recipients, as
// sendmail allows), empty entries are skipped. Never fails.
std::vector<std::string> ParseAddressList(absl::string_view value);

// LineEndingOf returns "\r\n" when the first line of `message` ends with
// CRLF, else "\n": added fields use the message's own line ending.
absl::string_view LineEndingOf(absl::string_view message);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_MESSAGE_HEADERS_H_
