// reply_parser_fuzzer: differential and chunking fuzzer for ReplyParser.
//
// Input layout (llhttp's trick: the first byte picks options):
//   byte 0, bits 0-1  limits: 0 default, 1 small, 2 tiny (below the 5 bytes
//                     of "250\r\n"), 3 odd sizes
//   byte 0, bits 2-4  chunking: 0 whole, 1 byte by byte, 2 halves, 3 pairs,
//                     4 triples, 5 sevens, 6 pseudo-random sizes 1..17,
//                     7 every two-way split (streams up to 64 bytes,
//                     else byte by byte)
//   bytes 1..         the stream of server bytes
//
// Invariants checked (abort on violation):
//   - the per-call contract of test_util::FeedChunks: a complete reply from
//     one input is a view of exactly the consumed prefix of that input; a
//     carried reply lies outside the input and ends with the consumed
//     bytes; consumed bytes concatenate to the stream's prefix; kIncomplete
//     consumes everything; errors are sticky; has_partial() is truthful;
//   - feeding the stream whole and chunked gives the same Outcome (replies,
//     offsets, lines, flags, enhanced codes, final state and error);
//   - both equal the slow reference parser's Outcome.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/reply_parser.h"
#include "core/reply_parser_test_util.h"

namespace {

using smtpcore::ReplyLimits;
using smtpcore::test_util::FeedChunks;
using smtpcore::test_util::Outcome;
using smtpcore::test_util::ReferenceParse;
using smtpcore::test_util::SplitAt;
using smtpcore::test_util::SplitEvery;

ReplyLimits PickLimits(uint8_t option) {
  ReplyLimits l;
  switch (option & 3) {
    case 0:
      break;  // defaults: 2048 / 256 / 64 KiB
    case 1:
      l.max_line_length = 16;
      l.max_lines = 4;
      l.max_reply_size = 48;
      break;
    case 2:
      l.max_line_length = 4;
      l.max_lines = 2;
      l.max_reply_size = 7;
      break;
    default:
      l.max_line_length = 9;
      l.max_lines = 3;
      l.max_reply_size = 23;
      break;
  }
  return l;
}

std::vector<absl::string_view> RandomChunks(absl::string_view s,
                                            uint64_t seed) {
  std::vector<absl::string_view> out;
  uint64_t x = seed | 1;
  size_t i = 0;
  while (i < s.size()) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    size_t n = 1 + static_cast<size_t>(x % 17);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

[[noreturn]] void Fail(const std::string& what, const Outcome& a,
                       const Outcome& b) {
  std::fprintf(stderr, "reply_parser_fuzzer: %s\n--- got:\n%s--- want:\n%s",
               what.c_str(), a.DebugString().c_str(),
               b.DebugString().c_str());
  std::abort();
}

void Check(absl::string_view stream, const ReplyLimits& limits,
           const std::vector<absl::string_view>& chunks, const Outcome& whole,
           const char* how) {
  std::vector<std::string> violations;
  Outcome got = FeedChunks(chunks, limits, &violations);
  if (!violations.empty()) {
    Fail(std::string(how) + ": " + violations.front(), got, whole);
  }
  if (got != whole) Fail(std::string(how) + ": differs from whole", got, whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t option = data[0];
  const absl::string_view stream(reinterpret_cast<const char*>(data) + 1,
                                 size - 1);
  const ReplyLimits limits = PickLimits(option);

  std::vector<std::string> violations;
  const Outcome whole = FeedChunks({stream}, limits, &violations);
  if (!violations.empty()) Fail("whole: " + violations.front(), whole, whole);
  const Outcome reference = ReferenceParse(stream, limits);
  if (whole != reference) Fail("differs from reference", whole, reference);

  switch ((option >> 2) & 7) {
    case 0:
      break;
    case 1:
      Check(stream, limits, SplitEvery(stream, 1), whole, "byte by byte");
      break;
    case 2:
      Check(stream, limits, SplitAt(stream, stream.size() / 2), whole,
            "halves");
      break;
    case 3:
      Check(stream, limits, SplitEvery(stream, 2), whole, "pairs");
      break;
    case 4:
      Check(stream, limits, SplitEvery(stream, 3), whole, "triples");
      break;
    case 5:
      Check(stream, limits, SplitEvery(stream, 7), whole, "sevens");
      break;
    case 6:
      Check(stream, limits, RandomChunks(stream, size * 31 + option), whole,
            "random chunks");
      break;
    default:
      if (stream.size() <= 64) {
        for (size_t at = 0; at <= stream.size(); ++at) {
          Check(stream, limits, SplitAt(stream, at), whole, "two-way split");
        }
      } else {
        Check(stream, limits, SplitEvery(stream, 1), whole, "byte by byte");
      }
      break;
  }
  return 0;
}
