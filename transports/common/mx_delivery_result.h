// MxDeliveryResult: the outcome of one delivery to a domain by an MX driver
// (transports/blocking/mx_delivery.h, transports/libuv/uv_mx_delivery.h):
// the plan with each attempt's outcome, the per-recipient results, and
// which attempt and IP ran the delivery.

#ifndef SMTP_TRANSPORTS_COMMON_MX_DELIVERY_RESULT_H_
#define SMTP_TRANSPORTS_COMMON_MX_DELIVERY_RESULT_H_

#include <cstddef>
#include <string>

#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"
#include "transports/common/delivery_outcome.h"
#include "transports/common/route_resolution.h"

namespace smtpcore {

// MxDeliveryResult is the outcome of one delivery to a domain. Owns its
// data.
struct MxDeliveryResult {
  // route is the plan, each attempt's outcome recorded in it.
  ResolvedRoute route;
  // outcome: per-recipient results and the error (plan failure, last
  // connection failure, or the delivery's own).
  DeliveryOutcome outcome;
  // accepted_attempt is the index in route.plan.attempts of the attempt
  // whose session ran the delivery (or refused it with a 5xx greeting);
  // accepted_ip its address.
  absl::optional<size_t> accepted_attempt;
  std::string accepted_ip;
  // tls is the TLS session of that attempt, when TLS was used.
  absl::optional<TlsInfo> tls;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_MX_DELIVERY_RESULT_H_
