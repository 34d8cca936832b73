// ScriptTransport: an in-memory transport that drives a `Session` or a
// `Connection` against a scripted server, for tests (ours and yours).
//
// A `Script` is a list of steps: server bytes to feed, client bytes the core
// must have written, server EOF, time passing, a fake TLS handshake result,
// checks of `NextDeadline()`, and arbitrary calls on the object under test
// (`Deliver`, `Submit`, `Close`...). `ScriptTransport::Run` plays the steps
// in order and stops at the first mismatch with a message that shows both
// sides escaped ("\r\n" visible) and marks the first differing byte.
//
// How the transport behaves, so that scripts are exact:
//  - Consecutive `Server` steps form one flight. A flight is fed with
//    `Receive` whole, split in two at one byte offset of the script's server
//    stream (`ScriptFeed::kSplitAt`), or one byte per call.
//  - After every input the transport drains the core: it writes everything
//    `PollTransmit` offers (at most `max_write` bytes per `ConsumeTransmit`
//    when set, to exercise partial writes) and polls every event, rendered
//    with `EventToString`.
//  - Before a flight is fed, every byte the client wrote must already have
//    been matched by `ExpectClient` steps: that is how a script states what
//    the client sent before each reply (lock-step vs PIPELINING).
//  - `ExpectClient` bytes must equal the next unmatched client bytes;
//    consecutive `ExpectClient` steps are matched as one run. At the end no
//    client byte may be left unmatched.
//  - Once an input returns an error (the core reports the connection over),
//    the transport stops feeding server steps, as a real transport stops
//    reading; client expectations are still checked.
//  - Time starts at `ScriptOptions::start` and moves only with `Advance`,
//    which also calls `HandleTimeout(now)` (the core must ignore early
//    calls, so scripts also prove no timer fires too soon).
//
// Example:
//   Session session(options, start);
//   Script script;
//   script.Server("220 mx ESMTP\r\n")
//       .ExpectClient("EHLO client.example\r\n")
//       .Server("250 mx\r\n")
//       .Call("deliver", [&](Instant now) {
//          return session.Deliver(envelope, body, now).status(); })
//       .ExpectClient("MAIL FROM:<a@example.org>\r\n");
//   ScriptEndpointFor<Session> endpoint(&session);
//   ScriptTransport transport(&endpoint, ScriptOptions{});
//   absl::Status status = transport.Run(script);  // OK or the mismatch
//   transport.events();                           // {"greeting 220", ...}
//
// Not thread-safe. Nothing here reads a clock or touches a socket.

#ifndef SMTP_TRANSPORTS_TESTING_SCRIPT_TRANSPORT_H_
#define SMTP_TRANSPORTS_TESTING_SCRIPT_TRANSPORT_H_

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/sasl_mechanism.h"
#include "transports/testing/escape_bytes.h"

namespace smtpcore {

// FakeTlsInfo returns the `TlsInfo` a script's `TlsEstablished()` step
// reports by default: TLSv1.3, TLS_AES_128_GCM_SHA256, server name
// "mx.example.org", verified, with a 32-byte fake "tls-exporter" channel
// binding. Never fails.
TlsInfo FakeTlsInfo();

// ScriptEndpoint is what a `ScriptTransport` drives: the inputs and outputs
// shared by `Session` and `Connection` (see core/connection.h for their
// contracts). Use `ScriptEndpointFor<T>` to adapt one; implement it directly
// to interpose (the session recorder does).
class ScriptEndpoint {
 public:
  virtual ~ScriptEndpoint() = default;
  virtual absl::Status Receive(absl::string_view bytes, Instant now) = 0;
  virtual absl::Status ReceiveEof(Instant now) = 0;
  virtual void HandleTimeout(Instant now) = 0;
  virtual absl::Status OnTlsEstablished(TlsInfo info, Instant now) = 0;
  virtual void OnTlsFailed(absl::Status status, Instant now) = 0;
  virtual size_t PollTransmit(absl::Span<IoSlice> out) = 0;
  virtual void ConsumeTransmit(size_t bytes_written, Instant now) = 0;
  virtual absl::optional<Instant> NextDeadline() const = 0;
  virtual absl::optional<Event> PollEvent() = 0;
};

// ScriptEndpointFor adapts any object with the `Session`/`Connection` input
// and output methods to `ScriptEndpoint`. It borrows `target`, which must
// outlive it.
template <typename T>
class ScriptEndpointFor final : public ScriptEndpoint {
 public:
  explicit ScriptEndpointFor(T* target) : target_(target) {}

  absl::Status Receive(absl::string_view bytes, Instant now) override {
    return target_->Receive(bytes, now);
  }
  absl::Status ReceiveEof(Instant now) override {
    return target_->ReceiveEof(now);
  }
  void HandleTimeout(Instant now) override { target_->HandleTimeout(now); }
  absl::Status OnTlsEstablished(TlsInfo info, Instant now) override {
    return target_->OnTlsEstablished(std::move(info), now);
  }
  void OnTlsFailed(absl::Status status, Instant now) override {
    target_->OnTlsFailed(std::move(status), now);
  }
  size_t PollTransmit(absl::Span<IoSlice> out) override {
    return target_->PollTransmit(out);
  }
  void ConsumeTransmit(size_t bytes_written, Instant now) override {
    target_->ConsumeTransmit(bytes_written, now);
  }
  absl::optional<Instant> NextDeadline() const override {
    return target_->NextDeadline();
  }
  absl::optional<Event> PollEvent() override { return target_->PollEvent(); }

