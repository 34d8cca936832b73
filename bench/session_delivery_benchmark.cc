// The core's whole cost of one delivery, in memory: Session::Deliver, the
// precheck (which encodes a body it has not seen once, for its facts and
// the transfer: core/encoded_body.h), MAIL/RCPT/DATA, the transmit queue
// drained as a transport would
// (PollTransmit of up to 1,024 slices, ConsumeTransmit) and the replies
// parsed, with the `smtpc bulk` message text (tools/message.cc) over
// PIPELINING, SIZE and 8BITMIME. No sockets: the kernel's share of an end to
// end run (bench/README.md "End to end") is not in these figures.
//
//   BM_Deliver/<size>/<reuse>: reuse 1 delivers the same Cord every time
//   (a bulk sender) with SessionOptions::remember_last_body, so the precheck
//   knows its facts and the connection gets a copy of the remembered
//   encoding (before branch memoenc: the connection encoded it, one pass per
//   message; now no pass after the first message); reuse 0 builds a new
//   Cord per message (copying the text, outside the timed region), which
//   the precheck encodes (before branch onescan: measured, then encoded
//   again by the connection).

#include <cstddef>
#include <memory>
#include <string>

#include "absl/strings/cord.h"
#include "absl/types/span.h"
#include "benchmark/benchmark.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/session.h"
#include "tools/message.h"

namespace smtpcore {
namespace {

// Drain takes every queued byte as a transport would, returning the octets.
size_t Drain(Session& s, Instant now) {
  IoSlice slices[1024];
  size_t bytes = 0;
  for (;;) {
    const size_t n = s.PollTransmit(absl::MakeSpan(slices));
    if (n == 0) return bytes;
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += slices[i].size;
    s.ConsumeTransmit(total, now);
    bytes += total;
  }
}

void DrainEvents(Session& s) {
  while (s.PollEvent().has_value()) {
  }
}

std::unique_ptr<Session> ReadySession(bool remember, Instant now) {
  SessionOptions options;
  options.ehlo_domain = "client.example";
  options.tls_mode = TlsMode::kNone;
#ifndef SMTP_BENCH_NO_REMEMBER
  options.remember_last_body = remember;
#else
  (void)remember;
#endif
  auto s = std::make_unique<Session>(options, now);
  s->Receive("220 sink.example ESMTP\r\n", now).IgnoreError();
  Drain(*s, now);
  s->Receive("250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
             "250 SIZE 100000000\r\n",
             now)
      .IgnoreError();
  Drain(*s, now);
  DrainEvents(*s);
  return s;
}

void BM_Deliver(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const bool reuse = state.range(1) != 0;
  const Instant now = InstantFromSeconds(1);
  const std::string text = cli::GenerateSizedMessage(
      size, 1, "a@example.com", "b@example.com");
  const absl::Cord shared(text);
  std::unique_ptr<Session> s = ReadySession(reuse, now);
  Envelope envelope;
  envelope.from = "a@example.com";
  envelope.AddRecipient("b@example.com");
  size_t wire = 0;
  for (auto _ : state) {
    absl::Cord body;
    if (reuse) {
      body = shared;
    } else {
      state.PauseTiming();
      body = absl::Cord(text);
      state.ResumeTiming();
    }
    if (!s->Deliver(envelope, std::move(body), now).ok()) {
      state.SkipWithError("Deliver failed");
      return;
    }
    wire += Drain(*s, now);
    s->Receive("250 ok\r\n250 ok\r\n354 go\r\n", now).IgnoreError();
    wire += Drain(*s, now);
    s->Receive("250 queued\r\n", now).IgnoreError();
    Drain(*s, now);
    DrainEvents(*s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(size));
  state.counters["wire_bytes_per_msg"] =
      static_cast<double>(wire) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Deliver)
    ->ArgsProduct({{1024, 64 << 10, 1 << 20}, {0, 1}})
    ->ArgNames({"size", "reuse"});

}  // namespace
}  // namespace smtpcore

BENCHMARK_MAIN();
