// Transcript runner: replays a parsed `TranscriptCase` (tests/transcripts/)
// against a fresh `Session` through the `ScriptTransport`, in every feeding
// mode, and checks client bytes and events.
//
// Modes (tests/transcripts/README.md): whole flights; a 2-way split at every
// byte boundary of the server stream; byte by byte; whole flights recorded
// and replayed from the trace; whole with 1-byte and 7-byte partial writes.
// `"split": "whole"` drops the split and byte-by-byte modes.

#ifndef SMTP_TESTS_TRANSCRIPT_RUNNER_H_
#define SMTP_TESTS_TRANSCRIPT_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/session.h"
#include "tests/transcript_meta.h"
#include "tests/transcript_parser.h"
#include "transports/testing/script_transport.h"

namespace smtpcore {
namespace internal {

// TranscriptMode is one way of replaying a case.
struct TranscriptMode {
  // name: "whole", "split@17", "bytes", "record", "write1", "write7".
  std::string name;
  ScriptOptions script;
  // record: drive a SessionRecorder instead of a Session, then check that
  // ReplaySession reproduces the recorded trace.
  bool record = false;
};

// TranscriptModes returns the modes to run for `c` (see file comment).
std::vector<TranscriptMode> TranscriptModes(const TranscriptCase& c);

// SessionOptionsFromMeta maps a case's `options` object to SessionOptions
// (keys in tests/transcripts/README.md). Defaults are SessionOptions'
// except ehlo_domain "client.example.org" and TLS mode "none". Unknown keys
// and wrong types are kInvalidArgument.
absl::StatusOr<SessionOptions> SessionOptionsFromMeta(const MetaValue& options);

// TranscriptMessage is one entry of a case's `messages`, ready for
// Session::Deliver (or StartDelivery + AppendBody when `streamed`). The
// chunks point into the case's meta value, which must outlive it.
struct TranscriptMessage {
  Envelope envelope;
  bool streamed = false;
  std::vector<absl::string_view> chunks;
};

// MessagesFromMeta maps a case's `messages` array (keys in
// tests/transcripts/README.md); kInvalidArgument for unknown keys, wrong
// types or a message without from, to and body.
absl::StatusOr<std::vector<TranscriptMessage>> MessagesFromMeta(
    const MetaValue& messages);

// TranscriptRun is the outcome of one replay.
struct TranscriptRun {
  // status is OK when the script played through and the events matched;
  // otherwise its message explains the first mismatch.
  absl::Status status;
  std::vector<std::string> events;
  std::string client_bytes;
};

// RunTranscript replays `c` once in `mode` against a fresh Session.
TranscriptRun RunTranscript(const TranscriptCase& c,
                            const TranscriptMode& mode);

// CheckTranscript replays `c` in every mode of `TranscriptModes(c)` and
// returns OK if all passed, else the first failure prefixed by its mode.
absl::Status CheckTranscript(const TranscriptCase& c);

// TestNameFor returns the gtest name of `c`: file stem, '_', case name,
// every character outside [A-Za-z0-9] replaced by '_'.
std::string TestNameFor(const TranscriptCase& c);

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_TESTS_TRANSCRIPT_RUNNER_H_
