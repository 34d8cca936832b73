// load_driver: holds many concurrent SMTP sessions with the libuv transport
// (UvPool) against local sinks and sends many small messages in one bounded
// run, printing memory figures. Measured, never asserted (bench/README.md,
// "Load"); the checks at the end are about correctness only (every message
// accepted, the sessions really were concurrent).
//
// Two modes:
//   load_driver sink --listeners K
//       K SinkServers (no TLS, messages counted, not kept) on 127.0.0.1,
//       ports chosen by the kernel, on one loop; prints "ports P1,...,PK"
//       once listening, runs until SIGTERM or SIGINT, then prints its counts.
//   load_driver client --ports P1,...,PK | --thread-sinks K
//                      [--sessions N] [--messages M] [--core-sessions C]
//       1. core alone: C `Session`s taken through greeting and EHLO in memory
//          (no socket), heap and RSS per session;
//       2. N connections opened through the pool (one message each) and left
//          idle: heap and RSS per idle session with the libuv transport;
//       3. the other M - N messages with N in flight at any time (every
//          completion submits the next message on the same connection);
//       4. shutdown (QUIT everywhere): RSS at the end.
//       --thread-sinks K runs the sinks in this process (small runs, tests);
//       the figures then include the sinks.
// Exit status 0 when every message was accepted and N sessions were open at
// once, 1 otherwise, 2 on a usage error.

#include <malloc.h>
#include <uv.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/session.h"
#include "tools/sink/sink_server.h"
#include "transports/libuv/uv_client.h"
#include "transports/libuv/uv_pool.h"

namespace smtpcore {
namespace {

// ReadStatusKb reads one "Key:  N kB" line of /proc/self/status (0 if
// unreadable). RssBytes is VmRSS (now), PeakRssBytes VmHWM (the peak).
uint64_t ReadStatusKb(const char* key) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  uint64_t kb = 0;
  size_t key_len = std::char_traits<char>::length(key);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, key, key_len) == 0) {
      kb = std::strtoull(line + key_len, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb;
}
uint64_t RssBytes() { return ReadStatusKb("VmRSS:") * 1024; }
uint64_t PeakRssBytes() { return ReadStatusKb("VmHWM:") * 1024; }
// HeapBytes is what malloc has handed out and not taken back.
uint64_t HeapBytes() { return mallinfo2().uordblks; }

double Mb(uint64_t bytes) { return bytes / (1024.0 * 1024.0); }

void Print(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// --- sink mode -------------------------------------------------------------

int RunSinks(int listeners) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<std::unique_ptr<cli::SinkServer>> servers;
  std::vector<std::string> ports;
  for (int i = 0; i < listeners; ++i) {
    cli::SinkServerOptions options;
    options.tls = false;
    options.keep_messages = false;
    absl::StatusOr<std::unique_ptr<cli::SinkServer>> server =
        cli::SinkServer::Start(&loop, options);
    if (!server.ok()) {
      std::fprintf(stderr, "load_driver sink: %s\n",
                   server.status().ToString().c_str());
      return 1;
    }
    ports.push_back(absl::StrCat((*server)->port()));
    servers.push_back(*std::move(server));
  }
  Print(absl::StrCat("ports ", absl::StrJoin(ports, ",")));
  struct Stop {
    uv_signal_t term, intr;
    std::vector<std::unique_ptr<cli::SinkServer>>* servers;
  } stop;
  stop.servers = &servers;
  auto on_signal = [](uv_signal_t* signal, int) {
    Stop* s = static_cast<Stop*>(signal->data);
    uint64_t messages = 0, connections = 0;
    for (auto& server : *s->servers) {
      messages += server->message_count();
      connections += server->connection_count();
      server->Close(nullptr);
    }
    std::fprintf(stderr, "sink: %" PRIu64 " messages, %" PRIu64
                         " connections, peak RSS %.1f MB\n",
                 messages, connections, Mb(PeakRssBytes()));
    uv_close(reinterpret_cast<uv_handle_t*>(&s->term), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&s->intr), nullptr);
  };
  uv_signal_init(&loop, &stop.term);
  uv_signal_init(&loop, &stop.intr);
  stop.term.data = stop.intr.data = &stop;
  uv_signal_start(&stop.term, on_signal, SIGTERM);
  uv_signal_start(&stop.intr, on_signal, SIGINT);
  uv_run(&loop, UV_RUN_DEFAULT);
  servers.clear();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return 0;
}

