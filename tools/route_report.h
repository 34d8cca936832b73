// RouteReport: what `smtpc route` and `smtpc send --mx` say about a
// delivery plan (route/delivery_plan.h): the DNS steps with their DNSSEC
// status, MTA-STS, each attempt's hosts, IPs, TLS policy and why, and
// which attempt and IP accepted. Two renderings: a JSON object (the
// "route" member of `smtpc send --json`, and `smtpc route --json`) and
// text for people.
//
// JSON:
//   {"domain": "example.org", "error": null | {"kind", "message"},
//    "mx_dnssec": "secure" | "insecure", "have_mx": true,
//    "mta_sts": {"action": "fetch"|"use_cached"|"no_policy",
//                "mode": "enforce"|"testing"|null, "mx": [...],
//                "reason": "...", "fetch_error": null|"..."},
//    "steps": [{"question": "example.org MX", "rcode": "noerror",
//               "dnssec": "secure", "answer": "10 mx.example.org"}],
//    "warnings": ["..."],
//    "attempts": [{"host", "preference", "implicit_mx", "ips": [...],
//                  "port", "addresses_dnssec": "secure"|"insecure",
//                  "tls_policy": "dane"|..., "tls_required", "verify":
//                  "dane"|"pkix"|"none", "names": [...], "tlsa": [...],
//                  "policy_reason", "requiretls_allowed",
//                  "requiretls_reason", "skip": null|{"kind","message"},
//                  "outcome", "outcome_ip", "outcome_detail",
//                  "steps": [...], "warnings": [...]}],
//    "accepted": null | {"host", "ip", "port", "preference", "tls_policy"}}

#ifndef SMTP_TOOLS_ROUTE_REPORT_H_
#define SMTP_TOOLS_ROUTE_REPORT_H_

#include <cstddef>
#include <string>

#include "absl/types/optional.h"
#include "route/delivery_plan.h"
#include "tools/json_writer.h"
#include "transports/blocking/route_resolver.h"

namespace smtpcore {
namespace cli {

// RouteReport is a plan and, after a delivery, which attempt took it.
struct RouteReport {
  ResolvedRoute route;
  // accepted_attempt: the attempt whose session ran the delivery.
  absl::optional<size_t> accepted_attempt;
  std::string accepted_ip;
};

// WriteRouteJson writes the object above as the next value of `w`.
void WriteRouteJson(JsonWriter& w, const RouteReport& report);

// RouteReportToJson returns the object alone (one line).
std::string RouteReportToJson(const RouteReport& report);

// RouteReportToText renders the plan for people, one line per fact, each
// ending in '\n'.
std::string RouteReportToText(const RouteReport& report);

}  // namespace cli
}  // namespace smtpcore

#endif  // SMTP_TOOLS_ROUTE_REPORT_H_
