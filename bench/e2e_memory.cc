// e2e_memory: bytes per idle SMTP session, for bench/e2e.sh.
//
//   e2e_memory --sessions N [--port PORT]
//
// Without --port, core alone: N `Session`s driven in memory through the
// greeting and EHLO to kReady (idle, PIPELINING offered). With --port
// instead: N `UvClient`s connected to a server on 127.0.0.1:PORT
// (bench/e2e.sh uses `smtpc sink`: smtp-sink stops accepting at ~500
// connections), each kReady, none closed. Run each in its own process so
// that the RSS growth is not hidden by memory the other freed. For each it prints the heap bytes in use per
// session (glibc mallinfo2, after minus before, divided by N) and the
// process's resident set (VmRSS) growth per session, then the peak RSS
// (VmHWM) of the process:
//
//   memory core sessions=10000 heap_per_session=... rss_per_session=...
//   memory libuv sessions=10000 heap_per_session=... rss_per_session=...
//   memory peak_rss_kb=...
//
// Raises RLIMIT_NOFILE to its hard limit; fails (exit 1) when fewer than N
// clients become ready.

#include <malloc.h>
#include <sys/resource.h>
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/io_slice.h"
#include "core/session.h"
#include "transports/common/client_options.h"
#include "transports/libuv/uv_client.h"

namespace smtpcore {
namespace {

size_t HeapInUse() { return mallinfo2().uordblks; }

// StatusKb reads a "Vm...:" line of /proc/self/status in kB.
long StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0) return std::atol(line.c_str() + n + 1);
  }
  return 0;
}

void Drain(Session& s, Instant now) {
  IoSlice slices[16];
  for (;;) {
    size_t n = s.PollTransmit(absl::MakeSpan(slices));
    if (n == 0) return;
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += slices[i].size;
    s.ConsumeTransmit(total, now);
  }
}

int CoreSessions(long n) {
  const Instant now = InstantFromSeconds(1);
  SessionOptions options;
  options.ehlo_domain = "client.smtpc.test";
  const size_t heap0 = HeapInUse();
  const long rss0 = StatusKb("VmRSS:");
  std::vector<std::unique_ptr<Session>> sessions;
  sessions.reserve(n);
  for (long i = 0; i < n; ++i) {
    auto s = std::make_unique<Session>(options, now);
    s->Receive("220 sink.smtpc.test ESMTP\r\n", now).IgnoreError();
    Drain(*s, now);
    s->Receive("250-sink.smtpc.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
               "250-SIZE 33554432\r\n250 ENHANCEDSTATUSCODES\r\n",
               now)
        .IgnoreError();
    Drain(*s, now);
    while (s->PollEvent().has_value()) {
    }
    if (s->state() != SessionState::kReady) {
      std::fprintf(stderr, "e2e_memory: core session not ready\n");
      return 1;
    }
    sessions.push_back(std::move(s));
  }
  const size_t heap1 = HeapInUse();
  const long rss1 = StatusKb("VmRSS:");
  std::printf("memory core sessions=%ld sizeof=%zu heap_per_session=%.0f "
              "rss_per_session=%.0f\n",
              n, sizeof(Session),
              static_cast<double>(heap1 - heap0) / static_cast<double>(n),
              1024.0 * static_cast<double>(rss1 - rss0) /
                  static_cast<double>(n));
  return 0;
}

int UvClients(long n, int port) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  ClientOptions options;
  options.host = "127.0.0.1";
  options.port = static_cast<uint16_t>(port);
  options.session.tls_mode = TlsMode::kNone;
  options.session.ehlo_domain = "client.smtpc.test";
  const size_t heap0 = HeapInUse();
  const long rss0 = StatusKb("VmRSS:");
  std::vector<std::unique_ptr<UvClient>> clients;
  clients.reserve(n);
  long ready = 0, failed = 0;
  std::string first_error;
  // Dial in batches so the listener's backlog is not overrun.
  constexpr long kBatch = 256;
  for (long started = 0; started < n;) {
    const long end = std::min(n, started + kBatch);
    for (; started < end; ++started) {
      clients.push_back(std::make_unique<UvClient>(&loop, options));
      clients.back()->Connect([&](const absl::Status& status) {
        if (status.ok()) {
          ++ready;
        } else {
          if (first_error.empty()) first_error = status.ToString();
          ++failed;
        }
      });
    }
    while (ready + failed < started) uv_run(&loop, UV_RUN_ONCE);
  }
  const size_t heap1 = HeapInUse();
  const long rss1 = StatusKb("VmRSS:");
  std::printf("memory libuv sessions=%ld ready=%ld heap_per_session=%.0f "
              "rss_per_session=%.0f\n",
              n, ready,
              static_cast<double>(heap1 - heap0) / static_cast<double>(n),
              1024.0 * static_cast<double>(rss1 - rss0) /
                  static_cast<double>(n));
  if (failed > 0) {
    std::fprintf(stderr, "e2e_memory: %ld failed: %s\n", failed,
                 first_error.c_str());
  }
  for (auto& c : clients) c->Abort(absl::CancelledError("done"));
  clients.clear();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace smtpcore

int main(int argc, char** argv) {
  long sessions = 10000;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--sessions" && i + 1 < argc) {
      sessions = std::atol(argv[++i]);
    } else if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: e2e_memory --sessions N [--port PORT]\n");
      return 64;
    }
  }
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  int rc = port == 0 ? smtpcore::CoreSessions(sessions)
                     : smtpcore::UvClients(sessions, port);
  std::printf("memory peak_rss_kb=%ld\n", smtpcore::StatusKb("VmHWM:"));
  return rc;
}
