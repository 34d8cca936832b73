#include "transports/common/route_resolution.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "idna/idna.h"
#include "route/mta_sts_record.h"

namespace smtpcore {

absl::StatusOr<NextHop> ParseDestination(const RouteResolverOptions& options,
                                         absl::string_view text) {
  if (options.idna) return ParseNextHop(text, options.idna);
  return ParseNextHop(text, IdnaConverter(DomainToAscii));
}

PlanRequest MakePlanRequest(const RouteResolverOptions& options,
                            const NextHop& next_hop, bool requiretls,
                            const DialHistory* history, uint64_t random_seed) {
  PlanRequest request;
  request.next_hop = next_hop;
  request.port = options.port;
  request.requiretls = requiretls;
  request.history = history;
  request.family = options.family;
  request.max_hosts = options.max_hosts;
  request.seed = options.seed != 0 ? options.seed : random_seed;
  return request;
}

absl::optional<DnsQuestion> StsQuestion(const RouteResolverOptions& options,
                                        const NextHop& next_hop) {
  if (!options.mta_sts || next_hop.domain.empty()) return absl::nullopt;
  return DnsQuestion{StsRecordName(next_hop.domain), DnsType::kTxt};
}

void ApplyStsFetch(StsCache& cache, const std::string& domain,
                   const StsFetchResult& fetched, absl::Time now,
                   StsOutcome* outcome) {
  outcome->fetched = true;
  outcome->fetch_failure = fetched.failure;
  if (fetched.policy.ok()) {
    cache.Store(domain, outcome->decision.id, *fetched.policy, now);
    outcome->decision.policy = *fetched.policy;
    outcome->decision.reason =
        absl::StrCat(outcome->decision.reason, "; fetched");
    return;
  }
  outcome->fetch_status = fetched.policy.status();
  outcome->decision.reason = absl::StrCat(
      outcome->decision.reason, "; fetch failed: ",
      fetched.policy.status().message(),
      outcome->decision.policy.has_value()
          ? " (using the unexpired cached policy)"
          : " (no policy applied, RFC 8461 §5)");
}

}  // namespace smtpcore
