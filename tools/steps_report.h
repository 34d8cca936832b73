// StepsReport: the text and JSON output of a step-by-step session
// (tools/session_steps.h) for `smtpc probe` and `smtpc send --quit-after`.
//
// JSON (one object): "command" ("probe" or "send"), "server", "peer"
// (null when the connect failed), "quit_after" (send only), "banner",
// "capabilities_before_tls" and "capabilities_after_tls" (arrays, null when
// not reached), "tls" (null without TLS, else version, cipher, subject,
// issuer, not_after, verified, verify_error), "auth" (null when not run,
// else mechanism, user, ok, reply), "rcpt" (one reply line per recipient
// sent), "steps" (name, ok, reply, ms), "status" and "exit" (as `smtpc
// send`), "error" (null, or kind, permanent, code, command, line, message).

#ifndef SMTP_TOOLS_STEPS_REPORT_H_
#define SMTP_TOOLS_STEPS_REPORT_H_

#include <string>

#include "tools/session_steps.h"

namespace smtpcore {
namespace cli {

// StepsReportContext names what the outcome belongs to. Borrowed strings
// must outlive the call.
struct StepsReportContext {
  std::string command;     // "probe" or "send"
  std::string server;      // as given ("mx.example.org:25", "unix:/p")
  std::string quit_after;  // "" unless send --quit-after
  std::string user;        // --user, "" without AUTH
};

// StepsReportToJson renders `outcome` as the JSON object above (no
// trailing newline). Never fails.
std::string StepsReportToJson(const StepsReportContext& context,
                              const StepsOutcome& outcome);

// StepsReportToText renders `outcome` for people: banner, capabilities
// before and after TLS, TLS and certificate, AUTH, each step with its
// reply and time, and the result line. Never fails.
std::string StepsReportToText(const StepsReportContext& context,
                              const StepsOutcome& outcome);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_STEPS_REPORT_H_
