#include "tools/sendmail_command.h"

#include <sysexits.h>

#include <memory>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/errors.h"
#include "transports/blocking/blocking_client.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/transport_error.h"
#include "tools/account_config.h"
#include "tools/client_config.h"
#include "tools/delivery_log.h"
#include "tools/diagnosis.h"
#include "tools/header_encoding.h"
#include "tools/message.h"
#include "tools/message_headers.h"
#include "tools/options.h"
#include "tools/sendmail_args.h"
#include "tools/sendmail_exit.h"
#include "tools/trace_printer.h"

namespace smtpcore {
namespace cli {
namespace {

void PrintError(const CommandIo& io, absl::string_view message) {
  std::fprintf(io.err, "smtpc sendmail: %.*s\n",
               static_cast<int>(message.size()), message.data());
}

int Usage(const CommandIo& io, absl::string_view message) {
  std::fprintf(io.err,
               "smtpc sendmail: %.*s\nTry 'smtpc sendmail --help' for more "
               "information.\n",
               static_cast<int>(message.size()), message.data());
  return EX_USAGE;
}

// DomainOf returns the part after the last '@' of `address`, or "".
absl::string_view DomainOf(absl::string_view address) {
  const size_t at = address.rfind('@');
  return at == absl::string_view::npos ? absl::string_view()
                                       : address.substr(at + 1);
}

// Logger writes the log line when the account asks for one.
struct Logger {
  std::string logfile;
  std::string syslog;  // "" or "off": none
  DeliveryLogEntry entry;

