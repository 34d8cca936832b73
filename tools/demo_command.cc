#include "tools/demo_command.h"

#include <uv.h>

#include <cstdlib>
#include <memory>
#include <utility>
#include <variant>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/errors.h"
#include "sasl/select.h"
#include "transports/common/client_options.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/transport_error.h"
#include "transports/libuv/uv_client.h"
#include "tools/exit_status.h"
#include "tools/message.h"
#include "tools/options.h"
#include "tools/send_report.h"
#include "tools/sink/sink_server.h"
#include "tools/trace_printer.h"

namespace smtpcore {
namespace cli {
namespace {

constexpr absl::string_view kBold = "\033[1m";
constexpr absl::string_view kDim = "\033[2m";
constexpr absl::string_view kReset = "\033[0m";

// Styled wraps `text` in an SGR sequence when colour is on.
std::string Styled(bool color, absl::string_view sgr, absl::string_view text) {
  if (!color) return std::string(text);
  return absl::StrCat(sgr, text, kReset);
}

// ShowLine makes a message line printable: bare CR and LF (which the sink
// keeps) are shown as \r and \n; other C0 controls as \xHH.
std::string ShowLine(absl::string_view line) {
  std::string out;
  for (char c : line) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 && c != '\t') {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out;
}

struct DemoState {
  const CommandIo* io = nullptr;
  bool color = false;
  std::unique_ptr<SinkServer> sink;
  std::unique_ptr<UvClient> client;
  std::unique_ptr<TracePrinter> trace;
  absl::optional<SmtpError> connect_error;
  absl::optional<DeliveryOutcome> outcome;
  absl::optional<Reply> data_reply;
  bool done = false;
};

void Finish(DemoState* s) {
  if (s->done) return;
  s->done = true;
  s->sink->Close(nullptr);
}

}  // namespace

std::vector<std::string> DemoRecipients() {
  return {"bob@example.org", "j\xC3\xBCrgen@b\xC3\xBC" "cher.example"};
}

std::string DemoMessage(absl::string_view date) {
  return absl::StrCat(
      "From: Alice <alice@example.org>\r\n"
      "To: Bob <bob@example.org>, J\xC3\xBCrgen <j\xC3\xBCrgen@b\xC3\xBC"
      "cher.example>\r\n"
      "Subject: Gr\xC3\xBC\xC3\x9F" "e from smtpc demo\r\n"
      "Date: ",
      date,
      "\r\n"
      "Message-ID: <demo.1@example.org>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "Hello Bob, hello J\xC3\xBCrgen,\r\n"
      "\r\n"
      "this message went through smtpcore's sans-I/O session on a libuv\r\n"
      "loop: STARTTLS, AUTH, PIPELINING, CHUNKING and SMTPUTF8.\r\n"
      ".A line that starts with a dot arrives unchanged.\r\n"
      "\r\n"
      "-- \r\n"
      "smtpc demo\r\n");
}

std::string FormatReceivedMessage(const ReceivedMessage& m) {
  std::string out = absl::StrCat(
      "The sink received message ", m.id, " (", m.data.size(), " octets via ",
      m.chunking ? "BDAT" : "DATA", m.tls ? ", over TLS" : ", in plaintext",
      m.auth_user.empty() ? "" : absl::StrCat(", AUTH as ", m.auth_user),
      "):\n");
  absl::StrAppend(&out, "  MAIL FROM:<", m.mail_from, ">");
  for (const std::string& p : m.mail_params) absl::StrAppend(&out, " ", p);
  out += "\n";
  for (size_t i = 0; i < m.recipients.size(); ++i) {
    absl::StrAppend(&out, "  RCPT TO:<", m.recipients[i], ">");
    if (i < m.rcpt_params.size()) {
      for (const std::string& p : m.rcpt_params[i]) {
        absl::StrAppend(&out, " ", p);
      }
    }
    out += "\n";
  }
  absl::string_view data = m.data;
  if (absl::EndsWith(data, "\r\n")) data.remove_suffix(2);
  for (absl::string_view line : absl::StrSplit(data, "\r\n")) {
    absl::StrAppend(&out, "  | ", ShowLine(line), "\n");
  }
  return out;
}

std::string DemoUsage() {
  return absl::StrCat(
      "Usage: smtpc demo [--plain] [--color auto|always|never]\n"
      "\n"
      "Start an embedded SMTP sink on 127.0.0.1 (a free port, a throwaway "
      "TLS\ncertificate, user ",
      kDemoUser, " / ", kDemoPassword,
      ") and send it a sample message\nwith the libuv transport: STARTTLS, "
      "AUTH PLAIN, PIPELINING, CHUNKING,\n8BITMIME and an SMTPUTF8 "
      "recipient. Prints the transcript and what the\nsink received.\n"
      "\n"
      "Options:\n",
      FormatFlagHelp(DemoFlagSpecs()),
      "  --help                   this text\n"
      "\n"
      "The sink refuses recipients whose local part starts with \"reject\" "
      "(550)\nor \"tempfail\" (450); run it on its own with `smtpc sink`.\n");
}

int RunDemoCommand(absl::Span<const std::string> args, const CommandIo& io) {
  absl::StatusOr<DemoFlags> flags = ParseDemoFlags(args);
  if (!flags.ok()) {
    std::fprintf(io.err,
                 "smtpc demo: %s\nTry 'smtpc demo --help' for more "
                 "information.\n",
                 std::string(flags.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }
  if (flags->help) {
    std::fputs(DemoUsage().c_str(), io.out);
    return 0;
  }
  const bool color = flags->color == "always" ||
                     (flags->color == "auto" && io.out_is_tty() &&
                      std::getenv("NO_COLOR") == nullptr);

  uv_loop_t loop;
  uv_loop_init(&loop);
  DemoState state;
  state.io = &io;
  state.color = color;

  SinkServerOptions sink_options;
  sink_options.tls = !flags->plain;
  sink_options.session.users = {{kDemoUser, kDemoPassword}};
  absl::StatusOr<std::unique_ptr<SinkServer>> sink =
      SinkServer::Start(&loop, sink_options);
  if (!sink.ok()) {
    std::fprintf(io.err, "smtpc demo: cannot start the sink: %s\n",
                 std::string(sink.status().message()).c_str());
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return static_cast<int>(ExitStatus::kTemporary);
  }
  state.sink = *std::move(sink);
  const uint16_t port = state.sink->port();

  std::fprintf(io.out, "%s\n\n",
               Styled(color, kBold,
                      "smtpc demo: one SMTP session, client and server in "
                      "this process, on 127.0.0.1")
                   .c_str());
  state.trace = std::make_unique<TracePrinter>(io.out, color, kDemoUser);
  state.trace->Info(absl::StrCat(
      "sink listening on 127.0.0.1:", port,
      flags->plain ? " (plaintext, no AUTH)"
                   : " (STARTTLS with a throwaway certificate, AUTH "
                     "PLAIN/LOGIN)"));

  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.session.ehlo_domain = "client.smtpc.demo";
  options.session.tls_mode = flags->plain ? TlsMode::kNone : TlsMode::kRequired;
  options.session.trace = true;
  options.session.reply_events = true;
  options.tls.ca_pem = state.sink->ca_pem();
  options.tls.server_name = state.sink->tls_host();
  if (!flags->plain) {
    SaslCredentials creds;
    creds.username = kDemoUser;
    creds.password = kDemoPassword;
    options.session.auth = [creds](const Capabilities& caps,
                                   const TlsInfo* tls)
        -> std::unique_ptr<SaslMechanism> {
      absl::StatusOr<std::unique_ptr<SaslMechanism>> m = SelectSaslMechanism(
          creds, caps.auth_mechanisms(), tls, {"PLAIN", "LOGIN"});
      return m.ok() ? *std::move(m) : nullptr;
    };
  }
  DemoState* s = &state;
  options.on_event = [s](const Event& event) {
    s->trace->OnEvent(event);
    if (const auto* t = std::get_if<TransactionComplete>(&event)) {
      s->data_reply = t->reply;
    }
  };
  state.trace->Info(absl::StrCat(
      "connecting with the libuv transport",
      flags->plain ? "" : "; TLS required, verified against the sink's CA"));

  state.client = std::make_unique<UvClient>(&loop, std::move(options));
  state.client->Connect([s](const absl::Status& status) {
    if (status.ok()) return;
    s->connect_error = ErrorFromStatus(status);
    Finish(s);
  });
  Envelope envelope;
  envelope.from = kDemoSender;
  for (const std::string& r : DemoRecipients()) envelope.AddRecipient(r);
  const std::string message = DemoMessage(
      FormatRfc5322Date(absl::Now(), absl::LocalTimeZone()));
  state.client->Deliver(std::move(envelope), absl::Cord(message),
                        [s](DeliveryOutcome outcome) {
                          s->outcome = std::move(outcome);
                          s->client->Close([s](const absl::Status&) {
                            Finish(s);
                          });
                        });
  uv_run(&loop, UV_RUN_DEFAULT);

  ExitStatus exit = ExitStatus::kOk;
  std::fputs("\n", io.out);
  if (state.connect_error.has_value() && !state.outcome.has_value()) {
    exit = ExitStatusForError(*state.connect_error);
    std::fprintf(io.err, "smtpc demo: error: %s\n",
                 state.connect_error->Message().c_str());
  } else if (state.outcome.has_value()) {
    const DeliveryOutcome& o = *state.outcome;
    exit = ExitStatusForDelivery(o.result, o.error ? &*o.error : nullptr);
    if (o.error.has_value()) {
      std::fprintf(io.err, "smtpc demo: error: %s\n",
                   o.error->Message().c_str());
    } else {
      std::fprintf(
          io.out, "%s\n\n",
          Styled(color, kBold,
                 absl::StrCat("Delivered to ", o.result.delivered(), " of ",
                              o.result.recipients.size(), " recipients",
                              state.data_reply.has_value()
                                  ? absl::StrCat(": ",
                                                 ReplyLine(*state.data_reply))
                                  : ""))
              .c_str());
    }
  }
  for (const ReceivedMessage& m : state.sink->messages()) {
    const std::string text = FormatReceivedMessage(m);
    const size_t first_nl = text.find('\n');
    std::fprintf(io.out, "%s\n%s",
                 Styled(color, kBold, text.substr(0, first_nl)).c_str(),
                 text.substr(first_nl + 1).c_str());
  }
  std::fprintf(
      io.out, "\n%s\n",
      Styled(color, kDim,
             "Next: `smtpc send --help` to send real mail, `smtpc sink` to "
             "keep a sink running,\n`smtpc bulk --help` for load tests.")
          .c_str());
  std::fflush(io.out);

  state.client.reset();
  state.sink.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return static_cast<int>(exit);
}

}  // namespace cli
}  // namespace smtpcore
