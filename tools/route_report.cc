#include "tools/route_report.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/errors.h"
#include "route/dns_answer.h"
#include "route/mta_sts_policy.h"

namespace smtpcore {
namespace cli {
namespace {

void WriteStatus(JsonWriter& w, const absl::Status& s) {
  if (s.ok()) {
    w.Null();
    return;
  }
  w.BeginObject();
  w.Key("kind");
  w.String(ErrorDetailName(GetErrorDetail(s)));
  w.Key("message");
  w.String(s.message());
  w.EndObject();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const std::string& s : v) w.String(s);
  w.EndArray();
}

void WriteSteps(JsonWriter& w, const std::vector<DnsStep>& steps) {
  w.BeginArray();
  for (const DnsStep& s : steps) {
    w.BeginObject();
    w.Key("question");
    w.String(s.question.ToString());
    w.Key("rcode");
    w.String(DnsRcodeName(s.rcode));
    w.Key("dnssec");
    w.String(DnsSecurityName(s.security));
    w.Key("answer");
    w.String(s.summary);
    w.EndObject();
  }
  w.EndArray();
}

std::string Domain(const DeliveryPlan& plan) {
  return plan.next_hop.domain.empty() ? plan.next_hop.ToString()
                                      : plan.next_hop.domain;
}

}  // namespace

void WriteRouteJson(JsonWriter& w, const RouteReport& r) {
  const DeliveryPlan& plan = r.route.plan;
  const StsOutcome& sts = r.route.sts;
  w.BeginObject();
  w.Key("domain");
  w.String(Domain(plan));
  w.Key("error");
  WriteStatus(w, plan.error);
  w.Key("mx_dnssec");
  w.String(plan.destinations.secure ? "secure" : "insecure");
  w.Key("have_mx");
  w.Bool(plan.destinations.have_mx);

  w.Key("mta_sts");
  w.BeginObject();
  w.Key("action");
  w.String(StsActionName(sts.decision.action));
  w.Key("mode");
  if (plan.sts_policy.has_value()) {
    w.String(StsModeName(plan.sts_policy->mode));
    w.Key("mx");
    WriteStrings(w, plan.sts_policy->mx);
  } else {
    w.Null();
  }
  w.Key("reason");
  w.String(sts.decision.reason);
  w.Key("fetch_error");
  if (sts.fetch_status.ok()) {
    w.Null();
  } else {
    w.String(sts.fetch_status.message());
  }
  w.EndObject();

  w.Key("steps");
  WriteSteps(w, plan.steps);
  w.Key("warnings");
  WriteStrings(w, plan.destinations.warnings);

  w.Key("attempts");
  w.BeginArray();
  for (const DeliveryAttempt& a : plan.attempts) {
    w.BeginObject();
    w.Key("host");
    w.String(a.host);
    w.Key("preference");
    w.Int(a.preference);
    w.Key("implicit_mx");
    w.Bool(a.implicit_mx);
    w.Key("ips");
    w.BeginArray();
    for (const IpAddress& ip : a.ips) w.String(ip.ToString());
    w.EndArray();
    w.Key("port");
    w.Int(a.port);
    w.Key("addresses_dnssec");
    w.String(a.addresses_secure ? "secure" : "insecure");
    w.Key("tls_policy");
    w.String(TlsPolicyName(a.policy));
    w.Key("tls_required");
    w.Bool(a.tls_required);
    w.Key("verify");
    w.String(TlsVerifyModeName(a.verify));
    w.Key("names");
    WriteStrings(w, a.names);
    w.Key("tlsa");
    w.BeginArray();
    for (const TlsaRecord& t : a.tlsa) w.String(t.ToString());
    w.EndArray();
    w.Key("policy_reason");
    w.String(a.policy_reason);
    w.Key("requiretls_allowed");
    w.Bool(a.requiretls_allowed);
    w.Key("requiretls_reason");
    w.String(a.requiretls_reason);
    w.Key("skip");
    WriteStatus(w, a.skip);
    w.Key("outcome");
    w.String(AttemptOutcomeName(a.outcome));
    w.Key("outcome_ip");
    w.String(a.outcome_ip);
    w.Key("outcome_detail");
    w.String(a.outcome_detail);
    w.Key("steps");
    WriteSteps(w, a.steps);
    w.Key("warnings");
    WriteStrings(w, a.warnings);
    w.EndObject();
  }
  w.EndArray();

  w.Key("accepted");
  if (r.accepted_attempt.has_value() &&
      *r.accepted_attempt < plan.attempts.size()) {
    const DeliveryAttempt& a = plan.attempts[*r.accepted_attempt];
    w.BeginObject();
    w.Key("host");
    w.String(a.host);
    w.Key("ip");
    w.String(r.accepted_ip);
    w.Key("port");
    w.Int(a.port);
    w.Key("preference");
    w.Int(a.preference);
    w.Key("tls_policy");
    w.String(TlsPolicyName(a.policy));
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
}

std::string RouteReportToJson(const RouteReport& report) {
  JsonWriter w;
  WriteRouteJson(w, report);
  return w.str();
}

std::string RouteReportToText(const RouteReport& r) {
  const DeliveryPlan& plan = r.route.plan;
  std::string out = absl::StrCat("route to ", Domain(plan), "\n");
  for (const DnsStep& s : plan.steps) {
    absl::StrAppend(&out, "  dns ", s.question.ToString(), ": ", s.summary,
                    "\n");
  }
  if (!plan.next_hop.ip.has_value()) {
    absl::StrAppend(&out, "  MX set: ",
                    plan.destinations.have_mx ? "MX records" : "implicit MX",
                    ", DNSSEC ",
                    plan.destinations.secure ? "secure" : "insecure", "\n");
  }
  absl::StrAppend(&out, "  MTA-STS: ",
                  plan.sts_policy.has_value()
                      ? absl::StrCat(StsModeName(plan.sts_policy->mode),
                                     " (mx: ",
                                     absl::StrJoin(plan.sts_policy->mx, ", "),
                                     ")")
                      : std::string("none"),
                  r.route.sts.decision.reason.empty()
                      ? ""
                      : absl::StrCat(" - ", r.route.sts.decision.reason),
                  "\n");
  for (const std::string& warning : plan.destinations.warnings) {
    absl::StrAppend(&out, "  warning: ", warning, "\n");
  }
  if (!plan.error.ok()) {
    absl::StrAppend(&out, "  no route: ", plan.error.message(), "\n");
  }
  for (size_t i = 0; i < plan.attempts.size(); ++i) {
    const DeliveryAttempt& a = plan.attempts[i];
    std::vector<std::string> ips;
    for (const IpAddress& ip : a.ips) ips.push_back(ip.ToString());
    absl::StrAppend(&out, "  ", i + 1, ". ", a.host, " (preference ",
                    a.preference, a.implicit_mx ? ", implicit MX" : "",
                    ") port ", a.port, " [", absl::StrJoin(ips, ", "),
                    "] addresses DNSSEC ",
                    a.addresses_secure ? "secure" : "insecure", "\n");
    for (const DnsStep& s : a.steps) {
      absl::StrAppend(&out, "       dns ", s.question.ToString(), ": ",
                      s.summary, "\n");
    }
    absl::StrAppend(&out, "       TLS: ", TlsPolicyName(a.policy),
                    a.tls_required ? " (required" : " (optional",
                    ", verify ", TlsVerifyModeName(a.verify),
                    a.names.empty() ? ""
                                    : absl::StrCat(" as ",
                                                   absl::StrJoin(a.names, ", ")),
                    ") - ", a.policy_reason, "\n");
    for (const TlsaRecord& t : a.tlsa) {
      absl::StrAppend(&out, "       TLSA ", t.ToString(), "\n");
    }
    absl::StrAppend(&out, "       REQUIRETLS: ",
                    a.requiretls_allowed ? "allowed" : "not allowed", " - ",
                    a.requiretls_reason, "\n");
    for (const std::string& warning : a.warnings) {
      absl::StrAppend(&out, "       warning: ", warning, "\n");
    }
    if (!a.skip.ok()) {
      absl::StrAppend(&out, "       skipped: ", a.skip.message(), "\n");
    } else if (a.outcome != AttemptOutcome::kNotTried) {
      absl::StrAppend(&out, "       ", AttemptOutcomeName(a.outcome),
                      a.outcome_ip.empty() ? "" : absl::StrCat(" at ", a.outcome_ip),
                      a.outcome_detail.empty() ? "" : absl::StrCat(": ", a.outcome_detail),
                      "\n");
    }
  }
  return out;
}

}  // namespace cli
}  // namespace smtpcore
