// reply_parser_benchmark: HOT PATH 1, ReplyParser, against two baselines on
// the same bytes:
//   Memchr_*   memchr over the bytes counting LFs: the floor for any parser
//              that has to find line ends.
//   Naive*_*   a typical hand-written SMTP reply reader: split lines (with
//              std::string::find or std::getline) into a
//              std::vector<std::string> per reply and check the codes.
//
// Corpora are deterministic (fixed-seed generator):
//   Ehlo      256 realistic 12-line EHLO replies back to back.
//   Single    one "250 2.1.0 Ok\r\n" per iteration.
//   Batch     one pipelined batch of 100 single-line replies (MAIL, RCPT,
//             DATA, end-of-data answers, greylisting and rejections).
// bytes/s counts input bytes; items/s counts replies.
//
// Run optimised: bazel build --config=opt //bench:reply_parser_benchmark

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "core/reply.h"
#include "core/reply_parser.h"

namespace smtpcore {
namespace {

// Small deterministic generator (xorshift64*), so corpora are identical on
// every run and machine.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 2685821657736338717ULL;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t s_;
};

std::string MakeEhlo(Rng& rng) {
  static const char* const kHosts[] = {
      "mx.google.com at your service",
      "mail.example.com Hello client.example.org",
      "smtp.office365.com Hello",
      "mx1.mail.example.net greets relay.example.org",
  };
  static const char* const kAuth[] = {
      "AUTH PLAIN LOGIN", "AUTH PLAIN LOGIN XOAUTH2",
      "AUTH LOGIN PLAIN CRAM-MD5 SCRAM-SHA-256", "AUTH=PLAIN LOGIN"};
  std::string s;
  absl::StrAppend(&s, "250-", kHosts[rng.Below(4)], ", [192.0.2.",
                  rng.Below(255), "]\r\n");
  absl::StrAppend(&s, "250-SIZE ", 10000000 + rng.Below(90000000), "\r\n");
  s += "250-8BITMIME\r\n";
  s += "250-PIPELINING\r\n";
  absl::StrAppend(&s, "250-", kAuth[rng.Below(4)], "\r\n");
  s += "250-ENHANCEDSTATUSCODES\r\n";
  s += "250-CHUNKING\r\n";
  s += "250-STARTTLS\r\n";
  s += "250-SMTPUTF8\r\n";
  s += "250-DSN\r\n";
  s += "250-BINARYMIME\r\n";
  s += "250 HELP\r\n";
  return s;
}

std::string MakeSingle(Rng& rng) {
  switch (rng.Below(8)) {
    case 0:
      return "250 2.1.0 Ok\r\n";
    case 1:
      return "250 2.1.5 Ok\r\n";
    case 2:
      return "354 End data with <CR><LF>.<CR><LF>\r\n";
    case 3:
      return absl::StrCat("250 2.0.0 Ok: queued as ", 100000 + rng.Below(900000),
                          "A3F\r\n");
    case 4:
      return "451 4.7.1 Greylisted, please try again later\r\n";
    case 5:
      return "550 5.1.1 <nobody@example.com>: Recipient address rejected: "
             "User unknown in virtual mailbox table\r\n";
    case 6:
      return "250 2.1.5 Recipient <someone@example.org> ok\r\n";
    default:
      return "221 2.0.0 Bye\r\n";
  }
}

struct Corpus {
  std::string bytes;
  size_t replies = 0;
};

const Corpus& EhloCorpus() {
  static const Corpus* c = [] {
    auto* c = new Corpus;
    Rng rng(42);
    for (int i = 0; i < 256; ++i) c->bytes += MakeEhlo(rng);
    c->replies = 256;
    return c;
  }();
  return *c;
}

const Corpus& BatchCorpus() {
  static const Corpus* c = [] {
    auto* c = new Corpus;
    Rng rng(7);
    for (int i = 0; i < 100; ++i) c->bytes += MakeSingle(rng);
    c->replies = 100;
    return c;
  }();
  return *c;
}

const Corpus& SingleCorpus() {
  static const Corpus* c = new Corpus{"250 2.1.0 Ok\r\n", 1};
  return *c;
}

void SetCounters(benchmark::State& state, const Corpus& c) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(c.bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(c.replies));
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "reply_parser_benchmark: %s\n", what);
  std::abort();
}

