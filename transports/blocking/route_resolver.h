// BlockingRouteResolver: everything a delivery plan needs, fetched
// synchronously: the DNS answers the planner asks for (through the
// validating BlockingDnsResolver), the "_mta-sts" TXT record, the MTA-STS
// policy (through the StsCache and, when it says so, FetchStsPolicy), and
// then the plan (route/delivery_plan.h). The decisions are all the route
// layer's; this file only moves answers in.
//
// Used by BlockingMxClient (transports/blocking/mx_client.h) and by
// `smtpc route`. Not thread-safe.

#ifndef SMTP_TRANSPORTS_BLOCKING_ROUTE_RESOLVER_H_
#define SMTP_TRANSPORTS_BLOCKING_ROUTE_RESOLVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "route/delivery_plan.h"
#include "route/destinations.h"
#include "route/dial_history.h"
#include "route/mta_sts_cache.h"
#include "transports/dns/blocking_dns_resolver.h"
#include "transports/dns/resolver_options.h"
#include "transports/common/route_resolution.h"
#include "transports/mta_sts/policy_fetcher.h"

namespace smtpcore {

class BlockingRouteResolver {
 public:
  // Create makes a resolver (errors of BlockingDnsResolver::Create).
  // `cache` (borrowed, may be null: a private one is used) keeps MTA-STS
  // policies across calls.
  static absl::StatusOr<std::unique_ptr<BlockingRouteResolver>> Create(
      const RouteResolverOptions& options, StsCache* cache);

  // Resolve plans delivery to `next_hop` at wall-clock time `now` (for the
  // MTA-STS cache): `requiretls` as PlanRequest, `history` orders the IPs
  // (may be null). Never fails: DNS and policy failures are in the plan.
  ResolvedRoute Resolve(const NextHop& next_hop, bool requiretls,
                        const DialHistory* history, absl::Time now);

  // dns gives the resolver, for the caller's own lookups.
  BlockingDnsResolver& dns() { return *dns_; }

 private:
  BlockingRouteResolver(RouteResolverOptions options,
                        std::unique_ptr<BlockingDnsResolver> dns,
                        StsCache* cache);
  StsOutcome ResolveSts(const std::string& domain, const DnsAnswer* txt,
                        absl::Time now);

  RouteResolverOptions options_;
  std::unique_ptr<BlockingDnsResolver> dns_;
  StsCache own_cache_;
  StsCache* cache_;
};

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_BLOCKING_ROUTE_RESOLVER_H_
