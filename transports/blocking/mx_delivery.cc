#include "transports/blocking/mx_delivery.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/blocking/blocking_client.h"
#include "transports/common/transport_error.h"
#include "transports/tls/dane_verifier.h"

namespace smtpcore {
namespace {

std::string Bracketed(const IpAddress& ip, uint16_t port) {
  return ip.family == IpFamily::kV6
             ? absl::StrCat("[", ip.ToString(), "]:", port)
             : absl::StrCat(ip.ToString(), ":", port);
}

// ConnectOptions sets the template's per-attempt fields.
ClientOptions ConnectOptions(const MxDeliveryOptions& options,
                             const DeliveryAttempt& a, const IpAddress& ip,
                             DialHistory* history) {
  ClientOptions o = options.client;
  o.host = a.host;
  o.addresses = {ip.ToString()};
  o.port = a.port;
  o.dial_history = history;
  o.session.tls_mode =
      a.tls_required ? TlsMode::kRequired : TlsMode::kOpportunistic;
  o.tls.server_name = a.names.empty() ? a.host : a.names.front();
  o.tls.insecure = a.verify == TlsVerifyMode::kNone;
  o.tls.dane.reset();
  if (a.verify == TlsVerifyMode::kDane) {
    o.tls.dane = DaneOptions{a.tlsa, a.names};
  }
  return o;
}

void ReportSession(TlsReportAggregator* report, const DeliveryPlan& plan,
                   const DeliveryAttempt& a, const IpAddress& ip,
                   const TlsInfo* tls) {
  if (report == nullptr) return;
  TlsReportPolicy policy = TlsReportPolicyFor(plan, a);
  TlsFailure f;
  f.receiving_mx_hostname = a.host;
  f.receiving_ip = ip.ToString();
  if (tls == nullptr) {
    f.type = TlsResultType::kStartTlsNotSupported;
    f.failure_reason_code = "STARTTLS not offered";
    report->AddFailure(policy, f);
    return;
  }
  if (a.policy == TlsPolicy::kDaneUnusable) {
    f.type = TlsResultType::kTlsaInvalid;
    f.failure_reason_code = "no usable TLSA record";
    report->AddFailure(policy, f);
    return;
  }
  if (a.policy == TlsPolicy::kMtaStsTesting) {
    if (a.sts_mx_mismatch) {
      f.type = TlsResultType::kValidationFailure;
      f.failure_reason_code = "MX host not listed in the MTA-STS policy";
      report->AddFailure(policy, f);
      return;
    }
    if (!tls->verified) {
      f.type = TlsResultTypeForPkixError(tls->verify_error);
      f.failure_reason_code = tls->verify_error;
      report->AddFailure(policy, f);
      return;
    }
  }
  report->AddSuccess(policy);
}

}  // namespace

absl::optional<TlsResultType> TlsFailureFor(const DeliveryAttempt& attempt,
                                            const SmtpError& error) {
  switch (error.cause) {
    case ErrorDetail::kNeedsStartTls:
    case ErrorDetail::kTlsRequired:
      return TlsResultType::kStartTlsNotSupported;
    case ErrorDetail::kTlsVerification:
      if (attempt.verify == TlsVerifyMode::kDane) {
        return TlsResultType::kValidationFailure;
      }
      return TlsResultTypeForPkixError(error.what);
    case ErrorDetail::kTlsHandshake:
      return TlsResultType::kValidationFailure;
    default:
      return absl::nullopt;
  }
}

MxDeliveryResult DeliverToDomain(absl::string_view domain, Envelope envelope,
                                 absl::Cord body, MxDeliveryOptions options) {
  MxDeliveryResult result;
  const std::vector<Recipient> recipients = envelope.recipients;
  auto note = [&](const std::string& line) {
    if (options.on_note) options.on_note(line);
  };
  auto fail = [&](const absl::Status& status) {
    result.outcome = FailedOutcome(
        recipients, SmtpError::FromStatus(status, CommandKind::kGreeting));
    return result;
  };
  absl::StatusOr<NextHop> hop = ParseNextHop(domain);
  if (!hop.ok()) return fail(hop.status());
  absl::StatusOr<std::unique_ptr<BlockingRouteResolver>> resolver =
      BlockingRouteResolver::Create(options.route, options.sts_cache);
  if (!resolver.ok()) return fail(resolver.status());
  DialHistory own_history;
  DialHistory* history =
      options.dial_history != nullptr ? options.dial_history : &own_history;

  note(absl::StrCat("resolving ", hop->ToString()));
  result.route = (*resolver)->Resolve(*hop, envelope.mail.requiretls, history,
                                      options.now.value_or(absl::Now()));
  DeliveryPlan& plan = result.route.plan;
  const StsOutcome& sts = result.route.sts;
  if (options.tls_report != nullptr && sts.fetched &&
      sts.fetch_failure != StsFetchFailure::kNone) {
    TlsReportPolicy policy;
    policy.type = "sts";
    policy.domain = hop->domain;
    TlsFailure f;
    f.type = sts.fetch_failure == StsFetchFailure::kWebPki
                 ? TlsResultType::kStsWebpkiInvalid
             : sts.fetch_failure == StsFetchFailure::kInvalid
                 ? TlsResultType::kStsPolicyInvalid
                 : TlsResultType::kStsPolicyFetchError;
    f.failure_reason_code = std::string(sts.fetch_status.message());
    options.tls_report->AddFailure(policy, f);
  }
  if (!plan.error.ok()) {
    note(absl::StrCat("no route: ", plan.error.message()));
    return fail(plan.error);
  }

  absl::optional<SmtpError> last_error;
  bool done = false;
  bool delivered_session = false;  // a session ran the delivery
  for (size_t i = 0; i < plan.attempts.size() && !done; ++i) {
    DeliveryAttempt& a = plan.attempts[i];
    if (!a.skip.ok()) {
      note(absl::StrCat("skipping ", a.host, ": ", a.skip.message()));
      if (options.tls_report != nullptr &&
          GetErrorDetail(a.skip) == ErrorDetail::kDnssecBogus) {
        TlsReportPolicy policy;
        policy.type = "tlsa";
        policy.domain = a.host;
        policy.mx_hosts = {a.host};
        TlsFailure f;
        f.type = TlsResultType::kDnssecInvalid;
        f.receiving_mx_hostname = a.host;
        f.failure_reason_code = std::string(a.skip.message());
        options.tls_report->AddFailure(policy, f);
      }
      last_error = SmtpError::FromStatus(a.skip, CommandKind::kGreeting);
      continue;
    }
    for (const IpAddress& ip : a.ips) {
      note(absl::StrCat("trying ", a.host, " ", Bracketed(ip, a.port), " (",
                        TlsPolicyName(a.policy), ")"));
      ClientOptions o = ConnectOptions(options, a, ip, history);
      absl::StatusOr<std::unique_ptr<BlockingClient>> client =
          BlockingClient::Connect(o);
      if (!client.ok()) {
        SmtpError e = ErrorFromStatus(client.status());
        if (options.tls_report != nullptr) {
          if (absl::optional<TlsResultType> t = TlsFailureFor(a, e)) {
            TlsFailure f;
            f.type = *t;
            f.receiving_mx_hostname = a.host;
            f.receiving_ip = ip.ToString();
            f.failure_reason_code = e.what;
            options.tls_report->AddFailure(TlsReportPolicyFor(plan, a), f);
          }
        }
        const DialAttempt* last = history->last(a.host);
        const bool connect_failed =
            last != nullptr && last->outcome == DialOutcome::kConnectFailed;
        const bool permanent = e.code >= 500 && e.code < 600;
        plan.Record(i,
                    connect_failed ? AttemptOutcome::kConnectFailed
                    : permanent    ? AttemptOutcome::kPermanentFailure
                                   : AttemptOutcome::kTemporaryFailure,
                    connect_failed ? "" : ip.ToString(), e.Message());
        note(absl::StrCat(a.host, " ", Bracketed(ip, a.port), ": ",
                          e.Message()));
        last_error = std::move(e);
        if (permanent) {  // 5xx greeting or EHLO: this domain refuses
          result.accepted_attempt = i;
          result.accepted_ip = ip.ToString();
          done = true;
          break;
        }
        continue;
      }
      BlockingClient& c = **client;
      result.accepted_attempt = i;
      result.accepted_ip = ip.ToString();
      if (c.tls_info() != nullptr) result.tls = *c.tls_info();
      ReportSession(options.tls_report, plan, a, ip, c.tls_info());
      note(absl::StrCat("session ready with ", a.host, " ",
                        Bracketed(ip, a.port),
                        c.tls_info() != nullptr
                            ? absl::StrCat(" over ", c.tls_info()->version,
                                           c.tls_info()->verified
                                               ? " (verified)"
                                               : " (not verified)")
                            : " without TLS"));
      result.outcome = c.Deliver(std::move(envelope), std::move(body));
      (void)c.Close();
      const AttemptOutcome outcome =
          result.outcome.ok() ? AttemptOutcome::kDelivered
          : result.outcome.error->permanent ? AttemptOutcome::kPermanentFailure
                                            : AttemptOutcome::kTemporaryFailure;
      plan.Record(i, outcome, ip.ToString(),
                  result.outcome.ok() ? "accepted"
                                      : result.outcome.error->Message());
      done = true;
      delivered_session = true;
      break;
    }
  }
  if (!delivered_session) {
    SmtpError e = last_error.has_value()
                      ? *last_error
                      : TransportError(ErrorDetail::kIo,
                                       "no MX host could be tried");
    result.outcome = FailedOutcome(recipients, std::move(e));
  }
  return result;
}

}  // namespace smtpcore
