#include "tools/sink_command.h"

#include <uv.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/exit_status.h"
#include "tools/options.h"
#include "tools/sink/sink_server.h"

namespace smtpcore {
namespace cli {
namespace {

struct SinkState {
  const CommandIo* io = nullptr;
  SinkFlags flags;
  std::unique_ptr<SinkServer> server;
  uv_signal_t sigint;
  uv_signal_t sigterm;
  bool stopping = false;
};

void Stop(SinkState* s) {
  if (s->stopping) return;
  s->stopping = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&s->sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&s->sigterm), nullptr);
  s->server->Close(nullptr);
}

void OnSignal(uv_signal_t* handle, int) {
  Stop(static_cast<SinkState*>(handle->data));
}

}  // namespace

std::string SinkUsage() {
  return absl::StrCat(
      "Usage: smtpc sink [--port PORT] [--quiet] [--max-messages N] "
      "[--ca-out FILE] [--save-dir DIR]\n"
      "\n"
      "Run the demo's SMTP sink on 127.0.0.1 until interrupted. It offers\n"
      "PIPELINING, SIZE, 8BITMIME, SMTPUTF8, CHUNKING, DSN, "
      "ENHANCEDSTATUSCODES,\nSTARTTLS (a throwaway certificate for "
      "127.0.0.1; --ca-out writes its CA)\nand, after STARTTLS, AUTH PLAIN "
      "LOGIN for ",
      kDemoUser, " / ", kDemoPassword,
      ".\nRecipients starting with \"reject\" get 550, \"tempfail\" 450;\n"
      "senders (MAIL FROM) alike get 553 and 450.\n"
      "\n"
      "Options:\n",
      FormatFlagHelp(SinkFlagSpecs()), "  --help              this text\n");
}

int RunSinkCommand(absl::Span<const std::string> args, const CommandIo& io) {
  absl::StatusOr<SinkFlags> flags = ParseSinkFlags(args);
  if (!flags.ok()) {
    std::fprintf(io.err,
                 "smtpc sink: %s\nTry 'smtpc sink --help' for more "
                 "information.\n",
                 std::string(flags.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }
  if (flags->help) {
    std::fputs(SinkUsage().c_str(), io.out);
    return 0;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  SinkState state;
  state.io = &io;
  state.flags = *flags;
  SinkState* s = &state;

  SinkServerOptions options;
  options.port = flags->port;
  options.keep_messages = false;
  options.session.users = {{kDemoUser, kDemoPassword}};
  options.on_message = [s](const ReceivedMessage& m) {
    if (!s->flags.save_dir.empty()) {
      const std::string path = absl::StrCat(s->flags.save_dir, "/", m.id, ".eml");
      std::FILE* f = std::fopen(path.c_str(), "wb");
      if (f == nullptr ||
          std::fwrite(m.data.data(), 1, m.data.size(), f) != m.data.size()) {
        std::fprintf(s->io->err, "smtpc sink: cannot write %s\n", path.c_str());
      }
      if (f != nullptr) std::fclose(f);
    }
    if (!s->flags.quiet) {
      std::fprintf(
          s->io->out, "message %llu: <%s> -> %s, %zu octets via %s%s%s\n",
          static_cast<unsigned long long>(m.id), m.mail_from.c_str(),
          absl::StrCat("<", absl::StrJoin(m.recipients, ">, <"), ">").c_str(),
          m.data.size(), m.chunking ? "BDAT" : "DATA",
          m.tls ? " over TLS" : "",
          m.auth_user.empty() ? ""
                              : absl::StrCat(", AUTH ", m.auth_user).c_str());
      std::fflush(s->io->out);
    }
    if (s->flags.max_messages != 0 &&
        s->server->message_count() >= s->flags.max_messages) {
      Stop(s);
    }
  };
  absl::StatusOr<std::unique_ptr<SinkServer>> server =
      SinkServer::Start(&loop, options);
  if (!server.ok()) {
    std::fprintf(io.err, "smtpc sink: %s\n",
                 std::string(server.status().message()).c_str());
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return static_cast<int>(ExitStatus::kTemporary);
  }
  state.server = *std::move(server);
  if (!flags->ca_out.empty()) {
    std::FILE* f = std::fopen(flags->ca_out.c_str(), "wb");
    if (f == nullptr ||
        std::fputs(state.server->ca_pem().c_str(), f) < 0) {
      std::fprintf(io.err, "smtpc sink: cannot write --ca-out %s\n",
                   flags->ca_out.c_str());
      if (f != nullptr) std::fclose(f);
      state.server.reset();
      uv_run(&loop, UV_RUN_DEFAULT);
      uv_loop_close(&loop);
      return static_cast<int>(ExitStatus::kUsage);
    }
    std::fclose(f);
  }
  uv_signal_init(&loop, &state.sigint);
  uv_signal_init(&loop, &state.sigterm);
  state.sigint.data = s;
  state.sigterm.data = s;
  uv_signal_start(&state.sigint, &OnSignal, SIGINT);
  uv_signal_start(&state.sigterm, &OnSignal, SIGTERM);

  std::fprintf(io.out, "listening on 127.0.0.1:%u\n", state.server->port());
  if (!flags->quiet) {
    std::fprintf(io.out,
                 "STARTTLS certificate for %s%s; AUTH user %s, password %s; "
                 "Ctrl-C stops\n",
                 state.server->tls_host().c_str(),
                 flags->ca_out.empty()
                     ? ""
                     : absl::StrCat(" (CA in ", flags->ca_out, ")").c_str(),
                 kDemoUser, kDemoPassword);
  }
  std::fflush(io.out);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (!flags->quiet) {
    std::fprintf(io.out, "received %llu messages (%llu octets) on %llu "
                         "connections\n",
                 static_cast<unsigned long long>(state.server->message_count()),
                 static_cast<unsigned long long>(state.server->byte_count()),
                 static_cast<unsigned long long>(
                     state.server->connection_count()));
  }
  state.server.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return 0;
}

}  // namespace cli
}  // namespace smtpcore
