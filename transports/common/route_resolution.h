// Route resolution: what a driver's resolution of a next hop is configured
// with and produced (DNS answers and the MTA-STS policy fed into
// route/delivery_plan.h), and the pure steps both drivers share
// (transports/blocking/route_resolver.h, transports/libuv/uv_mx_delivery.h):
// building the plan request, the "_mta-sts" question, and folding a policy
// fetch into the MTA-STS cache. No sockets, no clock: `now` is an input.

#ifndef SMTP_TRANSPORTS_COMMON_ROUTE_RESOLUTION_H_
#define SMTP_TRANSPORTS_COMMON_ROUTE_RESOLUTION_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/idna_converter.h"
#include "route/delivery_plan.h"
#include "route/destinations.h"
#include "route/dial_history.h"
#include "route/dns_answer.h"
#include "route/mta_sts_cache.h"
#include "transports/dns/resolver_options.h"
#include "transports/mta_sts/sts_fetch_result.h"

namespace smtpcore {

// RouteResolverOptions configures a driver's route resolution. A value
// type.
struct RouteResolverOptions {
  ResolverOptions dns;
  StsFetchOptions sts;
  // mta_sts: look up and apply MTA-STS policies (RFC 8461).
  bool mta_sts = true;
  // port: the SMTP port of every MX (25; tests use another). TLSA records
  // are looked up for this port.
  uint16_t port = 25;
  AddressFamily family = AddressFamily::kAny;
  // seed shuffles equal MX preferences; 0 picks a random seed per plan.
  uint64_t seed = 0;
  size_t max_hosts = 10;
  // idna converts an internationalised next-hop domain ("bücher.example")
  // to its A-labels before any lookup; unset: UTS #46 with libidn2
  // (idna/idna.h `DomainToAscii`).
  IdnaConverter idna;
};

// StsOutcome says what happened with MTA-STS for a plan.
struct StsOutcome {
  StsDecision decision;
  // fetched: a fetch was attempted; `fetch_status` and `fetch_failure` say
  // how it went (kNone on success).
  bool fetched = false;
  absl::Status fetch_status;
  StsFetchFailure fetch_failure = StsFetchFailure::kNone;
};

// ResolvedRoute is a plan with what it was made from.
struct ResolvedRoute {
  DeliveryPlan plan;
  StsOutcome sts;
};

// ParseDestination parses the next hop `text` (a domain, possibly with
// U-labels, or an address literal) as `ParseNextHop` does, converting
// U-labels with `options.idna` (or libidn2's UTS #46 when unset). Errors:
// kInvalidArgument with the reason.
absl::StatusOr<NextHop> ParseDestination(const RouteResolverOptions& options,
                                         absl::string_view text);

// MakePlanRequest returns the planner's request for `next_hop` from
// `options`; `random_seed` is used when `options.seed` is 0.
PlanRequest MakePlanRequest(const RouteResolverOptions& options,
                            const NextHop& next_hop, bool requiretls,
                            const DialHistory* history, uint64_t random_seed);

// StsQuestion returns the "_mta-sts.<domain>" TXT question when MTA-STS
// applies to `next_hop` (a domain, `options.mta_sts`), else nullopt.
absl::optional<DnsQuestion> StsQuestion(const RouteResolverOptions& options,
                                        const NextHop& next_hop);

// ApplyStsFetch folds `fetched` (the fetch `outcome->decision` asked for)
// into `cache` at `now`: a policy is stored and applied; a failure keeps
// the unexpired cached policy if any (else none, RFC 8461 §5) and is
// recorded in `outcome`.
void ApplyStsFetch(StsCache& cache, const std::string& domain,
                   const StsFetchResult& fetched, absl::Time now,
                   StsOutcome* outcome);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_ROUTE_RESOLUTION_H_
