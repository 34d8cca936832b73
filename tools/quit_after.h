// `smtpc send --quit-after STAGE` (swaks semantics): run the session step
// by step (tools/session_steps.h) up to STAGE, send QUIT and report; no
// message is delivered. STAGE: connect or greeting (the banner is read,
// like swaks' connect/banner), ehlo (the first EHLO/LHLO; swaks calls it
// first-ehlo), tls (STARTTLS and the EHLO after it), auth, mail, rcpt.
// Stages the session does not have (tls without TLS, auth without --user)
// stop at the next one that runs.

#ifndef SMTP_TOOLS_QUIT_AFTER_H_
#define SMTP_TOOLS_QUIT_AFTER_H_

#include "tools/client_config.h"
#include "tools/command_io.h"
#include "tools/options.h"

namespace smtpcore {
namespace cli {

// RunSendQuitAfter runs `f` (whose `reach.quit_after` is set) with
// `config` (MakeClientConfig's, with ApplyReachFlags applied) and prints
// the steps as text, or as JSON with --json (tools/steps_report.h).
// Returns the exit status: 0 when every step up to STAGE worked, else that
// of `smtpc send` for the failure (3 for 4xx, 4 for 5xx, 5 for TLS or
// protocol errors). Never throws.
int RunSendQuitAfter(const SendFlags& f, ClientConfig& config,
                     const CommandIo& io);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_QUIT_AFTER_H_
