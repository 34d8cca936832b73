#include "tools/bulk_command.h"

#include <uv.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/errors.h"
#include "transports/common/delivery_outcome.h"
#include "transports/libuv/uv_pool.h"
#include "tools/account_args.h"
#include "tools/client_config.h"
#include "tools/diagnosis.h"
#include "tools/exit_status.h"
#include "tools/json_writer.h"
#include "tools/message.h"
#include "tools/options.h"
#include "tools/reach_flags.h"

namespace smtpcore {
namespace cli {
namespace {

constexpr uint64_t kProgressIntervalMs = 200;

double PerSecond(double amount, double seconds) {
  return seconds > 0 ? amount / seconds : 0;
}

struct BulkState {
  const CommandIo* io = nullptr;
  BulkFlags flags;
  std::unique_ptr<UvPool> pool;
  // bodies: the messages sent in turn (--distinct; one by default).
  std::vector<absl::Cord> bodies;
  Envelope envelope;
  uv_timer_t progress_timer;
  bool progress = false;
  bool progress_printed = false;
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  BulkSummary summary;
  absl::optional<SmtpError> first_error;
  bool finishing = false;
};

void PrintProgress(BulkState* s) {
  const double seconds =
      static_cast<double>(uv_hrtime() - s->start_ns) / 1e9;
  std::fprintf(s->io->err,
               "\r\033[Kbulk: %llu/%zu sent, %llu failed, %.1f s, %.1f "
               "messages/s, %.2f MB/s, %zu connections",
               static_cast<unsigned long long>(s->summary.sent),
               s->flags.count,
               static_cast<unsigned long long>(s->summary.failed), seconds,
               PerSecond(static_cast<double>(s->summary.sent), seconds),
               PerSecond(static_cast<double>(s->summary.bytes) / 1e6, seconds),
               s->pool ? s->pool->connections() : 0);
  std::fflush(s->io->err);
  s->progress_printed = true;
}

void SubmitMore(BulkState* s);

void OnMessageDone(BulkState* s, size_t outcome_bytes,
                   DeliveryOutcome outcome) {
  ++s->completed;
  if (outcome.ok()) {
    ++s->summary.sent;
    s->summary.bytes += outcome_bytes;
  } else {
    ++s->summary.failed;
    if (!s->first_error.has_value() && outcome.error.has_value()) {
      s->first_error = *outcome.error;
    }
  }
  if (s->completed == s->flags.count) {
    s->end_ns = uv_hrtime();
    if (!s->finishing) {
      s->finishing = true;
      if (s->progress) {
        uv_timer_stop(&s->progress_timer);
        uv_close(reinterpret_cast<uv_handle_t*>(&s->progress_timer), nullptr);
      }
      s->summary.connections = s->pool->stats().connections_opened;
      s->pool->Shutdown([] {});
    }
    return;
  }
  SubmitMore(s);
}

void SubmitMore(BulkState* s) {
  const uint64_t window = 4 * static_cast<uint64_t>(s->flags.concurrency);
  while (s->submitted < s->flags.count &&
         s->submitted - s->completed < window) {
    const absl::Cord& body = s->bodies[s->submitted % s->bodies.size()];
    ++s->submitted;
    const size_t bytes = body.size();
    s->pool->Send(s->envelope, body, [s, bytes](DeliveryOutcome outcome) {
      OnMessageDone(s, bytes, std::move(outcome));
    });
  }
}

}  // namespace

std::string FormatBulkSummary(const BulkSummary& r) {
  return absl::StrFormat(
      "bulk: %d sent, %d failed, %.2f s, %.1f messages/s, %.2f MB/s\n",
      r.sent, r.failed, r.seconds,
      PerSecond(static_cast<double>(r.sent), r.seconds),
      PerSecond(static_cast<double>(r.bytes) / 1e6, r.seconds));
}

std::string BulkSummaryToJson(const BulkSummary& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("sent");
  w.Uint(r.sent);
  w.Key("failed");
  w.Uint(r.failed);
  w.Key("seconds");
  w.Double(r.seconds);
  w.Key("messages_per_second");
  w.Double(PerSecond(static_cast<double>(r.sent), r.seconds));
  w.Key("megabytes_per_second");
  w.Double(PerSecond(static_cast<double>(r.bytes) / 1e6, r.seconds));
  w.Key("bytes");
  w.Uint(r.bytes);
  w.Key("connections");
  w.Int(r.connections);
  w.Key("first_error");
  if (r.first_error.empty()) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("kind");
    w.String(r.first_error_kind);
    w.Key("message");
    w.String(r.first_error);
    w.EndObject();
  }
  w.EndObject();
  return w.str();
}

std::string BulkUsage() {
  return absl::StrCat(
      "Usage: smtpc bulk --server HOST[:PORT]|unix:PATH [--count N] "
      "[--concurrency C] "
      "[--size BYTES]\n"
      "                  [--tls ...] [--from ADDR] [--to ADDR] [options]\n"
      "\n"
      "Send N generated messages of about BYTES bytes (or the message in "
      "--data FILE)\nover C concurrent, reused connections (libuv "
      "connection pool; PIPELINING and\nCHUNKING when offered). --distinct "
      "K rotates through K different bodies.\nA live progress line is shown on a terminal; a "
      "one-line summary ends the\nrun: sent, failed, seconds, messages/s, "
      "MB/s.\n"
      "\n"
      "Options:\n",
      FormatFlagHelp(BulkFlagSpecs()),
      "  --help                             this text\n"
      "\n"
      "Example (against `smtpc sink --port 2525` in another terminal):\n"
      "  smtpc bulk --server 127.0.0.1:2525 --tls none --count 10000 "
      "--concurrency 8 --size 4096\n"
      "Into a local LMTP server on a Unix socket (RFC 2033):\n"
      "  smtpc bulk --server unix:/run/dovecot/lmtp --lmtp --tls none "
      "--to user@example.org\n");
}

int RunBulkCommand(absl::Span<const std::string> args, const CommandIo& io) {
  absl::StatusOr<std::vector<std::string>> expanded =
      ExpandAccountArgs(args, /*with_from=*/true, ProcessEnv());
  absl::StatusOr<BulkFlags> flags =
      expanded.ok() ? ParseBulkFlags(*expanded)
                    : absl::StatusOr<BulkFlags>(expanded.status());
  if (!flags.ok()) {
    std::fprintf(io.err,
                 "smtpc bulk: %s\nTry 'smtpc bulk --help' for more "
                 "information.\n",
                 std::string(flags.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }
  if (flags->help) {
    std::fputs(BulkUsage().c_str(), io.out);
    return 0;
  }
  absl::StatusOr<ClientConfig> config = MakeClientConfig(flags->connection);
  if (!config.ok()) {
    std::fprintf(io.err, "smtpc bulk: %s\n",
                 std::string(config.status().message()).c_str());
    return static_cast<int>(ExitStatus::kUsage);
  }

  std::string file_bytes;
  if (!flags->data.empty()) {
    absl::StatusOr<std::string> data = ReadMessage(flags->data, io.in);
    if (!data.ok()) {
      std::fprintf(io.err, "smtpc bulk: %s\n",
                   std::string(data.status().message()).c_str());
      return static_cast<int>(ExitStatus::kUsage);
    }
    file_bytes = *std::move(data);
  }

  uv_loop_t loop;
  uv_loop_init(&loop);
  BulkState state;
  BulkState* s = &state;
  state.io = &io;
  state.flags = *flags;
  state.progress = flags->progress == "always" ||
                   (flags->progress == "auto" && io.err_is_tty());
  for (size_t i = 0; i < flags->distinct; ++i) {
    // Each body is its own Cord (own chunks): nothing is shared between
    // them, so the session cannot tell one was sent before.
    state.bodies.emplace_back(
        flags->data.empty()
            ? GenerateSizedMessage(flags->size, i + 1, flags->from,
                                   flags->to.front())
            : file_bytes);
  }
  state.envelope.from = flags->from;
  for (const std::string& to : flags->to) state.envelope.AddRecipient(to);

  UvPoolOptions pool_options;
  pool_options.client = config->options;
  ApplyReachFlags(flags->reach, flags->connection.server.unix_path,
                  &pool_options.client);
  // With one body, every message is the same Cord: the session keeps its
  // measurement (and the Cord) from one message to the next. With several,
  // remembering would only keep a body alive.
  pool_options.client.session.remember_last_body = flags->distinct == 1;
  pool_options.max_connections_per_destination =
      static_cast<int>(flags->concurrency);
  pool_options.max_messages_per_connection =
      static_cast<int>(flags->messages_per_connection);
  pool_options.idle_timeout = flags->idle_timeout;
  pool_options.busy_backoff = flags->busy_backoff;
  state.pool = std::make_unique<UvPool>(&loop, std::move(pool_options));

  if (state.progress) {
    uv_timer_init(&loop, &state.progress_timer);
    state.progress_timer.data = s;
    uv_timer_start(
        &state.progress_timer,
        [](uv_timer_t* t) { PrintProgress(static_cast<BulkState*>(t->data)); },
        kProgressIntervalMs, kProgressIntervalMs);
  }
  state.start_ns = uv_hrtime();
  SubmitMore(s);
  uv_run(&loop, UV_RUN_DEFAULT);
  state.pool.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);

  if (state.end_ns == 0) state.end_ns = uv_hrtime();
  state.summary.seconds =
      static_cast<double>(state.end_ns - state.start_ns) / 1e9;
  if (state.first_error.has_value()) {
    state.summary.first_error = state.first_error->Message();
    state.summary.first_error_kind =
        std::string(ErrorDetailName(state.first_error->cause));
  }
  if (state.progress_printed) std::fputs("\r\033[K", io.err);
  if (!state.summary.first_error.empty() && !flags->json) {
    std::fprintf(io.err, "smtpc bulk: first error: %s\n",
                 state.summary.first_error.c_str());
    // The TLS-mode mistakes and provider replies, as `smtpc send` says them.
    const std::string hint =
        DiagnoseError(*state.first_error, flags->connection.server.port,
                      flags->connection.tls == TlsChoice::kImplicit);
    if (!hint.empty()) {
      std::fprintf(io.err, "smtpc bulk: hint: %s\n", hint.c_str());
    }
  }
  if (flags->json) {
    std::fprintf(io.out, "%s\n", BulkSummaryToJson(state.summary).c_str());
  } else {
    std::fputs(FormatBulkSummary(state.summary).c_str(), io.out);
  }
  std::fflush(io.out);

  if (state.summary.failed == 0) return 0;
  if (state.summary.sent > 0) return static_cast<int>(ExitStatus::kPartial);
  if (state.first_error.has_value()) {
    return static_cast<int>(ExitStatusForError(*state.first_error));
  }
  return static_cast<int>(ExitStatus::kTemporary);
}

}  // namespace cli
}  // namespace smtpcore
