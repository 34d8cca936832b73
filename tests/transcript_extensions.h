// Transcript extensions: the session options and actions for LMTP, IDNA,
// OAuth token refresh and the requests sent when idle (NOOP, VRFY, EXPN,
// HELP, ETRN), kept apart from the runner (tests/transcript_runner.cc),
// which calls in here. Format in tests/transcripts/README.md:
//
//   options: "lmtp": true             SessionOptions::lmtp
//            "idna": true             SessionOptions::idna = libidn2
//            "oauth": {"mechanism": "XOAUTH2" | "OAUTHBEARER",
//                      "user": "u@example.org",
//                      "tokens": ["old", "new", ...]}
//                                     authenticate with the real mechanism
//                                     and a caching token provider that
//                                     hands out the tokens in order (the
//                                     first, then one more per refresh)
//   actions: A: noop | vrfy ARG | expn ARG | help [TOPIC] | etrn NODE
//            (ARG and TOPIC may contain spaces)

#ifndef SMTP_TESTS_TRANSCRIPT_EXTENSIONS_H_
#define SMTP_TESTS_TRANSCRIPT_EXTENSIONS_H_

#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/instant.h"
#include "core/session.h"
#include "tests/transcript_meta.h"
#include "tests/transcript_parser.h"

namespace smtpcore {
namespace internal {

// ApplyExtensionOption applies the option `key` = `value` to `*options`
// and sets `*handled` when `key` is one of the options above; leaves both
// alone otherwise. kInvalidArgument for a malformed value.
absl::Status ApplyExtensionOption(absl::string_view key,
                                  const MetaValue& value,
                                  SessionOptions* options, bool* handled);

// IsExtensionAction returns true for the actions above.
bool IsExtensionAction(absl::string_view verb);

// RunExtensionActionOnSession runs the action `words` (verb first) on
// `session` and returns what the Session call returned.
absl::Status RunExtensionActionOnSession(
    Session& session, const std::vector<std::string>& words, Instant now);

// RunExtensionAction runs the action on a Session; other targets (the
// SessionRecorder, which cannot write these calls down) get kUnimplemented,
// and cases that need them skip the record mode (RecorderSupports).
template <typename Target>
absl::Status RunExtensionAction(Target& target,
                                const std::vector<std::string>& words,
                                Instant now) {
  if constexpr (std::is_same_v<Target, Session>) {
    return RunExtensionActionOnSession(target, words, now);
  } else {
    return absl::UnimplementedError("not recordable");
  }
}

// RecorderSupports returns false when `c` uses an option or an action
// above: the SessionRecorder (transports/testing/session_recorder.h) can
// write neither down, so its record-and-replay mode cannot run the case.
bool RecorderSupports(const TranscriptCase& c);

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_TESTS_TRANSCRIPT_EXTENSIONS_H_
