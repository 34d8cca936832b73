// Delivery: what `Session::Deliver` takes (an `Envelope`) and reports (a
// `DeliveryResult` with one `RecipientResult` per recipient).
//
// One delivery may need several transactions on the connection: a server
// that answers 452 (or 552, RFC 5321 §4.5.3.1.10) to some RCPTs, or
// announces LIMITS RCPTMAX/RCPTDOMAINMAX (RFC 9422), gets the remaining
// recipients in a further MAIL transaction. Every recipient ends with one
// status: delivered, rejected (permanent), deferred (temporary: retry
// later, possibly on another connection) or unknown (the whole message was
// sent but the connection ended before the server's final reply: it may
// have been delivered).

#ifndef SMTP_CORE_DELIVERY_H_
#define SMTP_CORE_DELIVERY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/command.h"
#include "core/reply.h"

namespace smtpcore {

// DeliveryId identifies one `Session::Deliver` call; ids start at 1.
using DeliveryId = uint64_t;

// Recipient is one forward-path (no angle brackets) with its RCPT params.
struct Recipient {
  std::string address;
  RcptParams params;
};

// Envelope is the SMTP envelope of one message (RFC 5321 §2.3.1).
//
// `mail` is sent as given, except that the session fills in, when unset:
// SIZE (if the server advertises SIZE and the body size is known), BODY
// (8BITMIME if the body has 8-bit bytes, or if it is streamed and the server
// offers 8BITMIME) and SMTPUTF8 (if an address is not ASCII and the server
// offers SMTPUTF8). To a server without SMTPUTF8, a non-ASCII domain is sent
// as its A-label when the session has an IDNA converter
// (SessionOptions::idna, core/delivery_precheck.h); the envelope, results
// and events keep the addresses as given.
struct Envelope {
  std::string from;  // reverse-path; "" = null sender "<>"
  MailParams mail;
  std::vector<Recipient> recipients;

  // AddRecipient appends `address` with default parameters.
  Envelope& AddRecipient(std::string address) {
    recipients.push_back(Recipient{std::move(address), RcptParams()});
    return *this;
  }
};

// RecipientStatus is the final outcome for one recipient.
enum class RecipientStatus : uint8_t {
  kPending,    // not decided yet (only seen in partial results)
  kDelivered,  // RCPT 2xx and the transaction's final data reply 2xx
  kRejected,   // a 5xx to RCPT or to the data (permanent)
  kDeferred,   // a 4xx (or 452/552 retries exhausted, MAILMAX reached,
               // connection lost before the end of data): temporary, retry
               // later
  kUnknown,    // the end of data (the final "." or BDAT LAST, in full) was
               // written, then the connection ended (EOF, timeout, I/O or
               // protocol error) without the final reply; RCPT had
               // accepted the recipient or not answered yet. The server may
               // have taken the message (RFC 5321 §4.1.4; RFC 1047's
               // duplicates): temporary, but a retry may deliver it twice
};

// RecipientStatusName returns "pending", "delivered", "rejected",
// "deferred" or "unknown".
absl::string_view RecipientStatusName(RecipientStatus status);

struct RecipientResult;

// RecipientNotSent returns true when `result` failed (kRejected or
// kDeferred) although neither the server's RCPT reply nor a data reply
// refused it: no data reply, and no RCPT reply or a 2xx one. The delivery
// failed around the recipient: the sender was refused (MAIL FROM answered
// 4xx/5xx, RFC 5321 §4.1.1.2; a malformed reverse-path gets 501 or is
// refused locally before anything is sent), a local refusal ended the
// delivery (message too large, REQUIRETLS unmet, ...), the connection
// ended before the data was complete, or another recipient was refused
// under DeliveryFlowOptions::all_recipients_or_none. The status keeps the
// permanence of that cause (kRejected: do not retry unchanged; kDeferred:
// retry later), but the recipient itself was not refused: report it as
// "not sent" and name the delivery's error as the cause. A recipient that
// got a 452 in an earlier transaction keeps that reply and is not "not
// sent". Never fails.
bool RecipientNotSent(const RecipientResult& result);

// RecipientOutcomeName returns "not_sent" when RecipientNotSent(result),
// else RecipientStatusName(result.status): the name to show a person or a
// program for one recipient's outcome.
absl::string_view RecipientOutcomeName(const RecipientResult& result);

// RecipientResult is the outcome for one recipient. Owns its data.
struct RecipientResult {
  // address is the recipient as given in the envelope (on the wire its
  // domain may have been an A-label).
  std::string address;
  RecipientStatus status = RecipientStatus::kPending;
  // rcpt_reply is the last reply to RCPT for this address (code 0 when no
  // RCPT was sent for it).
  Reply rcpt_reply;
  // data_reply is the final reply to DATA / BDAT of the transaction in which
  // the recipient was accepted (code 0 otherwise).
  Reply data_reply;
  // transaction is the 1-based index of the transaction of `rcpt_reply`
  // within this delivery (0 if none).
  int transaction = 0;
};

// DeliveryResult is the outcome of one delivery. Owns its data.
struct DeliveryResult {
  // recipients are in envelope order.
  std::vector<RecipientResult> recipients;
  // transactions counts MAIL transactions started for this delivery.
  int transactions = 0;

  size_t Count(RecipientStatus status) const {
    size_t n = 0;
    for (const RecipientResult& r : recipients) n += (r.status == status);
    return n;
  }
  size_t delivered() const { return Count(RecipientStatus::kDelivered); }
  // rejected() and deferred() count by status, so they include the
  // recipients that were not sent (see RecipientNotSent; not_sent() counts
  // those alone).
  size_t rejected() const { return Count(RecipientStatus::kRejected); }
  size_t deferred() const { return Count(RecipientStatus::kDeferred); }
  size_t unknown() const { return Count(RecipientStatus::kUnknown); }
  size_t not_sent() const {
    size_t n = 0;
    for (const RecipientResult& r : recipients) n += RecipientNotSent(r);
    return n;
  }
};

}  // namespace smtpcore

#endif  // SMTP_CORE_DELIVERY_H_
