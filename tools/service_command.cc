#include "tools/service_command.h"

#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/service_reply.h"
#include "transports/blocking/blocking_client.h"
#include "transports/common/transport_error.h"
#include "tools/account_args.h"
#include "tools/account_config.h"
#include "tools/client_config.h"
#include "tools/exit_status.h"
#include "tools/flags.h"
#include "tools/json_writer.h"
#include "tools/options.h"
#include "tools/reach_flags.h"
#include "tools/send_report.h"
#include "tools/trace_printer.h"

namespace smtpcore {
namespace cli {
namespace {

// ServiceResult is one argument's reply.
struct ServiceResult {
  std::string argument;
  Reply reply;
  std::string outcome;
  std::vector<MailboxEntry> entries;
  absl::optional<uint64_t> pending_messages;
};

// ExitForReply: 250-253 -> 0, 4xx -> 3, other (5xx, none) -> 4.
ExitStatus ExitForReply(const Reply& reply) {
  if (reply.code() >= 250 && reply.code() <= 253) return ExitStatus::kOk;
  if (reply.code() >= 400 && reply.code() < 500) return ExitStatus::kTemporary;
  return ExitStatus::kPermanent;
}

ExitStatus Worse(ExitStatus a, ExitStatus b) {
  auto rank = [](ExitStatus s) {
    switch (s) {
      case ExitStatus::kOk: return 0;
      case ExitStatus::kPartial: return 1;
      case ExitStatus::kTemporary: return 2;
      case ExitStatus::kPermanent: return 3;
      case ExitStatus::kProtocol: return 4;
      case ExitStatus::kUsage: return 5;
    }
    return 5;
  };
  return rank(a) >= rank(b) ? a : b;
}

void PrintUsageError(absl::string_view command, const CommandIo& io,
                     absl::string_view message) {
  std::fprintf(io.err,
               "smtpc %.*s: %.*s\nTry 'smtpc %.*s --help' for more "
               "information.\n",
               static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data(),
               static_cast<int>(command.size()), command.data());
}

std::string Json(absl::string_view command, const std::string& server,
                 const std::string& peer,
                 const std::vector<ServiceResult>& results,
                 const absl::optional<SmtpError>& error, ExitStatus exit) {
  JsonWriter w;
  w.BeginObject();
  w.Key("command");
  w.String(command);
  w.Key("server");
  w.String(server);
  w.Key("peer");
  if (peer.empty()) {
    w.Null();
  } else {
    w.String(peer);
  }
  w.Key("results");
  w.BeginArray();
  for (const ServiceResult& r : results) {
    w.BeginObject();
    w.Key("argument");
    w.String(r.argument);
    w.Key("reply");
    if (r.reply.code() == 0) {
      w.Null();
    } else {
      w.String(ReplyLine(r.reply));
    }
    w.Key("code");
    if (r.reply.code() == 0) {
      w.Null();
    } else {
      w.Int(r.reply.code());
    }
    w.Key("outcome");
    w.String(r.outcome);
    w.Key("entries");
    w.BeginArray();
    for (const MailboxEntry& e : r.entries) {
      w.BeginObject();
      w.Key("name");
      w.String(e.name);
      w.Key("mailbox");
      w.String(e.mailbox);
      w.EndObject();
    }
    w.EndArray();
    if (r.pending_messages.has_value()) {
      w.Key("pending_messages");
      w.Uint(*r.pending_messages);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("status");
  w.String(ExitStatusName(exit));
  w.Key("exit");
  w.Int(static_cast<int>(exit));
  w.Key("error");
  if (error.has_value()) {
    w.BeginObject();
    w.Key("kind");
    w.String(ErrorDetailName(error->cause));
    w.Key("line");
    w.String(ErrorLine(*error));
    w.Key("message");
    w.String(error->Message());
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return w.str();
}

}  // namespace

absl::Span<const FlagSpec> ServiceFlagSpecs() {
  static const std::vector<FlagSpec>* specs = [] {
    auto* v = new std::vector<FlagSpec>();
    for (const FlagSpec& s : ConnectionFlagSpecs()) v->push_back(s);
    for (const FlagSpec& s : ReachFlagSpecs()) {
      if (std::string(s.name) != "lmtp") v->push_back(s);
    }
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

std::string ServiceUsage(absl::string_view command) {
  std::string what;
  if (command == "vrfy") {
    what =
        "Usage: smtpc vrfy --server HOST[:PORT] [options] ADDRESS\n\n"
        "Ask the server whether ADDRESS is a mailbox (VRFY, RFC 5321 "
        "§3.5).\n";
  } else if (command == "expn") {
    what =
        "Usage: smtpc expn --server HOST[:PORT] [options] LIST\n\n"
        "Ask the server for the members of the mailing list LIST (EXPN, RFC "
        "5321 §3.5).\n";
  } else {
    what =
        "Usage: smtpc etrn --server HOST[:PORT] [options] DOMAIN...\n\n"
        "Ask the server to start delivering its queue for each DOMAIN (or "
        "@DOMAIN,\n#QUEUE) (ETRN, RFC 1985).\n";
  }
  return absl::StrCat(
      what, "\nOptions:\n", FormatFlagHelp(ServiceFlagSpecs()),
      "  --help                 this text\n"
      "\n"
      "Exit status: 0 every reply 250-253, 3 a 4xx reply or a temporary "
      "failure,\n4 a 5xx reply (or ETRN not offered), 5 protocol or TLS "
      "error, 64 usage error.\n");
}

int RunServiceCommand(absl::string_view command,
                      absl::Span<const std::string> args,
                      const CommandIo& io) {
  // --account/--config: the profile's server, TLS and credentials
  // (tools/account_args.h).
  absl::StatusOr<std::vector<std::string>> expanded =
      ExpandAccountArgs(args, /*with_from=*/false, ProcessEnv());
  absl::StatusOr<ParsedFlags> parsed =
      expanded.ok() ? ParseFlags(ServiceFlagSpecs(), *expanded,
                                 /*allow_positional=*/true)
                    : absl::StatusOr<ParsedFlags>(expanded.status());
  if (!parsed.ok()) {
    PrintUsageError(command, io, parsed.status().message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  if (parsed->has("help")) {
    std::fputs(ServiceUsage(command).c_str(), io.out);
    return 0;
  }
  const std::vector<std::string>& arguments = parsed->positional();
  if (arguments.empty() || (command != "etrn" && arguments.size() != 1)) {
    PrintUsageError(command, io,
                    command == "etrn"
                        ? "smtpc etrn needs at least one DOMAIN"
                        : absl::StrCat("smtpc ", command,
                                       " needs exactly one argument"));
    return static_cast<int>(ExitStatus::kUsage);
  }
  ConnectionFlags connection;
  if (absl::Status s = ParseConnectionFlagsFrom(*parsed, &connection);
      !s.ok()) {
    PrintUsageError(command, io, s.message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  ReachFlags reach;
  if (absl::Status s = ParseReachFlags(*parsed, connection.server.unix_path,
                                       /*with_quit_after=*/false, &reach);
      !s.ok()) {
    PrintUsageError(command, io, s.message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  absl::StatusOr<ClientConfig> config = MakeClientConfig(connection);
  if (!config.ok()) {
    PrintUsageError(command, io, config.status().message());
    return static_cast<int>(ExitStatus::kUsage);
  }
  ClientOptions& options = config->options;
  ApplyReachFlags(reach, connection.server.unix_path, &options);
  options.session.trace = connection.trace;
  TracePrinter trace(io.err, /*color=*/false, connection.user);
  if (connection.trace) {
    options.on_event = [&trace](const Event& event) { trace.OnEvent(event); };
  }

  const std::string server = connection.server.ToString();
  std::string peer;
  std::vector<ServiceResult> results;
  absl::optional<SmtpError> error;
  ExitStatus exit = ExitStatus::kOk;
  absl::StatusOr<std::unique_ptr<BlockingClient>> client =
      BlockingClient::Connect(options);
  if (!client.ok()) {
    error = ErrorFromStatus(client.status());
    exit = ExitStatusForError(*error);
  } else {
    BlockingClient& c = **client;
    peer = options.unix_socket.empty()
               ? c.peer().ToString()
               : absl::StrCat("unix:", options.unix_socket);
    for (const std::string& argument : arguments) {
      ServiceResult r;
      r.argument = argument;
      absl::Status failed;
      if (command == "vrfy" || command == "expn") {
        absl::StatusOr<LookupResult> lookup;
        if (command == "vrfy") {
          absl::StatusOr<VrfyDone> done = c.Vrfy(argument);
          if (done.ok()) {
            r.reply = done->reply;
            lookup = done->result;
          } else {
            failed = done.status();
          }
        } else {
          absl::StatusOr<ExpnDone> done = c.Expn(argument);
          if (done.ok()) {
            r.reply = done->reply;
            lookup = done->result;
          } else {
            failed = done.status();
          }
        }
        if (failed.ok()) {
          r.outcome = std::string(LookupOutcomeName(lookup->outcome));
          r.entries = lookup->entries;
        }
      } else {
        absl::StatusOr<EtrnDone> done = c.Etrn(argument);
        if (done.ok()) {
          r.reply = done->reply;
          r.outcome = std::string(EtrnOutcomeName(done->result.outcome));
          r.pending_messages = done->result.pending_messages;
        } else {
          failed = done.status();
        }
      }
      if (!failed.ok()) {
        error = ErrorFromStatus(failed);
        exit = Worse(exit, ExitStatusForError(*error));
        break;
      }
      exit = Worse(exit, ExitForReply(r.reply));
      results.push_back(std::move(r));
    }
    (void)c.Close();
  }

  if (parsed->has("json")) {
    std::fprintf(io.out, "%s\n",
                 Json(command, server, peer, results, error, exit).c_str());
  } else {
    const std::string verb = absl::AsciiStrToUpper(command);
    for (const ServiceResult& r : results) {
      std::fprintf(io.out, "%s %s: %s (%s)\n", verb.c_str(),
                   r.argument.c_str(),
                   r.reply.code() == 0 ? "not sent" : ReplyLine(r.reply).c_str(),
                   r.outcome.c_str());
      for (const MailboxEntry& e : r.entries) {
        std::fprintf(io.out, "  %s%s<%s>\n", e.name.c_str(),
                     e.name.empty() ? "" : " ", e.mailbox.c_str());
      }
    }
    if (error.has_value()) {
      std::fprintf(io.err, "smtpc %.*s: error: %s\n",
                   static_cast<int>(command.size()), command.data(),
                   error->Message().c_str());
    }
  }
  std::fflush(io.out);
  return static_cast<int>(exit);
}

}  // namespace cli
}  // namespace smtpcore
