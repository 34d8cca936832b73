#include "tools/send_command.h"

#include <memory>
#include <utility>
#include <variant>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/errors.h"
#include "transports/blocking/blocking_client.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/dial_history.h"
#include "transports/common/transport_error.h"
#include "tools/account_args.h"
#include "tools/client_config.h"
#include "tools/diagnosis.h"
#include "tools/exit_status.h"
#include "tools/message.h"
#include "tools/mx_send.h"
#include "tools/options.h"
#include "tools/quit_after.h"
#include "tools/reach_flags.h"
#include "tools/send_composition.h"
#include "tools/send_report.h"
#include "tools/trace_printer.h"

namespace smtpcore {
namespace cli {
namespace {

void PrintUsageError(const CommandIo& io, absl::string_view message) {
  std::fprintf(io.err,
               "smtpc send: %.*s\nTry 'smtpc send --help' for more "
               "information.\n",
               static_cast<int>(message.size()), message.data());
}

// BuildEnvelope makes the envelope from the flags; DSN parameters only when
// the server offers DSN (RFC 3461 §4: they must not be sent otherwise).
Envelope BuildEnvelope(const SendFlags& f, bool dsn_offered,
                       const CommandIo& io, bool warn) {
  Envelope e;
  e.from = f.from;
  if (f.eight_bit_mime) e.mail.body = BodyType::k8BitMime;
  e.mail.smtputf8 = f.smtputf8;
  e.mail.requiretls = f.requiretls;
  const bool want_dsn = f.dsn_ret.has_value() || f.envid.has_value() ||
                        f.dsn_notify != kNotifyDefault;
  if (want_dsn && !dsn_offered && warn) {
    std::fprintf(io.err,
                 "smtpc send: warning: the server does not offer DSN; "
                 "--dsn-notify, --dsn-ret and --envid are not sent\n");
  }
  if (dsn_offered) {
    e.mail.ret = f.dsn_ret;
    e.mail.envid = f.envid;
  }
  for (const std::string& to : f.to) {
    Recipient r;
    r.address = to;
    if (dsn_offered) r.params.notify = f.dsn_notify;
    e.recipients.push_back(std::move(r));
  }
  return e;
}

// NotSentRecipients gives every address of `to` its final outcome when the
// session never got to the delivery (connect, DNS, proxy, TLS handshake,
// greeting, EHLO or AUTH failure): not sent, with the status of `error`'s
// permanence (deferred for a refused connection or a timeout), as the
// transports do (FailedOutcome).
std::vector<RecipientResult> NotSentRecipients(
    const std::vector<std::string>& to, const SmtpError& error) {
  std::vector<Recipient> recipients;
  recipients.reserve(to.size());
  for (const std::string& address : to) {
    recipients.push_back(Recipient{address, RcptParams()});
  }
  return FailedOutcome(recipients, error).result.recipients;
}

void Emit(const SendFlags& f, const SendReport& report, const CommandIo& io) {
  if (f.json) {
    std::fprintf(io.out, "%s\n", SendReportToJson(report).c_str());
  } else {
    std::fputs(SendReportToText(report).c_str(), io.out);
    if (report.error.has_value()) {
      std::fprintf(io.err, "smtpc send: error: %s\n",
                   report.error->Message().c_str());
      const std::string hint =
          DiagnoseError(*report.error, f.connection.server.port,
                        f.connection.tls == TlsChoice::kImplicit);
      if (!hint.empty()) {
        std::fprintf(io.err, "smtpc send: hint: %s\n", hint.c_str());
      }
    }
  }
  std::fflush(io.out);
}

}  // namespace

std::string SendUsage() {
  return absl::StrCat(
      "Usage: smtpc send --server HOST[:PORT] --from ADDR --to ADDR "
      "[--to ADDR ...] [options]\n"
      "       smtpc send --mx DOMAIN --from ADDR --to ADDR [options]\n"
      "\n"
      "Deliver one message (--data FILE, - for standard input, or a "
      "generated\ntest message) over one SMTP session. With --mx, deliver "
      "like an MTA: resolve\nDOMAIN's MX hosts (DNSSEC-validated), apply "
      "DANE and MTA-STS, try each host\nin order and say which MX and IP "
      "accepted.\n"
      "\n"
      "Options:\n",
      FormatFlagHelp(SendFlagSpecs()),
      "  --help                 this text\n"
      "\n"
      "Exit status: 0 all recipients accepted, 2 some rejected, 3 temporary "
      "failure\n(4xx, timeout, connection), 4 permanent failure (5xx), 5 "
      "protocol or TLS\nerror, 64 usage error.\n"
      "\n"
      "Examples:\n"
      "  smtpc send --server mail.example.org:587 --user alice "
      "--password-file pw \\\n"
      "      --from alice@example.org --to bob@example.org --data "
      "message.eml\n"
      "  smtpc send --server 127.0.0.1:2525 --tls none --from a@x --to b@y "
      "--trace --json\n"
      "  smtpc send --server unix:/run/dovecot/lmtp --lmtp --from a@x --to "
      "bob\n"
      "  smtpc send --server mx.example.org:25 --proxy "
      "socks5h://127.0.0.1:1080 --from a@x --to b@y\n"
      "  smtpc send --server mx.example.org:25 --quit-after rcpt --from a@x "
      "--to b@y\n");
}

int RunSendCommand(absl::Span<const std::string> args, const CommandIo& io) {
  absl::StatusOr<std::vector<std::string>> expanded =
      ExpandAccountArgs(args, /*with_from=*/true, ProcessEnv());
  if (!expanded.ok()) {
    PrintUsageError(io, expanded.status().message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  absl::StatusOr<SendFlags> parsed = ParseSendFlags(*expanded);
  if (!parsed.ok()) {
    PrintUsageError(io, parsed.status().message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  const SendFlags& f = *parsed;
  if (f.help) {
    std::fputs(SendUsage().c_str(), io.out);
    return 0;
  }

  std::string message;
  if (f.compose) {
    absl::StatusOr<std::string> composed = ComposeFromSendFlags(f, io.in);
    if (!composed.ok()) {
      PrintUsageError(io, composed.status().message());
      return static_cast<int>(ExitStatus::kUsage);
    }
    message = *std::move(composed);
  } else if (f.data.empty()) {
    message = GenerateTestMessage(
        f.from, f.to, FormatRfc5322Date(absl::Now(), absl::LocalTimeZone()),
        MakeMessageId(f.connection.ehlo));
  } else {
    absl::StatusOr<std::string> data = ReadMessage(f.data, io.in);
    if (!data.ok()) {
      PrintUsageError(io, data.status().message());
      return static_cast<int>(ExitStatus::kUsage);
    }
    message = *std::move(data);
  }
  // The message must end with a line break: DATA would add one (the CRLF
  // of "\r\n.\r\n"), BDAT would not, and what the server stores must not
  // depend on the transfer command. The core normalises a final bare CR.
  if (!message.empty() && message.back() != '\n' && message.back() != '\r') {
    message.append("\r\n");
  }

  if (!f.mx.domain.empty()) return RunMxSend(f, std::move(message), io);
  // --quit-after sends no message; it is still read above so a bad --data
  // is reported the same way.

  absl::StatusOr<ClientConfig> config = MakeClientConfig(f.connection);
  if (!config.ok()) {
    PrintUsageError(io, config.status().message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  ClientOptions& options = config->options;
  ApplyReachFlags(f.reach, f.connection.server.unix_path, &options);
  if (f.reach.quit_after != QuitAfter::kNone) {
    return RunSendQuitAfter(f, *config, io);
  }
  DialHistory history;
  options.dial_history = &history;
  options.session.trace = f.connection.trace;
  options.session.reply_events = true;

  SendReport report;
  report.server = f.connection.server.ToString();
  report.tls_mode = std::string(TlsChoiceName(f.connection.tls));
  report.auth_user = f.connection.user;
  TracePrinter trace(io.err, /*color=*/false, f.connection.user);
  options.on_event = [&](const Event& event) {
    if (f.connection.trace) trace.OnEvent(event);
    if (const auto* c = std::get_if<CapabilitiesUpdated>(&event)) {
      report.capabilities = c->capabilities;
      report.have_capabilities = true;
    } else if (const auto* t = std::get_if<TlsEstablished>(&event)) {
      report.tls = t->info;
    } else if (const auto* a = std::get_if<Authenticated>(&event)) {
      report.auth_mechanism = a->mechanism;
    } else if (const auto* r = std::get_if<ReplyReceived>(&event)) {
      if (r->kind == CommandKind::kData) report.body_command = "DATA";
      if (r->kind == CommandKind::kBdat) report.body_command = "BDAT";
    } else if (const auto* t = std::get_if<TransactionComplete>(&event)) {
      report.result = t->reply;
    }
  };

  if (f.connection.trace) {
    trace.Info(absl::StrCat("connecting to ", report.server, " (TLS ",
                            report.tls_mode, ")"));
  }
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(options);
  if (!client.ok()) {
    SmtpError error = ErrorFromStatus(client.status());
    if (error.cause == ErrorDetail::kNeedsAuth && !config->auth_note->empty()) {
      error.what = absl::StrCat(error.what, error.what.empty() ? "" : ": ",
                                *config->auth_note);
    }
    if (const DialAttempt* last = history.last(options.host);
        last != nullptr && last->outcome != DialOutcome::kConnectFailed) {
      report.peer = absl::StrCat(
          last->family == IpFamily::kV6 ? absl::StrCat("[", last->ip, "]")
                                   : last->ip,
          ":", f.connection.server.port);
    }
    report.recipients = NotSentRecipients(f.to, error);
    report.exit = ExitStatusForError(error);
    report.error = std::move(error);
    Emit(f, report, io);
    return static_cast<int>(report.exit);
  }
  BlockingClient& c = **client;
  report.peer = c.peer().ToString();
  if (f.connection.trace) {
    trace.Info(absl::StrCat("session ready with ", *report.peer));
  }

  Envelope envelope = BuildEnvelope(f, c.capabilities().dsn(), io,
                                    /*warn=*/true);
  DeliveryOutcome outcome =
      c.Deliver(std::move(envelope), absl::Cord(std::move(message)));
  report.recipients = outcome.result.recipients;
  if (outcome.error.has_value()) report.error = outcome.error;
  report.exit = ExitStatusForDelivery(
      outcome.result, outcome.error.has_value() ? &*outcome.error : nullptr);
  // QUIT. A failure here does not change what happened to the message.
  (void)c.Close();
  Emit(f, report, io);
  return static_cast<int>(report.exit);
}

}  // namespace cli
}  // namespace smtpcore
