#include "core/delivery.h"

namespace smtpcore {

absl::string_view RecipientStatusName(RecipientStatus status) {
  switch (status) {
    case RecipientStatus::kPending: return "pending";
    case RecipientStatus::kDelivered: return "delivered";
    case RecipientStatus::kRejected: return "rejected";
    case RecipientStatus::kDeferred: return "deferred";
    case RecipientStatus::kUnknown: return "unknown";
  }
  return "invalid";
}

}  // namespace smtpcore
