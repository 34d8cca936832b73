#include "transports/common/mx_attempt.h"

#include <string>

#include "core/errors.h"

namespace smtpcore {

ClientOptions AttemptClientOptions(const ClientOptions& base,
                                   const DeliveryAttempt& a,
                                   const IpAddress& ip, DialHistory* history) {
  ClientOptions o = base;
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

AttemptOutcome ConnectFailureOutcome(const DeliveryAttempt& attempt,
                                     const SmtpError& error,
                                     const DialHistory& history) {
  const DialAttempt* last = history.last(attempt.host);
  if (last != nullptr && last->outcome == DialOutcome::kConnectFailed) {
    return AttemptOutcome::kConnectFailed;
  }
  if (error.code >= 500 && error.code < 600) {
    return AttemptOutcome::kPermanentFailure;
  }
  return AttemptOutcome::kTemporaryFailure;
}

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

void ReportFailedConnect(TlsReportAggregator* report, const DeliveryPlan& plan,
                         const DeliveryAttempt& attempt, const IpAddress& ip,
                         const SmtpError& error) {
  if (report == nullptr) return;
  absl::optional<TlsResultType> type = TlsFailureFor(attempt, error);
  if (!type.has_value()) return;
  TlsFailure f;
  f.type = *type;
  f.receiving_mx_hostname = attempt.host;
  f.receiving_ip = ip.ToString();
  f.failure_reason_code = error.what;
  report->AddFailure(TlsReportPolicyFor(plan, attempt), f);
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

void ReportStsFetch(TlsReportAggregator* report, const std::string& domain,
                    const StsOutcome& sts) {
  if (report == nullptr || !sts.fetched ||
      sts.fetch_failure == StsFetchFailure::kNone) {
    return;
  }
  TlsReportPolicy policy;
  policy.type = "sts";
  policy.domain = domain;
  TlsFailure f;
  f.type = sts.fetch_failure == StsFetchFailure::kWebPki
               ? TlsResultType::kStsWebpkiInvalid
           : sts.fetch_failure == StsFetchFailure::kInvalid
               ? TlsResultType::kStsPolicyInvalid
               : TlsResultType::kStsPolicyFetchError;
  f.failure_reason_code = std::string(sts.fetch_status.message());
  report->AddFailure(policy, f);
}

void ReportSkipped(TlsReportAggregator* report, const DeliveryAttempt& a) {
  if (report == nullptr || GetErrorDetail(a.skip) != ErrorDetail::kDnssecBogus) {
    return;
  }
  TlsReportPolicy policy;
  policy.type = "tlsa";
  policy.domain = a.host;
  policy.mx_hosts = {a.host};
  TlsFailure f;
  f.type = TlsResultType::kDnssecInvalid;
  f.receiving_mx_hostname = a.host;
  f.failure_reason_code = std::string(a.skip.message());
  report->AddFailure(policy, f);
}

}  // namespace smtpcore