// --- client mode: core alone ---------------------------------------------

// MeasureCoreSessions takes `n` Sessions through greeting and EHLO in memory
// (no socket, no TLS) and prints the heap and RSS bytes per session.
void MeasureCoreSessions(int n) {
  if (n <= 0) return;
  Instant now = InstantFromSeconds(1);
  SessionOptions options;
  options.tls_mode = TlsMode::kNone;
  const std::string greeting = "220 sink.example ESMTP\r\n";
  const std::string ehlo_reply =
      "250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250 SIZE 10485760\r\n";
  std::vector<std::unique_ptr<Session>> sessions;
  sessions.reserve(n);
  IoSlice slices[8];
  int ready = 0;
  // The same sessions measured after each step: constructed, greeting
  // received (EHLO queued and written), EHLO reply received (ready).
  uint64_t heap0 = HeapBytes(), rss0 = RssBytes();
  for (int i = 0; i < n; ++i) {
    sessions.push_back(std::make_unique<Session>(options, now));
  }
  uint64_t heap_constructed = HeapBytes();
  for (auto& session : sessions) {
    session->Receive(greeting, now).IgnoreError();
    size_t k = session->PollTransmit(absl::MakeSpan(slices));
    session->ConsumeTransmit(TotalSize(absl::MakeConstSpan(slices, k)), now);
  }
  uint64_t heap_greeted = HeapBytes();
  for (auto& session : sessions) {
    session->Receive(ehlo_reply, now).IgnoreError();
    while (absl::optional<Event> event = session->PollEvent()) {
      ready += std::holds_alternative<SessionReady>(*event);
    }
  }
  uint64_t heap1 = HeapBytes(), rss1 = RssBytes();
  Print(absl::StrFormat(
      "core_sessions %d ready %d heap_per_session %.0f B rss_per_session "
      "%.0f B (sizeof(Session) %zu B; heap per session: %.0f B constructed, "
      "+%.0f B after the greeting and EHLO written, +%.0f B after the EHLO "
      "reply)",
      n, ready, static_cast<double>(heap1 - heap0) / n,
      static_cast<double>(rss1 > rss0 ? rss1 - rss0 : 0) / n,
      sizeof(Session), static_cast<double>(heap_constructed - heap0) / n,
      static_cast<double>(heap_greeted - heap_constructed) / n,
      static_cast<double>(heap1 - heap_greeted) / n));
}

// --- client mode: the pool ------------------------------------------------

struct Run {
  uv_loop_t* loop = nullptr;
  UvPool* pool = nullptr;
  std::vector<uint16_t> ports;
  Envelope envelope;
  absl::Cord body;
  uint64_t total = 0;
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  uint64_t window = 0;  // messages in flight allowed (phase 3)
  uint64_t phase_end = 0;  // stop submitting at this count (phase 2)
  size_t peak_connections = 0;
  std::string first_error;
  uint64_t next_report = 0;
  uint64_t report_every = 0;
  absl::Time start;
};

void Submit(Run* run);

void OnDone(Run* run, DeliveryOutcome outcome) {
  ++run->completed;
  if (!outcome.ok() || !outcome.all_delivered()) {
    ++run->failed;
    if (run->first_error.empty()) {
      run->first_error = outcome.ok() ? "not every recipient delivered"
                                      : outcome.error->Message();
    }
  }
  run->peak_connections =
      std::max(run->peak_connections, run->pool->connections());
  if (run->report_every > 0 && run->completed >= run->next_report) {
    run->next_report += run->report_every;
    Print(absl::StrFormat(
        "progress %" PRIu64 " messages, %zu connections, rss %.1f MB, heap "
        "%.1f MB, %.1f s",
        run->completed, run->pool->connections(), Mb(RssBytes()),
        Mb(HeapBytes()), absl::ToDoubleSeconds(absl::Now() - run->start)));
  }
  Submit(run);
}

