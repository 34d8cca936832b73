// TracePrinter: renders a session's events as a live transcript, the way
// `smtpc send --trace` and `smtpc demo` show it:
//
//   * connecting to 127.0.0.1:2525           (Info lines, from the tool)
//   S: 220 sink.smtpc.test ESMTP ready        (Trace events, server)
//   C: EHLO client.example                    (Trace events, client)
//   * TLS established: TLSv1.3, TLS_AES_128_GCM_SHA256, certificate
//     verified                                 (TlsEstablished)
//   * authenticated as demo with PLAIN         (Authenticated)
//
// Secrets never appear: the core already redacts AUTH lines in Trace events
// ("AUTH PLAIN <redacted>") and summarises message data ("<body 1234
// bytes>"). With colour, client lines are cyan, server lines green and info
// lines yellow (ANSI SGR; only used on terminals).

#ifndef SMTP_TOOLS_TRACE_PRINTER_H_
#define SMTP_TOOLS_TRACE_PRINTER_H_

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "core/event.h"

namespace smtpcore {
namespace cli {

// TracePrinter writes transcript lines to a borrowed stream.
class TracePrinter {
 public:
  // TracePrinter writes to `out` (borrowed; must outlive the printer).
  // `auth_user` is shown in the Authenticated line.
  TracePrinter(std::FILE* out, bool color, std::string auth_user = "")
      : out_(out), color_(color), auth_user_(std::move(auth_user)) {}

  // OnEvent prints the lines for `event` (nothing for most events) and
  // flushes.
  void OnEvent(const Event& event);

  // Info prints "* text".
  void Info(absl::string_view text);

  // FormatEvent returns the lines OnEvent would print for `event`, without
  // colour, each ending in '\n' ("" for events that print nothing).
  static std::string FormatEvent(const Event& event,
                                 absl::string_view auth_user);

 private:
  void Line(absl::string_view color, absl::string_view text);

  std::FILE* out_;
  bool color_;
  std::string auth_user_;
};

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_TRACE_PRINTER_H_
