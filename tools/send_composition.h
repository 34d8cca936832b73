// SendComposition: the message of `smtpc send --subject/--body/--header/
// --attach` (tools/message_composer.h), with the files those flags name
// read here.

#ifndef SMTP_TOOLS_SEND_COMPOSITION_H_
#define SMTP_TOOLS_SEND_COMPOSITION_H_

#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {

// ComposeFromSendFlags builds the message for `flags` (whose `compose` is
// true): From and To from the envelope (--from, --to), the subject
// ("smtpc test message" by default), the body (TEXT, "@FILE", or "@-" for
// `stdin_file`; a short default text), headers and attachments (named by
// their base name). Fails with kInvalidArgument (a usage error) naming an
// unreadable file or a malformed --header.
absl::StatusOr<std::string> ComposeFromSendFlags(const SendFlags& flags,
                                                 std::FILE* stdin_file);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SEND_COMPOSITION_H_
