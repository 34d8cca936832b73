// Message: the message bytes `smtpc` sends: read from a file or standard
// input (`--data`), the small generated test message of `smtpc send`, and
// the sized messages of `smtpc bulk`.
//
// Bytes are passed on untouched; line endings are normalised to CRLF by the
// core when it sends them (core/dot_stuffer.h, LineEndingPolicy::kNormalize).

#ifndef SMTP_TOOLS_MESSAGE_H_
#define SMTP_TOOLS_MESSAGE_H_

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace smtpcore {
namespace cli {

// ReadMessage returns the bytes of file `path`, or of `stdin_file` when
// `path` is "-". Fails with kInvalidArgument naming the file and the
// reason ("cannot read --data /x: No such file or directory").
absl::StatusOr<std::string> ReadMessage(const std::string& path,
                                        std::FILE* stdin_file);

// FormatRfc5322Date renders `t` in `zone` as an RFC 5322 §3.3 date-time:
// "Mon, 01 Jan 2024 00:00:00 +0000". Never fails.
std::string FormatRfc5322Date(absl::Time t, absl::TimeZone zone);

// MakeMessageId returns "<token@domain>" with a random 16-hex-digit token.
std::string MakeMessageId(absl::string_view domain);

// GenerateTestMessage returns the message `smtpc send` sends without
// --data: From/To/Subject/Date/Message-ID/MIME headers and a short text
// naming the tool, CRLF line endings. `date` is the Date header's value.
std::string GenerateTestMessage(absl::string_view from,
                                const std::vector<std::string>& to,
                                absl::string_view date,
                                absl::string_view message_id);

// GenerateSizedMessage returns a message of exactly `size` bytes when
// `size` is at least the header size (else just the headers): headers with
// `index` in the Subject, then lines of filler text, CRLF line endings,
// ending in CRLF. Every 10th body line starts with a dot (so DATA
// transfers exercise dot-stuffing). Deterministic.
std::string GenerateSizedMessage(size_t size, size_t index,
                                 absl::string_view from,
                                 absl::string_view to);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_MESSAGE_H_
