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
  const std::string host = PolicyHostFor(domain);
  std::vector<IpAddress> ips;
  for (const DnsAnswer& a :
       dns_->ResolveAll({{host, DnsType::kA}, {host, DnsType::kAaaa}})) {
    if (a.security == DnsSecurity::kBogus) continue;
    for (const IpAddress& ip : a.addresses) ips.push_back(ip);
  }
  ApplyStsFetch(*cache_, domain, FetchStsPolicy(domain, ips, options_.sts),
                now, &out);
  return out;
}

ResolvedRoute BlockingRouteResolver::Resolve(const NextHop& next_hop,
                                             bool requiretls,
                                             const DialHistory* history,
                                             absl::Time now) {
  ResolvedRoute route;
  PlanRequest request =
      MakePlanRequest(options_, next_hop, requiretls, history,
                      std::random_device()() | 1ULL << 40);
  const absl::optional<DnsQuestion> sts = StsQuestion(options_, next_hop);
  bool sts_done = !sts.has_value();
  DnsAnswerSet answers;
  for (int round = 0; round < 16; ++round) {
    if (!sts_done) {
      if (const DnsAnswer* txt = answers.Find(sts->name, sts->type)) {
        // The policy is an input of the plan: decide it, then plan.
        route.sts = ResolveSts(next_hop.domain, txt, now);
        request.sts_policy = route.sts.decision.policy;
        request.sts_reason = route.sts.decision.reason;
        sts_done = true;
      }
    }
    PlanStep step = PlanDelivery(request, answers);
    std::vector<DnsQuestion> ask = step.needed;
    if (!sts_done) ask.push_back(*sts);
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
