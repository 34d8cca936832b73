#include "tools/delivery_log.h"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace smtpcore {
namespace cli {
namespace {

// Token makes `text` safe as an unquoted value: white space and controls
// become '?'; empty becomes "-".
std::string Token(absl::string_view text) {
  if (text.empty()) return "-";
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 127) c = '?';
  }
  return out;
}

std::string Quoted(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < ' ' || c == 127) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string FormatDeliveryLogLine(const DeliveryLogEntry& entry) {
  std::vector<std::string> recipients;
  for (const std::string& r : entry.recipients) recipients.push_back(Token(r));
  return absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", entry.time, absl::UTCTimeZone()),
      " account=", Token(entry.account), " host=", Token(entry.server),
      " tls=", Token(entry.tls), " from=<", Token(entry.from),
      "> recipients=",
      recipients.empty() ? "-" : absl::StrJoin(recipients, ","),
      " size=", entry.size, " status=", Token(entry.status),
      " reply=", Quoted(entry.reply));
}

absl::Status AppendDeliveryLog(const std::string& path,
                               absl::string_view line) {
  const std::string text = absl::StrCat(line, "\n");
  int fd = path == "-" ? STDOUT_FILENO
                       : open(path.c_str(),
                              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot open logfile ", path, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  absl::Status status;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "cannot write logfile ", path, ": ", std::strerror(errno)));
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (fd != STDOUT_FILENO) close(fd);
  return status;
}

void SyslogDelivery(absl::string_view facility, absl::string_view line,
                    bool failed) {
  int f = LOG_MAIL;
  if (facility == "LOG_USER") f = LOG_USER;
  static constexpr int kLocal[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
                                   LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5,
                                   LOG_LOCAL6, LOG_LOCAL7};
  if (facility.size() == 10 && facility.substr(0, 9) == "LOG_LOCAL" &&
      facility[9] >= '0' && facility[9] <= '7') {
    f = kLocal[facility[9] - '0'];
  }
  openlog("smtpc", LOG_PID, f);
  syslog((failed ? LOG_ERR : LOG_INFO) | f, "%.*s",
         static_cast<int>(line.size()), line.data());
  closelog();
}

}  // namespace cli
}  // namespace smtpcore
