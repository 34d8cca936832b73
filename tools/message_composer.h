// MessageComposer: the message `smtpc send` builds from composition flags,
// as swaks users expect: --subject, --body TEXT|@FILE, --header "Name:
// value" (repeatable), --attach FILE (repeatable).
//
// The result is RFC 5322 with MIME (RFC 2045-2049), CRLF line endings:
//   - From and To from the envelope, Subject, Date and Message-ID (RFC 5322
//     §3.6), MIME-Version; a --header with the same name replaces the
//     generated field (so --header "From: Ann <a@x>" works);
//   - header text that is not ASCII is encoded per RFC 2047 (encoded-words;
//     in address fields only the display names);
//   - the body is text/plain; UTF-8 or long lines make it base64;
//   - with attachments, multipart/mixed: the text part, then one base64
//     part per file, its type guessed from the file name, with
//     Content-Disposition filename (RFC 2183), given per RFC 2231
//     (filename*=UTF-8''...) when the name is not ASCII.

#ifndef SMTP_TOOLS_MESSAGE_COMPOSER_H_
#define SMTP_TOOLS_MESSAGE_COMPOSER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace smtpcore {
namespace cli {

// Attachment is one file to attach. Owns its bytes.
struct Attachment {
  // name is the file name shown to the recipient (no directory).
  std::string name;
  std::string content;
};

// Composition is everything a composed message is made of. Owns its
// strings.
struct Composition {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;
  // headers are "Name: value" lines as given with --header.
  std::vector<std::string> headers;
  std::vector<Attachment> attachments;
  std::string date;        // the Date value
  std::string message_id;  // "<...>"
  // boundary separates MIME parts (random in production, fixed in tests).
  std::string boundary;
};

// ComposeMessage builds the message (see the file comment). Fails with
// kInvalidArgument for a --header that is not "Name: value" (a field name
// of printable ASCII without ':' or space, RFC 5322 §2.2) or holds a line
// break.
absl::StatusOr<std::string> ComposeMessage(const Composition& c);

// GuessContentType returns the media type for a file name by its
// extension (case-insensitive): text/plain, text/html, application/pdf,
// image/png, ...; application/octet-stream when unknown.
std::string GuessContentType(absl::string_view file_name);

// MakeBoundary returns a random MIME boundary (RFC 2046 §5.1.1), which
// cannot occur in base64 or in the generated text.
std::string MakeBoundary();

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_MESSAGE_COMPOSER_H_
