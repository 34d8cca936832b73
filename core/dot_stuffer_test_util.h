// Test helpers for DotStuffer, shared by dot_stuffer_test and the
// dot_stuffer fuzzer (testonly).
//
// Slow, byte-at-a-time references written from RFC 5321 §4.5.2 and §2.3.8,
// independent of the implementation in dot_stuffer.cc: `RefNormalize` (line
// ending repair), `RefEncode` (one-shot encoder for every option set) and
// `RefUnstuff` (a receiver's DATA decoder).

#ifndef SMTP_CORE_DOT_STUFFER_TEST_UTIL_H_
#define SMTP_CORE_DOT_STUFFER_TEST_UTIL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "core/dot_stuffer.h"
#include "core/errors.h"

namespace smtpcore {
namespace test_util {

// RefNormalize returns `in` (borrowed for the call) with every bare CR and
// bare LF turned into CRLF; CRLF pairs are kept. Never fails.
std::string RefNormalize(absl::string_view in);

// RefResult is the owned outcome of RefEncode: `error` is kNone on success,
// else the first offence (kBareLineEnding or kLineTooLong) and `wire` is
// partial; `stats` mirrors DotStufferStats (output_bytes only on success).
struct RefResult {
  ErrorDetail error = ErrorDetail::kNone;
  std::string wire;
  DotStufferStats stats;
};

// RefEncode is a one-shot reference encoder (lines, then stuffing): it
// encodes the whole body `in` (borrowed for the call) under `o` as
// DotStuffer's Encode + Finish would, including the terminator or the CRLF
// ending an unterminated last line. Reports policy failures in the result.
RefResult RefEncode(const DotStufferOptions& o, absl::string_view in);

// RefUnstuff decodes a DATA stream as a receiver would (RFC 5321 §4.5.2):
// every line ends in CRLF, the last line is ".", a leading dot is removed
// from every other line. On success stores the body (CRLF lines) in `*body`
// and returns true; fails (false, reason in `*why`) on a bare CR/LF, an
// unterminated line, an early "." line or a missing end-of-data marker.
bool RefUnstuff(absl::string_view wire, std::string* body, std::string* why);

}  // namespace test_util
}  // namespace smtpcore

#endif  // SMTP_CORE_DOT_STUFFER_TEST_UTIL_H_
