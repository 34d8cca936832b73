// DotStuffer benchmark (HOT PATH 2). One binary runs the baselines and the
// encoder over the same bytes, so the ratios are measured, not assumed:
//   Baseline/memcpy          memcpy of the message
//   Baseline/memchr_lines    one memchr('\n') per line
//   Baseline/naive_stuffer   memchr per line + memcpy into a buffer, '.'
//                            inserted, line ends fixed to CRLF
//   Encode/<kernel>/...      zero-copy DotStuffer::Encode (IoSlices)
//   EncodeCopy/<kernel>/...  DotStuffer::EncodeCopy into a buffer
// Corpora (bench/message_corpus.h, 1 MiB): "clean" CRLF mail, ~1.5% of lines
// starting with '.'; "dotty" with 30% dot lines; "lf" the clean text with
// bare LF line endings. Chunks of 64 KiB unless the name says otherwise.
//
//   bazel run --config=opt //bench:dot_stuffer_benchmark

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/message_corpus.h"
#include "benchmark/benchmark.h"
#include "core/dot_stuffer.h"
#include "core/internal/dot_stuffer_kernels.h"
#include "core/io_slice.h"

namespace smtpcore {
namespace {

using internal::DotStufferKernel;

constexpr size_t kMessageBytes = size_t{1} << 20;

enum class Text { kClean, kDotty, kBareLf };

const char* TextName(Text t) {
  switch (t) {
    case Text::kClean:
      return "clean";
    case Text::kDotty:
      return "dotty";
    case Text::kBareLf:
      return "lf";
  }
  return "?";
}

const std::string& Corpus(Text t) {
  static const std::string* const texts[3] = {
      new std::string(bench::MakeMessage(bench::CorpusOptions())),
      [] {
        bench::CorpusOptions o;
        o.dot_line_fraction = 0.3;
        return new std::string(bench::MakeMessage(o));
      }(),
      [] {
        bench::CorpusOptions o;
        o.bare_lf = true;
        return new std::string(bench::MakeMessage(o));
      }(),
  };
  return *texts[static_cast<int>(t)];
}

// ---------------------------------------------------------------------------
// Baselines.

void BM_Memcpy(benchmark::State& state, Text t) {
  const std::string& text = Corpus(t);
  std::vector<char> dst(text.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), text.data(), text.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_MemchrPerLine(benchmark::State& state, Text t) {
  const std::string& text = Corpus(t);
  for (auto _ : state) {
    const char* p = text.data();
    const char* const end = p + text.size();
    size_t lines = 0;
    while (const void* nl =
               std::memchr(p, '\n', static_cast<size_t>(end - p))) {
      ++lines;
      p = static_cast<const char*>(nl) + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * text.size()));
}

// NaiveStuff is the obvious encoder: find each line with memchr, copy it,
// add a '.' in front of a leading dot, end it with CRLF. (It ignores bare CR
// and chunk boundaries, so it does less than DotStuffer.)
size_t NaiveStuff(absl::string_view in, char* out) {
  const char* p = in.data();
  const char* const end = p + in.size();
  char* o = out;
  bool ended_with_break = true;
  while (p < end) {
    const char* nl = static_cast<const char*>(
        std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* content_end = nl != nullptr ? nl : end;
    if (nl != nullptr && content_end > p && content_end[-1] == '\r') {
      --content_end;
    }
    if (*p == '.') *o++ = '.';
    std::memcpy(o, p, static_cast<size_t>(content_end - p));
    o += content_end - p;
    if (nl != nullptr) {
      *o++ = '\r';
      *o++ = '\n';
      p = nl + 1;
    } else {
      p = end;
    }
    ended_with_break = nl != nullptr;
  }
  const absl::string_view tail = ended_with_break ? ".\r\n" : "\r\n.\r\n";
  std::memcpy(o, tail.data(), tail.size());
  return static_cast<size_t>(o - out) + tail.size();
}

void BM_NaiveStuffer(benchmark::State& state, Text t) {
  const std::string& text = Corpus(t);
  std::vector<char> dst(DotStuffer::MaxEncodedSize(text.size()));
  for (auto _ : state) {
    benchmark::DoNotOptimize(NaiveStuff(text, dst.data()));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * text.size()));
}

// ---------------------------------------------------------------------------
// DotStuffer.

class KernelScope {
 public:
  explicit KernelScope(DotStufferKernel k) {
    internal::SetDotStufferKernelForTesting(k);
  }
  ~KernelScope() {
    internal::SetDotStufferKernelForTesting(internal::BestDotStufferKernel());
  }
};

void BM_Encode(benchmark::State& state, DotStufferKernel kernel, Text t,
               size_t chunk) {
  KernelScope scope(kernel);
  const std::string& text = Corpus(t);
  const absl::string_view view(text);
  DotStuffer stuffer;
  std::vector<IoSlice> out;
  out.reserve(text.size() / 8);
  for (auto _ : state) {
    stuffer.Reset();
    out.clear();
    for (size_t off = 0; off < view.size(); off += chunk) {
      if (!stuffer.Encode(view.substr(off, chunk), &out).ok()) {
        state.SkipWithError("Encode failed");
        return;
      }
    }
    stuffer.Finish(&out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["slices"] = static_cast<double>(out.size());
}

void BM_EncodeCopy(benchmark::State& state, DotStufferKernel kernel, Text t,
                   size_t chunk) {
  KernelScope scope(kernel);
  const std::string& text = Corpus(t);
  const absl::string_view view(text);
  const size_t chunks = (text.size() + chunk - 1) / chunk;
  std::vector<char> dst(2 * text.size() + 5 * chunks + 5);
  DotStuffer stuffer;
  size_t total = 0;
  for (auto _ : state) {
    stuffer.Reset();
    char* o = dst.data();
    for (size_t off = 0; off < view.size(); off += chunk) {
      size_t written = 0;
      if (!stuffer.EncodeCopy(view.substr(off, chunk), o, &written).ok()) {
        state.SkipWithError("EncodeCopy failed");
        return;
      }
      o += written;
    }
    o += stuffer.FinishCopy(o);
    total = static_cast<size_t>(o - dst.data());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["out_bytes"] = static_cast<double>(total);
}

std::string ChunkName(size_t chunk) {
  return chunk >= 1024 ? absl::StrCat(chunk / 1024, "KiB")
                       : absl::StrCat(chunk, "B");
}

// MinOf is a statistic for --benchmark_repetitions: on a shared machine the
// fastest repetition is the least disturbed one.
double MinOf(const std::vector<double>& v) {
  double m = v.empty() ? 0.0 : v[0];
  for (double x : v) m = x < m ? x : m;
  return m;
}

void WithMin(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics("min", MinOf);
}

void RegisterAll() {
  for (Text t : {Text::kClean, Text::kBareLf}) {
    WithMin(benchmark::RegisterBenchmark(
        absl::StrCat("Baseline/memcpy/", TextName(t)).c_str(), BM_Memcpy, t));
    WithMin(benchmark::RegisterBenchmark(
        absl::StrCat("Baseline/memchr_lines/", TextName(t)).c_str(),
        BM_MemchrPerLine, t));
    WithMin(benchmark::RegisterBenchmark(
        absl::StrCat("Baseline/naive_stuffer/", TextName(t)).c_str(),
        BM_NaiveStuffer, t));
  }
  WithMin(benchmark::RegisterBenchmark("Baseline/naive_stuffer/dotty",
                                       BM_NaiveStuffer, Text::kDotty));
  const DotStufferKernel kernels[] = {
      DotStufferKernel::kAvx512, DotStufferKernel::kAvx2,
      DotStufferKernel::kSwar, DotStufferKernel::kScalar};
  struct Config {
    Text text;
    size_t chunk;
  };
  const Config configs[] = {{Text::kClean, 64 * 1024},
                            {Text::kDotty, 64 * 1024},
                            {Text::kBareLf, 64 * 1024},
                            {Text::kClean, 1}};
  for (const Config& c : configs) {
    for (DotStufferKernel k : kernels) {
      if (!internal::DotStufferKernelSupported(k)) continue;
      const std::string suffix =
          absl::StrCat(internal::DotStufferKernelName(k), "/", TextName(c.text),
                       "/", ChunkName(c.chunk));
      WithMin(
          benchmark::RegisterBenchmark(absl::StrCat("Encode/", suffix).c_str(),
                                       BM_Encode, k, c.text, c.chunk));
      WithMin(benchmark::RegisterBenchmark(
          absl::StrCat("EncodeCopy/", suffix).c_str(), BM_EncodeCopy, k, c.text,
          c.chunk));
    }
  }
}

void PrintCorpora() {
  for (Text t : {Text::kClean, Text::kDotty, Text::kBareLf}) {
    const bench::CorpusShape s = bench::DescribeCorpus(Corpus(t));
    std::fprintf(stderr,
                 "corpus %-5s: %zu bytes, %zu lines, mean %.1f bytes/line, "
                 "%.2f%% lines start with '.'\n",
                 TextName(t), s.bytes, s.lines, s.mean_line_bytes,
                 100.0 * static_cast<double>(s.dot_lines) /
                     static_cast<double>(s.lines));
  }
  std::fprintf(
      stderr, "default kernel: %s\n",
      internal::DotStufferKernelName(internal::BestDotStufferKernel()));
}

}  // namespace
}  // namespace smtpcore

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  smtpcore::PrintCorpora();
  smtpcore::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
