// SessionRecorder and ReplaySession: save a session's trace (every input
// with its time, every output) and replay it deterministically against a
// fresh `Session`, timeouts included.
//
// Use: construct a `SessionRecorder` instead of a `Session` and drive it the
// same way (it has the same inputs, operations and outputs, and works with
// `ScriptEndpointFor<SessionRecorder>`). `trace()` is the text below; store
// it with a bug report. `ReplaySession(trace)` re-runs the inputs and
// reports the first output that differs, so a trace doubles as a
// regression test.
//
// Trace format, version 1: text, one record per line, fields separated by a
// single space. A string field is written in double quotes in the
// `EscapeBytes` form (transports/testing/escape_bytes.h), so any bytes fit
// on one line. <ns> is `ToMonotonicNanos(now)`.
//
//   smtpcore-trace 1                       first line
//   option <name> <value...>               every SessionOptions field that
//                                          can be written down (see
//                                          session_recorder.cc), before start
//   @<ns> start                            Session constructed at <ns>
//   @<ns> recv "<bytes>"                   Receive
//   @<ns> eof                              ReceiveEof
//   @<ns> timeout                          HandleTimeout
//   @<ns> tls_established <tls fields>     OnTlsEstablished
//   @<ns> tls_failed <status>              OnTlsFailed
//   @<ns> abort <status>                   Abort
//   @<ns> deliver <envelope> body "<bytes>"  Deliver
//   @<ns> start_delivery <envelope>        StartDelivery
//   @<ns> append_body <id> "<bytes>" last|more   AppendBody
//   @<ns> close                            Close
//   @<ns> write "<bytes>"                  ConsumeTransmit(size of <bytes>)
//                                          where <bytes> is what
//                                          PollTransmit offered first
//   = <result> deadline=<ns>|none          outcome of the record above: "ok",
//                                          "ok id=<n>" for deliveries, "void"
//                                          for void calls, or
//                                          "error <code> <detail>"; then
//                                          NextDeadline() after the call
//   event "<EventToString>"                one event returned by PollEvent
//
//   <status>   = <canonical code number> <detail name> "<message>"
//   <envelope> = from "<path>" [size <n>] [body_type 7bit|8bitmime|binarymime]
//                [smtputf8] [requiretls] [ret full|hdrs] [envid "<s>"]
//                {param "<keyword>" "<value>"}
//                {rcpt "<path>" [notify <bits>] [orcpt "<s>"]
//                      {rparam "<keyword>" "<value>"}}
//   <tls fields> = version "<s>" cipher "<s>" server_name "<s>" verified 0|1
//                verify_error "<s>" cb_type "<s>" cb "<bytes>" client_cert 0|1
//
// Error messages are recorded for inputs (tls_failed, abort) but results
// compare only the code and detail. Limits: the `auth` chooser cannot be
// written down (the trace says whether one was set; pass one to
// `ReplaySession`), and replay is deterministic only when the SASL
// mechanism is (PLAIN, LOGIN; not SCRAM with a random nonce).
//
// Not thread-safe. Reads no clock.

#ifndef SMTP_TRANSPORTS_TESTING_SESSION_RECORDER_H_
#define SMTP_TRANSPORTS_TESTING_SESSION_RECORDER_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/delivery.h"
#include "core/event.h"
#include "core/instant.h"
#include "core/io_slice.h"
#include "core/sasl_mechanism.h"
#include "core/session.h"

namespace smtpcore {

// SessionRecorder owns a `Session` and forwards every call to it, appending
// what happened to `trace()`. Each method has the contract of the Session
// method of the same name (core/session.h); recording never changes a
// result. Bodies are copied into the trace (tests only).
class SessionRecorder {
 public:
  SessionRecorder(SessionOptions options, Instant now);

  SessionRecorder(const SessionRecorder&) = delete;
  SessionRecorder& operator=(const SessionRecorder&) = delete;

  // session gives read access to the recorded session (getters only: calls
  // that bypass the recorder would make the trace incomplete).
  const Session& session() const { return session_; }
  // trace returns the trace so far. Valid until the next call.
  const std::string& trace() const { return trace_; }

  absl::Status Receive(absl::string_view bytes, Instant now);
  absl::Status ReceiveEof(Instant now);
  void HandleTimeout(Instant now);
  absl::Status OnTlsEstablished(TlsInfo info, Instant now);
  void OnTlsFailed(absl::Status status, Instant now);
  void Abort(absl::Status status, Instant now);

  absl::StatusOr<DeliveryId> Deliver(Envelope envelope, absl::Cord body,
                                     Instant now);
  absl::StatusOr<DeliveryId> StartDelivery(Envelope envelope, Instant now);
  absl::Status AppendBody(DeliveryId id, absl::Cord chunk, bool last,
                          Instant now);
  absl::Status Close(Instant now);

  size_t PollTransmit(absl::Span<IoSlice> out) {
    return session_.PollTransmit(out);
  }
  // ConsumeTransmit records the `bytes_written` bytes (clamped to what is
  // pending) that PollTransmit offered, then forwards.
  void ConsumeTransmit(size_t bytes_written, Instant now);
  absl::optional<Instant> NextDeadline() const {
    return session_.NextDeadline();
  }
  absl::optional<Event> PollEvent();

 private:
  void Input(Instant now, absl::string_view record);
  void Result(absl::string_view result);

  Session session_;
  std::string trace_;
};

// ReplayOptions adjusts `ReplaySession`.
struct ReplayOptions {
  // auth is the chooser to use when the trace says one was set.
  AuthChooser auth;
};

// ReplaySession parses `trace`, builds a Session from its options and
// start time, re-runs every input in order and checks every recorded
// output (results, deadlines, written bytes, events). Returns OK when all
// match; kDataLoss "trace line N: recorded `...`, replay gave `...`" at the
// first divergence; kInvalidArgument for a malformed trace (line and reason)
// or a trace that needs `options.auth` when none is given.
absl::Status ReplaySession(absl::string_view trace,
                           const ReplayOptions& options = {});

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_TESTING_SESSION_RECORDER_H_
