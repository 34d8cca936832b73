// FaultReplay: replays a transcript case (tests/transcripts/) against a
// fresh `Session` with the server's stream cut at a byte offset, ended there
// by an EOF or by a read error, and checks how the session ends.
//
// The steps run as the transcript says (actions, time, TLS), without
// comparing client bytes or events to the script: after the cut they could
// not match. Instead every run is checked with `SessionChecker`
// (tests/session_checker.h: wire and event invariants, one outcome per
// delivery, unknown outcomes exactly after an unanswered end of data), and
// at the end:
//   - the session is over: ConnectionClosed was the last event, with OK
//     (only after QUIT) or an error carrying an `ErrorDetail` (typed);
//   - nothing is left to send, no deadline runs, and a new delivery is
//     refused (kBroken or kClosed).
// Run it under LeakSanitizer to prove nothing leaks on any path.

#ifndef SMTP_TESTS_FAULT_REPLAY_H_
#define SMTP_TESTS_FAULT_REPLAY_H_

#include <cstddef>

#include "absl/status/status.h"
#include "tests/transcript_parser.h"

namespace smtpcore {
namespace internal {

// FaultKind is how the connection ends at the cut.
enum class FaultKind {
  kEof,        // the server closes (Session::ReceiveEof)
  kReadError,  // the transport's read fails (Session::Abort, kIo)
};

// ServerBytes returns the number of server bytes in `c` (the offsets to
// cut at are 0..ServerBytes(c)).
size_t ServerBytes(const TranscriptCase& c);

// ReplayWithFault replays `c` up to `offset` server bytes (the steps before
// the next server byte included), then ends the connection with `kind`.
// Returns OK, or kFailedPrecondition naming the broken property, with the
// events and client bytes of the run; kInvalidArgument if the case's meta
// cannot be mapped.
absl::Status ReplayWithFault(const TranscriptCase& c, size_t offset,
                             FaultKind kind);

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_TESTS_FAULT_REPLAY_H_
