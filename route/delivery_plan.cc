#include "route/delivery_plan.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "route/dane_policy.h"
#include "route/host_addresses.h"

namespace smtpcore {
namespace {

bool IsTemporary(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded;
}

void AppendNeeded(std::vector<DnsQuestion>* out,
                  const std::vector<DnsQuestion>& more) {
  for (const DnsQuestion& q : more) {
    bool dup = false;
    for (const DnsQuestion& o : *out) dup = dup || o == q;
    if (!dup) out->push_back(q);
  }
}

// ApplyTlsPolicy sets rule 2 of the file comment.
void ApplyTlsPolicy(const PlanRequest& request, const DanePolicy& dane,
                    DeliveryAttempt& a) {
  const absl::optional<StsPolicy>& sts = request.sts_policy;
  if (dane.state == DaneState::kRequired) {
    a.policy = TlsPolicy::kDane;
    a.tls_required = true;
    a.verify = TlsVerifyMode::kDane;
    a.names = dane.names;
    a.tlsa = dane.records;
    a.policy_reason = dane.reason;
    return;
  }
  if (dane.state == DaneState::kUnusable) {
    a.policy = TlsPolicy::kDaneUnusable;
    a.tls_required = true;
    a.policy_reason = dane.reason;
    return;
  }
  if (sts.has_value() && sts->mode == StsMode::kEnforce) {
    if (!sts->MatchesMx(a.host)) {
      a.skip = MakeError(
          absl::StatusCode::kUnavailable, ErrorDetail::kMtaStsMismatch,
          absl::StrCat("MX ", a.host, " is not allowed by the enforced "
                       "MTA-STS policy of ", request.next_hop.domain,
                       " (RFC 8461 §5.1; temporary)"));
      a.policy = TlsPolicy::kMtaSts;
      a.policy_reason = "MTA-STS enforce: MX not in the policy";
      return;
    }
    a.policy = TlsPolicy::kMtaSts;
    a.tls_required = true;
    a.verify = TlsVerifyMode::kPkix;
    a.names = {a.host};
    a.policy_reason = absl::StrCat("MTA-STS enforce (", dane.reason, ")");
    return;
  }
  if (sts.has_value() && sts->mode == StsMode::kTesting) {
    a.policy = TlsPolicy::kMtaStsTesting;
    a.sts_mx_mismatch = !sts->MatchesMx(a.host);
    a.names = {a.host};
    a.policy_reason = absl::StrCat(
        "MTA-STS testing: failures reported, not enforced",
        a.sts_mx_mismatch ? "; MX not in the policy" : "");
    return;
  }
  a.policy = TlsPolicy::kOpportunistic;
  a.policy_reason = absl::StrCat("no DANE or MTA-STS (", dane.reason, ")");
}

// ApplyRequireTls sets rule 3 of the file comment.
void ApplyRequireTls(const PlanRequest& request, const Destinations& d,
                     DeliveryAttempt& a) {
  const bool sts_enforced = request.sts_policy.has_value() &&
                            request.sts_policy->mode == StsMode::kEnforce &&
                            request.sts_policy->MatchesMx(a.host);
  const bool route_ok = (d.secure && !d.next_hop.ip.has_value()) ||
                        sts_enforced;
  if (!route_ok) {
    a.requiretls_reason =
        "the MX set is neither DNSSEC-secure nor MTA-STS-enforced";
  } else if (a.verify != TlsVerifyMode::kNone) {
    a.requiretls_allowed = true;
    a.requiretls_reason = absl::StrCat("verified TLS (",
                                       TlsPolicyName(a.policy),
                                       ") along a ",
                                       sts_enforced ? "MTA-STS-enforced"
                                                    : "DNSSEC-secure",
                                       " MX set");
  } else if (request.requiretls && a.skip.ok() &&
             a.policy != TlsPolicy::kDaneUnusable && !a.host.empty() &&
             !ParseIpAddress(a.host).has_value()) {
    a.policy = TlsPolicy::kPkixRequireTls;
    a.tls_required = true;
    a.verify = TlsVerifyMode::kPkix;
    a.names = {a.host};
    a.policy_reason = "REQUIRETLS message along a DNSSEC-secure MX set: "
                      "PKIX with the MX host name (RFC 8689 §4.2.1)";
    a.requiretls_allowed = true;
    a.requiretls_reason = "PKIX along a DNSSEC-secure MX set";
  } else {
    a.requiretls_reason = "the certificate cannot be verified on this route";
  }
  if (request.requiretls && !a.requiretls_allowed && a.skip.ok()) {
    a.skip = MakeError(
        absl::StatusCode::kFailedPrecondition, ErrorDetail::kNeedsRequireTls,
        absl::StrCat("REQUIRETLS message not sent to ", a.host, ": ",
                     a.requiretls_reason, " (RFC 8689 §4.2.1)"));
  }
}

}  // namespace

absl::string_view TlsPolicyName(TlsPolicy policy) {
  switch (policy) {
    case TlsPolicy::kOpportunistic:
      return "opportunistic";
    case TlsPolicy::kMtaStsTesting:
      return "mta-sts-testing";
    case TlsPolicy::kMtaSts:
      return "pkix-mta-sts";
    case TlsPolicy::kDane:
      return "dane";
    case TlsPolicy::kDaneUnusable:
      return "dane-unusable";
    case TlsPolicy::kPkixRequireTls:
      return "pkix-requiretls";
  }
  return "?";
}

absl::string_view TlsVerifyModeName(TlsVerifyMode mode) {
  switch (mode) {
    case TlsVerifyMode::kNone:
      return "none";
    case TlsVerifyMode::kPkix:
      return "pkix";
    case TlsVerifyMode::kDane:
      return "dane";
  }
  return "?";
}

absl::string_view AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kNotTried:
      return "not_tried";
    case AttemptOutcome::kSkipped:
      return "skipped";
    case AttemptOutcome::kConnectFailed:
      return "connect_failed";
    case AttemptOutcome::kTemporaryFailure:
      return "temporary_failure";
    case AttemptOutcome::kPermanentFailure:
      return "permanent_failure";
    case AttemptOutcome::kDelivered:
      return "delivered";
  }
  return "?";
}