// Submit keeps `window` messages in flight until `phase_end` were submitted.
// Messages go round-robin over the destinations, so each destination's
// connections carry an equal share.
void Submit(Run* run) {
  while (run->submitted < run->phase_end &&
         run->submitted - run->completed < run->window) {
    uint16_t port = run->ports[run->submitted % run->ports.size()];
    ++run->submitted;
    run->pool->SendTo("127.0.0.1", port, run->envelope, run->body,
                      [run](DeliveryOutcome o) { OnDone(run, std::move(o)); });
  }
}

// RunUntil runs the loop until `done` holds (checked after each iteration).
template <typename Pred>
void RunUntil(uv_loop_t* loop, Pred done) {
  while (!done()) {
    if (uv_run(loop, UV_RUN_ONCE) == 0 && !done()) break;
  }
}

int RunClient(std::vector<uint16_t> ports, int sessions, uint64_t messages,
              int core_sessions) {
  Print(absl::StrFormat("start rss %.1f MB heap %.1f MB", Mb(RssBytes()),
                        Mb(HeapBytes())));
  MeasureCoreSessions(core_sessions);
  malloc_trim(0);

  uv_loop_t loop;
  uv_loop_init(&loop);
  UvPoolOptions options;
  options.client.host = "127.0.0.1";
  options.client.port = ports[0];
  options.client.session.tls_mode = TlsMode::kNone;
  options.client.connect_timeout = absl::Seconds(60);
  int per_destination =
      (sessions + static_cast<int>(ports.size()) - 1) /
      static_cast<int>(ports.size());
  options.max_connections_per_destination = per_destination;
  options.max_messages_per_connection = 0;  // the run keeps its sessions
  options.idle_timeout = absl::ZeroDuration();
  options.noop_after_idle = absl::Hours(1);
  options.max_connect_failures = 1000;
  auto pool = std::make_unique<UvPool>(&loop, options);

  Run run;
  run.loop = &loop;
  run.pool = pool.get();
  run.ports = std::move(ports);
  run.envelope.from = "load@example.org";
  run.envelope.AddRecipient("rcpt@example.org");
  run.body = absl::Cord("Subject: load\r\n\r\nA small message.\r\n");
  run.total = std::max<uint64_t>(messages, sessions);
  run.start = absl::Now();

  // Phase 2: one message per session, all at once, then idle.
  uint64_t heap0 = HeapBytes(), rss0 = RssBytes();
  run.window = sessions;
  run.phase_end = sessions;
  Submit(&run);
  RunUntil(&loop, [&] { return run.completed >= run.phase_end; });
  size_t idle_connections = pool->connections();
  uint64_t heap1 = HeapBytes(), rss1 = RssBytes();
  Print(absl::StrFormat(
      "idle_sessions %zu heap_per_session %.0f B rss_per_session %.0f B "
      "(libuv transport + core, after one message each; %.1f s to open)",
      idle_connections,
      static_cast<double>(heap1 - heap0) / std::max<size_t>(1, idle_connections),
      static_cast<double>(rss1 > rss0 ? rss1 - rss0 : 0) /
          std::max<size_t>(1, idle_connections),
      absl::ToDoubleSeconds(absl::Now() - run.start)));

  // Phase 3: the rest with `sessions` in flight.
  absl::Time t3 = absl::Now();
  uint64_t done3 = run.completed;
  run.report_every = std::max<uint64_t>(1, run.total / 10);
  run.next_report = run.completed + run.report_every;
  run.phase_end = run.total;
  Submit(&run);
  RunUntil(&loop, [&] { return run.completed >= run.total; });
  double seconds = absl::ToDoubleSeconds(absl::Now() - t3);
  Print(absl::StrFormat(
      "sent %" PRIu64 " messages, %" PRIu64 " failed, %.1f s, %.0f messages/s"
      " (phase 3), peak connections %zu",
      run.completed, run.failed, seconds,
      (run.completed - done3) / std::max(seconds, 1e-9),
      run.peak_connections));
  Print(absl::StrFormat("peak rss %.1f MB", Mb(PeakRssBytes())));

  // Phase 4: QUIT everywhere.
  bool shut = false;
  pool->Shutdown([&] { shut = true; });
  RunUntil(&loop, [&] { return shut; });
  const UvPoolStats& stats = pool->stats();
  Print(absl::StrFormat(
      "pool connections_opened %d dropped %d retried %d noop_checks %d",
      stats.connections_opened, stats.connections_dropped,
      stats.messages_retried, stats.noop_checks));
  pool.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  Print(absl::StrFormat("end rss %.1f MB heap %.1f MB", Mb(RssBytes()),
                        Mb(HeapBytes())));
  malloc_trim(0);
  Print(absl::StrFormat("end rss after malloc_trim %.1f MB", Mb(RssBytes())));
  if (!run.first_error.empty()) {
    Print(absl::StrCat("first error: ", run.first_error));
  }
  bool ok = run.failed == 0 && run.completed == run.total &&
            idle_connections == static_cast<size_t>(sessions);
  Print(ok ? "result ok" : "result FAILED");
  return ok ? 0 : 1;
}

