#include "tools/quit_after.h"

#include "tools/session_steps.h"
#include "tools/steps_report.h"
#include "tools/trace_printer.h"

namespace smtpcore {
namespace cli {

int RunSendQuitAfter(const SendFlags& f, ClientConfig& config,
                     const CommandIo& io) {
  ClientOptions& options = config.options;
  options.session.trace = f.connection.trace;
  TracePrinter trace(io.err, /*color=*/false, f.connection.user);
  if (f.connection.trace) {
    options.on_event = [&trace](const Event& event) { trace.OnEvent(event); };
  }
  StepsPlan plan;
  plan.tls = f.connection.tls;
  plan.stop = f.reach.quit_after;
  plan.from = f.from;
  plan.to = f.to;
  plan.auth_note = config.auth_note;
  StepsOutcome outcome = RunSteps(options, plan);

  StepsReportContext context;
  context.command = "send";
  context.server = f.connection.server.ToString();
  context.quit_after = std::string(QuitAfterName(f.reach.quit_after));
  context.user = f.connection.user;
  if (f.json) {
    std::fprintf(io.out, "%s\n", StepsReportToJson(context, outcome).c_str());
  } else {
    std::fputs(StepsReportToText(context, outcome).c_str(), io.out);
    if (outcome.error.has_value()) {
      std::fprintf(io.err, "smtpc send: error: %s\n",
                   outcome.error->Message().c_str());
    }
  }
  std::fflush(io.out);
  return static_cast<int>(outcome.exit);
}

}  // namespace cli
}  // namespace smtpcore
