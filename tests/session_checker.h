// SessionChecker: the invariants of a `Session` (core/session.h) as seen by
// its driver, checked from the outside on any run, however hostile the
// server: the client bytes on the wire and the events.
//
// Used by the session fuzzer (tests/fuzz/session_fuzzer.cc) and the fault
// injection test (tests/transcript_fault_test.cc). It keeps the first
// violation; `ok()` is false from then on.
//
// Wire (the client's bytes, parsed as a server would):
//   - every command line ends in CRLF, holds no other CR or LF, and starts
//     with a known verb (or is "*", cancelling AUTH);
//   - nothing follows EHLO, HELO, STARTTLS, AUTH, DATA, NOOP, QUIT, VRFY,
//     EXPN, HELP or ETRN before its reply was received (RFC 2920 §3.1; AUTH
//     answers "*" to 334 challenges); nothing at all follows QUIT;
//   - after DATA: body bytes only after a 354 for it (RFC 5321 §4.1.1.4),
//     commands (no body) after a refusal; the body decodes (RFC 5321 §4.5.2)
//     at its first end-of-data marker to one of the expected bodies, or to
//     nothing (a lone ".", RFC 2920 §3.1) when no RCPT was accepted: an
//     end-of-data marker inside the body (SMTP smuggling) fails here;
//   - BDAT n: exactly n payload bytes follow; the payloads of one message
//     up to BDAT LAST are one of the expected bodies (decoded as for DATA,
//     or exactly as given: BINARYMIME);
//   - no client byte after ConnectionClosed.
// Events:
//   - every delivery gets exactly one DeliveryDone or DeliveryFailed, with
//     one result per recipient in envelope order and none left pending;
//     DeliveryDone only if some recipient was delivered, DeliveryFailed with
//     delivered recipients (from earlier transactions) only when the
//     connection then fails (core/event.h); a delivered recipient
//     had a 2xx to RCPT and to the data; an unknown one (end of data sent,
//     no reply) was accepted by RCPT or not answered;
//   - when the whole message went out (the final "." or BDAT LAST's
//     payload, in full) and the delivery then fails without the final reply
//     (not by a 421), some recipient is unknown if MAIL was not refused and
//     some RCPT was accepted or left unanswered, and none is otherwise;
//   - ConnectionClosed comes at most once and is the last event.
//
// Not thread-safe. Owns its data.

#ifndef SMTP_TESTS_SESSION_CHECKER_H_
#define SMTP_TESTS_SESSION_CHECKER_H_

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/delivery.h"
#include "core/errors.h"
#include "core/event.h"

namespace smtpcore {
namespace internal {

// SessionChecker checks one session run (see the file comment).
class SessionChecker {
 public:
  SessionChecker() = default;

  // ExpectBody registers the message `body` (as given to Deliver, or the
  // concatenation of a streamed delivery's chunks). DATA and BDAT bodies on
  // the wire must decode to one of the registered bodies with its line
  // endings repaired (CRLF) and a final CRLF added when missing.
  void ExpectBody(absl::string_view body);

  // OnDeliver records that delivery `id` was accepted for `envelope`.
  void OnDeliver(DeliveryId id, const Envelope& envelope);

  // OnEvent checks one event polled from the session, in order.
  void OnEvent(const Event& event);

  // OnClientBytes checks bytes the client wrote, in order. Feed the events
  // polled since the previous write first (the transport's loop order).
  void OnClientBytes(absl::string_view bytes);

  // Finish checks the end of a run that is over (the session closed):
  // every delivery has its one outcome.
  void Finish();

  bool ok() const { return violation_.empty(); }
  // violation describes the first broken invariant ("" if none), with the
  // wire position.
  const std::string& violation() const { return violation_; }
  bool closed() const { return closed_; }
  // outcomes counts DeliveryDone and DeliveryFailed events seen.
  size_t outcomes() const { return finished_.size(); }
  // results returns the result of each finished delivery.
  const std::map<DeliveryId, DeliveryResult>& results() const {
    return results_;
  }

 private:
  enum class Mode { kCommand, kDataBody, kBdatPayload, kQuit };

  // DataReplies are the replies of the i-th DATA command.
  struct DataReplies {
    int first = 0;   // 354 or the final reply
    int final = 0;   // the final reply (0 while awaited)
    bool lone_dot = false;  // no RCPT accepted when the 354 came
  };

  void Fail(std::string what);
  void CommandLine(absl::string_view line);
  bool Answered(CommandKind kind, size_t index) const;
  void DataBody(absl::string_view bytes);
  void CheckResult(DeliveryId id, const DeliveryResult& result, bool done);
  void CheckUnknown(DeliveryId id, const DeliveryResult& result,
                    ErrorDetail cause);
  void EndOfDataSent(bool answered);
  const DataReplies* DataAt(size_t index) const;

  std::string violation_;
  uint64_t wire_offset_ = 0;

  // Wire state.
  Mode mode_ = Mode::kCommand;
  std::string line_;
  // blocked_: the last group-end command and its index among its kind; the
  // next command needs its reply.
  bool blocked_ = false;
  CommandKind blocked_kind_ = CommandKind::kNoop;
  size_t blocked_index_ = 0;
  std::map<CommandKind, size_t> lines_;    // command lines sent, per kind
  std::map<CommandKind, size_t> replies_;  // final replies, per kind
  size_t data_lines_ = 0;
  bool in_auth_ = false;      // since the AUTH line, no other command yet
  bool after_data_ = false;   // the DATA line was the last thing sent
  std::string body_;          // DATA body bytes so far
  size_t body_scan_ = 0;      // body_ offset already searched
  uint64_t bdat_left_ = 0;
  bool bdat_last_ = false;
  std::string bdat_payload_;
  // The current transaction: its MAIL line's index and the RCPT lines sent
  // before it.
  size_t txn_mail_index_ = 0;
  size_t txn_rcpt_base_ = 0;
  // end_unanswered_: the whole message of the current transaction was
  // written and its final reply has not come.
  bool end_unanswered_ = false;

  // Event state.
  std::map<CommandId, DataReplies> data_;  // by DATA command id
  std::vector<int> mail_codes_;            // MAIL replies, in order
  size_t rcpt_accepted_ = 0;  // RCPT 2xx since the last MAIL reply
  bool closed_ = false;
  bool failed_with_delivered_ = false;
  std::set<std::string> bodies_;      // expected decoded bodies
  std::set<std::string> raw_bodies_;  // as given (BDAT with BINARYMIME)
  std::map<DeliveryId, std::vector<std::string>> deliveries_;
  std::set<DeliveryId> finished_;
  std::map<DeliveryId, DeliveryResult> results_;
};

}  // namespace internal
}  // namespace smtpcore

#endif  // SMTP_TESTS_SESSION_CHECKER_H_
