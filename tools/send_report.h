// SendReport: everything `smtpc send` learned about one delivery, and its
// two renderings: the `--json` object and the human summary.
//
// The JSON object is a contract shared with
// tests/integration/reference_client.py (the interop harness reads it):
//
//   {"server": "mx.example:25",            host:port as given
//    "peer": "192.0.2.1:25",               the address connected (or null)
//    "tls": {"mode": "starttls", "established": true, "version": "TLSv1.3",
//            "cipher": "TLS_AES_128_GCM_SHA256", "verified": true,
//            "verify_error": null},        only "mode" and "established"
//                                          without TLS
//    "capabilities": ["PIPELINING", "SIZE 10240000", ...],  EHLO keyword
//                                          lines (after TLS when used)
//    "auth": {"mechanism": "PLAIN", "user": "u"} | null,
//    "body_command": "DATA" | "BDAT" | null,
//    "recipients": [{"address", "accepted", "status", "code",
//                    "enhanced_code", "text"}],   in --to order; "accepted"
//                                          is a 2xx to RCPT, "status" the
//                                          final outcome, always one of
//                                          delivered, rejected, deferred,
//                                          unknown, not_sent ("unknown":
//                                          the end of data was sent, no
//                                          reply came, the message may have
//                                          arrived; "not_sent": the server
//                                          never refused the recipient, the
//                                          delivery failed around it: the
//                                          sender was refused, or the
//                                          connection, TLS handshake,
//                                          greeting or AUTH failed before
//                                          the transaction; "error" is the
//                                          cause and its "permanent" says
//                                          whether to retry; core's
//                                          RecipientNotSent), "text" the
//                                          reply's first line without the
//                                          enhanced code
//    "result": {"code", "enhanced_code", "text"} | null,  reply to the end
//                                          of the message
//    "status": "ok" | "partial" | "temporary" | "permanent" | "protocol",
//    "exit_code": 0,
//    "error": {"kind", "permanent", "code", "enhanced_code", "command",
//              "line", "message"} | null,
//    "route": {...}}                      only with --mx: the plan, which MX
//                                          and IP accepted and the TLS
//                                          policy used (tools/route_report.h)
//
// error.kind is `ErrorDetailName` of the cause; error.code is null without a
// reply; error.command is the SMTP verb ("MAIL", "AUTH", ...), "CONNECT" for
// the connection and greeting; error.line is "550 5.1.1 text" when there was
// a reply, else the message; error.message is `SmtpError::Message()`.

#ifndef SMTP_TOOLS_SEND_REPORT_H_
#define SMTP_TOOLS_SEND_REPORT_H_

#include <string>
#include <vector>

#include "absl/types/optional.h"
#include "core/capabilities.h"
#include "core/delivery.h"
#include "core/reply.h"
#include "core/sasl_mechanism.h"
#include "core/smtp_error.h"
#include "tools/exit_status.h"
#include "tools/route_report.h"

namespace smtpcore {
namespace cli {

// SendReport is the outcome of one `smtpc send`. A value type.
struct SendReport {
  std::string server;                   // "host:port"
  absl::optional<std::string> peer;     // "ip:port" once connected
  std::string tls_mode;                 // TlsChoiceName
  absl::optional<TlsInfo> tls;          // set when TLS was established
  Capabilities capabilities;
  bool have_capabilities = false;       // an EHLO succeeded
  absl::optional<std::string> auth_mechanism;
  std::string auth_user;
  absl::optional<std::string> body_command;  // "DATA" or "BDAT"
  std::vector<RecipientResult> recipients;
  absl::optional<Reply> result;         // final reply to the message data
  ExitStatus exit = ExitStatus::kOk;
  absl::optional<SmtpError> error;
  // route is set for `--mx`: the plan and which attempt accepted.
  absl::optional<RouteReport> route;
};

// ReplyText returns the first line of `reply` without its enhanced code
// ("Ok: queued as 1"); "" for an empty reply.
std::string ReplyText(const Reply& reply);

// ReplyLine returns "250 2.0.0 Ok: queued as 1" (code, and the first line
// as sent), or "" for an empty reply (code 0).
std::string ReplyLine(const Reply& reply);

// ErrorCommandName returns the JSON's error.command: the verb, or "CONNECT"
// for kGreeting.
std::string ErrorCommandName(CommandKind kind);

// ErrorLine returns error.line: "code first-line" with a reply, else
// `error.Message()`.
std::string ErrorLine(const SmtpError& error);

// kUnknownOutcomeNote is the text summary's line for unknown outcomes.
inline constexpr char kUnknownOutcomeNote[] =
    "warning: the whole message was sent but the connection ended before "
    "the server's reply: it may have been delivered to the recipients "
    "marked unknown (sending it again may deliver it twice)\n";

// SendReportToJson renders the JSON object (one line, no trailing newline).
std::string SendReportToJson(const SendReport& report);

// SendReportToText renders the human summary printed on stdout without
// `--json` (several lines, each ending in '\n'): one line per recipient
// (its outcome: "delivered", "rejected", "deferred", "unknown" or "not
// sent") and one for the message, and a warning line when some recipient's
// outcome is unknown (kUnknownOutcomeNote). Empty when nothing was
// attempted.
std::string SendReportToText(const SendReport& report);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SEND_REPORT_H_