void DeliveryPlan::Record(size_t index, AttemptOutcome outcome,
                          absl::string_view ip, absl::string_view detail) {
  if (index >= attempts.size()) return;
  DeliveryAttempt& a = attempts[index];
  a.outcome = outcome;
  a.outcome_ip = std::string(ip);
  a.outcome_detail = std::string(detail);
}

PlanStep PlanDelivery(const PlanRequest& request,
                      const DnsAnswerSet& answers) {
  PlanStep out;
  DestinationsStep dest =
      GatherDestinations(request.next_hop, answers, request.seed);
  if (!dest.needed.empty()) {
    out.needed = dest.needed;
    return out;
  }
  DeliveryPlan plan;
  plan.next_hop = request.next_hop;
  plan.sts_policy = request.sts_policy;
  if (plan.sts_policy.has_value() && plan.sts_policy->mode == StsMode::kNone) {
    plan.sts_policy.reset();
  }
  plan.sts_reason = request.sts_reason;
  plan.steps = dest.steps;
  if (!dest.error.ok()) {
    plan.error = dest.error;
    out.plan = std::move(plan);
    return out;
  }
  plan.destinations = *dest.destinations;
  PlanRequest effective = request;
  effective.sts_policy = plan.sts_policy;

  const Destinations& d = plan.destinations;
  const size_t n = std::min(d.hosts.size(), request.max_hosts);
  for (size_t i = 0; i < n; ++i) {
    const Destination& dst = d.hosts[i];
    DeliveryAttempt a;
    a.host = dst.host;
    a.preference = dst.preference;
    a.implicit_mx = dst.implicit;
    a.port = request.port;
    HostAddresses addresses;
    if (dst.ip.has_value()) {
      addresses.host = dst.host;
      addresses.ips = {*dst.ip};
    } else {
      HostAddressesStep hs = GatherHostAddresses(dst.host, answers,
                                                 request.history,
                                                 request.family);
      if (!hs.needed.empty()) {
        AppendNeeded(&out.needed, hs.needed);
        continue;
      }
      a.steps = hs.steps;
      if (!hs.error.ok()) {
        a.skip = hs.error;
        a.outcome = AttemptOutcome::kSkipped;
        plan.attempts.push_back(std::move(a));
        continue;
      }
      addresses = *hs.addresses;
    }
    a.ips = addresses.ips;
    a.addresses_secure = addresses.secure;
    a.warnings = addresses.warnings;
    DaneStep ds = DecideDane(d, dst, addresses, request.port, answers);
    if (!ds.needed.empty()) {
      AppendNeeded(&out.needed, ds.needed);
      continue;
    }
    for (const DnsStep& s : ds.steps) a.steps.push_back(s);
    if (!ds.error.ok()) {
      a.skip = ds.error;
      a.policy = TlsPolicy::kDane;
      a.policy_reason = "TLSA lookup failed";
      a.outcome = AttemptOutcome::kSkipped;
      plan.attempts.push_back(std::move(a));
      continue;
    }
    for (const std::string& u : ds.policy->unusable) {
      a.warnings.push_back(absl::StrCat("unusable TLSA record ignored: ", u));
    }
    ApplyTlsPolicy(effective, *ds.policy, a);
    ApplyRequireTls(effective, d, a);
    if (!a.skip.ok()) a.outcome = AttemptOutcome::kSkipped;
    plan.attempts.push_back(std::move(a));
  }
  if (!out.needed.empty()) return out;

  bool any = false;
  absl::Status first_temporary, first_permanent;
  for (const DeliveryAttempt& a : plan.attempts) {
    if (a.skip.ok()) {
      any = true;
      break;
    }
    if (IsTemporary(a.skip)) {
      if (first_temporary.ok()) first_temporary = a.skip;
    } else if (first_permanent.ok()) {
      first_permanent = a.skip;
    }
  }
  if (!any) {
    plan.error = !first_temporary.ok() ? first_temporary : first_permanent;
    if (plan.error.ok()) {
      plan.error = MakeError(absl::StatusCode::kUnavailable,
                             ErrorDetail::kDnsTemporary,
                             "no destination to try");
    }
  }
  out.plan = std::move(plan);
  return out;
}

}  // namespace smtpcore
