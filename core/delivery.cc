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

bool RecipientNotSent(const RecipientResult& result) {
  if (result.status != RecipientStatus::kRejected &&
      result.status != RecipientStatus::kDeferred) {
    return false;
  }
  const int rcpt = result.rcpt_reply.code();
  return result.data_reply.code() == 0 &&
         (rcpt == 0 || (rcpt >= 200 && rcpt < 300));
}

absl::string_view RecipientOutcomeName(const RecipientResult& result) {
  if (RecipientNotSent(result)) return "not_sent";
  return RecipientStatusName(result.status);
}

}  // namespace smtpcore
