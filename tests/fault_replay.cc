#include "tests/fault_replay.h"

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"
#include "core/session.h"
#include "tests/session_checker.h"
#include "tests/transcript_runner.h"
#include "transports/testing/escape_bytes.h"
#include "transports/testing/script_transport.h"

namespace smtpcore {
namespace internal {
namespace {

// FaultRun drives one session and checks it (see fault_replay.h).
class FaultRun {
 public:
  explicit FaultRun(const SessionOptions& options)
      : session_(options, now_) {}

  Session& session() { return session_; }
  Instant now() const { return now_; }
  SessionChecker& checker() { return checker_; }

  void Advance(Duration d) {
    now_ += d;
    session_.HandleTimeout(now_);
  }

  // Pump polls every event and writes everything, as a transport's loop.
  void Pump() {
    for (;;) {
      bool progress = false;
      while (absl::optional<Event> e = session_.PollEvent()) {
        progress = true;
        events_.push_back(EventToString(*e));
        checker_.OnEvent(*e);
      }
      IoSlice slices[16];
      size_t n = session_.PollTransmit(slices);
      if (n > 0) {
        std::string bytes;
        for (size_t i = 0; i < n; ++i) {
          absl::string_view v = slices[i].view();
          bytes.append(v.data(), v.size());
        }
        client_bytes_ += bytes;
        checker_.OnClientBytes(bytes);
        session_.ConsumeTransmit(bytes.size(), now_);
        progress = true;
      }
      if (!progress) return;
    }
  }

  absl::Status Failure(absl::string_view what) const {
    return absl::FailedPreconditionError(absl::StrCat(
        what, "\nevents:\n  ", absl::StrJoin(events_, "\n  "),
        "\nclient bytes: \"", EscapeBytes(client_bytes_), "\""));
  }