// --- ReplyParser ------------------------------------------------------------

// Parses every reply of `bytes` (one input), returns how many.
inline size_t ParseAll(ReplyParser& parser, absl::string_view bytes) {
  size_t n = 0;
  while (!bytes.empty()) {
    ReplyView view;
    ParseResult r = parser.Parse(bytes, &view);
    if (r.status != ParseStatus::kComplete) Die("parse failed");
    benchmark::DoNotOptimize(view);
    bytes.remove_prefix(r.consumed);
    ++n;
  }
  return n;
}

void RunParser(benchmark::State& state, const Corpus& c) {
  ReplyParser parser;
  for (auto _ : state) {
    size_t n = ParseAll(parser, c.bytes);
    benchmark::DoNotOptimize(n);
  }
  SetCounters(state, c);
}

void BM_ReplyParser_Ehlo(benchmark::State& state) {
  RunParser(state, EhloCorpus());
}
BENCHMARK(BM_ReplyParser_Ehlo);

void BM_ReplyParser_Single(benchmark::State& state) {
  const Corpus& c = SingleCorpus();
  ReplyParser parser;
  absl::string_view input = c.bytes;
  for (auto _ : state) {
    ReplyView view;
    ParseResult r = parser.Parse(input, &view);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(view);
  }
  SetCounters(state, c);
}
BENCHMARK(BM_ReplyParser_Single);

void BM_ReplyParser_Batch(benchmark::State& state) {
  RunParser(state, BatchCorpus());
}
BENCHMARK(BM_ReplyParser_Batch);

// Same as BM_ReplyParser_Ehlo, plus walking every line's text and the
// enhanced-code-free message, as a consumer (EHLO keyword parsing) would.
void BM_ReplyParser_EhloIterateLines(benchmark::State& state) {
  const Corpus& c = EhloCorpus();
  ReplyParser parser;
  for (auto _ : state) {
    absl::string_view bytes = c.bytes;
    size_t total = 0;
    while (!bytes.empty()) {
      ReplyView view;
      ParseResult r = parser.Parse(bytes, &view);
      if (r.status != ParseStatus::kComplete) Die("parse failed");
      for (absl::string_view line : view.lines()) total += line.size();
      bytes.remove_prefix(r.consumed);
    }
    benchmark::DoNotOptimize(total);
  }
  SetCounters(state, c);
}
BENCHMARK(BM_ReplyParser_EhloIterateLines);

// The EHLO stream delivered in chunks of state.range(0) bytes, as reads from
// a socket would: replies straddling chunks go through the carry buffer.
void BM_ReplyParser_EhloChunked(benchmark::State& state) {
  const Corpus& c = EhloCorpus();
  const size_t chunk = static_cast<size_t>(state.range(0));
  ReplyParser parser;
  for (auto _ : state) {
    size_t n = 0;
    for (size_t off = 0; off < c.bytes.size(); off += chunk) {
      absl::string_view in = absl::string_view(c.bytes).substr(off, chunk);
      while (!in.empty()) {
        ReplyView view;
        ParseResult r = parser.Parse(in, &view);
        if (r.status == ParseStatus::kError) Die("parse failed");
        if (r.status == ParseStatus::kIncomplete) break;
        benchmark::DoNotOptimize(view);
        in.remove_prefix(r.consumed);
        ++n;
      }
    }
    if (n != c.replies) Die("wrong reply count");
  }
  SetCounters(state, c);
}
BENCHMARK(BM_ReplyParser_EhloChunked)->Arg(1)->Arg(16)->Arg(512)->Arg(4096);

// --- Baseline 1: memchr line counting ----------------------------------------

size_t CountLines(absl::string_view bytes) {
  size_t lines = 0;
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    const void* lf = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (lf == nullptr) break;
    p = static_cast<const char*>(lf) + 1;
    ++lines;
  }
  return lines;
}

