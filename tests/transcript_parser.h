// Transcript files: parsing tests/transcripts/*.md into `TranscriptCase`s.
// The format is documented in tests/transcripts/README.md; in short:
//
//   ## case name
//   <!-- meta={"split": "all", "options": {...}, "messages": [...]} -->
//   ```smtp
//   S: 220 mx.example.org ESMTP        server bytes, CRLF appended
//   C: EHLO client.example.org         expected client bytes, CRLF appended
//   S~: 250 no line end\r              "~": nothing appended
//   T: +300s                           advance time, call HandleTimeout
//   ```
//   ```events
//   greeting 220
//   ```
//
// The parser is strict: an unknown prefix, escape, meta key or a second
// `smtp` block is an error naming the file and line, never silently skipped.

#ifndef SMTP_TESTS_TRANSCRIPT_PARSER_H_
#define SMTP_TESTS_TRANSCRIPT_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/instant.h"
#include "tests/transcript_meta.h"

namespace smtpcore {
namespace internal {

// TranscriptStepKind is what one line of an `smtp` block asks for.
enum class TranscriptStepKind {
  kServer,          // S: / S~:   server bytes
  kClient,          // C: / C~:   expected client bytes
  kEof,             // S: <EOF>   the server closes
  kAdvance,         // T: +dur    time passes; HandleTimeout(now)
  kTlsEstablished,  // TLS: established
  kTlsFailed,       // TLS: failed
  kAction,          // A: verb [args] [=> error_name]
  kDeadline,        // DEADLINE: +dur | none
};

// TranscriptStep is one parsed line of an `smtp` block.
struct TranscriptStep {
  TranscriptStepKind kind = TranscriptStepKind::kServer;
  int line = 0;                  // 1-based line in the .md file
  std::string bytes;             // kServer, kClient: exact bytes
  Duration duration;             // kAdvance, kDeadline (time from now)
  bool no_deadline = false;      // kDeadline: "none"
  std::vector<std::string> words;  // kAction: verb and arguments
  std::string expect_error;      // kAction: ErrorDetailName after "=>"
};

// TranscriptCase is one `## name` section of a transcript file.
struct TranscriptCase {
  std::string file;  // base name of the .md file
  std::string name;  // the heading text
  int line = 0;      // line of the heading
  // split: "all" (whole, every 2-way split, byte by byte, partial writes)
  // or "whole" (only the server flights as written).
  std::string split = "all";
  MetaValue options;   // object; mapped to SessionOptions by the runner
  MetaValue messages;  // array of message objects for "A: deliver"
  // known_failure: non-empty when the case documents a core bug; the runner
  // then expects the case to fail (and fails if it passes).
  std::string known_failure;
  std::vector<TranscriptStep> steps;
  std::vector<std::string> events;  // expected EventToString lines

  // Label returns "file.md:line (name)" for messages.
  std::string Label() const;
};

// UnescapeScriptText decodes the escapes of S:/C: text: \r \n \t \\ \xHH.
// Any other backslash sequence is kInvalidArgument.
absl::Status UnescapeScriptText(absl::string_view text, std::string* out);

// ParseTranscript parses the contents of one transcript file. `file` names
// it in labels and errors. Returns kInvalidArgument on any format error.
absl::StatusOr<std::vector<TranscriptCase>> ParseTranscript(
    absl::string_view file, absl::string_view text);

// LoadTranscriptDir parses every "*.md" file in `dir` except README.md, in
// name order. Fails on the first unreadable or malformed file, or if no case
// is found at all.
absl::StatusOr<std::vector<TranscriptCase>> LoadTranscriptDir(
    const std::string& dir);

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_TESTS_TRANSCRIPT_PARSER_H_
