#include "tools/message.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace smtpcore {
namespace cli {

absl::StatusOr<std::string> ReadMessage(const std::string& path,
                                        std::FILE* stdin_file) {
  if (path == "-") {
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), stdin_file)) > 0) {
      out.append(buf, n);
    }
    if (std::ferror(stdin_file)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot read --data - (standard input): ", std::strerror(errno)));
    }
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read --data ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read --data ", path, ": ", std::strerror(errno)));
  }
  return ss.str();
}

std::string FormatRfc5322Date(absl::Time t, absl::TimeZone zone) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", t, zone);
}

std::string MakeMessageId(absl::string_view domain) {
  std::random_device rd;
  const uint64_t token = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return absl::StrFormat("<%016x@%s>", token, domain);
}

std::string GenerateTestMessage(absl::string_view from,
                                const std::vector<std::string>& to,
                                absl::string_view date,
                                absl::string_view message_id) {
  std::vector<std::string> rcpts;
  rcpts.reserve(to.size());
  for (const std::string& t : to) rcpts.push_back(absl::StrCat("<", t, ">"));
  return absl::StrCat(
      "From: <", from, ">\r\n",
      "To: ", absl::StrJoin(rcpts, ", "), "\r\n",
      "Subject: smtpc test message\r\n",
      "Date: ", date, "\r\n",
      "Message-ID: ", message_id, "\r\n",
      "MIME-Version: 1.0\r\n",
      "Content-Type: text/plain; charset=utf-8\r\n",
      "\r\n",
      "This is a test message sent by smtpc (smtpcore's command-line "
      "client).\r\n");
}

std::string GenerateSizedMessage(size_t size, size_t index,
                                 absl::string_view from,
                                 absl::string_view to) {
  std::string out = absl::StrCat(
      "From: <", from, ">\r\nTo: <", to, ">\r\nSubject: smtpc bulk message ",
      index, "\r\nMessage-ID: <bulk-", index,
      "@smtpc.test>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
  static constexpr absl::string_view kFiller =
      "The quick brown fox jumps over the lazy dog. 0123456789 smtpc bulk";
  // Appended in place (no string per line): `smtpc bulk --distinct` builds
  // several of these at start-up, and the start-up is part of its CPU.
  out.reserve(std::max(size, out.size()) + 2);
  size_t line = 0;
  while (out.size() + 2 < size) {
    const size_t room = size - out.size() - 2;  // keep 2 for CRLF
    // The line is "." every 10th line, then the filler, cut to `room`.
    const absl::string_view dot = line % 10 == 0 ? "." : "";
    const size_t dots = std::min(room, dot.size());
    out.append(dot.data(), dots);
    out.append(kFiller.data(), std::min(room - dots, kFiller.size()));
    out += "\r\n";
    ++line;
  }
  if (out.size() < size) {
    // One or two bytes left: an empty line, or a lone space line start.
    out += size - out.size() == 2 ? "\r\n" : "";
    if (out.size() < size) {
      // A single byte can only be appended inside the last line.
      out.insert(out.size() - 2, " ");
    }
  }
  return out;
}

}  // namespace cli
}  // namespace smtpcore