 private:
  Instant now_ = InstantFromSeconds(1000);
  Session session_;
  SessionChecker checker_;
  std::vector<std::string> events_;
  std::string client_bytes_;
};

absl::Cord External(absl::string_view bytes) {
  if (bytes.empty()) return absl::Cord();
  return absl::MakeCordFromExternal(bytes, [](absl::string_view) {});
}

// Deliver runs "A: deliver" with `m`; refusals are part of the run (the
// checker sees their events), not failures.
void Deliver(FaultRun& run, const TranscriptMessage& m) {
  Session& s = run.session();
  if (!m.streamed) {
    absl::StatusOr<DeliveryId> id = s.Deliver(
        m.envelope, m.chunks.empty() ? absl::Cord() : External(m.chunks[0]),
        run.now());
    if (id.ok()) run.checker().OnDeliver(*id, m.envelope);
    return;
  }
  absl::StatusOr<DeliveryId> id = s.StartDelivery(m.envelope, run.now());
  if (!id.ok()) return;
  run.checker().OnDeliver(*id, m.envelope);
  for (size_t i = 0; i < m.chunks.size(); ++i) {
    (void)s.AppendBody(*id, External(m.chunks[i]), i + 1 == m.chunks.size(),
                       run.now());
  }
  if (m.chunks.empty()) (void)s.AppendBody(*id, absl::Cord(), true, run.now());
}

}  // namespace

size_t ServerBytes(const TranscriptCase& c) {
  size_t total = 0;
  for (const TranscriptStep& s : c.steps) {
    if (s.kind == TranscriptStepKind::kServer) total += s.bytes.size();
  }
  return total;
}

absl::Status ReplayWithFault(const TranscriptCase& c, size_t offset,
                             FaultKind kind) {
  absl::StatusOr<SessionOptions> options = SessionOptionsFromMeta(c.options);
  if (!options.ok()) return options.status();
  options->reply_events = true;  // the checker matches replies to commands
  absl::StatusOr<std::vector<TranscriptMessage>> messages =
      MessagesFromMeta(c.messages);
  if (!messages.ok()) return messages.status();

  FaultRun run(*options);
  for (const TranscriptMessage& m : *messages) {
    // A streamed body is the concatenation of its chunks (a chunk refused
    // under kReject leaves the delivery open and unfinished: no body).
    std::string body;
    for (absl::string_view chunk : m.chunks) body.append(chunk.data(), chunk.size());
    run.checker().ExpectBody(body);
  }
  Session& s = run.session();
  size_t fed = 0;
  size_t next_message = 0;
  bool cut = false;
  for (const TranscriptStep& step : c.steps) {
    switch (step.kind) {
      case TranscriptStepKind::kServer: {
        absl::string_view bytes = step.bytes;
        if (fed + bytes.size() > offset) {
          bytes = bytes.substr(0, offset - fed);
          cut = true;
        }
        fed += bytes.size();
        if (!bytes.empty()) (void)s.Receive(bytes, run.now());
        break;
      }
      case TranscriptStepKind::kEof:
        (void)s.ReceiveEof(run.now());
        break;
      case TranscriptStepKind::kAdvance:
        run.Advance(step.duration);
        break;
      case TranscriptStepKind::kTlsEstablished:
        (void)s.OnTlsEstablished(FakeTlsInfo(), run.now());
        break;
      case TranscriptStepKind::kTlsFailed:
        s.OnTlsFailed(MakeError(absl::StatusCode::kUnavailable,
                                ErrorDetail::kTlsHandshake,
                                "fake handshake failure"),
                      run.now());
        break;
      case TranscriptStepKind::kAction: {
        const std::string& verb = step.words[0];
        if (verb == "deliver") {
          size_t index = next_message;
          if (step.words.size() == 2) {
            (void)absl::SimpleAtoi(step.words[1], &index);
          }
          next_message = index + 1;
          if (index < messages->size()) Deliver(run, (*messages)[index]);
        } else if (verb == "close") {
          (void)s.Close(run.now());
        } else if (verb == "abort") {
          s.Abort(MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kIo,
                            "fake I/O error"),
                  run.now());
        }
        break;
      }
      case TranscriptStepKind::kClient:
      case TranscriptStepKind::kDeadline:
        break;
    }
    run.Pump();
    if (cut) break;
  }

  // The fault.
  if (kind == FaultKind::kEof) {
    (void)s.ReceiveEof(run.now());
  } else {
    s.Abort(MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kIo,
                      "fault injection: read error"),
            run.now());
  }
  run.Pump();

  SessionChecker& checker = run.checker();
  if (!checker.ok()) return run.Failure(checker.violation());
  if (!checker.closed()) {
    return run.Failure(
        absl::StrCat("the session did not end (state ",
                     SessionStateName(s.state()), ")"));
  }
  checker.Finish();
  if (!checker.ok()) return run.Failure(checker.violation());
  if (!s.close_status().ok() &&
      GetErrorDetail(s.close_status()) == ErrorDetail::kNone) {
    return run.Failure(absl::StrCat("untyped end: ", s.close_status().ToString()));
  }
  if (s.close_status().ok() && s.state() != SessionState::kClosed) {
    return run.Failure("OK status without a clean close");
  }
  IoSlice slices[4];
  if (s.PollTransmit(slices) != 0) return run.Failure("bytes left to send");
  if (s.NextDeadline().has_value()) return run.Failure("a deadline still runs");
  Envelope late;
  late.from = "a@example.org";
  late.AddRecipient("late@example.org");
  absl::StatusOr<DeliveryId> id =
      s.Deliver(std::move(late), absl::Cord("x\r\n"), run.now());
  if (id.ok()) return run.Failure("the ended session accepted a delivery");
  ErrorDetail refusal = GetErrorDetail(id.status());
  if (refusal != ErrorDetail::kBroken && refusal != ErrorDetail::kClosed) {
    return run.Failure(absl::StrCat("a new delivery was refused with ",
                                    ErrorDetailName(refusal)));
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace smtpcore
