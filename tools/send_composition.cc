#include "tools/send_composition.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "tools/client_config.h"
#include "tools/message.h"
#include "tools/message_composer.h"

namespace smtpcore {
namespace cli {

absl::StatusOr<std::string> ComposeFromSendFlags(const SendFlags& flags,
                                                 std::FILE* stdin_file) {
  Composition c;
  c.from = flags.from;
  c.to = flags.to;
  c.subject = flags.subject.empty() ? "smtpc test message" : flags.subject;
  c.body = "This is a test message sent by smtpc.\n";
  if (flags.body.has_value()) {
    if (absl::StartsWith(*flags.body, "@")) {
      const std::string path = flags.body->substr(1);
      absl::StatusOr<std::string> text =
          path == "-" ? ReadMessage("-", stdin_file)
                      : ReadFileForFlag("body", path);
      if (!text.ok()) return text.status();
      c.body = *std::move(text);
    } else {
      c.body = *flags.body;
    }
  }
  c.headers = flags.headers;
  for (const std::string& path : flags.attach) {
    absl::StatusOr<std::string> content = ReadFileForFlag("attach", path);
    if (!content.ok()) return content.status();
    Attachment a;
    const size_t slash = path.rfind('/');
    a.name = slash == std::string::npos ? path : path.substr(slash + 1);
    a.content = *std::move(content);
    c.attachments.push_back(std::move(a));
  }
  c.date = FormatRfc5322Date(absl::Now(), absl::LocalTimeZone());
  const size_t at = flags.from.rfind('@');
  c.message_id = MakeMessageId(at == std::string::npos
                                   ? flags.connection.ehlo
                                   : flags.from.substr(at + 1));
  c.boundary = MakeBoundary();
  return ComposeMessage(c);
}

}  // namespace cli
}  // namespace smtpcore
