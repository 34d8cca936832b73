// DeliverToDomainUv: delivery to a recipient domain the way an MTA does it,
// on a caller-owned libuv loop; the asynchronous twin of
// transports/blocking/mx_delivery.h with the same rules (read that file):
// the route layer plans (route/delivery_plan.h), this driver moves DNS
// answers in with UvDnsResolver (validating, in the process; questions of
// one round in parallel), fetches the MTA-STS policy on libuv's thread pool
// (uv_queue_work around the blocking FetchStsPolicy), then dials the
// attempts in order with UvClient, falling through on connection failure,
// TLS failure or 4xx at greeting/EHLO, and stopping on 5xx or once a
// session ran the delivery. Per-attempt options and TLS reporting come
// from transports/common/mx_attempt.h, as in the blocking driver.
//
// Threading: call on the loop's thread; `done` runs there, exactly once,
// never from inside DeliverToDomainUv. Borrowed pointers in the options
// must outlive `done`. Run the loop until it is empty before closing it.

#ifndef SMTP_TRANSPORTS_LIBUV_UV_MX_DELIVERY_H_
#define SMTP_TRANSPORTS_LIBUV_UV_MX_DELIVERY_H_

#include <uv.h>

#include <functional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "core/delivery.h"
#include "route/dial_history.h"
#include "route/mta_sts_cache.h"
#include "route/tls_report.h"
#include "transports/common/client_options.h"
#include "transports/common/mx_delivery_result.h"
#include "transports/common/route_resolution.h"

namespace smtpcore {

// UvMxDeliveryOptions configures DeliverToDomainUv (as MxDeliveryOptions of
// the blocking driver). Pointers are borrowed and may be null.
struct UvMxDeliveryOptions {
  // client is the template of every connection (see MxDeliveryOptions).
  ClientOptions client;
  RouteResolverOptions route;
  DialHistory* dial_history = nullptr;
  StsCache* sts_cache = nullptr;
  TlsReportAggregator* tls_report = nullptr;
  std::function<void(const std::string&)> on_note;
  // now is the wall-clock time for the MTA-STS cache; unset: absl::Now().
  absl::optional<absl::Time> now;
};

// UvMxDeliveryCallback receives the outcome.
using UvMxDeliveryCallback = std::function<void(MxDeliveryResult result)>;

// DeliverToDomainUv delivers `body` to `envelope`'s recipients at `domain`
// (a domain or an address literal) on `loop` and calls `done` once. Never
// fails synchronously: an unusable domain or resolver is the outcome's
// error (kInvalidArgument), reported on the next loop turn.
void DeliverToDomainUv(uv_loop_t* loop, absl::string_view domain,
                       Envelope envelope, absl::Cord body,
                       UvMxDeliveryOptions options, UvMxDeliveryCallback done);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_LIBUV_UV_MX_DELIVERY_H_
