// DeliveryOutcome: the result of one delivery as the client transports hand
// it to their callers, and the two ways one is made: from the session's
// final DeliveryDone/DeliveryFailed event, or locally when the delivery
// never reached the session (refused up front, connection already gone).

#ifndef SMTP_TRANSPORTS_COMMON_DELIVERY_OUTCOME_H_
#define SMTP_TRANSPORTS_COMMON_DELIVERY_OUTCOME_H_

#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/delivery.h"
#include "core/event.h"
#include "core/smtp_error.h"

namespace smtpcore {

// DeliveryOutcome is the result of one delivery: per-recipient results
// always (envelope order; see core/delivery.h), and the typed error when the
// delivery failed (the core's DeliveryFailed: no recipient delivered, the
// connection failed, or a local refusal such as kMessageTooLarge). A
// delivery where some recipients were rejected but at least one delivered
// is `ok()`; check `result.rejected()` / `result.deferred()`. Recipients
// the failure kept from the server (a refused sender, a connection that
// failed first) are `RecipientNotSent` / `result.not_sent()`, whatever
// their status. Owns its data.
struct DeliveryOutcome {
  // id is the session's delivery id; 0 when the delivery never reached the
  // session.
  DeliveryId id = 0;
  // result has one entry per recipient, in envelope order.
  DeliveryResult result;
  // error is set when the delivery failed (see above).
  absl::optional<SmtpError> error;

  // ok is true when the delivery completed (DeliveryDone).
  bool ok() const { return !error.has_value(); }
  // all_delivered is true when every recipient was delivered.
  bool all_delivered() const {
    return ok() && result.delivered() == result.recipients.size();
  }
};

// FailedOutcome returns the outcome of a delivery that failed with `error`
// before the session could report on it: one RecipientResult per entry of
// `recipients` (same order; only the address is copied), each kRejected
// when `error.permanent`, else kDeferred, and without an RCPT reply, so
// each is RecipientNotSent (core/delivery.h): report them as "not sent";
// `error` set; id 0 (callers set it when there is one). Never fails.
DeliveryOutcome FailedOutcome(absl::Span<const Recipient> recipients,
                              SmtpError error);

// TakeDeliveryOutcome returns the outcome carried by `event` when it is a
// DeliveryDone (no error) or a DeliveryFailed (its error), moving the
// result and error out of `event` (left valid but unspecified); nullopt,
// and `event` untouched, for any other event.
absl::optional<DeliveryOutcome> TakeDeliveryOutcome(Event& event);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_DELIVERY_OUTCOME_H_
