// The delivery planner: destinations (route/destinations.h), their addresses
// (route/host_addresses.h), DANE (route/dane_policy.h) and MTA-STS
// (route/mta_sts_policy.h) turned into the ordered list of attempts a
// driver dials, each with the TLS it must do and how the certificate is
// verified. The driver records what happened on each attempt in the plan.
// Sans-I/O: `PlanDelivery` lists the DNS questions it still needs, like
// `GatherDestinations`.
//
// Per destination, in MX order (at most `PlanRequest::max_hosts`):
//  1. Address or DANE lookups failing make the attempt "skipped" with that
//     error (temporary); later destinations are still tried.
//  2. TLS policy, first match wins (RFC 8461 §2: DANE takes precedence over
//     MTA-STS):
//       DANE required  -> TLS required, certificate verified against the
//                         TLSA records (RFC 7672 §2.2); no fallback.
//       DANE unusable  -> TLS required, certificate not authenticated.
//       MTA-STS enforce-> the MX must match the policy, else the attempt is
//                         skipped (kMtaStsMismatch, temporary; RFC 8461
//                         §5.1); TLS required, PKIX with the MX host name
//                         (RFC 8461 §4.2).
//       MTA-STS testing-> opportunistic; a non-matching MX or a failed PKIX
//                         check is only reported (RFC 8461 §5, RFC 8460).
//       otherwise      -> opportunistic STARTTLS, unverified (RFC 7435).
//  3. REQUIRETLS (RFC 8689 §4.2.1): allowed only along an MX set that was
//     DNSSEC-secure or matched by an enforced MTA-STS policy, and only over
//     TLS verified by DANE or PKIX. When the request carries REQUIRETLS and
//     the MX set is secure but the policy would be opportunistic, the
//     attempt is upgraded to PKIX with the MX host name ("pkix-requiretls");
//     an attempt that cannot qualify is skipped (kNeedsRequireTls,
//     permanent).
// When every attempt is skipped, the plan's `error` is the first temporary
// skip's error, else the first permanent one.

#ifndef SMTP_ROUTE_DELIVERY_PLAN_H_
#define SMTP_ROUTE_DELIVERY_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "route/destinations.h"
#include "route/dial_history.h"
#include "route/dns_answer.h"
#include "route/ip_address.h"
#include "route/mta_sts_policy.h"
#include "route/tlsa.h"