 private:
  T* target_;
};

// ScriptStepKind is what one step of a `Script` does.
enum class ScriptStepKind {
  kServer,          // feed `bytes` (part of a flight)
  kServerEof,       // ReceiveEof
  kExpectClient,    // the client must have written `bytes` next
  kAdvance,         // now += duration; HandleTimeout(now)
  kExpectDeadline,  // NextDeadline() == now + duration (or none)
  kTlsEstablished,  // OnTlsEstablished(tls_info)
  kTlsFailed,       // OnTlsFailed(tls_error)
  kCall,            // call(now) must return OK
};

// ScriptStep is one step. Build them with `Script`'s methods.
struct ScriptStep {
  ScriptStepKind kind = ScriptStepKind::kServer;
  std::string bytes;
  Duration duration;
  bool no_deadline = false;
  TlsInfo tls_info;
  absl::Status tls_error;
  std::string description;  // kCall: what it does, for messages
  std::function<absl::Status(Instant now)> call;
  // label locates the step in its source ("file.md:12"); empty if unset.
  std::string label;
};

// Script is an ordered list of steps with a fluent builder. Copyable (the
// `Call` functions are copied too).
class Script {
 public:
  // Server appends server bytes (joined to a preceding Server step's flight).
  Script& Server(absl::string_view bytes);
  // ServerEof appends the server closing its side.
  Script& ServerEof();
  // ExpectClient appends bytes the client must have written next.
  Script& ExpectClient(absl::string_view bytes);
  // Advance moves time forward by `d` (>= 0) and calls HandleTimeout.
  Script& Advance(Duration d);
  // ExpectDeadline checks `NextDeadline() == now + from_now`; nullopt checks
  // that no deadline is set.
  Script& ExpectDeadline(absl::optional<Duration> from_now);
  // TlsEstablished reports a completed (fake) handshake; OnTlsEstablished
  // must return OK (a refusal is misuse and fails the script).
  Script& TlsEstablished(TlsInfo info = FakeTlsInfo());
  // TlsFailed reports a failed handshake with `status`.
  Script& TlsFailed(absl::Status status);
  // Call runs `call(now)`; a non-OK result fails the script with
  // `description` and the status message. Use it for Deliver/Submit/Close
  // and for checks of your own.
  Script& Call(std::string description,
               std::function<absl::Status(Instant now)> call);
  // Label sets the label of the most recently added step (no-op if none).
  Script& Label(std::string label);

  const std::vector<ScriptStep>& steps() const { return steps_; }
  // server_bytes returns the total number of server bytes in all flights
  // (the range of useful `ScriptOptions::split_at` values is 1..that-1).
  size_t server_bytes() const;

 private:
  std::vector<ScriptStep> steps_;
};

// ScriptFeed says how server flights are cut into `Receive` calls.
enum class ScriptFeed {
  kWhole,       // one Receive per flight
  kSplitAt,     // the flight holding stream offset `split_at` is cut there
  kByteByByte,  // one Receive per byte
};

// ScriptOptions configures a ScriptTransport.
struct ScriptOptions {
  ScriptFeed feed = ScriptFeed::kWhole;
  // split_at is an offset in the concatenation of all server bytes of the
  // script (kSplitAt only). 0 or >= total behaves like kWhole.
  size_t split_at = 0;
  // max_write caps the bytes accepted per ConsumeTransmit (0: no cap).
  size_t max_write = 0;
  // max_slices is the span size given to PollTransmit (>= 1).
  size_t max_slices = 16;
  // start is the time of the first step.
  Instant start = InstantFromSeconds(1000);
};

// ScriptTransport plays `Script`s against one endpoint. It borrows
// `endpoint`, which must outlive it.
class ScriptTransport {
 public:
  ScriptTransport(ScriptEndpoint* endpoint, ScriptOptions options);

  // Run plays every step of `script` in order (see the file comment).
  // Returns OK, or kFailedPrecondition / kAborted with a message naming the
  // step (index, label), the expectation, what happened and the events so
  // far. Run may be called again with a further script; time, stream
  // offsets and unmatched client bytes carry over.
  absl::Status Run(const Script& script);

  // Drain writes out everything the core wants to send and polls all
  // events, as after every step. Returns an error if the core misbehaved
  // (PollTransmit not stable across two calls).
  absl::Status Drain();

  // client_bytes returns every byte the client wrote so far.
  const std::string& client_bytes() const { return client_bytes_; }
  // unmatched_client_bytes returns written bytes no ExpectClient matched.
  absl::string_view unmatched_client_bytes() const {
    return absl::string_view(client_bytes_).substr(matched_);
  }
  // events returns `EventToString` of every event polled so far.
  const std::vector<std::string>& events() const { return events_; }
  // input_error returns the first error an input call returned (OK if none).
  const absl::Status& input_error() const { return input_error_; }
  Instant now() const { return now_; }

 private:
  absl::Status Feed(absl::string_view flight);
  absl::Status Input(absl::Status status);
  absl::Status CheckClient(const std::string& expected,
                           const std::string& where);
  std::string Where(const Script& script, size_t index) const;
  std::string EventsSoFar() const;

  ScriptEndpoint* endpoint_;
  ScriptOptions options_;
  Instant now_;
  std::string client_bytes_;
  size_t matched_ = 0;      // client bytes matched by ExpectClient
  size_t server_offset_ = 0;  // server bytes fed (or skipped) so far
  std::vector<std::string> events_;
  absl::Status input_error_;
  bool stopped_reading_ = false;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_SCRIPT_TRANSPORT_H_
