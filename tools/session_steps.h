// SessionSteps: walks one SMTP conversation step by step with StepClient
// (tools/step_client.h) and records each step's reply and duration, for
// `smtpc probe` (connect ... AUTH, QUIT) and `smtpc send --quit-after`
// (swaks: stop after a stage and QUIT, delivering nothing).
//
// The order: connect, [implicit TLS handshake], greeting, EHLO (LHLO with
// LMTP; HELO when EHLO is not recognised), [STARTTLS: when `--tls
// starttls`, or offered with `opportunistic`; then EHLO again], [AUTH when
// the options carry a SASL chooser], [MAIL], [RCPT for each recipient],
// QUIT. A step that fails (an error, or a reply that refuses it) ends the
// walk with the exit status of `smtpc send` (tools/exit_status.h); QUIT is
// still sent while the connection works. With `--tls opportunistic` a
// STARTTLS refused with a reply other than 421 is recorded (ok false) and
// the walk goes on in plaintext (RFC 3207 §4).

#ifndef SMTP_TOOLS_SESSION_STEPS_H_
#define SMTP_TOOLS_SESSION_STEPS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/types/optional.h"
#include "core/capabilities.h"
#include "core/instant.h"
#include "core/reply.h"
#include "core/sasl_mechanism.h"
#include "core/smtp_error.h"
#include "transports/common/client_options.h"
#include "tools/exit_status.h"
#include "tools/options.h"
#include "tools/reach_flags.h"

namespace smtpcore {
namespace cli {

// StepRecord is one step. A value type.
struct StepRecord {
  // name: "connect", "tls" (implicit TLS handshake), "greeting", "ehlo"
  // ("lhlo", "helo"), "starttls", "ehlo_tls" (EHLO after STARTTLS),
  // "auth", "mail", "rcpt", "quit".
  std::string name;
  // reply is the server's reply (code 0 for connect and the handshake).
  Reply reply;
  // elapsed is the step's wall time (monotonic clock).
  Duration elapsed = absl::ZeroDuration();
  // ok is false for the step that failed.
  bool ok = true;
};

// StepsPlan says how far to go.
struct StepsPlan {
  TlsChoice tls = TlsChoice::kOpportunistic;
  // stop is the last stage run before QUIT; kNone (and kRcpt) run every
  // step including RCPT. `probe` stops after kAuth.
  QuitAfter stop = QuitAfter::kAuth;
  // from and to are the envelope of MAIL and RCPT.
  std::string from;
  std::vector<std::string> to;
  // auth_note (may be null) is where the SASL chooser of `options` writes
  // why no mechanism fits (tools/client_config.h); added to the error.
  std::shared_ptr<std::string> auth_note;
};

// StepsOutcome is what happened. A value type.
struct StepsOutcome {
  std::vector<StepRecord> steps;
  // peer is the connected address ("127.0.0.1:25", "unix:/path", the
  // proxy's address through a proxy); "" when the connect failed.
  std::string peer;
  Reply banner;
  absl::optional<Capabilities> capabilities_before_tls;
  absl::optional<Capabilities> capabilities_after_tls;
  absl::optional<TlsInfo> tls;
  // auth_mechanism is the mechanism tried ("" when AUTH was not run);
  // auth_reply its final reply (code 0 when none came).
  std::string auth_mechanism;
  Reply auth_reply;
  // rcpt_replies are the RCPT replies in `plan.to` order (as far as sent).
  std::vector<Reply> rcpt_replies;
  // error is the first failure (nullopt when every step worked).
  absl::optional<SmtpError> error;
  ExitStatus exit = ExitStatus::kOk;
};

// RunSteps runs `plan` on a connection made with `options` (the session
// options' EHLO name, TLS, SASL chooser, LMTP, trace and `on_event` are
// used; see StepClient::Dial). Never fails: failures are in the outcome.
StepsOutcome RunSteps(const ClientOptions& options, const StepsPlan& plan);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_SESSION_STEPS_H_
