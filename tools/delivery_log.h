// DeliveryLog: the one-line record `smtpc sendmail` writes for each message
// when the account sets `logfile` (appended) or `syslog` (LOG_MAIL), like
// msmtp's log: when, which account and server, sender, recipients, the
// server's final reply (or the error), the message size and exit status.
//
//   2026-12-04T05:10:00Z account=work host=smtp.example.org:587
//   tls=starttls from=<a@example.org> recipients=b@example.org,c@example.org
//   size=1234 status=EX_OK reply="250 2.0.0 Ok: queued as 4F1"
// (one line; values never contain white space except the quoted reply,
// whose quotes and backslashes are escaped and control characters
// replaced by '?').

#ifndef SMTP_TOOLS_DELIVERY_LOG_H_
#define SMTP_TOOLS_DELIVERY_LOG_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace smtpcore {
namespace cli {

// DeliveryLogEntry is what one line records. Owns its strings.
struct DeliveryLogEntry {
  absl::Time time;
  std::string account;
  std::string server;  // "host:port"
  std::string tls;     // TlsChoiceName
  std::string from;
  std::vector<std::string> recipients;
  size_t size = 0;
  // status is the sysexits name ("EX_OK", "EX_TEMPFAIL", ...).
  std::string status;
  // reply is the server's final reply or the error's message.
  std::string reply;
};

// FormatDeliveryLogLine returns the line for `entry`, without a line
// ending (time in UTC, RFC 3339). Never fails.
std::string FormatDeliveryLogLine(const DeliveryLogEntry& entry);

// AppendDeliveryLog appends `line` and "\n" to file `path` (created with
// mode 0600 when missing) in one write(2) with O_APPEND, so concurrent
// senders do not interleave lines. "-" means standard output. Fails with
// kInvalidArgument naming the file and errno's text.
absl::Status AppendDeliveryLog(const std::string& path,
                               absl::string_view line);

// SyslogDelivery sends `line` to syslog(3) with ident "smtpc", facility
// `facility` ("on" or "LOG_MAIL" for mail, "LOG_USER", "LOG_LOCAL0".."7")
// and priority LOG_INFO (LOG_ERR when `failed`). An unknown facility
// name uses LOG_MAIL. Never fails.
void SyslogDelivery(absl::string_view facility, absl::string_view line,
                    bool failed);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_DELIVERY_LOG_H_
