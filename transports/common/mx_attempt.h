// MX attempts: what every MX driver (transports/blocking/mx_delivery.h,
// transports/libuv/uv_mx_delivery.h) does around one attempt of a delivery
// plan, written once: the client options of a connection to one IP of an
// attempt (TLS requirement, DANE or PKIX verification, the IP to dial),
// how a failed connection counts for the plan, and the TLS reporting
// (RFC 8460) of a session, of a failed MTA-STS fetch and of a skipped
// attempt. Pure: no sockets, no clock.

#ifndef SMTP_TRANSPORTS_COMMON_MX_ATTEMPT_H_
#define SMTP_TRANSPORTS_COMMON_MX_ATTEMPT_H_

#include <string>

#include "absl/types/optional.h"
#include "core/sasl_mechanism.h"
#include "core/smtp_error.h"
#include "route/delivery_plan.h"
#include "route/dial_history.h"
#include "route/ip_address.h"
#include "route/tls_report.h"
#include "transports/common/client_options.h"
#include "transports/common/route_resolution.h"

namespace smtpcore {

// AttemptClientOptions returns `base` set up for `attempt` at `ip`: host =
// the MX name, addresses = {ip}, the attempt's port, TlsMode::kRequired when
// TLS is required (else kOpportunistic), server name = the attempt's first
// reference name (else the host), `tls.insecure` unless verified, and
// `tls.dane` for DANE; `history` records the dial.
ClientOptions AttemptClientOptions(const ClientOptions& base,
                                   const DeliveryAttempt& attempt,
                                   const IpAddress& ip, DialHistory* history);

// ConnectFailureOutcome is how a failed connect of `attempt` (error `error`,
// dial history `history`) counts: kConnectFailed when TCP never connected,
// kPermanentFailure for a 5xx greeting or EHLO (stop: the domain refuses),
// else kTemporaryFailure (4xx, TLS failure, timeout: try the next IP/MX).
AttemptOutcome ConnectFailureOutcome(const DeliveryAttempt& attempt,
                                     const SmtpError& error,
                                     const DialHistory& history);

// TlsFailureFor classifies a failed TLS negotiation for TLSRPT: `error` of
// the session (kNeedsStartTls / kTlsRequired: starttls-not-supported;
// kTlsVerification under DANE: validation-failure; under PKIX by the
// verification text) on `attempt`. nullopt when `error` is not about TLS.
absl::optional<TlsResultType> TlsFailureFor(const DeliveryAttempt& attempt,
                                            const SmtpError& error);

// ReportFailedConnect records, when TLS is the cause, a failed session of
// `attempt` at `ip` in `report` (may be null).
void ReportFailedConnect(TlsReportAggregator* report, const DeliveryPlan& plan,
                         const DeliveryAttempt& attempt, const IpAddress& ip,
                         const SmtpError& error);

// ReportSession records a session that became ready: a success, or a
// failure when it ran without TLS (starttls-not-supported), with unusable
// TLSA records (tlsa-invalid), or under MTA-STS testing to an MX outside the
// policy or with a certificate PKIX rejects (the RFC 8460 type of the
// error). `tls` is null without TLS. `report` may be null.
void ReportSession(TlsReportAggregator* report, const DeliveryPlan& plan,
                   const DeliveryAttempt& attempt, const IpAddress& ip,
                   const TlsInfo* tls);

// ReportStsFetch records a failed MTA-STS fetch of `domain` (sts-policy-
// fetch-error, sts-webpki-invalid or sts-policy-invalid). No-op when
// nothing failed or `report` is null.
void ReportStsFetch(TlsReportAggregator* report, const std::string& domain,
                    const StsOutcome& sts);

// ReportSkipped records an attempt skipped for a bogus DNSSEC answer as a
// dnssec-invalid failure of its TLSA policy. No-op otherwise.
void ReportSkipped(TlsReportAggregator* report, const DeliveryAttempt& attempt);

}  // namespace smtpcore

#endif  // SMTP_TRANSPORTS_COMMON_MX_ATTEMPT_H_
