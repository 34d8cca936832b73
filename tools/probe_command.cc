#include "tools/probe_command.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/account_args.h"
#include "tools/account_config.h"
#include "tools/client_config.h"
#include "tools/exit_status.h"
#include "tools/flags.h"
#include "tools/options.h"
#include "tools/reach_flags.h"
#include "tools/session_steps.h"
#include "tools/steps_report.h"
#include "tools/trace_printer.h"

namespace smtpcore {
namespace cli {
namespace {

void PrintUsageError(const CommandIo& io, absl::string_view message) {
  std::fprintf(io.err,
               "smtpc probe: %.*s\nTry 'smtpc probe --help' for more "
               "information.\n",
               static_cast<int>(message.size()), message.data());
}

}  // namespace

absl::Span<const FlagSpec> ProbeFlagSpecs() {
  static const std::vector<FlagSpec>* specs = [] {
    auto* v = new std::vector<FlagSpec>();
    for (const FlagSpec& s : ConnectionFlagSpecs()) v->push_back(s);
    for (const FlagSpec& s : ReachFlagSpecs()) v->push_back(s);
    v->push_back({"account", "NAME",
                  "take server, TLS and credentials from this account"});
    v->push_back({"config", "FILE",
                  "account file (default ~/.config/smtpc/config, else "
                  "~/.msmtprc)"});
    v->push_back({"json", nullptr,
                  "print one JSON object with the result on stdout"});
    return v;
  }();
  return *specs;
}

std::string ProbeUsage() {
  return absl::StrCat(
      "Usage: smtpc probe --server HOST[:PORT]|unix:PATH [options]\n"
      "\n"
      "Connect, greet, EHLO, STARTTLS (when offered, or required with --tls "
      "starttls),\nEHLO again, AUTH when --user is given, QUIT. Prints the "
      "banner, the\ncapabilities before and after TLS, the TLS version, "
      "cipher and the server\ncertificate (subject, issuer, expiry, "
      "verification), the AUTH result and\nthe time of each step. Sends no "
      "mail.\n"
      "\n"
      "Options:\n",
      FormatFlagHelp(ProbeFlagSpecs()),
      "  --help                 this text\n"
      "\n"
      "Exit status: 0 everything asked for worked, 3 temporary failure (4xx, "
      "timeout,\nconnection), 4 permanent failure (5xx), 5 protocol or TLS "
      "error, 64 usage error.\n"
      "\n"
      "Examples:\n"
      "  smtpc probe --server mail.example.org:587 --user alice "
      "--password-file pw\n"
      "  smtpc probe --server mail.example.org:25 --json\n");
}

int RunProbeCommand(absl::Span<const std::string> args, const CommandIo& io) {
  // --account/--config: the profile's server, TLS and credentials
  // (tools/account_args.h); a probe sends no mail, so no --from.
  absl::StatusOr<std::vector<std::string>> expanded =
      ExpandAccountArgs(args, /*with_from=*/false, ProcessEnv());
  absl::StatusOr<ParsedFlags> parsed =
      expanded.ok() ? ParseFlags(ProbeFlagSpecs(), *expanded)
                    : absl::StatusOr<ParsedFlags>(expanded.status());
  if (!parsed.ok()) {
    PrintUsageError(io, parsed.status().message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  if (parsed->has("help")) {
    std::fputs(ProbeUsage().c_str(), io.out);
    return 0;
  }
  ConnectionFlags connection;
  if (absl::Status s = ParseConnectionFlagsFrom(*parsed, &connection);
      !s.ok()) {
    PrintUsageError(io, s.message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  ReachFlags reach;
  if (absl::Status s = ParseReachFlags(*parsed, connection.server.unix_path,
                                       /*with_quit_after=*/false, &reach);
      !s.ok()) {
    PrintUsageError(io, s.message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  absl::StatusOr<ClientConfig> config = MakeClientConfig(connection);
  if (!config.ok()) {
    PrintUsageError(io, config.status().message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  ClientOptions& options = config->options;
  ApplyReachFlags(reach, connection.server.unix_path, &options);
  options.session.trace = connection.trace;
  TracePrinter trace(io.err, /*color=*/false, connection.user);
  if (connection.trace) {
    options.on_event = [&trace](const Event& event) { trace.OnEvent(event); };
  }

  StepsPlan plan;
  plan.tls = connection.tls;
  plan.stop = QuitAfter::kAuth;
  plan.auth_note = config->auth_note;
  StepsOutcome outcome = RunSteps(options, plan);

  StepsReportContext context;
  context.command = "probe";
  context.server = connection.server.ToString();
  context.user = connection.user;
  if (parsed->has("json")) {
    std::fprintf(io.out, "%s\n", StepsReportToJson(context, outcome).c_str());
  } else {
    std::fputs(StepsReportToText(context, outcome).c_str(), io.out);
    if (outcome.error.has_value()) {
      std::fprintf(io.err, "smtpc probe: error: %s\n",
                   outcome.error->Message().c_str());
    }
  }
  std::fflush(io.out);
  return static_cast<int>(outcome.exit);
}

}  // namespace cli
}  // namespace smtpcore
