#include "transports/testing/script_transport.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/errors.h"

namespace smtpcore {
namespace {

// kMaxShown bounds how much of a byte stream a failure message shows.
constexpr size_t kMaxShown = 2000;

absl::Status Failure(absl::string_view message) {
  return absl::FailedPreconditionError(message);
}

// EscapedWithCaret renders "expected"/"actual" lines with a caret under the
// first differing byte.
std::string DiffLines(absl::string_view expected, absl::string_view actual) {
  size_t diff = 0;
  while (diff < expected.size() && diff < actual.size() &&
         expected[diff] == actual[diff]) {
    ++diff;
  }
  std::string shown_expected = EscapeBytes(expected.substr(0, kMaxShown));
  std::string shown_actual = EscapeBytes(actual.substr(0, kMaxShown));
  // Column of the first difference in the escaped rendering.
  size_t column = EscapeBytes(expected.substr(0, diff)).size();
  std::string out = absl::StrCat(
      "  expected: \"", shown_expected, "\"",
      expected.size() > kMaxShown ? "..." : "", "\n", "  actual:   \"",
      shown_actual, "\"", actual.size() > kMaxShown ? "..." : "", "\n");
  absl::StrAppend(&out, std::string(13 + column, ' '), "^ first difference",
                  " at byte ", diff, "\n");
  return out;
}

std::string DeadlineString(absl::optional<Instant> deadline, Instant now) {
  if (!deadline.has_value()) return "none";
  return absl::StrCat("+", absl::FormatDuration(*deadline - now));
}

}  // namespace

TlsInfo FakeTlsInfo() {
  TlsInfo info;
  info.version = "TLSv1.3";
  info.cipher = "TLS_AES_128_GCM_SHA256";
  info.server_name = "mx.example.org";
  info.verified = true;
  info.channel_binding_type = "tls-exporter";
  info.channel_binding = std::string(32, '\x42');
  return info;
}

// --- Script ---------------------------------------------------------------

Script& Script::Server(absl::string_view bytes) {
  ScriptStep step;
  step.kind = ScriptStepKind::kServer;
  step.bytes = std::string(bytes);
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::ServerEof() {
  ScriptStep step;
  step.kind = ScriptStepKind::kServerEof;
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::ExpectClient(absl::string_view bytes) {
  ScriptStep step;
  step.kind = ScriptStepKind::kExpectClient;
  step.bytes = std::string(bytes);
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::Advance(Duration d) {
  ScriptStep step;
  step.kind = ScriptStepKind::kAdvance;
  step.duration = d;
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::ExpectDeadline(absl::optional<Duration> from_now) {
  ScriptStep step;
  step.kind = ScriptStepKind::kExpectDeadline;
  step.no_deadline = !from_now.has_value();
  if (from_now.has_value()) step.duration = *from_now;
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::TlsEstablished(TlsInfo info) {
  ScriptStep step;
  step.kind = ScriptStepKind::kTlsEstablished;
  step.tls_info = std::move(info);
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::TlsFailed(absl::Status status) {
  ScriptStep step;
  step.kind = ScriptStepKind::kTlsFailed;
  step.tls_error = std::move(status);
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::Call(std::string description,
                     std::function<absl::Status(Instant now)> call) {
  ScriptStep step;
  step.kind = ScriptStepKind::kCall;
  step.description = std::move(description);
  step.call = std::move(call);
  steps_.push_back(std::move(step));
  return *this;
}

Script& Script::Label(std::string label) {
  if (!steps_.empty()) steps_.back().label = std::move(label);
  return *this;
}

size_t Script::server_bytes() const {
  size_t n = 0;
  for (const ScriptStep& s : steps_) {
    if (s.kind == ScriptStepKind::kServer) n += s.bytes.size();
  }
  return n;
}

// --- ScriptTransport ------------------------------------------------------

ScriptTransport::ScriptTransport(ScriptEndpoint* endpoint,
                                 ScriptOptions options)
    : endpoint_(endpoint), options_(options), now_(options.start) {
  if (options_.max_slices == 0) options_.max_slices = 1;
}

std::string ScriptTransport::Where(const Script& script, size_t index) const {
  const ScriptStep& step = script.steps()[index];
  std::string where = absl::StrCat("step ", index);
  if (!step.label.empty()) absl::StrAppend(&where, " (", step.label, ")");
  return where;
}

std::string ScriptTransport::EventsSoFar() const {
  if (events_.empty()) return "  events so far: (none)\n";
  return absl::StrCat("  events so far:\n    ",
                      absl::StrJoin(events_, "\n    "), "\n");
}

absl::Status ScriptTransport::Drain() {
  std::vector<IoSlice> slices(options_.max_slices);
  std::vector<IoSlice> again(options_.max_slices);
  // Bounded: a core that never stops transmitting is a bug worth a message
  // rather than a hang.
  for (int round = 0; round < 1000000; ++round) {
    bool progress = false;
    size_t n = endpoint_->PollTransmit(absl::MakeSpan(slices));
    if (n > 0) {
      // The contract says PollTransmit does not consume: a second call must
      // offer the same bytes.
      std::string first, second;
      AppendSlices(absl::MakeConstSpan(slices.data(), n), &first);
      size_t m = endpoint_->PollTransmit(absl::MakeSpan(again));
      AppendSlices(absl::MakeConstSpan(again.data(), m), &second);
      if (first != second) {
        return Failure(absl::StrCat(
            "PollTransmit offered different bytes on a second call:\n",
            DiffLines(first, second)));
      }
      size_t take = first.size();
      if (options_.max_write > 0) take = std::min(take, options_.max_write);
      if (take > 0) {
        client_bytes_.append(first, 0, take);
        endpoint_->ConsumeTransmit(take, now_);
        progress = true;
      }
    }
    while (absl::optional<Event> event = endpoint_->PollEvent()) {
      events_.push_back(EventToString(*event));
      progress = true;
    }
    if (!progress) return absl::OkStatus();
  }
  return Failure("the core kept transmitting or emitting events forever");
}

absl::Status ScriptTransport::Input(absl::Status status) {
  if (!status.ok()) {
    if (input_error_.ok()) input_error_ = status;
    stopped_reading_ = true;
  }
  return Drain();
}

absl::Status ScriptTransport::Feed(absl::string_view flight) {
  size_t begin = server_offset_;
  server_offset_ += flight.size();
  std::vector<absl::string_view> parts;
  switch (options_.feed) {
    case ScriptFeed::kWhole:
      parts.push_back(flight);
      break;
    case ScriptFeed::kSplitAt: {
      size_t at = options_.split_at;
      if (at > begin && at < begin + flight.size()) {
        parts.push_back(flight.substr(0, at - begin));
        parts.push_back(flight.substr(at - begin));
      } else {
        parts.push_back(flight);
      }
      break;
    }
    case ScriptFeed::kByteByByte:
      for (size_t i = 0; i < flight.size(); ++i) {
        parts.push_back(flight.substr(i, 1));
      }
      break;
  }
  for (absl::string_view part : parts) {
    if (stopped_reading_) break;
    absl::Status status = Input(endpoint_->Receive(part, now_));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ScriptTransport::CheckClient(const std::string& expected,
                                          const std::string& where) {
  absl::string_view actual = unmatched_client_bytes();
  if (absl::StartsWith(actual, expected)) {
    matched_ += expected.size();
    return absl::OkStatus();
  }
  return Failure(absl::StrCat(
      where, ": client bytes differ\n",
      DiffLines(expected, actual.substr(0, std::max(expected.size(),
                                                    size_t{80}))),
      EventsSoFar()));
}

absl::Status ScriptTransport::Run(const Script& script) {
  const std::vector<ScriptStep>& steps = script.steps();
  absl::Status status = Drain();
  if (!status.ok()) return status;
  size_t i = 0;
  while (i < steps.size()) {
    const ScriptStep& step = steps[i];
    std::string where = Where(script, i);
    switch (step.kind) {
      case ScriptStepKind::kServer: {
        if (matched_ != client_bytes_.size()) {
          return Failure(absl::StrCat(
              where,
              ": the client wrote bytes the script does not expect before "
              "this server flight\n",
              DiffLines("", unmatched_client_bytes()), EventsSoFar()));
        }
        std::string flight;
        while (i < steps.size() && steps[i].kind == ScriptStepKind::kServer) {
          flight += steps[i].bytes;
          ++i;
        }
        status = Feed(flight);
        if (!status.ok()) return status;
        continue;
      }
      case ScriptStepKind::kExpectClient: {
        std::string expected;
        while (i < steps.size() &&
               steps[i].kind == ScriptStepKind::kExpectClient) {
          expected += steps[i].bytes;
          ++i;
        }
        status = CheckClient(expected, where);
        if (!status.ok()) return status;
        continue;
      }
      case ScriptStepKind::kServerEof:
        if (!stopped_reading_) {
          status = Input(endpoint_->ReceiveEof(now_));
          stopped_reading_ = true;
        }
        break;
      case ScriptStepKind::kAdvance:
        if (step.duration < absl::ZeroDuration()) {
          return Failure(absl::StrCat(where, ": time cannot go backwards"));
        }
        now_ += step.duration;
        endpoint_->HandleTimeout(now_);
        status = Drain();
        break;
      case ScriptStepKind::kExpectDeadline: {
        absl::optional<Instant> deadline = endpoint_->NextDeadline();
        absl::optional<Instant> want;
        if (!step.no_deadline) want = now_ + step.duration;
        if (deadline != want) {
          status = Failure(absl::StrCat(
              where, ": NextDeadline() is ", DeadlineString(deadline, now_),
              ", expected ", DeadlineString(want, now_), "\n",
              EventsSoFar()));
        }
        break;
      }
      case ScriptStepKind::kTlsEstablished: {
        // A refusal here is local misuse (wrong state), not a remote error:
        // the script is wrong or the core is.
        absl::Status result = endpoint_->OnTlsEstablished(step.tls_info, now_);
        if (!result.ok()) {
          return Failure(absl::StrCat(where, ": OnTlsEstablished returned ",
                                      result.ToString(), "\n",
                                      EventsSoFar()));
        }
        status = Drain();
        break;
      }
      case ScriptStepKind::kTlsFailed:
        endpoint_->OnTlsFailed(step.tls_error, now_);
        status = Drain();
        break;
      case ScriptStepKind::kCall: {
        absl::Status result =
            step.call ? step.call(now_)
                      : absl::InvalidArgumentError("empty call step");
        if (!result.ok()) {
          return Failure(absl::StrCat(where, ": ", step.description, ": ",
                                      result.ToString(), "\n",
                                      EventsSoFar()));
        }
        status = Drain();
        break;
      }
    }
    if (!status.ok()) return status;
    ++i;
  }
  if (matched_ != client_bytes_.size()) {
    return Failure(absl::StrCat(
        "end of script: the client wrote bytes the script does not expect\n",
        DiffLines("", unmatched_client_bytes()), EventsSoFar()));
  }
  return absl::OkStatus();
}

}  // namespace smtpcore
