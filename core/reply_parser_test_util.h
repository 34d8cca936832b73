// Test helpers for ReplyParser, shared by reply_parser_test and the
// reply_parser fuzzer (testonly).
//
// `FeedChunks` runs a fresh parser over a stream cut into chunks, records
// every reply and the final state as owned data (`Outcome`), and checks the
// per-call contract on the way (zero copy, consumed accounting, sticky
// errors). `ReferenceParse` is a slow, independently written parser of the
// same grammar and error semantics (see reply_parser.cc); every chunking of a
// stream must give the Outcome of the reference.

#ifndef SMTP_CORE_REPLY_PARSER_TEST_UTIL_H_
#define SMTP_CORE_REPLY_PARSER_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/reply.h"
#include "core/reply_parser.h"

namespace smtpcore {
namespace test_util {

// RecordedReply is an owned copy of what a ReplyView exposed.
struct RecordedReply {
  std::string raw;
  int code = 0;
  std::vector<std::string> lines;
  uint8_t flags = 0;
  absl::optional<EnhancedCode> enhanced;
  std::string message;
  size_t end_offset = 0;  // stream offset just after the reply

  friend bool operator==(const RecordedReply& a, const RecordedReply& b);
};

// FinalState is how a stream ended.
enum class FinalState {
  kClean,    // at a reply boundary, nothing carried
  kPartial,  // bytes of an unfinished reply carried
  kError,    // parser failed; see Outcome::error
};

// Outcome is everything observable from parsing one stream.
struct Outcome {
  std::vector<RecordedReply> replies;
  FinalState final_state = FinalState::kClean;
  ReplyError error = ReplyError::kNone;

  // DebugString renders the outcome on several lines for test failures.
  std::string DebugString() const;
  friend bool operator==(const Outcome& a, const Outcome& b);
  friend bool operator!=(const Outcome& a, const Outcome& b) {
    return !(a == b);
  }
};

// FeedChunks parses the concatenation of `chunks` with a fresh
// ReplyParser(limits), calling Parse until each chunk is used up, and returns
// the outcome. Contract violations seen on the way (a complete reply from one
// input not pointing into it, consumed bytes not matching the reply, a
// non-sticky error, ...) are appended to `*violations` as text.
Outcome FeedChunks(const std::vector<absl::string_view>& chunks,
                   const ReplyLimits& limits,
                   std::vector<std::string>* violations);

// ReferenceParse parses the whole `stream` with a slow byte-index parser of
// the same grammar and error semantics.
Outcome ReferenceParse(absl::string_view stream, const ReplyLimits& limits);

// SplitAt returns {s[0, at), s[at, end)}.
std::vector<absl::string_view> SplitAt(absl::string_view s, size_t at);
// SplitEvery returns `s` cut into pieces of `n` bytes (the last may be
// shorter); no pieces for an empty `s`.
std::vector<absl::string_view> SplitEvery(absl::string_view s, size_t n);

}  // namespace test_util
}  // namespace smtpcore

#endif  // SMTP_CORE_REPLY_PARSER_TEST_UTIL_H_
