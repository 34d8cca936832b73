#include "transports/common/delivery_outcome.h"

#include <utility>
#include <variant>

namespace smtpcore {

DeliveryOutcome FailedOutcome(absl::Span<const Recipient> recipients,
                              SmtpError error) {
  DeliveryOutcome outcome;
  outcome.result.recipients.reserve(recipients.size());
  for (const Recipient& recipient : recipients) {
    RecipientResult r;
    r.address = recipient.address;
    r.status = error.permanent ? RecipientStatus::kRejected
                               : RecipientStatus::kDeferred;
    outcome.result.recipients.push_back(std::move(r));
  }
  outcome.error = std::move(error);
  return outcome;
}

absl::optional<DeliveryOutcome> TakeDeliveryOutcome(Event& event) {
  if (auto* done = std::get_if<DeliveryDone>(&event)) {
    DeliveryOutcome outcome;
    outcome.id = done->delivery;
    outcome.result = std::move(done->result);
    return outcome;
  }
  if (auto* failed = std::get_if<DeliveryFailed>(&event)) {
    DeliveryOutcome outcome;
    outcome.id = failed->delivery;
    outcome.result = std::move(failed->result);
    outcome.error = std::move(failed->error);
    return outcome;
  }
  return absl::nullopt;
}

}  // namespace smtpcore