namespace smtpcore {

// TlsPolicy is the TLS policy an attempt follows.
enum class TlsPolicy : uint8_t {
  kOpportunistic,   // STARTTLS if offered, certificate not verified
  kMtaStsTesting,   // as opportunistic; failures are reported (TLSRPT)
  kMtaSts,          // STARTTLS required, PKIX with the MX name (enforce)
  kDane,            // STARTTLS required, verified against TLSA records
  kDaneUnusable,    // STARTTLS required, no usable TLSA: not verified
  kPkixRequireTls,  // STARTTLS required, PKIX: a REQUIRETLS message along a
                    // DNSSEC-secure MX set without DANE or MTA-STS
};

// TlsPolicyName returns "opportunistic", "mta-sts-testing", "pkix-mta-sts",
// "dane", "dane-unusable" or "pkix-requiretls".
absl::string_view TlsPolicyName(TlsPolicy policy);

// TlsVerifyMode says how the server certificate is checked.
enum class TlsVerifyMode : uint8_t {
  kNone,  // not checked (the result is still reported)
  kPkix,  // PKIX chain + `names` (RFC 6125)
  kDane,  // TLSA records; DANE-TA also checks `names` (RFC 7672 §3)
};

// TlsVerifyModeName returns "none", "pkix" or "dane".
absl::string_view TlsVerifyModeName(TlsVerifyMode mode);

// AttemptOutcome is what happened to one attempt (recorded by the driver).
enum class AttemptOutcome : uint8_t {
  kNotTried,           // an earlier attempt ended the delivery
  kSkipped,            // never dialed: see `DeliveryAttempt::skip`
  kConnectFailed,      // no address accepted a TCP connection
  kTemporaryFailure,   // 4xx greeting/EHLO, TLS failure, timeout, EOF...
  kPermanentFailure,   // a 5xx ended the delivery
  kDelivered,          // the server took the message (some recipients)
};

// AttemptOutcomeName returns "not_tried", "skipped", "connect_failed",
// "temporary_failure", "permanent_failure" or "delivered".
absl::string_view AttemptOutcomeName(AttemptOutcome outcome);

// DeliveryAttempt is one host to try, with everything a driver needs.
struct DeliveryAttempt {
  std::string host;
  uint16_t preference = 0;
  bool implicit_mx = false;
  // ips in dial order (dial history applied).
  std::vector<IpAddress> ips;
  uint16_t port = 25;
  // tls_required: STARTTLS or no delivery (never plaintext).
  bool tls_required = false;
  TlsPolicy policy = TlsPolicy::kOpportunistic;
  std::string policy_reason;
  TlsVerifyMode verify = TlsVerifyMode::kNone;
  // names: PKIX reference identifiers or DANE-TA names; names[0] is the SNI.
  std::vector<std::string> names;
  // tlsa: the usable records (verify == kDane).
  std::vector<TlsaRecord> tlsa;
  // requiretls_allowed: a REQUIRETLS message may go over this attempt.
  bool requiretls_allowed = false;
  std::string requiretls_reason;
  // addresses_secure: the A/AAAA answers were DNSSEC-secure.
  bool addresses_secure = false;
  // sts_mx_mismatch: an MTA-STS policy (testing) does not list this host.
  bool sts_mx_mismatch = false;
  // skip: when not OK, do not dial; the reason (code/ErrorDetail say
  // temporary or permanent).
  absl::Status skip;
  std::vector<DnsStep> steps;
  std::vector<std::string> warnings;
  // Filled by DeliveryPlan::Record.
  AttemptOutcome outcome = AttemptOutcome::kNotTried;
  std::string outcome_ip;      // the address that answered ("" if none)
  std::string outcome_detail;  // one line
};

// DeliveryPlan is the ordered attempts for one next hop, plus what the
// decision was based on. A value type.
struct DeliveryPlan {
  NextHop next_hop;
  Destinations destinations;
  // sts_policy is the MTA-STS policy applied (mode none counts as none).
  absl::optional<StsPolicy> sts_policy;
  std::string sts_reason;
  std::vector<DeliveryAttempt> attempts;
  // error: the plan cannot be carried out (null MX, no such domain, DNS
  // failure, every attempt skipped). OK otherwise.
  absl::Status error;
  std::vector<DnsStep> steps;  // destination steps (CNAME, MX)

  // Record stores the outcome of attempt `index` (ignored when out of
  // range): the outcome, the IP that answered and a one-line detail.
  void Record(size_t index, AttemptOutcome outcome, absl::string_view ip,
              absl::string_view detail);
};

// PlanRequest is what a plan is asked for.
struct PlanRequest {
  NextHop next_hop;
  uint16_t port = 25;
  // requiretls: the message carries REQUIRETLS (RFC 8689).
  bool requiretls = false;
  // sts_policy: the MTA-STS policy of the next-hop domain, as decided with
  // StsCache (nullopt: none).
  absl::optional<StsPolicy> sts_policy;
  std::string sts_reason;
  // history orders each host's IPs (may be null); family filters them.
  const DialHistory* history = nullptr;
  AddressFamily family = AddressFamily::kAny;
  // seed shuffles equal MX preferences (use a random one in production).
  uint64_t seed = 0;
  // max_hosts bounds the destinations planned.
  size_t max_hosts = 10;
};

// PlanStep is either questions to answer first or a finished plan.
struct PlanStep {
  std::vector<DnsQuestion> needed;
  absl::optional<DeliveryPlan> plan;
};

// PlanDelivery plans `request` from `answers` (see the file comment). All
// questions that can be asked in parallel are listed at once. Never fails
// itself: failures are in the plan.
PlanStep PlanDelivery(const PlanRequest& request, const DnsAnswerSet& answers);

}  // namespace smtpcore

#endif  // SMTP_ROUTE_DELIVERY_PLAN_H_