  void Write(int status, const CommandIo& io) {
    if (logfile.empty() && (syslog.empty() || syslog == "off")) return;
    entry.time = absl::Now();
    entry.status = SysexitName(status);
    const std::string line = FormatDeliveryLogLine(entry);
    if (!logfile.empty()) {
      absl::Status s = AppendDeliveryLog(logfile, line);
      if (!s.ok()) PrintError(io, absl::StrCat("warning: ", s.message()));
    }
    if (!syslog.empty() && syslog != "off") {
      SyslogDelivery(syslog, line, status != EX_OK);
    }
  }
};

}  // namespace

std::string SendmailUsage() {
  return
      "Usage: smtpc sendmail [options] [recipient...]\n"
      "       (or through a link named sendmail)\n"
      "\n"
      "Send the message read on standard input, like /usr/sbin/sendmail, "
      "with the\nserver and credentials of an account of the configuration "
      "file (msmtp's\nsyntax: an existing ~/.msmtprc works).\n"
      "\n"
      "Options:\n"
      "  -t                     also send to the To, Cc and Bcc addresses "
      "of the message\n"
      "  -i, -oi                a line with a single dot does not end the "
      "message\n"
      "  -f ADDR, -r ADDR       envelope sender (default: the account's "
      "from)\n"
      "  -F NAME                sender's name, for a From field added when "
      "missing\n"
      "  -N LIST                DSN: never, or success,failure,delay\n"
      "  -R full|hdrs           DSN: what a bounce returns\n"
      "  -V ENVID               DSN envelope id\n"
      "  -v                     print the SMTP session on stderr\n"
      "  -a, --account NAME     use this account (default: the one whose "
      "from is -f,\n"
      "                         else 'default')\n"
      "  -C, --config FILE      configuration file\n"
      "  --help                 this text\n"
      "Accepted and ignored, as sendmail callers pass them: -bm, -o*, -e*, "
      "-m, -n, -U,\n-G, -q*, -B TYPE, -h N, -L TAG, -O OPT, -X FILE, -A "
      "FILE.\n"
      "\n"
      "Configuration file: --config FILE, else $SMTPC_CONFIG, else\n"
      "~/.config/smtpc/config, else ~/.msmtprc, else /etc/smtpc/config, "
      "else\n/etc/msmtprc. A file holding a password must not be readable "
      "by group or\nothers.\n"
      "\n"
      "All or nothing, as msmtp: if the server refuses any recipient, the "
      "message is\nsent to none of them.\n"
      "\n"
      "Exit status (sysexits.h): 0 EX_OK sent; 64 EX_USAGE bad options or\n"
      "configuration; 65 EX_DATAERR bad address; 68 EX_NOHOST unknown "
      "server;\n69 EX_UNAVAILABLE refused for good (5xx, AUTH, TLS); 70 "
      "EX_SOFTWARE\ninternal error; 75 EX_TEMPFAIL try again later. Not 0: "
      "nothing was sent.\n"
      "\n"
      "Example (~/.config/smtpc/config, mode 600):\n"
      "  account work\n"
      "  host smtp.example.org\n"
      "  port 587\n"
      "  tls on\n"
      "  from alice@example.org\n"
      "  user alice\n"
      "  passwordeval pass show mail/work\n"
      "  account default : work\n"
      "Then: printf 'Subject: hi\\n\\nhello\\n' | smtpc sendmail "
      "bob@example.org\n";
}

absl::StatusOr<std::string> ReadSendmailMessage(std::FILE* in,
                                                bool ignore_dots) {
  std::string message;
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t n = 0;
  while ((n = getline(&line, &capacity, in)) > 0) {
    absl::string_view l(line, static_cast<size_t>(n));
    if (!ignore_dots && (l == ".\n" || l == ".\r\n" || l == ".")) break;
    message.append(l.data(), l.size());
  }
  const bool failed = std::ferror(in) != 0;
  free(line);
  if (failed) return absl::DataLossError("cannot read the message");
  return message;
}

std::string PrepareSendmailMessage(absl::string_view message,
                                   absl::string_view from,
                                   absl::string_view full_name,
                                   absl::string_view date,
                                   absl::string_view message_id) {
  std::string out = RemoveHeaderFields(message, "Bcc");
  const HeaderSection section = ParseHeaderSection(out);
  const absl::string_view eol = LineEndingOf(out);
  std::string added;
  if (!section.Has("From") && !from.empty()) {
    absl::StrAppend(&added, "From: ", FormatMailbox(full_name, from), eol);
  }
  if (!section.Has("Date")) absl::StrAppend(&added, "Date: ", date, eol);
  if (!section.Has("Message-ID")) {
    absl::StrAppend(&added, "Message-ID: ", message_id, eol);
  }
  if (added.empty()) return out;
  // A message without any field starts with its body: keep the separator.
  if (section.fields.empty() && !out.empty() && out[0] != '\n' &&
      !absl::StartsWith(out, "\r\n")) {
    absl::StrAppend(&added, eol);
  }
  return absl::StrCat(added, out);
}

int RunSendmailCommand(absl::Span<const std::string> args,
                       const CommandIo& io) {
  absl::StatusOr<SendmailArgs> parsed = ParseSendmailArgs(args);
  if (!parsed.ok()) return Usage(io, parsed.status().message());
  const SendmailArgs& a = *parsed;
  if (a.help) {
    std::fputs(SendmailUsage().c_str(), io.out);
    return EX_OK;
  }
  if (a.version) {
    std::fputs("smtpc sendmail (smtpcore)\n", io.out);
    return EX_OK;
  }

  const EnvLookup env = ProcessEnv();
  absl::StatusOr<std::string> path = FindConfigFile(a.config, env);
  if (!path.ok()) return Usage(io, path.status().message());
  absl::StatusOr<AccountConfig> config = LoadAccountConfig(*path);
  if (!config.ok()) return Usage(io, config.status().message());
  absl::StatusOr<const Account*> selected =
      SelectAccount(*config, a.account, a.from.value_or(""));
  if (!selected.ok()) return Usage(io, selected.status().message());
  const Account& account = **selected;

  // The account's sender, unless -f/-r named one.
  std::string from;
  if (a.from.has_value()) {
    from = *a.from;
  } else if (const std::string* f = account.Get("from"); f != nullptr) {
    from = *f;
  } else {
    return Usage(io, absl::StrCat("no envelope sender: give -f ADDR or set "
                                  "`from` in account ",
                                  account.name));
  }

  absl::StatusOr<std::string> read = ReadSendmailMessage(io.in, a.ignore_dots);
  if (!read.ok()) {
    PrintError(io, read.status().message());
    return EX_SOFTWARE;
  }
  std::string message = *std::move(read);

  std::vector<std::string> recipients;
  for (const std::string& r : a.recipients) {
    for (std::string& address : ParseAddressList(r)) {
      recipients.push_back(std::move(address));
    }
  }
  if (a.read_recipients) {
    const HeaderSection section = ParseHeaderSection(message);
    for (absl::string_view name : {"To", "Cc", "Bcc"}) {
      for (const std::string& value : section.Values(name)) {
        for (std::string& address : ParseAddressList(value)) {
          recipients.push_back(std::move(address));
        }
      }
    }
  }
  if (recipients.empty()) {
    return Usage(io, a.read_recipients
                         ? "no recipients: the message has no To, Cc or Bcc "
                           "address and none was given"
                         : "no recipients (give them as arguments, or -t to "
                           "read To, Cc and Bcc)");
  }

  absl::StatusOr<ConnectionFlags> connection =
      AccountConnectionFlags(account, env);
  if (!connection.ok()) return Usage(io, connection.status().message());
  connection->trace = a.trace;

  std::string domain(DomainOf(from));
  if (domain.empty()) domain = connection->ehlo;
  message = PrepareSendmailMessage(
      message, from, a.full_name,
      FormatRfc5322Date(absl::Now(), absl::LocalTimeZone()),
      MakeMessageId(domain));
  if (!message.empty() && message.back() != '\n' && message.back() != '\r') {
    message.append("\r\n");
  }

  Logger logger;
  if (const std::string* l = account.Get("logfile"); l != nullptr) {
    logger.logfile = ExpandHome(*l, env);
  }
  if (const std::string* s = account.Get("syslog"); s != nullptr) {
    logger.syslog = *s;
  }
  logger.entry.account = account.name;
  logger.entry.server = connection->server.ToString();
  logger.entry.tls = std::string(TlsChoiceName(connection->tls));
  logger.entry.from = from;
  logger.entry.recipients = recipients;
  logger.entry.size = message.size();

  absl::StatusOr<ClientConfig> client_config = MakeClientConfig(*connection);
  if (!client_config.ok()) {
    return Usage(io, client_config.status().message());
  }
  ClientOptions& options = client_config->options;
  options.session.trace = a.trace;
  // As msmtp: one refused recipient keeps the message from everyone, so a
  // non-zero exit status always means "nothing was sent" and a caller that
  // retries (EX_TEMPFAIL) cannot deliver twice.
  options.session.all_recipients_or_none = true;
  TracePrinter trace(io.err, /*color=*/false, connection->user);
  if (a.trace) {
    options.on_event = [&trace](const Event& event) { trace.OnEvent(event); };
    trace.Info(absl::StrCat("connecting to ", logger.entry.server, " (TLS ",
                            logger.entry.tls, ", account ", account.name,
                            ")"));
  }

  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(options);
  if (!client.ok()) {
    SmtpError error = ErrorFromStatus(client.status());
    if (error.cause == ErrorDetail::kNeedsAuth &&
        !client_config->auth_note->empty()) {
      error.what = absl::StrCat(error.what, error.what.empty() ? "" : ": ",
                                *client_config->auth_note);
    }
    const int status = SendmailExitForConnectError(error);
    PrintError(io, absl::StrCat("error: ", error.Message(), "; not sent to ",
                                absl::StrJoin(recipients, ", ")));
    const std::string hint =
        DiagnoseError(error, connection->server.port,
                      connection->tls == TlsChoice::kImplicit);
    if (!hint.empty()) PrintError(io, absl::StrCat("hint: ", hint));
    logger.entry.reply = error.Message();
    logger.Write(status, io);
    return status;
  }
  BlockingClient& c = **client;

  Envelope envelope;
  envelope.from = from;
  const bool dsn = c.capabilities().dsn();
  const std::string* account_notify = account.Get("dsn_notify");
  absl::optional<uint8_t> notify = a.dsn_notify;
  if (!notify.has_value() && account_notify != nullptr &&
      *account_notify != "off") {
    absl::StatusOr<uint8_t> n = ParseDsnNotify(*account_notify);
    if (n.ok()) notify = *n;
  }
  absl::optional<DsnRet> ret = a.dsn_ret;
  if (const std::string* r = account.Get("dsn_return");
      !ret.has_value() && r != nullptr) {
    if (*r == "full") ret = DsnRet::kFull;
    if (*r == "headers" || *r == "hdrs") ret = DsnRet::kHdrs;
  }
  if (dsn) {
    envelope.mail.ret = ret;
    envelope.mail.envid = a.envid;
  }
  for (const std::string& r : recipients) {
    Recipient recipient;
    recipient.address = r;
    if (dsn && notify.has_value()) recipient.params.notify = *notify;
    envelope.recipients.push_back(std::move(recipient));
  }

  DeliveryOutcome outcome =
      c.Deliver(std::move(envelope), absl::Cord(message));
  (void)c.Close();
  const SmtpError* error =
      outcome.error.has_value() ? &*outcome.error : nullptr;
  const int status = SendmailExitForDelivery(outcome.result, error);

  std::string reply;
  const bool sender_refused =
      error != nullptr && error->command == CommandKind::kMailFrom;
  if (sender_refused) {
    PrintError(io, absl::StrCat("the sender <", from,
                                "> was refused; not sent to ",
                                absl::StrJoin(recipients, ", ")));
  }
  for (const RecipientResult& r : outcome.result.recipients) {
    if (RecipientNotSent(r)) {
      // Never offered to the server (core/delivery.h): the error below
      // names the cause; the sender's refusal was said above.
      if (!sender_refused) {
        PrintError(io, absl::StrCat("not sent to ", r.address));
      }
      continue;
    }
    if (r.status == RecipientStatus::kDelivered && reply.empty()) {
      reply = std::string(r.data_reply.view().first_line());
      reply = absl::StrCat(r.data_reply.code(), " ", reply);
    }
    if (r.status == RecipientStatus::kDelivered) continue;
    const Reply& why = r.rcpt_reply.code() >= 400 ? r.rcpt_reply : r.data_reply;
    std::string text = why.code() != 0
                           ? absl::StrCat(why.code(), " ",
                                          why.view().first_line())
                           : std::string("no reply");
    PrintError(io, absl::StrCat(RecipientStatusName(r.status), " ",
                                r.address, ": ", text));
  }
  if (error != nullptr) {
    PrintError(io, absl::StrCat("error: ", error->Message()));
    const std::string hint =
        DiagnoseError(*error, connection->server.port,
                      connection->tls == TlsChoice::kImplicit);
    if (!hint.empty()) PrintError(io, absl::StrCat("hint: ", hint));
    if (reply.empty()) reply = error->Message();
  }
  logger.entry.reply = reply;
  logger.Write(status, io);
  return status;
}

}  // namespace cli
}  // namespace smtpcore
