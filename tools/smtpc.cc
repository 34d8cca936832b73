// smtpc: smtpcore's command-line SMTP client.
//
//   smtpc send   deliver one message (blocking transport)
//   smtpc bulk   load generator (libuv connection pool)
//   smtpc demo   a full session against an embedded sink (libuv)
//   smtpc sink   run the embedded sink as a server
//   smtpc route  print how mail to a domain would be delivered
//   smtpc probe  what a server offers, step by step (no mail)
//   smtpc vrfy, expn, etrn  the service commands (RFC 5321 §3.5, RFC 1985)
//   smtpc sendmail  a drop-in /usr/sbin/sendmail (also run when invoked
//                through a link named `sendmail`)
//
// Each subcommand lives in tools/<name>_command.{h,cc}; this file only
// dispatches. Exit status 64 (EX_USAGE) for an unknown command.

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/bulk_command.h"
#include "tools/command_io.h"
#include "tools/demo_command.h"
#include "tools/probe_command.h"
#include "tools/route_command.h"
#include "tools/send_command.h"
#include "tools/service_command.h"
#include "tools/sendmail_command.h"
#include "tools/sink_command.h"

namespace {

constexpr char kUsage[] =
    "Usage: smtpc COMMAND [options]\n"
    "\n"
    "smtpcore's SMTP client.\n"
    "\n"
    "Commands:\n"
    "  send    deliver one message: smtpc send --server HOST[:PORT] --from "
    "ADDR --to ADDR\n"
    "  bulk    send many generated messages over pooled connections (load "
    "test)\n"
    "  demo    run a complete session against an embedded loopback sink\n"
    "  sink    run the embedded SMTP sink on 127.0.0.1\n"
    "  route   print how mail to a domain is delivered (MX, DANE, MTA-STS)\n"
    "  probe   show what a server offers: banner, EHLO, TLS, certificate, "
    "AUTH\n"
    "  vrfy    ask whether an address is a mailbox (VRFY)\n"
    "  expn    ask for the members of a mailing list (EXPN)\n"
    "  etrn    ask a server to deliver its queue for a domain (ETRN)\n"
    "  sendmail  send standard input like /usr/sbin/sendmail, with an "
    "account\n            of ~/.config/smtpc/config or ~/.msmtprc\n"
    "  help    this text; `smtpc help COMMAND` or `smtpc COMMAND --help` "
    "for details\n"
    "\n"
    "Start with: smtpc demo\n";

}  // namespace

int main(int argc, char** argv) {
  // A closed peer must be an error return, never a signal.
  std::signal(SIGPIPE, SIG_IGN);
  smtpcore::cli::CommandIo io;
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  // Run as `sendmail` (a link): every argument is sendmail's.
  if (argc > 0) {
    const char* slash = std::strrchr(argv[0], '/');
    if (std::strcmp(slash == nullptr ? argv[0] : slash + 1, "sendmail") == 0) {
      return smtpcore::cli::RunSendmailCommand(args, io);
    }
  }
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 64;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "help" || command == "--help" || command == "-h") {
    if (!args.empty() && args.front() != "help") {
      const std::string sub = args.front();
      args = {"--help"};
      if (sub == "send") return smtpcore::cli::RunSendCommand(args, io);
      if (sub == "bulk") return smtpcore::cli::RunBulkCommand(args, io);
      if (sub == "demo") return smtpcore::cli::RunDemoCommand(args, io);
      if (sub == "sink") return smtpcore::cli::RunSinkCommand(args, io);
      if (sub == "route") return smtpcore::cli::RunRouteCommand(args, io);
      if (sub == "probe") return smtpcore::cli::RunProbeCommand(args, io);
      if (sub == "vrfy" || sub == "expn" || sub == "etrn") {
        return smtpcore::cli::RunServiceCommand(sub, args, io);
      }
      if (sub == "sendmail") {
        return smtpcore::cli::RunSendmailCommand(args, io);
      }
    }
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "send") return smtpcore::cli::RunSendCommand(args, io);
  if (command == "bulk") return smtpcore::cli::RunBulkCommand(args, io);
  if (command == "demo") return smtpcore::cli::RunDemoCommand(args, io);
  if (command == "sink") return smtpcore::cli::RunSinkCommand(args, io);
  if (command == "route") return smtpcore::cli::RunRouteCommand(args, io);
  if (command == "probe") return smtpcore::cli::RunProbeCommand(args, io);
  if (command == "vrfy" || command == "expn" || command == "etrn") {
    return smtpcore::cli::RunServiceCommand(command, args, io);
  }
  if (command == "sendmail") {
    return smtpcore::cli::RunSendmailCommand(args, io);
  }
  if (command == "--version") {
    std::puts("smtpc (smtpcore)");
    return 0;
  }
  std::fprintf(stderr,
               "smtpc: unknown command '%s'\nTry 'smtpc --help' for the list "
               "of commands.\n",
               command.c_str());
  return 64;
}