void RunMemchr(benchmark::State& state, const Corpus& c) {
  for (auto _ : state) {
    absl::string_view bytes = c.bytes;
    benchmark::DoNotOptimize(bytes.data());
    size_t n = CountLines(bytes);
    benchmark::DoNotOptimize(n);
  }
  SetCounters(state, c);
}

void BM_Memchr_Ehlo(benchmark::State& state) { RunMemchr(state, EhloCorpus()); }
BENCHMARK(BM_Memchr_Ehlo);
void BM_Memchr_Single(benchmark::State& state) {
  RunMemchr(state, SingleCorpus());
}
BENCHMARK(BM_Memchr_Single);
void BM_Memchr_Batch(benchmark::State& state) {
  RunMemchr(state, BatchCorpus());
}
BENCHMARK(BM_Memchr_Batch);

// --- Baseline 2: naive line-splitting parsers ----------------------------------

struct NaiveReply {
  int code = 0;
  std::vector<std::string> lines;
};

// NaiveAddLine checks one line (CR already stripped) and adds it to `cur`;
// returns false on a malformed line. Sets *done on a last line.
inline bool NaiveAddLine(const std::string& line, NaiveReply* cur,
                         bool* done) {
  if (line.size() < 3) return false;
  for (int i = 0; i < 3; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (code < 200 || code > 599) return false;
  if (!cur->lines.empty() && code != cur->code) return false;
  cur->code = code;
  char sep = line.size() > 3 ? line[3] : ' ';
  if (sep != '-' && sep != ' ') return false;
  cur->lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
  *done = sep == ' ';
  return true;
}

// NaiveFind splits with std::string::find('\n').
size_t NaiveFind(const std::string& bytes, std::vector<NaiveReply>* out) {
  out->clear();
  NaiveReply cur;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t lf = bytes.find('\n', pos);
    if (lf == std::string::npos) break;
    std::string line = bytes.substr(pos, lf - pos);
    pos = lf + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool done = false;
    if (!NaiveAddLine(line, &cur, &done)) Die("naive parse failed");
    if (done) {
      out->push_back(std::move(cur));
      cur = NaiveReply();
    }
  }
  return out->size();
}

// NaiveGetline splits with std::getline on a std::istringstream.
size_t NaiveGetline(const std::string& bytes, std::vector<NaiveReply>* out) {
  out->clear();
  std::istringstream in(bytes);
  std::string line;
  NaiveReply cur;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    bool done = false;
    if (!NaiveAddLine(line, &cur, &done)) Die("naive parse failed");
    if (done) {
      out->push_back(std::move(cur));
      cur = NaiveReply();
    }
  }
  return out->size();
}

template <size_t (*Fn)(const std::string&, std::vector<NaiveReply>*)>
void RunNaive(benchmark::State& state, const Corpus& c) {
  std::vector<NaiveReply> out;
  for (auto _ : state) {
    size_t n = Fn(c.bytes, &out);
    if (n != c.replies) Die("naive: wrong reply count");
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, c);
}

void BM_NaiveFind_Ehlo(benchmark::State& state) {
  RunNaive<NaiveFind>(state, EhloCorpus());
}
BENCHMARK(BM_NaiveFind_Ehlo);
void BM_NaiveFind_Single(benchmark::State& state) {
  RunNaive<NaiveFind>(state, SingleCorpus());
}
BENCHMARK(BM_NaiveFind_Single);
void BM_NaiveFind_Batch(benchmark::State& state) {
  RunNaive<NaiveFind>(state, BatchCorpus());
}
BENCHMARK(BM_NaiveFind_Batch);
void BM_NaiveGetline_Ehlo(benchmark::State& state) {
  RunNaive<NaiveGetline>(state, EhloCorpus());
}
BENCHMARK(BM_NaiveGetline_Ehlo);
void BM_NaiveGetline_Batch(benchmark::State& state) {
  RunNaive<NaiveGetline>(state, BatchCorpus());
}
BENCHMARK(BM_NaiveGetline_Batch);

}  // namespace
}  // namespace smtpcore
