#include "transports/blocking/mx_delivery.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "transports/blocking/blocking_client.h"
#include "transports/common/transport_error.h"
#include "transports/common/mx_attempt.h"

namespace smtpcore {
namespace {

std::string Bracketed(const IpAddress& ip, uint16_t port) {
  return ip.family == IpFamily::kV6
             ? absl::StrCat("[", ip.ToString(), "]:", port)
             : absl::StrCat(ip.ToString(), ":", port);
}

}  // namespace

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
  absl::StatusOr<NextHop> hop = ParseDestination(options.route, domain);
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
  ReportStsFetch(options.tls_report, hop->domain, sts);
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
      ReportSkipped(options.tls_report, a);
      last_error = SmtpError::FromStatus(a.skip, CommandKind::kGreeting);
      continue;
    }
    for (const IpAddress& ip : a.ips) {
      note(absl::StrCat("trying ", a.host, " ", Bracketed(ip, a.port), " (",
                        TlsPolicyName(a.policy), ")"));
      ClientOptions o = AttemptClientOptions(options.client, a, ip, history);
      absl::StatusOr<std::unique_ptr<BlockingClient>> client =
          BlockingClient::Connect(o);
      if (!client.ok()) {
        SmtpError e = ErrorFromStatus(client.status());
        ReportFailedConnect(options.tls_report, plan, a, ip, e);
        const AttemptOutcome outcome = ConnectFailureOutcome(a, e, *history);
        const bool permanent = outcome == AttemptOutcome::kPermanentFailure;
        plan.Record(i, outcome,
                    outcome == AttemptOutcome::kConnectFailed ? ""
                                                              : ip.ToString(),
                    e.Message());
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