int Usage() {
  std::fprintf(stderr,
               "usage: load_driver sink --listeners K\n"
               "       load_driver client (--ports P1,... | --thread-sinks K)"
               " [--sessions N] [--messages M] [--core-sessions C]\n");
  return 2;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string mode = argv[1];
  int listeners = 1, sessions = 200, core_sessions = -1, thread_sinks = 0;
  uint64_t messages = 2000;
  std::vector<uint16_t> ports;
  for (int i = 2; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (i + 1 >= argc) return Usage();
    absl::string_view value = argv[++i];
    bool ok = true;
    if (arg == "--listeners") {
      ok = absl::SimpleAtoi(value, &listeners) && listeners > 0;
    } else if (arg == "--sessions") {
      ok = absl::SimpleAtoi(value, &sessions) && sessions > 0;
    } else if (arg == "--messages") {
      ok = absl::SimpleAtoi(value, &messages);
    } else if (arg == "--core-sessions") {
      ok = absl::SimpleAtoi(value, &core_sessions);
    } else if (arg == "--thread-sinks") {
      ok = absl::SimpleAtoi(value, &thread_sinks) && thread_sinks > 0;
    } else if (arg == "--ports") {
      for (absl::string_view p : absl::StrSplit(value, ',')) {
        uint32_t port = 0;
        ok &= absl::SimpleAtoi(p, &port) && port > 0 && port < 65536;
        ports.push_back(static_cast<uint16_t>(port));
      }
    } else {
      ok = false;
    }
    if (!ok) return Usage();
  }
  if (mode == "sink") return RunSinks(listeners);
  if (mode != "client") return Usage();
  if (core_sessions < 0) core_sessions = sessions;
  std::vector<std::unique_ptr<cli::SinkThread>> sinks;
  for (int i = 0; i < thread_sinks; ++i) {
    cli::SinkServerOptions options;
    options.tls = false;
    options.keep_messages = false;
    absl::StatusOr<std::unique_ptr<cli::SinkThread>> sink =
        cli::SinkThread::Start(options);
    if (!sink.ok()) {
      std::fprintf(stderr, "load_driver: %s\n",
                   sink.status().ToString().c_str());
      return 1;
    }
    ports.push_back((*sink)->port());
    sinks.push_back(*std::move(sink));
  }
  if (ports.empty()) return Usage();
  return RunClient(std::move(ports), sessions, messages, core_sessions);
}

}  // namespace
}  // namespace smtpcore

int main(int argc, char** argv) { return smtpcore::Main(argc, argv); }
