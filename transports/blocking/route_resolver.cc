#include "transports/blocking/route_resolver.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "route/dns_answer.h"
#include "route/mta_sts_record.h"

namespace smtpcore {

absl::StatusOr<std::unique_ptr<BlockingRouteResolver>>
BlockingRouteResolver::Create(const RouteResolverOptions& options,
                              StsCache* cache) {
  absl::StatusOr<std::unique_ptr<BlockingDnsResolver>> dns =
      BlockingDnsResolver::Create(options.dns);
  if (!dns.ok()) return dns.status();
  return std::unique_ptr<BlockingRouteResolver>(
      new BlockingRouteResolver(options, *std::move(dns), cache));
}

BlockingRouteResolver::BlockingRouteResolver(
    RouteResolverOptions options, std::unique_ptr<BlockingDnsResolver> dns,
    StsCache* cache)
    : options_(std::move(options)),
      dns_(std::move(dns)),
      cache_(cache != nullptr ? cache : &own_cache_) {}

StsOutcome BlockingRouteResolver::ResolveSts(const std::string& domain,
                                             const DnsAnswer* txt,
                                             absl::Time now) {
  StsOutcome out;
  out.decision = cache_->Check(domain, txt, now);
  if (out.decision.action != StsAction::kFetch) return out;
  out.fetched = true;
  const std::string host = PolicyHostFor(domain);
  std::vector<DnsAnswer> answers =
      dns_->ResolveAll({{host, DnsType::kA}, {host, DnsType::kAaaa}});
  std::vector<IpAddress> ips;
  for (const DnsAnswer& a : answers) {
    if (a.security == DnsSecurity::kBogus) continue;
    for (const IpAddress& ip : a.addresses) ips.push_back(ip);
  }
  StsFetchResult fetched = FetchStsPolicy(domain, ips, options_.sts);
  out.fetch_failure = fetched.failure;
  if (fetched.policy.ok()) {
    cache_->Store(domain, out.decision.id, *fetched.policy, now);
    out.decision.policy = *fetched.policy;
    out.decision.reason = absl::StrCat(out.decision.reason, "; fetched");
    return out;
  }
  out.fetch_status = fetched.policy.status();
  out.decision.reason =
      absl::StrCat(out.decision.reason, "; fetch failed: ",
                   fetched.policy.status().message(),
                   out.decision.policy.has_value()
                       ? " (using the unexpired cached policy)"
                       : " (no policy applied, RFC 8461 §5)");
  return out;
}

ResolvedRoute BlockingRouteResolver::Resolve(const NextHop& next_hop,
                                             bool requiretls,
                                             const DialHistory* history,
                                             absl::Time now) {
  ResolvedRoute route;
  PlanRequest request;
  request.next_hop = next_hop;
  request.port = options_.port;
  request.requiretls = requiretls;
  request.history = history;
  request.family = options_.family;
  request.max_hosts = options_.max_hosts;
  request.seed = options_.seed;
  if (request.seed == 0) request.seed = std::random_device()() | 1ULL << 40;

  DnsAnswerSet answers;
  const bool sts = options_.mta_sts && !next_hop.domain.empty();
  const std::string sts_name = sts ? StsRecordName(next_hop.domain) : "";
  bool sts_done = !sts;
  for (int round = 0; round < 16; ++round) {
    PlanStep step = PlanDelivery(request, answers);
    std::vector<DnsQuestion> ask = step.needed;
    if (!sts_done && answers.Find(sts_name, DnsType::kTxt) == nullptr) {
      ask.push_back({sts_name, DnsType::kTxt});
    }
    if (!sts_done && answers.Find(sts_name, DnsType::kTxt) != nullptr) {
      // The policy is an input of the plan: decide it, then plan again.
      route.sts = ResolveSts(next_hop.domain,
                             answers.Find(sts_name, DnsType::kTxt), now);
      request.sts_policy = route.sts.decision.policy;
      request.sts_reason = route.sts.decision.reason;
      sts_done = true;
      continue;
    }
    if (ask.empty() && step.plan.has_value()) {
      route.plan = *std::move(step.plan);
      return route;
    }
    for (DnsAnswer& a : dns_->ResolveAll(ask)) answers.Add(std::move(a));
  }
  route.plan.next_hop = next_hop;
  route.plan.error =
      MakeError(absl::StatusCode::kUnavailable, ErrorDetail::kDnsTemporary,
                "route planning did not finish (too many DNS rounds)");
  return route;
}

}  // namespace smtpcore
